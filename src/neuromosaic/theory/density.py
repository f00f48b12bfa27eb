"""How many regions a random ReLU net really has: about c·T², whatever its depth.

Hanin & Rolnick (2019), "Complexity of linear regions in deep networks" (ICML) and "Deep ReLU
networks have surprisingly few activation patterns" (NeurIPS): at initialisation, the number of
regions a ReLU net cuts in a 2-D cross-section of fixed area grows like ``c·T²`` in the total
number of neurons ``T`` — as for a single layer of ``T`` lines — and depends little on the depth;
far below the worst-case counts, which grow exponentially with depth (see
:mod:`~neuromosaic.theory.bounds`).

Here the counts are exact (the region engine, ``nm.linear_regions``) over a fixed box, for nets
drawn as a :class:`~neuromosaic.spec.NetSpec` with He (``kaiming``) weights — ``σ_w² = 2``, the
edge of chaos for ReLU — and biases ``N(0, σ_b²)``. Such a net is positively homogeneous but for
its biases (scaling the inputs and the biases by ``s`` scales every pre-activation by ``s``), so
only ``box/σ_b`` matters. The default ``[-1, 1]²`` with ``σ_b = 1/16`` keeps the biases small
beside the input (mean square 2/3): the pre-activation variance then grows by under 1% per layer
(``q^{l+1} = q^l + σ_b²`` for ReLU at ``σ_w² = 2``), and so does little to the density of
breakpoints. Larger biases make deep nets cut fewer regions than shallow ones of the same ``T``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import SpecError, TooLargeError
from ..spec import NetSpec

__all__ = ["density_counts", "fit_c", "random_relu_spec", "region_count"]


def random_relu_spec(width: int, depth: int, *, sigma_b: float = 0.0625, seed: int = 0) -> NetSpec:
    """The random ReLU net of this module: 2 inputs, ``depth`` layers of ``width``, He weights,
    ``N(0, σ_b²)`` biases, one linear output."""
    if not (math.isfinite(sigma_b) and sigma_b > 0):
        raise SpecError(f"sigma_b must be a positive finite number, got {sigma_b!r}")
    return NetSpec(inputs=2, widths=[width] * depth, outputs=1, activation="relu",
                   out_activation="identity", init="kaiming", bias_init=f"normal:{float(sigma_b)!r}",
                   seed=seed)


def region_count(width: int, depth: int, *, sigma_b: float = 0.0625, box: float = 1.0,
                 seed: int = 0, workers: int | None = 1, max_regions: int = 2_000_000) -> int:
    """Exact number of linear regions of :func:`random_relu_spec` over ``[-box, box]²``
    (:class:`~neuromosaic.errors.TooLargeError` past ``max_regions``)."""
    import torch

    from ..regions import linear_regions

    if not (math.isfinite(box) and box > 0):
        raise SpecError(f"box must be a positive finite half-width, got {box!r}")
    expected = 0.6 * (width * depth) ** 2  # measured: c ≈ 0.46 at box/σ_b = 16
    if expected > max_regions:
        raise TooLargeError(f"{depth} layers of {width} would cut about {expected:,.0f} regions "
                            f"(≈ c·T²); at most max_regions={max_regions:,}")
    net = random_relu_spec(width, depth, sigma_b=sigma_b, seed=seed).build(dtype=torch.float64)
    return linear_regions(net, domain=(-box, box, -box, box), workers=workers,
                          max_regions=max_regions).count


def check_size(depths: Sequence[int], widths: Sequence[int], *, samples: int,
               max_regions: int = 2_000_000, max_nets: int = 2000) -> None:
    """Refuse, before any work, a sweep whose nets would cut more than ``max_regions`` regions
    each (≈ 0.6·T², measured) or that counts more than ``max_nets`` nets."""
    nets = len(depths) * len(widths) * samples
    if nets > max_nets:
        raise TooLargeError(f"the sweep counts {nets:,} nets (depths × widths × samples); at most {max_nets:,}")
    d, w = max(depths), max(widths)
    if 0.6 * (d * w) ** 2 > max_regions:
        raise TooLargeError(f"{d} layers of {w} would cut about {0.6 * (d * w) ** 2:,.0f} regions "
                            f"(≈ c·T²); at most {max_regions:,}: lower the largest depth or width")


def density_counts(depths: Sequence[int] = (1, 2, 4, 8), widths: Sequence[int] = (8, 16, 24, 32),
                   *, samples: int = 2, sigma_b: float = 0.0625, box: float = 1.0, seed: int = 0,
                   workers: int | None = 1, progress=None) -> dict[str, np.ndarray]:
    """Exact region counts for every (depth, width), ``samples`` nets each (seeds ``seed…``);
    ``progress(done, total)`` is called after each net.

    Returns ``{"depth": (K,), "width": (K,), "T": (K,), "counts": (K, samples)}``, one row per
    pair, ``T = depth · width``.
    """
    if samples < 1:
        raise SpecError(f"samples must be >= 1, got {samples}")
    rows = [(int(d), int(w)) for d in depths for w in widths]
    counts = np.empty((len(rows), samples))
    for i, (d, w) in enumerate(rows):
        for s in range(samples):
            counts[i, s] = region_count(w, d, sigma_b=sigma_b, box=box, seed=seed + s,
                                        workers=workers)
            if progress is not None:
                progress(i * samples + s + 1, len(rows) * samples)
    depth = np.array([d for d, _ in rows])
    width = np.array([w for _, w in rows])
    return {"depth": depth, "width": width, "T": depth * width, "counts": counts}


def fit_c(T: np.ndarray, counts: np.ndarray) -> float:
    """The ``c`` of ``count ≈ c·T²`` by least squares in log space (every count weighs the same,
    small and large): ``c = exp(mean(log count − 2 log T))``.

    Arguments:
        T: `(K,)` total neurons. counts: `(K,)` or `(K, samples)` region counts.
    """
    T = np.asarray(T, dtype=float)
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 2:
        T = np.repeat(T, counts.shape[1])
        counts = counts.ravel()
    if T.shape != counts.shape or T.size == 0 or np.any(T <= 0) or np.any(counts <= 0):
        raise SpecError("fit_c needs matching, non-empty, positive T and counts")
    return float(np.exp(np.mean(np.log(counts) - 2.0 * np.log(T))))
