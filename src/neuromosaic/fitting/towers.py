"""Nielsen's towers, built by hand (*Neural Networks and Deep Learning*, ch. 4).

A sigmoid neuron ``σ(w x + b)`` with a large weight ``w`` is a step at ``s = −b/w``. Two steps,
``+h`` at ``s1`` and ``−h`` at ``s2``, make a bump of height ``h`` on ``[s1, s2]``. Adding an
``x``-bump and a ``y``-bump gives a plateau of height ``2h`` on the cell where both are on,
"skirts" of height ``h`` along the two strips where only one is on, and 0 elsewhere. A
second-layer sigmoid neuron with a large weight on that sum and bias ``−3h/2`` (Nielsen's
choice) keeps only the plateau: a *tower*. The output neuron adds ``f(cell centre) × tower``
over the n×n cells, so the net approximates ``f`` by a piecewise-constant surface (Q1, Q2).

``layers=1`` stops before the threshold: what one hidden layer builds is the sum of bumps,
skirts included. ``sides=k`` builds each tower from ``k`` half-planes around the cell centre
instead of four steps: the sum is ``k`` inside a regular k-gon, and thresholding at ``k − 1/2``
keeps that k-gon, which approaches a disc (a cylinder-shaped tower) as ``k`` grows (Q3).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import SpecError, TooLargeError
from ..plane import check_extent
from .targets import Target, get_target

#: k-gon towers have at most this many sides; a net of towers at most this many weights in its
#: combining layer (``m × n²`` float64: 160 MB), checked before anything is allocated
MAX_SIDES = 1024
MAX_COMBINE_WEIGHTS = 20_000_000


def check_size(n: int, sides: int | None) -> None:
    """Refuse, before allocating, towers whose combining layer would pass the caps."""
    n = _check_int("n", n, 1)
    if sides is not None and _check_int("sides", sides, 3) > MAX_SIDES:
        raise TooLargeError(f"sides must be at most {MAX_SIDES}, got {sides}")
    m = 2 * (n + 1) if sides is None else sides * n * n
    if m * n * n > MAX_COMBINE_WEIGHTS:
        raise TooLargeError(f"{n}×{n} towers{'' if sides is None else f' of {sides} sides'} need "
                            f"{m * n * n:,} weights in the combining layer; at most "
                            f"{MAX_COMBINE_WEIGHTS:,} (fewer towers per side)")


def build(f: str | Target, n: int = 10, *, steepness: float = 100.0, layers: int = 2,
          domain=(0.0, 1.0, 0.0, 1.0), sides: int | None = None,
          dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A plain ``nn.Sequential`` that approximates ``f`` with ``n × n`` towers.

    Arguments:
        f: a target name, an expression, or a callable ``f(x1, x2)`` of tensors.
        n: towers per side (cell width ``h = (x1 − x0)/n``).
        steepness: sharpness per cell: every step neuron ``σ(w (x − s))`` has ``w = steepness/h``
            (it rises over about ``4/steepness`` of a cell), and the tower neurons' weight on
            their bump sum is ``steepness``. Towers become exact as it grows.
        layers: 2 (Nielsen's towers) or 1 (bumps summed without the threshold: towers with
            skirts).
        domain: ``(x0, x1, y0, y1)``.
        sides: ``None`` for square towers; ``k >= 3`` for regular k-gon towers with apothem
            ``h/2`` centred on each cell.

    Returns:
        ``Linear(2, m), Sigmoid, [Linear(m, n²), Sigmoid,] Linear(·, 1)``: with square towers
        ``m = 2(n+1)`` steps (the cell edges, shared by neighbouring bumps); with k-gons
        ``m = k n²`` half-planes.
    """
    n = _check_int("n", n, 1)
    check_size(n, sides)
    if layers not in (1, 2):
        raise SpecError(f"layers must be 1 or 2, got {layers!r}")
    if not (isinstance(steepness, (int, float)) and math.isfinite(steepness) and steepness > 0):
        raise SpecError(f"steepness must be a positive number, got {steepness!r}")
    x0, x1, y0, y1 = check_extent(domain)
    target = get_target(f) if isinstance(f, str) else f
    xs = torch.linspace(x0, x1, n + 1, dtype=dtype)
    ys = torch.linspace(y0, y1, n + 1, dtype=dtype)
    cx, cy = 0.5 * (xs[1:] + xs[:-1]), 0.5 * (ys[1:] + ys[:-1])
    gx, gy = torch.meshgrid(cx, cy, indexing="xy")          # (n, n): row j, column i
    heights = target(gx, gy).reshape(-1)                    # tower (j, i) at index j*n + i
    if not bool(torch.isfinite(heights).all()):
        raise SpecError("the target is not finite at some cell centre")
    h = min((x1 - x0) / n, (y1 - y0) / n)
    if sides is None:
        first, combine, threshold = _square_steps(xs, ys, steepness / h)
    else:
        k = _check_int("sides", sides, 3)
        centres = torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)
        first, combine, threshold = _polygon_steps(centres, k, 0.5 * h, steepness / h)
    return _assemble(first, combine, threshold, heights, steepness, layers)


