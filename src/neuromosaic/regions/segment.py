"""Exact linear pieces of a network along a segment ``x(t) = a + t (b - a)``, ``t`` in [0, 1].

The 1-D version of the engine: the segment is a sorted list of points carrying the network state.
On each piece between two points every pre-activation of the current layer is affine in ``t``, so
a unit crosses a breakpoint ``c`` at most once there, at the zero of the linear interpolation; all
crossings of a layer are found at once and inserted. Max steps (MaxPool, Maxout) are cut by a
tournament as in :mod:`.cutter`, and adjacent pieces with equal activation patterns are merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .compile import compile_net
from .program import Affine, Elementwise, Hide, MaxGroups, Pop, Program, Push, Show, apply_step
from .scales import Scale, column_max


@dataclass
class SegmentRegions:
    """The pieces of a network along a segment.

    Attributes:
        breakpoints: `(count - 1,)` the interior parameters ``t`` where the activation pattern
            changes, increasing, in (0, 1).
        patterns: `(count, nbytes)` uint8 activation pattern of each piece (layout as in
            :meth:`~neuromosaic.regions.program.Program.layout`).
        slopes: `(count, n_out)` d(output)/dt on each piece; ``offsets``: `(count, n_out)` the
            output at t = 0 of each piece's affine function.
    """

    a: np.ndarray
    b: np.ndarray
    breakpoints: np.ndarray
    patterns: np.ndarray
    slopes: np.ndarray
    offsets: np.ndarray

    @property
    def count(self) -> int:
        return int(self.breakpoints.size + 1)

    @property
    def pieces(self) -> list[tuple[float, float]]:
        """``(t0, t1)`` of each piece."""
        edges = np.concatenate([[0.0], self.breakpoints, [1.0]])
        return [(float(edges[i]), float(edges[i + 1])) for i in range(self.count)]

    def points(self) -> np.ndarray:
        """`(count - 1, n)` the breakpoints in input space."""
        return self.a + self.breakpoints[:, None] * (self.b - self.a)


def cut_segment(program: Program, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Breakpoint parameters ``t`` `(m,)` (with 0 and 1) and output values there `(m, n_out)`."""
    t = np.array([0.0, 1.0])
    X = np.stack([a, b])
    live = program.in_dim
    # zero within CUT_EPS epsilons of the terms each value is summed from, as the plane's cut
    # (see .scales): a tiny segment is cut as finely as a long one
    scale = Scale(float(np.abs(X).max()))
    for step in program.steps:
        if isinstance(step, (Affine, Push, Pop, Hide, Show)) or (isinstance(step, Elementwise) and step.kind == "identity"):
            scale.step(step, column_max(X[:, :live]) if isinstance(step, Affine) else None)
            X, live, _ = apply_step(step, X, live)
            continue
        tol = scale.tolerance()
        if isinstance(step, Elementwise):
            for c in step.breakpoints:
                t, X = _insert_all(t, X, X[:, :live] - c, tol)
            X, live, _ = apply_step(step, X, live)
        elif isinstance(step, MaxGroups):
            groups = np.sort(step.groups, axis=1)[:, ::-1]
            run = X[:, groups[:, 0]]
            d = X.shape[1]
            X = np.concatenate([X, run], axis=1)
            for k in range(1, groups.shape[1]):
                for u in range(groups.shape[0]):
                    p = groups[u, k]
                    if p < 0:
                        continue
                    h = X[:, p] - X[:, d + u]
                    t, X = _insert_all(t, X, h[:, None], tol)
                    X[:, d + u] = np.maximum(X[:, d + u], X[:, p])
            X = np.concatenate([X[:, d:], X[:, live:d]], axis=1)
            live = groups.shape[0]
    return t, X[:, :live]


def _insert_all(t: np.ndarray, X: np.ndarray, H: np.ndarray, tol: float):
    """Insert every strict sign change of the columns of ``H`` `(m, k)` between consecutive points."""
    s = np.where(H > tol, 1, np.where(H < -tol, -1, 0))
    cross = s[:-1] * s[1:] < 0  # (m-1, k)
    if not cross.any():
        return t, X
    seg, col = np.nonzero(cross)
    h0, h1 = H[seg, col], H[seg + 1, col]
    frac = h0 / (h0 - h1)
    order = np.lexsort((frac, seg))
    seg, frac = seg[order], frac[order]
    keep = np.ones(seg.size, bool)  # coincident crossings (several units at one point): insert once
    keep[1:] = ~((seg[1:] == seg[:-1]) & (frac[1:] - frac[:-1] <= 1e-15))
    seg, frac = seg[keep], frac[keep]
    new_t = t[seg] + frac * (t[seg + 1] - t[seg])
    new_X = X[seg] + frac[:, None] * (X[seg + 1] - X[seg])
    t = np.insert(t, seg + 1, new_t)
    X = np.insert(X, seg + 1, new_X, axis=0)
    return t, X


def regions_on_segment(net, a, b, *, input_shape=None) -> SegmentRegions:
    """Exact linear pieces of ``net`` on the segment from ``a`` to ``b`` (both `(n,)`).

    Returns a :class:`SegmentRegions`: ``count``, ``breakpoints`` (parameters in (0, 1)),
    ``pieces``, per-piece ``patterns``, ``slopes`` and ``offsets`` of the output in ``t``.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape or a.size == 0:
        raise InputError(f"a and b must be points of the same dimension, got {a.size} and {b.size}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError("a and b must be finite")
    if np.array_equal(a, b):
        raise InputError("a and b are the same point; a segment needs two distinct ends")
    program = compile_net(net, a.size, input_shape=input_shape)
    t, Y = cut_segment(program, a, b)
    mids = 0.5 * (t[:-1] + t[1:])
    _, pre = program.forward(a + mids[:, None] * (b - a), record=True)
    patterns = program.encode_patterns(pre, len(mids))
    # merge neighbouring pieces with one pattern (a max tournament can cut where the argmax stays)
    same = np.all(patterns[1:] == patterns[:-1], axis=1)
    keep_pt = np.concatenate([[True], ~same, [True]])
    t, Y = t[keep_pt], Y[keep_pt]
    patterns = patterns[np.concatenate([[True], ~same])]
    dt = np.diff(t)
    slopes = np.diff(Y, axis=0) / dt[:, None]
    offsets = Y[:-1] - slopes * t[:-1, None]
    return SegmentRegions(a, b, t[1:-1].copy(), patterns, slopes, offsets)
