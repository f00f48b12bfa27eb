"""Regions panel: ``POST /api/regions`` cuts a network into its exact linear regions.

The answer carries what the page draws and shows on hover: each region's polygon, activation
pattern and affine map, plus the count beside the theory's bounds for the architecture.
"""

from __future__ import annotations

import base64
import binascii
import json

import numpy as np
import torch
from fastapi import APIRouter, Request
from fastapi.responses import Response
from torch import nn

from ..errors import InputError, SpecError
from ..io.weights import load_npz_net
from ..regions import linear_regions
from ..spec import NetSpec
from ..theory.bounds import bounds_table
from .compute import cancel_point, check_cap
from .models import RegionsRequest

router = APIRouter(tags=["regions"])

JS_SAFE = 2**53  # integers above this lose digits in JavaScript; they are sent as text


def hidden_widths(net: nn.Module) -> list[int]:
    """Widths of the hidden layers: the ``out_features`` of every ``Linear`` but the last."""
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    return [m.out_features for m in linears[:-1]]


def build_net(req: RegionsRequest, limits) -> nn.Module:
    """The network a request describes (uploaded weights or a NetSpec), under the unit cap."""
    if req.weights is not None:
        check_cap("the upload's base64 length", len(req.weights), limits.max_upload_bytes * 4 // 3 + 4)
        try:
            raw = base64.b64decode(req.weights, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("weights must be a base64-encoded .npz file") from None
        net = load_npz_net(raw)
        first = next(m for m in net.modules() if isinstance(m, nn.Linear))
        if first.in_features != 2:
            raise InputError(f"weights: the net takes {first.in_features} inputs; the regions "
                             f"panel cuts the plane of a 2-input net")
    else:
        if len(req.arch) < 2:
            raise SpecError(f"arch must be [inputs, hidden…, outputs], got {req.arch}")
        if req.arch[0] != 2:
            raise SpecError(f"arch: the first entry (inputs) must be 2, the plane's x and y; got {req.arch[0]}")
        spec = NetSpec(inputs=2, widths=req.arch[1:-1], outputs=req.arch[-1], activation=req.activation,
                       out_activation="identity", init=req.init, bias_init=req.bias_init, seed=req.seed)
        check_cap("the network's hidden units", sum(spec.widths), limits.max_region_units)
        return spec.build(dtype=torch.float64)
    check_cap("the network's hidden units", sum(hidden_widths(net)), limits.max_region_units)
    return net


def _bounds(widths: list[int]) -> list[dict]:
    if not widths:
        return []
    rows = []
    for b in bounds_table(2, widths):
        value = b.value if b.value is None or b.value < JS_SAFE else f"{b.value:.4g}"
        rows.append({"name": b.name, "kind": b.kind, "value": value, "source": b.source, "note": b.note})
    return rows


def flat_polygons(polygons: list[np.ndarray], digits: int = 7) -> list[list[float]]:
    """Each `(k, 2)` polygon as a flat ``[x0, y0, x1, y1, …]`` list, rounded in one NumPy call
    (about 8× faster than rounding polygon by polygon)."""
    if not polygons:
        return []
    ends = np.cumsum([p.size for p in polygons]).tolist()
    flat = np.round(np.concatenate([p.ravel() for p in polygons]), digits).tolist()
    return [flat[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]


def regions_answer(req: RegionsRequest, limits) -> bytes:
    """Cut the request's network; the JSON answer as bytes."""
    net = build_net(req, limits)
    regions = linear_regions(net, domain=req.domain, max_regions=limits.max_regions, workers=1,
                             progress=cancel_point)  # stops past the time limit, layer by layer
    grads, offsets = regions.affine
    answer = {
        "count": regions.count,
        "seconds": regions.seconds,
        "domain": list(regions.plane.extent),
        "widths": hidden_widths(net),
        "bounds": _bounds(hidden_widths(net)),
        "layout": regions.layout,
        "patterns": [bytes(p).hex() for p in regions.patterns],
        "grads": np.round(grads[:, 0, :], 7).tolist(),
        "offsets": np.round(offsets[:, 0], 7).tolist(),
        "areas": np.round(regions.areas, 9).tolist(),
        "polygons": flat_polygons(regions.polygons),
    }
    return json.dumps(answer, separators=(",", ":")).encode()


@router.post("/api/regions", response_class=Response,
             responses={200: {"content": {"application/json": {}},
                              "description": "count, bounds, and per region: polygon, pattern, affine map"}})
async def regions(request: Request, req: RegionsRequest) -> Response:
    """Exact linear regions of a 2-input piecewise-linear network over ``domain``.

    Example body: ``{"arch": [2, 32, 32, 32, 1], "seed": 0, "domain": [-1, 1, -1, 1]}``.
    Polygons are flat ``[x0, y0, x1, y1, …]``; ``grads[i]`` and ``offsets[i]`` give output 0 on
    region ``i`` as ``grads[i]·(x, y) + offsets[i]``; ``patterns[i]`` is hex (see ``layout``).
    """
    lab = request.app.state.lab
    body = await lab.runner.run(regions_answer, req, lab.limits)
    return Response(body, media_type="application/json")
