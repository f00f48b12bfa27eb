"""Linear regions counted the other way: connected unions of neighbouring regions whose affine
maps are equal (:meth:`Regions.affine_pieces`).

The engine's regions are maximal connected sets where the activation pattern is constant. Two
neighbouring regions can have different patterns and still the same affine map (a unit that
flips where nothing downstream reads it, a dead path); some papers count those as one piece.
"""

from __future__ import annotations

import numpy as np

AFFINE_RTOL = 1e-12


def affine_pieces(regions, rtol: float = AFFINE_RTOL) -> tuple[np.ndarray, int]:
    """``(labels, count)``: ``labels[i]`` is the piece of region ``i`` (0 … count − 1, in order of
    first appearance); two neighbouring regions are in one piece when every output's gradient
    and offset agree to ``rtol`` relative to the largest map coefficient of the partition. The
    maps are compared as maps of the cut's coordinates (normalised to the rectangle, see
    :mod:`.frame`), so the test means the same on every domain."""
    grads, offsets = regions.cut_affine
    n = len(offsets)
    maps = np.concatenate([grads.reshape(n, -1), offsets.reshape(n, -1)], axis=1)
    scale = float(np.abs(maps).max()) if n else 0.0
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = regions.neighbours
    if len(pairs):
        same = np.abs(maps[pairs[:, 0]] - maps[pairs[:, 1]]).max(axis=1) <= rtol * scale
        for a, b in pairs[same].tolist():
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(i) for i in range(n)], dtype=np.int64)
    _, labels = np.unique(roots, return_inverse=True)
    order = np.full(labels.max() + 1 if n else 0, -1)
    first = []
    for lab in labels.tolist():
        if order[lab] < 0:
            order[lab] = len(first)
            first.append(lab)
    return order[labels], len(first)
