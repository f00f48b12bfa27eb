"""Explain panel: the mean-field phase diagram (order ↔ chaos) and one point of it.

``GET /api/explain/phase`` gives ``χ1`` over ``(σ_w, σ_b)`` and the edge of chaos;
``GET /api/explain/point`` gives ``q*``, ``χ1``, ``c*`` and the depth scales at one point. The page
paints the CPPN drawn with those σ's through ``/api/paint.png`` (``init=normal:σ_w/√width``,
``bias_init=normal:σ_b``), so what theory predicts and what the net paints sit side by side.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query, Request

from ..spec import check_activation
from ..theory import meanfield
from ..theory.stats import phase_view

router = APIRouter(tags=["explain"])


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@lru_cache(maxsize=16)
def _phase(activation: str) -> dict:
    view = phase_view(activation, thumb=0)  # the CLI's figure, without its thumbnails
    d = view["diagram"]
    return {"activation": activation, "sigma_w": d["sigma_w"].tolist(), "sigma_b": d["sigma_b"].tolist(),
            "chi1": [[_finite(v) for v in row] for row in np.asarray(d["chi1"], float)],
            "critical_sigma_w": [_finite(v) for v in np.asarray(d["critical_sigma_w"], float)],
            "points": view["points"], "edge_sigma_w": _finite(view["edge"])}


@router.get("/api/explain/phase")
async def phase(request: Request, activation: Annotated[str, Query()] = "tanh") -> dict:
    """``χ1`` on a grid of ``σ_w`` (columns) × ``σ_b`` (rows) and the critical ``σ_w`` per row."""
    name = check_activation(activation)
    lab = request.app.state.lab
    return await lab.runner.run(_phase, name)


def _point(activation: str, sigma_w: float, sigma_b: float) -> dict:
    mf = meanfield.analyse(activation, sigma_w=sigma_w, sigma_b=sigma_b)
    return {"activation": mf.activation, "sigma_w": mf.sigma_w, "sigma_b": mf.sigma_b,
            "q_star": _finite(mf.q_star), "chi1": _finite(mf.chi1), "c_star": _finite(mf.c_star),
            "xi_q": _finite(mf.xi_q), "xi_c": _finite(mf.xi_c), "phase": mf.phase}


@router.get("/api/explain/point")
async def point(request: Request, activation: Annotated[str, Query()] = "tanh",
                sigma_w: Annotated[float, Query()] = 1.0, sigma_b: Annotated[float, Query()] = 0.0) -> dict:
    """Mean field at one ``(σ_w, σ_b)``: ``q*``, ``χ1``, ``c*``, depth scales, phase."""
    name = check_activation(activation)
    lab = request.app.state.lab
    return await lab.runner.run(_point, name, sigma_w, sigma_b)
