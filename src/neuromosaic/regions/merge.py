"""Linear regions counted the other way: connected unions of neighbouring regions whose affine
maps are equal (:meth:`Regions.affine_pieces`).

The engine's regions are maximal connected sets where the activation pattern is constant. Two
neighbouring regions can have different patterns and still the same affine map (a unit that
flips where nothing downstream reads it, a dead path); some papers count those as one piece.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

AFFINE_RTOL = 1e-12


def affine_pieces(regions, rtol: float = AFFINE_RTOL, *, exact: bool = False) -> tuple[np.ndarray, int]:
    """``(labels, count)``: ``labels[i]`` is the piece of region ``i`` (0 … count − 1, in order of
    first appearance); two neighbouring regions are in one piece when every output's gradient
    and offset agree to ``rtol`` relative to the largest map coefficient of the partition. The
    maps are compared as maps of the cut's coordinates (normalised to the rectangle, see
    :mod:`.frame`), so the test means the same on every domain.

    ``exact``: two neighbours are in one piece when their maps, as their patterns imply them for
    the network read as exact rationals, are equal: maps whose float64 enclosures (see
    :mod:`.verify`) are apart differ; the others are compared in exact integers."""
    n = regions.count
    pairs = regions.neighbours
    if exact:
        same = _exactly_equal(regions, pairs)
    else:
        grads, offsets = regions.cut_affine
        maps = np.concatenate([grads.reshape(n, -1), offsets.reshape(n, -1)], axis=1)
        scale = float(np.abs(maps).max()) if n else 0.0
        same = (np.abs(maps[pairs[:, 0]] - maps[pairs[:, 1]]).max(axis=1) <= rtol * scale
                if len(pairs) else np.zeros(0, bool))
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(pairs):
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


class AffinePieces:
    """A partition counted the other way: connected unions of neighbouring regions whose affine
    maps are equal (``linear_regions(..., merge="affine")``).

    Attributes:
        regions: the :class:`~.result.Regions` (activation regions) it groups.
        labels: `(regions.count,)` the piece of every region (0 … count − 1, in order of first
            appearance).
        count: the number of pieces.
        exact: whether equal maps were decided in exact rationals (else to ``rtol`` relative).
    """

    def __init__(self, regions, *, exact: bool = False, rtol: float = AFFINE_RTOL):
        self.regions, self.exact, self.rtol = regions, exact, rtol
        self.labels, self.count = affine_pieces(regions, rtol, exact=exact)

    @cached_property
    def areas(self) -> np.ndarray:
        """`(count,)` the pieces' areas (plane units)."""
        return np.bincount(self.labels, weights=self.regions.areas, minlength=self.count)

    @cached_property
    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """``(grads, offsets)`` of every piece (its regions' common map), as :attr:`.Regions.affine`."""
        first = np.unique(self.labels, return_index=True)[1]
        g, o = self.regions.affine
        return g[first], o[first]

    def members(self, piece: int) -> np.ndarray:
        """The regions of ``piece``."""
        return np.flatnonzero(self.labels == piece)

    @property
    def polygons(self) -> list[list[np.ndarray]]:
        """Every piece's convex parts (its regions' polygons)."""
        out: list[list[np.ndarray]] = [[] for _ in range(self.count)]
        for poly, lab in zip(self.regions.polygons, self.labels.tolist(), strict=True):
            out[lab].append(poly)
        return out

    def plot(self, ax=None, **kw):
        """Draw the regions, each piece in one colour (see :func:`.figures.regions.plot_regions`)."""
        from ..figures.regions import plot_regions

        return plot_regions(self.regions, ax=ax, pieces=self, **kw)

    def __repr__(self) -> str:
        how = "exact rationals" if self.exact else f"rtol {self.rtol:g}"
        return f"AffinePieces(count={self.count:,}, regions={self.regions.count:,}, {how})"


def _exactly_equal(regions, pairs: np.ndarray) -> np.ndarray:
    """Whether the exact maps of each pair of regions are equal (see :func:`affine_pieces`)."""
    from .verify import _block_size, _Context, _exact_chain, _float_chain, _pattern_order

    ctx = _Context(regions)
    n = regions.count
    maps, radius = np.empty((n, 3, ctx.out_dim)), np.empty((n, 3, ctx.out_dim))
    perm = _pattern_order(regions.patterns)
    block = _block_size(ctx)
    for lo in range(0, n, block):
        p = perm[lo:lo + block]
        _, maps[p], radius[p], _ = _float_chain(ctx, regions.patterns[p])
    if not len(pairs):
        return np.zeros(0, bool)
    a, b = pairs[:, 0], pairs[:, 1]
    apart = (np.abs(maps[a] - maps[b]) > radius[a] + radius[b]).any(axis=(1, 2))
    same = np.zeros(len(pairs), bool)
    cache: dict[int, np.ndarray] = {}

    def exact_map(r: int):
        if r not in cache:
            codes = [c[0] for c in ctx.layout.codes(regions.patterns[r][None])]
            _, (ints, e), _ = _exact_chain(ctx, codes)
            cache[r] = (ints, e)
        return cache[r]

    for i in np.flatnonzero(~apart):
        (ia, ea), (ib, eb) = exact_map(int(a[i])), exact_map(int(b[i]))
        e = max(ea, eb)
        same[i] = bool(np.all(ia * (1 << (e - ea)) == ib * (1 << (e - eb))))
    return same
