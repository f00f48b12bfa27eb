"""A ReLU net built by hand that interpolates a separable target: what a trained net could reach.

For ``f(x1, x2) = g1(x1) + g2(x2)`` (the seed's paraboloid is one), the piecewise-linear
interpolant of ``g1`` with ``n`` equal pieces is exactly a sum of ``n`` ReLUs::

    g1(t) ≈ g1(t0) + s0 * relu(t − t0) + Σ_{k=1}^{n-1} (s_k − s_{k-1}) * relu(t − t_k)

(``s_k`` the slope on piece k, ``t_k`` the kinks), so one hidden layer of ``2n`` ReLUs — ``n``
per coordinate, kinks evenly spaced — interpolates ``f`` at every grid node. For ``t²`` on a
piece of width ``h`` the interpolant lies above the curve by ``(t − a)(a + h − t) <= h²/4``, so
on ``[0, 1]²`` (``h = 1/n``) the paraboloid's sup error is ``2 · h²/4 = 1/(2n²)``, attained at
the cell centres; moving the output bias down by half of that halves it to ``1/(4n²)``.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import SpecError
from ..plane import check_extent
from .targets import Target, get_target


def interpolating_net(target: str | Target, n: int, *, domain=(0.0, 1.0, 0.0, 1.0),
                      half_shift: bool = False, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A ``Linear(2, 2n), ReLU, Linear(2n, 1)`` net interpolating ``target`` on an n×n grid.

    Arguments:
        target: a name, an expression or a callable ``f(x1, x2)``. Exact (interpolates at all
            grid nodes) when ``f`` is separable, ``f = g1(x1) + g2(x2)``; the net is built from
            ``g1(t) = f(t, y0)`` and ``g2(t) = f(x0, t) − f(x0, y0)``.
        n: pieces per coordinate (``n`` hidden units per coordinate), ``n >= 1``.
        domain: ``(x0, x1, y0, y1)``; the kinks are at ``x0 + k (x1 − x0)/n``, ``k = 0…n−1``.
        half_shift: lower the output bias by half the largest error of the interpolant at the
            piece midpoints (exact for quadratics, where the error is largest at the midpoints),
            so the error is centred on zero.

    Returns:
        ``nn.Sequential(Linear(2, 2n), ReLU(), Linear(2n, 1))`` in ``dtype``.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise SpecError(f"n must be an integer >= 1, got {n!r}")
    x0, x1, y0, y1 = check_extent(domain)
    f = get_target(target) if isinstance(target, str) else target

    def g_x(t):
        return f(t, torch.full_like(t, y0))

    def g_y(t):
        return f(torch.full_like(t, x0), t) - f(torch.full_like(t, x0), torch.full_like(t, y0))

    knots_x = torch.linspace(x0, x1, n + 1, dtype=dtype)
    knots_y = torch.linspace(y0, y1, n + 1, dtype=dtype)
    wx, bx, cx = _relu_interpolant(g_x, knots_x)
    wy, by, cy = _relu_interpolant(g_y, knots_y)

    first = nn.Linear(2, 2 * n).to(dtype)
    second = nn.Linear(2 * n, 1).to(dtype)
    with torch.no_grad():
        first.weight.zero_()
        first.weight[:n, 0] = 1.0   # unit k: relu(x1 − t_k)
        first.weight[n:, 1] = 1.0   # unit n+k: relu(x2 − t_k)
        first.bias.copy_(torch.cat([bx, by]))
        second.weight.copy_(torch.cat([wx, wy])[None, :])
        bias = cx + cy
        if half_shift:
            bias = bias - 0.5 * (_midpoint_error(g_x, knots_x) + _midpoint_error(g_y, knots_y))
        second.bias.fill_(float(bias))
    return nn.Sequential(first, nn.ReLU(), second)


def _relu_interpolant(g, knots: torch.Tensor):
    """Output weights `(n,)`, hidden biases `(n,)` and the constant of ``Σ w_k relu(t − t_k) + c``."""
    values = g(knots)
    slopes = (values[1:] - values[:-1]) / (knots[1:] - knots[:-1])
    weights = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])  # slope changes at each kink
    return weights, -knots[:-1], float(values[0])


def _midpoint_error(g, knots: torch.Tensor) -> float:
    """Largest (interpolant − g) at the piece midpoints."""
    values = g(knots)
    mids = 0.5 * (knots[1:] + knots[:-1])
    return float(torch.max(0.5 * (values[1:] + values[:-1]) - g(mids)))


def sup_error(net: nn.Module, target: str | Target, *, domain=(0.0, 1.0, 0.0, 1.0),
              points_per_axis: int = 401, dtype: torch.dtype = torch.float64) -> float:
    """``max |net − f|`` over a ``points_per_axis²`` grid on ``domain`` (include the cell centres
    by choosing ``points_per_axis − 1`` a multiple of ``2n``)."""
    x0, x1, y0, y1 = check_extent(domain)
    f = get_target(target) if isinstance(target, str) else target
    xs = torch.linspace(x0, x1, points_per_axis, dtype=dtype)
    ys = torch.linspace(y0, y1, points_per_axis, dtype=dtype)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        out = net(torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1).to(dtype)).reshape(gx.shape)
    return float(torch.max(torch.abs(out - f(gx, gy))))
