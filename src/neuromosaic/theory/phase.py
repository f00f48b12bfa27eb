"""The order/chaos phase diagram of random nets, and where an init sits on it.

``χ1 = σ_w² E[φ'(h)²]`` (:func:`~.meanfield.chi1`) below 1: ordered (nearby inputs merge, the
picture goes flat); above 1: chaotic (they separate, it fills with edges). :func:`phase_diagram`
maps ``χ1`` over ``(σ_w, σ_b)`` with the edge of chaos; :func:`init_to_sigmas` and
:func:`init_points` place the painter's ``--init`` values on it.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import SpecError
from ..spec import InitSpec
from .meanfield import bracket_root, check_sigmas, chi1

__all__ = ["critical_sigma_w", "init_points", "init_to_sigmas", "phase_diagram"]


def critical_sigma_w(activation: str, *, sigma_b: float = 0.0, lo: float = 0.05,
                     hi: float = 50.0) -> float:
    """The ``σ_w`` in ``[lo, hi]`` where ``χ1`` first crosses 1 from below (the edge of chaos for
    this ``σ_b``); ``nan`` when ``χ1`` stays on one side of 1 over the range."""
    check_sigmas(1.0, sigma_b)
    check_sigmas(lo, 0.0)
    if not hi > lo:
        raise SpecError(f"hi must be > lo, got lo={lo!r}, hi={hi!r}")

    def gap(sw: float) -> float:
        return chi1(activation, sigma_w=sw, sigma_b=sigma_b) - 1.0

    grid = np.geomspace(lo, hi, 41)
    prev, gprev = grid[0], gap(grid[0])
    for sw in grid[1:]:
        g = gap(sw)
        if gprev < 0 <= g:
            return float(bracket_root(gap, prev, sw, gprev, g))
        prev, gprev = sw, g
    return math.nan


def phase_diagram(activation: str = "tanh", *, sigma_w: np.ndarray | None = None,
                  sigma_b: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """``χ1`` over a grid, and the edge of chaos.

    The one grid the CLI's ``explain phase`` and the lab's Explain panel both draw.

    Arguments:
        sigma_w: ``(W,)`` values (default 48 from 0.1 to 400, geometric: it reaches the
            article's ``uniform:100``, ``σ_w ≈ 231`` at fan-in 16).
        sigma_b: ``(B,)`` values (default 21 from 0 to 2).

    Returns ``{"sigma_w": (W,), "sigma_b": (B,), "chi1": (B, W), "critical_sigma_w": (B,)}``
    (``nan`` where the edge is not in ``[0.05, 50]``).
    """
    sws = np.geomspace(0.1, 400.0, 48) if sigma_w is None else np.asarray(sigma_w, float)
    sbs = np.linspace(0.0, 2.0, 21) if sigma_b is None else np.asarray(sigma_b, float)
    grid = np.array([[chi1(activation, sigma_w=w, sigma_b=b) for w in sws] for b in sbs])
    edge = np.array([critical_sigma_w(activation, sigma_b=b) for b in sbs])
    return {"sigma_w": sws, "sigma_b": sbs, "chi1": grid, "critical_sigma_w": edge}


def init_to_sigmas(init: str, fan_in: int, *, bias_init: str | None = None,
                   fan_out: int | None = None) -> tuple[float, float]:
    """``(σ_w, σ_b)`` of a paint ``--init`` for a layer with ``fan_in`` inputs.

    ``σ_w² = fan_in · Var(W)`` and ``σ_b² = Var(b)``, from :meth:`InitSpec.variance` and
    :meth:`InitSpec.bias_variance`. ``bias_init=None`` means what :meth:`NetSpec.build` does:
    PyTorch's default bias U(±1/√fan_in) (``σ_b² = 1/(3·fan_in)``), or zero biases for
    ``xavier``/``kaiming``. ``fan_out`` (default ``fan_in``) matters only for ``xavier``.
    Examples at ``fan_in = 16``: ``default`` → ``σ_w² = 1/3``, ``σ_b² = 1/48``;
    ``normal:1`` → ``σ_w = 4``; ``uniform:100`` → ``σ_w² = 16·100²/3``.
    """
    if isinstance(fan_in, bool) or not isinstance(fan_in, int) or fan_in < 1:
        raise SpecError(f"fan_in must be an integer >= 1, got {fan_in!r}")
    w_init = InitSpec.parse(init)
    fan_out = fan_in if fan_out is None else fan_out
    sigma_w2 = fan_in * w_init.variance(fan_in, fan_out)
    if bias_init is not None:
        sigma_b2 = InitSpec.parse(bias_init, what="bias_init").bias_variance(fan_in)
    elif w_init.kind in ("xavier", "kaiming"):
        sigma_b2 = 0.0
    else:
        sigma_b2 = InitSpec.parse("default").bias_variance(fan_in)
    return math.sqrt(sigma_w2), math.sqrt(sigma_b2)


def init_points(inits, *, fan_in: int = 16, activation: str = "tanh") -> list[dict]:
    """Where each ``--init`` of paint sits on the phase diagram: a list of
    ``{"init", "sigma_w", "sigma_b", "chi1", "phase"}`` (biases as :meth:`NetSpec.build` draws
    them: PyTorch's default unless the init is xavier/kaiming)."""
    rows = []
    for init in inits:
        sw, sb = init_to_sigmas(init, fan_in)
        x1 = chi1(activation, sigma_w=sw, sigma_b=sb) if sw > 0 else 0.0
        rows.append({"init": init, "sigma_w": sw, "sigma_b": sb, "chi1": x1,
                     "phase": "ordered" if x1 < 1 else "chaotic" if x1 > 1 else "critical"})
    return rows
