"""Partition statistics: how the regions of a cut are shaped and how they touch.

Gaines & Bi (ICLR 2026, "Characterizing the discrete geometry of ReLU networks") bound the mean
degree of the region adjacency graph of a fully connected ReLU net by ``2·d`` for ``d`` inputs:
at most 4 on a plane. The box clips the partition: a region cut by the border has neighbours only
inside, so clipping can only lower degrees, and the bound holds for the clipped graph too.
"""

from __future__ import annotations

import numpy as np


def _sides(poly: np.ndarray, eps: float) -> int:
    """Sides of a convex polygon, counting collinear runs of vertices as one side."""
    k = len(poly)
    if k < 3:
        return k
    d1 = np.roll(poly, -1, axis=0) - poly
    d0 = poly - np.roll(poly, 1, axis=0)
    cross = d0[:, 0] * d1[:, 1] - d0[:, 1] * d1[:, 0]
    scale = np.hypot(*d0.T) * np.hypot(*d1.T)
    return int(np.sum(np.abs(cross) > eps * np.maximum(scale, 1e-300)))


def partition_stats(reg) -> dict:
    """The statistics of a :class:`~.result.Regions` (see :meth:`~.result.Regions.stats`)."""
    n = reg.count
    pairs = reg.neighbours
    degree = np.bincount(pairs.ravel(), minlength=n) if n else np.zeros(0, np.int64)
    # sides counted in the cut's coordinates (normalised to the rectangle: an affine image of the
    # plane's, with the same sides), where a far-off window's polygons keep their precision
    sides = np.array([_sides(p, 1e-9) for p in reg.cut_polygons], dtype=np.int64)
    areas = reg.areas
    hist_sides = np.bincount(sides) if n else np.zeros(0, np.int64)
    logs = np.log10(np.maximum(areas, np.finfo(float).tiny)) if n else np.zeros(0)
    counts, edges = np.histogram(logs, bins=12) if n else (np.zeros(0, np.int64), np.zeros(0))
    return {
        "regions": n,
        "regions_per_unit_area": n / reg.plane.area,
        "sides": {"mean": float(sides.mean()) if n else 0.0, "max": int(sides.max()) if n else 0,
                  "histogram": {int(k): int(v) for k, v in enumerate(hist_sides) if v}},
        "neighbours": {"mean": float(degree.mean()) if n else 0.0, "max": int(degree.max()) if n else 0,
                       "edges_of_the_graph": int(len(pairs))},
        "area": {"min": float(areas.min()) if n else 0.0, "median": float(np.median(areas)) if n else 0.0,
                 "mean": float(areas.mean()) if n else 0.0, "max": float(areas.max()) if n else 0.0,
                 "log10_histogram": {"counts": counts.tolist(), "edges": edges.tolist()}},
    }


def format_stats(stats: dict) -> str:
    """Two lines for the CLI."""
    s, nb, a = stats["sides"], stats["neighbours"], stats["area"]
    return (f"stats: {stats['regions_per_unit_area']:.4g} regions per unit area; sides mean "
            f"{s['mean']:.2f} (max {s['max']}); neighbours mean {nb['mean']:.2f} (max {nb['max']})\n"
            f"       areas min {a['min']:.3g}, median {a['median']:.3g}, max {a['max']:.3g}")
