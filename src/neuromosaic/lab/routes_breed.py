"""Breed panel: ``POST /api/breed`` paints a picture and nine mutated children of it;
``POST /api/breed/cross`` gives the lineage of two pictures crossed.

A bred picture is a paint config with a lineage (:mod:`neuromosaic.lineage`): ``GET
/api/paint.png?…&lineage=m0.3s17`` paints it at any size, with the lineage in its config chunk.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from ..evolve import mutate
from ..lineage import Mutate, as_steps, count_steps, cross_lineages, lineage_text, parse_lineage
from ..painting import PaintConfig, render_config
from ..spec import MAX_SEED
from ..values import parse_int
from .compute import cancel_point, check_cap
from .models import PaintQuery
from .routes_paint import check_paint_caps, multiply_adds, preview_png

router = APIRouter(tags=["breed"])

CHILDREN = 9  # a 3 × 3 grid
MAX_SIDE = 256  # pixels on the longer side of a child's preview; the parent's is twice that


class BreedRequest(BaseModel):
    """A picture (the paint options of its root and its lineage) and how to vary it."""

    model_config = ConfigDict(extra="forbid")

    paint: PaintQuery = Field(default_factory=PaintQuery, description="the root picture's paint options "
                              "(as GET /api/paint.png takes them; its size is the shape kept)")
    lineage: str = Field("", description="the picture's breeding steps, e.g. m0.3s17_c5f1(m0.3s9)")
    strength: float = Field(0.1, description="the children's mutation strength, 0..10 (× each "
                                             "layer's weight spread)")
    base: int = Field(0, description="the children's seeds are base .. base + 8")
    side: int = Field(128, description=f"pixels on the longer side of a child's preview, 1..{MAX_SIDE}")


class CrossRequest(BaseModel):
    """Two pictures of the same root, by their lineages, and the seed of their crossing."""

    model_config = ConfigDict(extra="forbid")

    a: str = Field("", description="the first parent's lineage (the child keeps its shape)")
    b: str = Field("", description="the second parent's lineage")
    seed: int = Field(0, description="the crossing's coin flips")


def preview_size(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled so that its longer side is ``side`` pixels."""
    k = side / max(size)
    return max(1, round(size[0] * k)), max(1, round(size[1] * k))


def _png(image, cfg: PaintConfig) -> str:
    return base64.b64encode(preview_png(image, cfg)).decode("ascii")


def breed(cfg: PaintConfig, strength: float, base: int, side: int) -> dict:
    """The picture ``cfg`` paints (at ``2 × side``) and its nine children (at ``side``), each a
    preview PNG carrying its own config and lineage."""
    parent_cfg = cfg.replace(size=preview_size(cfg.size, 2 * side))
    child_cfg = cfg.replace(size=preview_size(cfg.size, side))
    steps = cfg.lineage or ()
    net = cfg.build(progress=cancel_point)
    children = []
    for seed in range(base, base + CHILDREN):
        lineage = as_steps([*steps, Mutate(strength=strength, seed=seed)])
        child = mutate(net, strength, seed)
        one = child_cfg.replace(lineage=lineage)
        children.append({"lineage": lineage_text(lineage), "seed": seed,
                         "png": _png(render_config(one, net=child, workers=1, progress=cancel_point), one)})
    return {"lineage": lineage_text(steps), "steps": count_steps(steps),
            "parent": _png(render_config(parent_cfg, net=net, workers=1, progress=cancel_point), parent_cfg),
            "children": children}


@router.post("/api/breed")
async def breed_route(request: Request, req: BreedRequest) -> dict:
    """A picture and nine children of it: ``{"lineage", "steps", "parent": base64 PNG,
    "children": [{"lineage", "seed", "png"}, …]}``. Click a child: its lineage is the new
    picture's. Every PNG carries its config and lineage (``paint --from`` re-renders it).

    Example body: ``{"paint": {"seed": 3}, "lineage": "m0.1s17", "strength": 0.1, "base": 9}``.
    """
    lab = request.app.state.lab
    cfg = req.paint.config()
    cfg = cfg.replace(lineage=parse_lineage(req.lineage) or None)  # over the caps: 413
    parse_int(req.side, what="side", low=1)
    check_cap("side (a child preview's pixels)", req.side, MAX_SIDE)
    parse_int(req.base, what="base", low=0, high=MAX_SEED - CHILDREN + 1)
    Mutate(strength=req.strength, seed=req.base)  # a bad strength: 422 before any work
    w, h = preview_size(cfg.size, req.side)
    W, H = preview_size(cfg.size, 2 * req.side)
    pixels = CHILDREN * w * h + W * H
    check_paint_caps(cfg.replace(size=(W, H)), lab.limits)
    check_cap("the preview pixels (nine children and the picture)", pixels, lab.limits.max_pixels)
    check_cap("pixels × multiply-adds per pixel", pixels * multiply_adds(cfg), lab.limits.max_work)
    return await lab.runner.run(breed, cfg, req.strength, req.base, req.side)


@router.post("/api/breed/cross")
async def cross_route(req: CrossRequest) -> dict:
    """The lineage of two pictures crossed (``neuromosaic.lineage.cross_lineages``): ``a``'s
    steps and one cross step, sharing their common first steps. ``{"lineage", "steps"}``.

    Example body: ``{"a": "m0.3s1", "b": "m0.3s2", "seed": 5}``.
    """
    steps = cross_lineages(parse_lineage(req.a), parse_lineage(req.b), req.seed)
    return {"lineage": lineage_text(steps), "steps": count_steps(steps)}
