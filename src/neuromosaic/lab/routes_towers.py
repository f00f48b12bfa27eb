"""Towers panel: ``POST /api/towers`` builds Nielsen's tower net and samples it beside its target."""

from __future__ import annotations

import numpy as np
import torch
from fastapi import APIRouter, Request

from ..errors import SpecError
from ..fitting import towers
from ..fitting.targets import evaluate_on, get_target, target_expression
from ..fitting.train import grid as domain_grid
from .compute import check_cap
from .models import TowersRequest

router = APIRouter(tags=["towers"])

MAX_N = 64
MAX_SIDES = 64
MAX_GRID = 128
MAX_PARAMS = 2_000_000
EDGE_MARGIN = 0.05  # the sup error is measured this fraction of a cell away from its edges,
# where a step of finite steepness is still rising (on the edge itself it is ½)  # weights of the tower net: its second layer is dense (towers × steps)


def tower_params(n: int, sides: int | None, layers: int) -> int:
    """Weights of ``towers.build(f, n, sides=sides, layers=layers)`` (see its docstring)."""
    steps = 2 * (n + 1) if sides is None else sides * n * n
    count = n * n
    return 3 * steps + (steps * count + count + count + 1 if layers == 2 else steps + 1)


def _clean(values: np.ndarray) -> list:
    """Rounded, with NaN/inf as None (JSON has no NaN)."""
    out = np.round(values, 6).astype(object)
    out[~np.isfinite(values)] = None
    return out.tolist()


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def towers_answer(req: TowersRequest) -> dict:
    check_cap("n (towers per side)", req.n, MAX_N)
    check_cap("grid", req.grid, MAX_GRID)
    if req.grid < 2:
        raise SpecError(f"grid must be in 2..{MAX_GRID}, got {req.grid}")
    if req.sides is not None:
        check_cap("sides", req.sides, MAX_SIDES)
    if req.n >= 1 and (req.sides is None or req.sides >= 3) and req.layers in (1, 2):
        check_cap("the tower net's weights", tower_params(req.n, req.sides, req.layers), MAX_PARAMS)
    net = towers.build(req.target, req.n, steepness=req.steepness, layers=req.layers,
                       domain=req.domain, sides=req.sides)
    gx, gy = domain_grid(req.domain, req.grid)
    points = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
    with torch.no_grad():
        approx = net(points).reshape(gx.shape).numpy()
    exact = evaluate_on(get_target(req.target), points).reshape(gx.shape).numpy()
    inner = towers.interior_points(req.n, domain=req.domain, per_cell=4, margin=EDGE_MARGIN)
    return {
        "expression": target_expression(req.target),
        "x": gx[0].tolist(), "y": gy[:, 0].tolist(),
        "towers": _clean(approx), "target": _clean(exact),
        "sup_error": _finite(towers.sup_error(net, req.target, inner)),
        "hidden_units": sum(m.out_features for m in net if isinstance(m, torch.nn.Linear)) - 1,
    }


@router.post("/api/towers")
async def towers_route(request: Request, req: TowersRequest) -> dict:
    """Nielsen's construction on a grid: the towers' output beside the target, and the sup error
    inside the cells, at least 5 % of a cell from their edges (on an edge a step is ½).

    Example body: ``{"target": "x1**2 + x2**2", "n": 8, "steepness": 100, "sides": 6}``.
    """
    lab = request.app.state.lab
    return await lab.runner.run(towers_answer, req)
