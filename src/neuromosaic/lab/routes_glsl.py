"""``GET /api/paint/glsl``: a painting's net as a fragment shader, for the page's WebGL2 view.

The Paint and canvas panels draw with it on the viewer's GPU as the controls move
(``static/webgl.js``); the exact PNG still comes from ``/api/paint.png``.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from ..painting import PaintConfig
from ..painting.glsl import to_glsl
from ..painting.render import output_bounds
from .compute import cancel_point
from .models import PaintQuery
from .routes_paint import check_paint_caps

router = APIRouter(tags=["paint"])


class GlslQuery(PaintQuery):
    """The paint options, and where the shader keeps the weights."""

    storage: str = Field("texture", description="texture (the source depends on the architecture "
                         "only: a new seed is a new texture) | auto (in the code for small nets: "
                         "faster frames, a compile per net) | inline")

    def paint_query(self) -> PaintQuery:
        return PaintQuery(**self.model_dump(exclude={"storage"}))


def glsl_answer(cfg: PaintConfig, storage: str = "texture") -> dict:
    """The JSON of ``cfg``'s shader: ``source``, ``texture`` (``width``, ``height``, ``data``:
    base64 of its float32 RGBA texels, little-endian, row by row; empty when the weights are in
    the code), ``uniforms`` (defaults, for
    ``cfg``'s view) and ``fixed_range``: whether ``u_range`` holds for every view (a given range
    or a bounded output activation) or was measured over this view (then ask again after a pan)."""
    net = cfg.build(device="cpu", progress=cancel_point)  # bred along its lineage, if any
    shader = to_glsl(net, inputs=cfg.inputs, z=cfg.latent(), seed=cfg.seed, color=cfg.color,
                     cmap=cfg.cmap, range=cfg.range, size=cfg.size, scale=cfg.scale,
                     center=cfg.center, raw_coords=cfg.raw_coords, storage=storage)
    width, height = shader.texture_size if shader.storage == "texture" else (0, 0)  # else: in the code
    data = shader.weights.astype("<f4").tobytes() if width else b""
    return {"source": shader.source, "uniforms": shader.uniforms,
            "texture": {"width": width, "height": height, "data": base64.b64encode(data).decode()},
            "fixed_range": cfg.range is not None or output_bounds(net) is not None}


@router.get("/api/paint/glsl")
async def paint_glsl(request: Request, response: Response,
                     query: Annotated[GlslQuery, Query()]) -> dict:
    """The paint options (as ``/api/paint.png``'s) → the net as a GLSL ES 3.0 fragment shader
    with its weight texture (:func:`neuromosaic.to_glsl`); the page draws it with WebGL2. The
    Paint panel asks for ``storage=texture`` (a seed change only uploads new weights), the
    canvas for ``auto`` (it draws many frames of one net).

    Example: ``/api/paint/glsl?layers=8&width=16&init=normal:1&seed=3``.
    """
    cfg = query.paint_query().config()
    lab = request.app.state.lab
    check_paint_caps(cfg, lab.limits)
    answer = await lab.runner.run(glsl_answer, cfg, query.storage)
    response.headers["Cache-Control"] = "public, max-age=86400"  # the same query, the same shader
    return answer