def tower(*, centre=(0.0, 0.0), apothem: float = 0.5, sides: int | None = None,
          steepness: float = 100.0, layers: int = 2, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """One tower of height 1: a square of half-width ``apothem`` (``sides=None``) or a regular
    ``sides``-gon with inradius ``apothem`` around ``centre``; ``layers=1`` keeps the skirts.
    Step weights are ``steepness / (2 apothem)`` as in :func:`build`."""
    if layers not in (1, 2):
        raise SpecError(f"layers must be 1 or 2, got {layers!r}")
    if not (isinstance(apothem, (int, float)) and math.isfinite(apothem) and apothem > 0):
        raise SpecError(f"apothem must be a positive number, got {apothem!r}")
    cx, cy = (float(c) for c in centre)
    w = steepness / (2 * apothem)
    if sides is None:
        xs = torch.tensor([cx - apothem, cx + apothem], dtype=dtype)
        ys = torch.tensor([cy - apothem, cy + apothem], dtype=dtype)
        first, combine, threshold = _square_steps(xs, ys, w)
    else:
        k = _check_int("sides", sides, 3)
        check_size(1, k)
        first, combine, threshold = _polygon_steps(torch.tensor([[cx, cy]], dtype=dtype), k, apothem, w)
    return _assemble(first, combine, threshold, torch.ones(1, dtype=dtype), steepness, layers)


def _assemble(first: nn.Linear, combine: torch.Tensor, threshold: float, heights: torch.Tensor,
              steepness: float, layers: int) -> nn.Sequential:
    """Steps → [tower neurons →] output, from the steps, the step-to-tower matrix `(T, m)`,
    the tower threshold and the tower heights `(T,)`."""
    dtype = heights.dtype
    modules: list[nn.Module] = [first, nn.Sigmoid()]
    if layers == 2:
        # Tower neuron: σ(H (Σ bumps − threshold)); Nielsen writes the bias as −3h/2 for h = H.
        hidden = nn.Linear(combine.shape[1], combine.shape[0]).to(dtype)
        with torch.no_grad():
            hidden.weight.copy_(steepness * combine)
            hidden.bias.fill_(-steepness * threshold)
        out = nn.Linear(combine.shape[0], 1).to(dtype)
        with torch.no_grad():
            out.weight.copy_(heights[None, :])
            out.bias.zero_()
        modules += [hidden, nn.Sigmoid(), out]
    else:
        # No threshold: each tower's bumps are added directly, scaled so that its plateau has
        # height f(centre); the skirts (where only some bumps are on) stay.
        plateau = threshold + 0.5
        out = nn.Linear(combine.shape[1], 1).to(dtype)
        with torch.no_grad():
            out.weight.copy_((heights / plateau) @ combine)
            out.bias.zero_()
        modules.append(out)
    return nn.Sequential(*modules)


def _square_steps(xs: torch.Tensor, ys: torch.Tensor, steepness: float):
    """Steps at the cell edges and how each tower combines them into its x- and y-bump."""
    n = xs.numel() - 1
    first = nn.Linear(2, 2 * (n + 1)).to(xs.dtype)
    with torch.no_grad():
        first.weight.zero_()
        first.weight[: n + 1, 0] = steepness        # σ(w (x1 − s)): w = steepness, b = −w s
        first.weight[n + 1:, 1] = steepness
        first.bias.copy_(-steepness * torch.cat([xs, ys]))
    combine = torch.zeros(n * n, 2 * (n + 1), dtype=xs.dtype)
    for j in range(n):
        for i in range(n):
            row = j * n + i
            combine[row, i], combine[row, i + 1] = 1.0, -1.0                    # x-bump on cell i
            combine[row, n + 1 + j], combine[row, n + 2 + j] = 1.0, -1.0        # y-bump on cell j
    return first, combine, 1.5   # plateau 2, skirt 1: threshold 3/2 (Nielsen's −3h/2)


def _polygon_steps(centres: torch.Tensor, k: int, apothem: float, steepness: float):
    """k half-planes ``σ(w (a − (p − c)·u_m))`` per centre; all k are on inside the k-gon."""
    angles = 2 * math.pi * torch.arange(k, dtype=centres.dtype) / k
    normals = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)     # (k, 2)
    count = centres.shape[0]
    first = nn.Linear(2, k * count).to(centres.dtype)
    with torch.no_grad():
        first.weight.copy_((-steepness * normals).repeat(count, 1))
        offsets = (centres @ normals.T).reshape(-1)                           # c · u_m
        first.bias.copy_(steepness * (apothem + offsets))
    combine = torch.zeros(count, k * count, dtype=centres.dtype)
    for t in range(count):
        combine[t, t * k:(t + 1) * k] = 1.0
    return first, combine, k - 0.5


