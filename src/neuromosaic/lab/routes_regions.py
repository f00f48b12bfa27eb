"""Regions panel: ``POST /api/regions`` cuts a network into its exact linear regions.

The answer carries what the page draws and shows on hover: each region's polygon, activation
pattern and affine map, plus the count beside the theory's bounds for the architecture.
"""

from __future__ import annotations

import base64
import binascii
import json

import torch
from fastapi import APIRouter, Request
from fastapi.responses import Response
from torch import nn

from ..errors import InputError
from ..io.weights import load_npz_net
from ..regions import linear_regions
from ..regions.compile import compile_net
from ..spec import NetSpec
from ..theory.bounds import bounds_dict, bounds_table
from .compute import cancel_point, check_cap
from .models import RegionsRequest

router = APIRouter(tags=["regions"])

JS_SAFE = 2**53  # integers above this lose digits in JavaScript; they are sent as text


def build_net(req: RegionsRequest, limits) -> nn.Module:
    """The network a request describes (uploaded weights or a NetSpec), under the unit cap."""
    if req.weights is not None:
        check_cap("the upload's base64 length", len(req.weights), limits.max_upload_bytes * 4 // 3 + 4)
        try:
            raw = base64.b64decode(req.weights, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("weights must be a base64-encoded .npz file") from None
        net = load_npz_net(raw, max_uncompressed=8 * limits.max_upload_bytes)
        first = next(m for m in net.modules() if isinstance(m, nn.Linear))
        if first.in_features != 2:
            raise InputError(f"weights: the net takes {first.in_features} inputs; the regions "
                             f"panel cuts the plane of a 2-input net")
    else:
        widths, out_dim = req.architecture()
        # outputs count too: they are units whose values every mesh vertex carries
        check_cap("the network's units (hidden and outputs)", sum(widths) + out_dim, limits.max_region_units)
        spec = NetSpec(inputs=2, widths=widths, outputs=out_dim, activation=req.activation,
                       out_activation="identity", init=req.init, bias_init=req.bias_init, seed=req.seed)
        return spec.build(dtype=torch.float64)
    program = compile_net(net, 2)
    check_cap("the network's units (hidden and outputs)", sum(program.hidden_widths) + program.out_dim,
              limits.max_region_units)
    return net


def regions_answer(req: RegionsRequest, limits) -> bytes:
    """Cut the request's network; the JSON answer as bytes (:meth:`Regions.to_dict`, flat
    polygons, output 0's maps, rounded, plus the widths and the bounds table)."""
    net = build_net(req, limits)
    regions = linear_regions(net, domain=req.domain, max_regions=limits.max_regions, workers=1,
                             progress=cancel_point)  # stops past the time limit, layer by layer
    widths = regions.program.hidden_widths
    answer = regions.to_dict(polygons="flat", digits=7, output=0)
    answer["domain"] = answer["plane"]["extent"]
    answer["widths"] = widths
    answer["seconds"] = regions.seconds  # shown live by the page; files never carry it
    answer["stats"] = regions.stats()
    answer["bounds"] = bounds_dict(bounds_table(2, widths), as_text_over=JS_SAFE) if widths else []
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
