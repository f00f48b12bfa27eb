"""Networks built by hand to reach the exponential region counts of the theory.

- :func:`sawtooth`: ``k`` layers of 2 ReLUs that compose the tent map ``t(x) = 1 − |2x − 1|``
  ``k`` times: ``2^k`` linear pieces on ``[0, 1]`` from only ``2k`` units (Telgarsky 2016,
  "Benefits of depth in neural networks"; the 1-D case of Montúfar et al. 2014's folding). One
  hidden layer would need ``2^k − 1`` units for as many pieces (Zaslavsky in 1-D: ``n + 1``).
- :func:`folding_net`: Montúfar, Pascanu, Cho & Bengio (2014), Section 3 (the construction behind
  Theorem 4 / Corollary 6) in 2-D: each folding layer of ``2p`` units folds both coordinates of the
  unit square ``p`` times (a zig-zag), so ``p²`` cells map onto the same square; after ``L − 1``
  such layers a last layer of ``n_L`` lines in general position cuts every one of the
  ``p^{2(L−1)}`` cells the same way: ``p^{2(L−1)} · (1 + n_L + C(n_L, 2))`` regions in the
  square — exactly :func:`~neuromosaic.theory.bounds.montufar_lower` for these widths.

Both return a plain ``torch.nn.Sequential`` of ``Linear`` and ``ReLU`` (float64), which the exact
region engine (``nm.regions_on_segment``, ``nm.linear_regions``) can cut.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..errors import SpecError
from .bounds import zaslavsky

__all__ = ["folding_lines", "folding_net", "folding_regions", "sawtooth", "sawtooth_pieces",
           "verify_folding", "verify_sawtooth", "zigzag_units"]


def _linear(weight: np.ndarray, bias: np.ndarray) -> nn.Linear:
    weight = np.asarray(weight, dtype=np.float64)
    layer = nn.Linear(weight.shape[1], weight.shape[0]).double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        layer.bias.copy_(torch.from_numpy(np.asarray(bias, dtype=np.float64)))
    return layer


def _check_int(name: str, value: int, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SpecError(f"{name} must be an integer >= {low}, got {value!r}")
    return value


def sawtooth(depth: int) -> nn.Sequential:
    """``depth`` hidden layers of 2 ReLUs; the output is the tent map composed ``depth`` times.

    Layer units: ``relu(2y)`` and ``relu(4y − 2)`` of the previous tent value ``y``; their
    difference is ``t(y) = 2y − 2·relu(2y − 1)``, which on ``[0, 1]`` goes up then down. The
    network maps `(N, 1)` to `(N, 1)`; on ``[0, 1]`` it has ``2^depth`` linear pieces, each mapping
    onto ``[0, 1]`` with slope ``±2^depth``.
    """
    _check_int("depth", depth, 1)
    unit_w, unit_b = np.array([[2.0], [4.0]]), np.array([0.0, -2.0])
    combine = np.array([[1.0, -1.0]])  # tent = unit0 − unit1
    modules: list[nn.Module] = [_linear(unit_w, unit_b), nn.ReLU()]
    for _ in range(depth - 1):
        modules += [_linear(unit_w @ combine, unit_b), nn.ReLU()]
    modules.append(_linear(combine, np.zeros(1)))
    return nn.Sequential(*modules)


def sawtooth_pieces(depth: int) -> int:
    """The number of linear pieces of :func:`sawtooth` on ``[0, 1]``: ``2^depth``."""
    _check_int("depth", depth, 1)
    return 2**depth


def zigzag_units(p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 1-D fold with ``p`` ReLUs: ``units(x) = relu(p·x − j)``, ``j = 0..p−1``, and the
    combination ``g = units @ coef`` with ``coef = (1, −2, 2, −2, …)`` — a zig-zag of ``p`` pieces,
    slopes ``±p``, mapping each ``[j/p, (j+1)/p]`` onto ``[0, 1]``.

    Returns ``(w (p,), b (p,), coef (p,))`` with ``units = relu(w·x + b)``.
    """
    _check_int("p", p, 1)
    coef = np.array([1.0] + [2.0 * (-1) ** j for j in range(1, p)])
    return np.full(p, float(p)), -np.arange(p, dtype=float), coef