def polygon_area(k: int, apothem: float) -> float:
    """Area of the regular k-gon with inradius ``apothem``: ``k a² tan(π/k)`` (→ π a²)."""
    return k * apothem**2 * math.tan(math.pi / k)


def limit_sup_error(n: int) -> float:
    """The sup error of the n×n centre-valued piecewise-constant paraboloid on ``[0, 1]²``:
    on the far cell the value at the centre ``1 − h/2`` and at the corner ``1`` differ by
    ``1 − (1 − h/2)² = h − h²/4`` per coordinate, so ``h (2 − h/2)`` with ``h = 1/n``."""
    h = 1.0 / n
    return h * (2.0 - h / 2.0)


def interior_points(n: int, *, domain=(0.0, 1.0, 0.0, 1.0), per_cell: int = 8,
                    margin: float = 1e-3, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Sample points `(n² per_cell², 2)` inside the cells, ``margin × h`` away from every edge.

    Towers are only defined away from the cell edges (on an edge a step is ½), so errors are
    measured here; the points nearest the corners approach them as ``margin → 0``.
    """
    x0, x1, y0, y1 = check_extent(domain)
    u = torch.linspace(margin, 1 - margin, per_cell, dtype=dtype)
    cells = torch.arange(n, dtype=dtype)
    tx = ((cells[:, None] + u[None, :]) / n).reshape(-1)
    gx, gy = torch.meshgrid(x0 + (x1 - x0) * tx, y0 + (y1 - y0) * tx, indexing="xy")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def sup_error(net: nn.Module, f: str | Target, points: torch.Tensor) -> float:
    """``max |net(p) − f(p)|`` over ``points`` `(N, 2)`."""
    target = get_target(f) if isinstance(f, str) else f
    with torch.no_grad():
        out = net(points).reshape(-1)
    return float(torch.max(torch.abs(out - target(points[:, 0], points[:, 1]))))


def error_table(f: str | Target = "x1**2 + x2**2", ns=(2, 4, 8, 16), steepnesses=(10.0, 100.0, 1e3, 1e4),
                *, domain=(0.0, 1.0, 0.0, 1.0), margin: float = 0.01) -> list[dict]:
    """Sup error of the towers for every ``n`` and steepness, on :func:`interior_points` at least
    ``margin`` of a cell from the cell edges; ``limit`` is the paraboloid's ``h (2 − h/2)``."""
    rows = []
    for n in ns:
        points = interior_points(n, domain=domain, margin=margin)
        for w in steepnesses:
            err = sup_error(build(f, n, steepness=w, domain=domain), f, points)
            rows.append({"n": n, "steepness": w, "sup_error": err, "limit": limit_sup_error(n)})
    return rows


def grid_values(fn, domain=(0.0, 1.0, 0.0, 1.0), n: int = 100):
    """``(xs, ys, Z)``: a net (`(N, 2) → (N, 1)`) or a target ``f(x1, x2)`` on an ``n × n`` grid;
    ``Z`` `(n, n)` numpy, row ``i`` at ``ys[i]``."""
    x0, x1, y0, y1 = check_extent(domain)
    xs = torch.linspace(x0, x1, n, dtype=torch.float64)
    ys = torch.linspace(y0, y1, n, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, ys, indexing="xy")
    with torch.no_grad():
        if isinstance(fn, nn.Module):
            z = fn(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)).reshape(gx.shape)
        else:
            z = (get_target(fn) if isinstance(fn, str) else fn)(gx, gy)
    return xs.numpy(), ys.numpy(), z.numpy()


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SpecError(f"{name} must be an integer >= {low}, got {value!r}")
    return value
