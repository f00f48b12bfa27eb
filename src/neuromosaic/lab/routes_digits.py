"""Digits panel: a net trained on real data (scikit-learn's 8×8 digits), cut on the plane through
three test images (``POST /api/digits``).

The answer carries the plane (its origin and axes in the 64-pixel input space), so the page
computes the image at any clicked point itself: ``origin + s·u + t·v``. Trained nets are kept
(a few, by model, epochs and seed), so moving between images does not train again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Literal

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from .compute import cancel_point, check_cap

router = APIRouter(tags=["digits"])

MAX_PIECES_SENT = 40_000  # decision pieces with their class, for the page's "predicted here"
_KEEP = 4
_runs: OrderedDict = OrderedDict()
_runs_lock = threading.Lock()


class DigitsRequest(BaseModel):
    """Which net to train and which three test images the plane goes through."""

    model_config = ConfigDict(extra="forbid")

    model: Literal["mlp", "conv"] = Field("mlp", description="mlp (64-32-32-10) or conv (Conv2d, MaxPool, Linear)")
    epochs: int = Field(10, ge=1, le=30, description="training epochs")
    through: list[int] | None = Field(None, description="three test-image indices (default: the first "
                                                        "test images of three classes)")
    seed: int = Field(0, ge=0, le=1000, description="seed of the split, the weights and the batches")


def _run(model: str, epochs: int, seed: int):
    from ..fitting.digits import train_digits

    key = (model, epochs, seed)
    with _runs_lock:
        if key in _runs:
            _runs.move_to_end(key)
            return _runs[key]
    run = train_digits(model, epochs=epochs, seed=seed, progress=cancel_point)
    with _runs_lock:
        _runs[key] = run
        while len(_runs) > _KEEP:
            _runs.popitem(last=False)
    return run


def _round(a, digits: int = 5) -> list:
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def digits_answer(req: DigitsRequest, max_regions: int) -> dict:
    from ..fitting.digits import pick_images, plane_through
    from ..regions import decision_regions, linear_regions

    run = _run(req.model, req.epochs, req.seed)
    idx = pick_images(run, tuple(req.through) if req.through is not None else None)
    x_te, y_te = run.data[2], run.data[3]
    plane = plane_through(x_te[idx])
    net = run.net.double()
    reg = linear_regions(net, plane=plane, max_regions=max_regions, progress=cancel_point)
    dec = decision_regions(net, plane=plane, max_regions=max_regions, progress=cancel_point)
    regions = reg.to_dict(polygons="flat", digits=5, output=0)
    for key in ("grads", "offsets", "areas"):
        regions.pop(key, None)
    regions["domain"] = list(plane.extent)
    pieces = [{"polygon": _round(np.asarray(p).reshape(-1)), "class": int(c)}
              for p, c in zip(dec.polygons[:MAX_PIECES_SENT], dec.classes[:MAX_PIECES_SENT], strict=False)]
    return {
        "model": req.model, "epochs": req.epochs, "test_accuracy": run.test_accuracy,
        "images": [{"index": int(i), "label": int(y_te[i]), "pixels": _round(x_te[i], 4),
                    "at": _round(plane.project(x_te[i]))} for i in idx],
        "plane": {"origin": _round(plane.origin, 8), "u": _round(plane.u, 8), "v": _round(plane.v, 8),
                  "extent": list(plane.extent)},
        "regions": regions,
        "decision": {"count": int(dec.count), "classes": dec.num_classes,
                     "segments": _round(np.asarray(dec.boundary, dtype=float).reshape(-1, 4)),
                     "pieces": pieces, "pieces_truncated": dec.pieces.count > MAX_PIECES_SENT},
    }


@router.post("/api/digits")
async def digits(request: Request, req: DigitsRequest) -> dict:
    """Train (or reuse) a digits net and cut the plane through three test images into its exact
    linear regions and decision regions.

    Example body: ``{"model": "mlp", "epochs": 10, "through": [0, 3, 4]}``.
    """
    lab = request.app.state.lab
    check_cap("training epochs", req.epochs, 30)
    return await lab.runner.run(digits_answer, req, lab.limits.max_regions)