def folding_lines(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` lines in general position whose crossings all lie inside the unit square: tangents to
    the circle of radius 0.2 around (0.5, 0.5) at angles in ``[0, π/2]`` (distinct directions, and
    no three tangents of a circle meet). Returns ``(normals (n, 2), offsets (n,))`` for the lines
    ``normals @ y + offsets = 0``."""
    _check_int("last_width", n, 1)
    angles = np.linspace(0.0, math.pi / 2, n) if n > 1 else np.array([math.pi / 5])
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    offsets = -(normals @ np.array([0.5, 0.5]) + 0.2)
    return normals, offsets


def folding_net(p: int = 2, depth: int = 3, last_width: int = 4) -> nn.Sequential:
    """Montúfar et al. (2014)'s space-folding ReLU net on 2 inputs.

    Arguments:
        p: folds per coordinate per layer; each folding layer has ``2p`` units.
        depth: hidden layers ``L`` (``L − 1`` folding layers, then the cutting layer).
        last_width: ``n_L``, the lines of the last hidden layer.

    The hidden widths are ``[2p]·(L − 1) + [n_L]``; the output is one unit (the sum of the last
    layer). On the unit square it has :func:`folding_regions` linear regions.
    """
    _check_int("p", p, 1)
    _check_int("depth", depth, 1)
    w, b, coef = zigzag_units(p)
    # units of one folding layer, as a function of y = (y1, y2): block-diagonal
    unit_w = np.zeros((2 * p, 2))
    unit_w[:p, 0], unit_w[p:, 1] = w, w
    unit_b = np.concatenate([b, b])
    # folded coordinates from the units: y_next = combine @ units
    combine = np.zeros((2, 2 * p))
    combine[0, :p], combine[1, p:] = coef, coef
    normals, offsets = folding_lines(last_width)
    modules: list[nn.Module] = []
    previous = np.eye(2)  # maps the previous layer's outputs to y
    for _ in range(depth - 1):
        modules += [_linear(unit_w @ previous, unit_b), nn.ReLU()]
        previous = combine
    modules += [_linear(normals @ previous, offsets), nn.ReLU()]
    modules.append(_linear(np.ones((1, last_width)), np.zeros(1)))
    return nn.Sequential(*modules)


def folding_regions(p: int = 2, depth: int = 3, last_width: int = 4) -> int:
    """Regions of :func:`folding_net` in the unit square: ``p^{2(L−1)} · Σ_{j≤2} C(n_L, j)``."""
    _check_int("p", p, 1)
    _check_int("depth", depth, 1)
    return p ** (2 * (depth - 1)) * zaslavsky(last_width, 2)


def verify_sawtooth(depths=range(1, 11)) -> list[dict]:
    """Cut :func:`sawtooth` of each depth on ``[0, 1]`` with the exact engine
    (``nm.regions_on_segment``): ``[{"depth", "pieces", "formula"}]``."""
    from ..regions import regions_on_segment

    return [{"depth": int(k), "pieces": regions_on_segment(sawtooth(int(k)), [0.0], [1.0]).count,
             "formula": sawtooth_pieces(int(k))} for k in depths]


def verify_folding(p: int = 2, depth: int = 3, last_width: int = 4):
    """Cut :func:`folding_net` over the unit square with the exact engine: returns
    ``(regions, formula)`` — the :class:`~neuromosaic.regions.result.Regions` and
    :func:`folding_regions`."""
    from ..regions import linear_regions

    regions = linear_regions(folding_net(p, depth, last_width), domain=(0.0, 1.0, 0.0, 1.0))
    return regions, folding_regions(p, depth, last_width)
