"""Paint panel and infinite canvas: ``GET /api/paint.png``, the option lists, and the config of
a dropped picture (``POST /api/paint/from-file``).

A canvas tile is an ordinary painting: a 256² image whose ``scale`` is the tile's width in world
units and whose ``center`` is the tile's centre, so neighbouring tiles meet exactly.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..errors import InputError, TooLargeError
from ..io.png import encode_png
from ..io.tiff import read_picture_metadata
from ..painting import RECIPES, PaintConfig, config_from_metadata, png_bytes, render_config
from ..painting.color import COLORS
from ..painting.config import config_range
from ..painting.render import INPUTS, input_count
from ..spec import ACTIVATIONS
from .compute import cancel_point, check_cap
from .models import PaintQuery

router = APIRouter(tags=["paint"])

PREVIEW_PIXELS = 512 * 512  # up to here one worker thread renders; bigger images use all cores
HEAD_BYTES = 1 << 20  # what a dropped file's config is read from: PNG chunks and TIFF IFD come first


def multiply_adds(cfg: PaintConfig) -> int:
    """Multiply-adds per pixel of ``cfg``'s network (computed from the widths, before building)."""
    sizes = [input_count(cfg.inputs, cfg.z_dim), *cfg.hidden, 1 if cfg.color == "gray" else 3]
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def check_paint_caps(cfg: PaintConfig, limits) -> None:
    width, height = cfg.size
    check_cap("the image's pixel count", width * height, limits.max_pixels)
    check_cap("the network's hidden units", sum(cfg.hidden), limits.max_units)
    check_cap("pixels × multiply-adds per pixel", width * height * multiply_adds(cfg), limits.max_work)


def preview_png(image, cfg: PaintConfig) -> bytes:
    """PNG with the same config chunk as :func:`png_bytes`, at zlib level 1: about 5× faster to
    encode and 20 % bigger, which is the right trade over loopback for live previews."""
    return encode_png(image, cfg.metadata(), compress_level=1)


def _paint_job(cfg: PaintConfig, download: bool) -> bytes:
    width, height = cfg.size
    workers = 1 if width * height <= PREVIEW_PIXELS else None
    image = render_config(cfg, workers=workers, progress=cancel_point)  # stops past the time limit
    return png_bytes(image, cfg) if download else preview_png(image, cfg)


@router.get("/api/paint.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "the painting"}})
async def paint_png(request: Request, query: Annotated[PaintQuery, Query()]) -> Response:
    """Paint a CPPN: every paint option as a query parameter; a PNG with its config chunk.

    Example: ``/api/paint.png?size=256&layers=8&width=16&init=normal:1&seed=3&fast=true``.
    """
    cfg = query.config()
    lab = request.app.state.lab
    check_paint_caps(cfg, lab.limits)
    body = await lab.runner.run(_paint_job, cfg, query.download)
    headers = {"Cache-Control": "public, max-age=86400"}  # the same query paints the same bytes
    if query.download:
        headers["Content-Disposition"] = f'attachment; filename="neuromosaic-seed{cfg.seed}.png"'
    return Response(body, media_type="image/png", headers=headers)


@router.get("/api/paint/range")
async def paint_range(request: Request, query: Annotated[PaintQuery, Query()]) -> dict:
    """``{"range": [lo, hi] | null}``: the output range this picture maps to colours
    (:func:`~neuromosaic.painting.config.config_range`; null for a bounded output activation).
    The infinite canvas asks once for its base view and sends it with every tile, so tiles at
    every zoom map outputs alike."""
    cfg = query.config()
    lab = request.app.state.lab
    check_paint_caps(cfg, lab.limits)
    rng = await lab.runner.run(config_range, cfg)
    return {"range": None if rng is None else [float(rng[0]), float(rng[1])]}


@router.post("/api/paint/from-file", openapi_extra={"requestBody": {
    "required": True, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}})
async def paint_from_file(request: Request) -> dict:
    """The picture a file made by neuromosaic carries (a PNG's chunk, a poster TIFF's
    ImageDescription), for the infinite canvas to open: ``{"config": …, "canvas": {…}}``, the
    config and the canvas's URL parameters for its view (``x``, ``y``, ``span``) and net.

    The body is the file's first bytes, at most 1 MiB (over it: 413): the config comes before
    the pixels, so a poster of any size is opened from its head; no pixel is decoded."""
    body = await request.body()
    if len(body) > HEAD_BYTES:
        raise TooLargeError(f"send at most the file's first {HEAD_BYTES:,} bytes (its config comes "
                            f"before the pixels), got {len(body):,}")
    if not body:
        raise InputError("the body is empty: send the first bytes of a PNG or TIFF made by neuromosaic")
    cfg = await request.app.state.lab.runner.run(_config_of_file, body)
    return {"config": cfg.model_dump(mode="json"), "canvas": canvas_params(cfg)}


def _config_of_file(head: bytes) -> PaintConfig:
    meta = read_picture_metadata(head)
    if meta.get("kind") == "paint-weights":
        raise InputError("that picture is of a saved net (paint --weights): the canvas paints "
                         "nets built from options")
    return config_from_metadata(meta)


def canvas_params(cfg: PaintConfig) -> dict[str, str]:
    """The infinite canvas's URL parameters for ``cfg``: its net, and a view centred on its
    centre whose shorter side spans ``cfg.scale`` (``span``), as the picture does."""
    hidden = cfg.hidden
    params = {"activation": cfg.activation, "out_activation": cfg.out_activation,
              "init": cfg.init, "inputs": cfg.inputs, "color": cfg.color, "seed": cfg.seed,
              "x": cfg.center[0], "y": cfg.center[1], "span": cfg.scale}
    if len(set(hidden)) <= 1:
        params.update(layers=len(hidden), width=hidden[0] if hidden else cfg.width)
    else:
        params["widths"] = ",".join(map(str, hidden))
    optional = {"bias_init": cfg.bias_init, "cmap": cfg.cmap,
                "range": ",".join(map(repr, cfg.range)) if cfg.range else None,
                "z_dim": cfg.z_dim if cfg.inputs == "xyrz" else None,
                "z": ",".join(map(repr, cfg.z)) if cfg.z and cfg.inputs == "xyrz" else None,
                "raw_coords": "true" if cfg.raw_coords else None,
                "lineage": _lineage_text(cfg)}
    params.update({k: v for k, v in optional.items() if v is not None})
    return {k: str(v) for k, v in params.items()}


def _lineage_text(cfg: PaintConfig) -> str | None:
    steps = getattr(cfg, "lineage", None)  # a bred picture's steps (neuromosaic.lineage)
    if not steps:
        return None
    from ..lineage import lineage_text

    return lineage_text(steps)


@router.get("/api/paint/options")
async def paint_options() -> dict:
    """The choices of each paint option, the defaults and the article's recipes."""
    return {
        "defaults": PaintConfig(size=256).model_dump(mode="json"),
        "activations": sorted(ACTIVATIONS),
        "inits": ["default", "normal:1", "uniform:1", "uniform:3", "uniform:100", "xavier", "kaiming"],
        "inputs": list(INPUTS),
        "colors": list(COLORS),
        "recipes": [{"name": r.name, "title": r.title, "caption": r.caption,
                     "fields": r.config(size=256).model_dump(mode="json")} for r in RECIPES.values()],
    }
