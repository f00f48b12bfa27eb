"""The cut's own coordinates: the plane rectangle mapped onto the square [-1, 1]².

The engine cuts in coordinates ``q`` normalised to the rectangle, ``s = cs + hs * q_s``,
``t = ct + ht * q_t`` (``cs``, ``hs``: the centre and half-width of ``[s0, s1]``), so that a huge
box, a tiny one and a tiny window far from the origin are all cut as ``[-1, 1]²`` is: float64
keeps the same relative resolution in every case. The map is folded into the network: with the
plane's own map ``x = A (s, t) + c``, the input is ``x = A' q + c'``, and when the program starts
with an affine step ``M x + b`` that step becomes ``(M A') q + (M c' + b)``, computed in exact
rationals and rounded once (a window at 1e9 of width 1e-3 loses nothing to cancellation). Every
result is reported in the user's plane coordinates: positions map back (exactly at the
rectangle's sides), areas scale by ``hs * ht``, affine maps by the chain rule.

``[-1, 1]²`` itself is the identity frame: nothing is folded, the cut is as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np

from ..errors import InputError
from .program import Affine, Program

#: first affine steps with more entries than this are folded in float64 (exact folding is pure
#: Python integers, ~1 µs an entry); only a tiny window far from the origin needs it exact
EXACT_FOLD_MAX = 1 << 18
#: a float64 fold is kept when its rounding error bound, ``(n + 3) eps`` times the size of its
#: terms, is at most this many eps of the folded layer's values (as accurate as the cut's zero
#: tolerance, :data:`.scales.CUT_EPS`); else the fold is exact
FOLD_EPS = 64.0
UNIT = (-1.0, 1.0, -1.0, 1.0)


def dyadic(arr) -> tuple[np.ndarray, int]:
    """``arr = ints * 2**-e`` exactly (every float64 is a dyadic rational): an object array of
    Python ints and ``e >= 0``."""
    flat = np.asarray(arr, dtype=np.float64).reshape(-1)
    ratios = [float(v).as_integer_ratio() for v in flat]
    e = max((d.bit_length() - 1 for _, d in ratios), default=0)
    ints = np.empty(flat.size, dtype=object)
    for i, (n, d) in enumerate(ratios):
        ints[i] = n << (e - (d.bit_length() - 1))
    return ints.reshape(np.shape(arr)), e


def _to_float(ints, e: int) -> np.ndarray:
    """The correctly rounded floats of ``ints * 2**-e`` (CPython's int true division rounds
    correctly)."""
    den = 1 << e
    try:
        return np.array([n / den for n in np.asarray(ints, dtype=object).reshape(-1)],
                        dtype=np.float64).reshape(np.shape(ints))
    except OverflowError:
        raise InputError("the network's first layer overflows float64 over this domain "
                         "(weights times the domain's size exceed 1.8e308)") from None


def _exact_sum(a: float, b: float) -> bool:
    """Whether ``a + b`` is exact in float64 (the error term of Knuth's TwoSum is zero)."""
    s = a + b
    bb = s - a
    return (a - (s - bb)) + (b - bb) == 0.0


class Frame:
    """The map between plane coordinates ``(s, t)`` and the cut's coordinates ``q`` in [-1, 1]².

    Attributes:
        extent: the user's rectangle ``(s0, s1, t0, t1)``.
        center, half: `(2,)` its centre and half-widths, correctly rounded (halving is exact, so
            ``0.5 * s0 + 0.5 * s1`` rounds once).
        identity: whether the rectangle is [-1, 1]² (then nothing is mapped).
    """

    def __init__(self, extent):
        self.extent = tuple(float(v) for v in extent)
        self.identity = self.extent == UNIT
        s0, s1, t0, t1 = self.extent
        cs, ct = 0.5 * s0 + 0.5 * s1, 0.5 * t0 + 0.5 * t1
        #: centre 0 and half-widths exact floats: the fold of a plain domain is a column scaling
        self.simple = cs == 0 and ct == 0 and _exact_sum(0.5 * s1, -0.5 * s0) \
            and _exact_sum(0.5 * t1, -0.5 * t0)
        self.center = np.array([cs, ct])
        self.half = np.array([0.5 * s1 - 0.5 * s0, 0.5 * t1 - 0.5 * t0])

    @classmethod
    def of(cls, extent) -> Frame:
        return cls(extent)

    @cached_property
    def exact(self) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        """``(cs, ct, hs, ht)`` as ``Fraction``: the exact centre and half-widths."""
        s0, s1, t0, t1 = (Fraction(v) for v in self.extent)
        return (s0 + s1) / 2, (t0 + t1) / 2, (s1 - s0) / 2, (t1 - t0) / 2

    @property
    def jacobian(self) -> float:
        """Plane area per unit of ``q`` area: ``hs * ht``."""
        return 1.0 if self.identity else float(self.exact[2] * self.exact[3])

    def __repr__(self) -> str:
        return f"Frame(extent={list(self.extent)})"

    def to_plane(self, q: np.ndarray) -> np.ndarray:
        """Plane coordinates `(..., 2)` of cut coordinates ``q`` `(..., 2)`; ``q = ±1`` maps to
        the rectangle's sides exactly, and nothing maps outside the rectangle."""
        q = np.asarray(q, dtype=np.float64)
        if self.identity:
            return q
        st = self.center + self.half * q
        s0, s1, t0, t1 = self.extent
        lo, hi = np.array([s0, t0]), np.array([s1, t1])
        st = np.where(q <= -1.0, lo, np.where(q >= 1.0, hi, st))
        return np.clip(st, lo, hi)

    def to_unit(self, st: np.ndarray) -> np.ndarray:
        """Cut coordinates `(..., 2)` of plane points `(..., 2)`."""
        st = np.asarray(st, dtype=np.float64)
        return st if self.identity else (st - self.center) / self.half

    def rect_to_plane(self, rect) -> tuple[float, float, float, float]:
        """A rectangle ``(q0, q1, r0, r1)`` in cut coordinates, in plane coordinates."""
        out = []
        for i, q in enumerate(float(v) for v in rect):
            lo, hi = self.extent[2 * (i // 2)], self.extent[2 * (i // 2) + 1]
            x = self.center[i // 2] + self.half[i // 2] * q
            out.append(lo if q <= -1.0 else hi if q >= 1.0 else float(min(max(x, lo), hi)))
        return tuple(out)

    def maps_to_plane(self, grads: np.ndarray, offsets: np.ndarray):
        """Affine maps ``y = g @ q + o`` (``grads`` `(..., n_out, 2)`, ``offsets`` `(..., n_out)`)
        as maps of the plane coordinates ``y = g' @ (s, t) + o'``."""
        if self.identity:
            return grads, offsets
        g = grads / self.half
        return g, offsets - g @ self.center

    def input_map(self, plane) -> tuple[list, list]:
        """The exact input map ``x = A' q + c'`` of the normalised plane: columns ``[A'_s, A'_t,
        c']`` as lists of ``Fraction`` (each `(n,)`)."""
        cs, ct, hs, ht = self.exact
        u, v, o = ([Fraction(float(x)) for x in arr] for arr in (plane.u, plane.v, plane.origin))
        return ([a * hs for a in u], [b * ht for b in v],
                [oo + a * cs + b * ct for oo, a, b in zip(o, u, v, strict=True)])


@dataclass
class Normalised:
    """What the cutter runs: ``program`` over ``q`` in [-1, 1]², its inputs ``x = A @ q + c``
    (``A`` `(in_dim, 2)`); ``folded``: the plane's map is inside the program's first step."""

    program: Program
    A: np.ndarray
    c: np.ndarray
    folded: bool


def normalise(program: Program, plane, frame: Frame) -> Normalised:
    """The program and input map to cut ``plane``'s rectangle in the cut coordinates of ``frame``.

    The fold of the first affine step is a float64 product where that is as good as exact: the
    plain domain is centred at 0 (a column scaling), or the rounding error bound of the product
    is within ``FOLD_EPS`` of the folded values (the window is not far from the origin for its
    size). Otherwise (a window far from the origin) it is exact rationals."""
    if frame.identity:
        A, c = plane.affine()
        return Normalised(program, A, c, False)
    first = program.steps[0] if program.steps else None
    affine_first = isinstance(first, Affine) and first.M.shape[1] == plane.in_dim
    if affine_first and frame.simple and _is_domain(plane):
        # x = diag(half) q: each folded weight is one product, so rounding it once is exact
        return _folded(program, first.M * frame.half, first.c)
    (cs, ct), (hs, ht) = frame.center, frame.half
    A = np.stack([plane.u * hs, plane.v * ht], axis=1)
    c = plane.origin + cs * plane.u + ct * plane.v
    if not affine_first:
        return Normalised(program, A, c, False)
    M, b = first.M, first.c
    W, bias = M @ A, M @ c + b
    u, v = np.abs(plane.u), np.abs(plane.v)
    terms = np.abs(M) @ (u * hs + v * ht + np.abs(plane.origin) + abs(cs) * u + abs(ct) * v)
    terms += np.abs(b)
    size = np.abs(W).sum(axis=1) + np.abs(bias)
    if ((plane.in_dim + 3) * terms <= FOLD_EPS * size).all() or M.size > EXACT_FOLD_MAX:
        return _folded(program, W, bias)
    return _folded(program, *exact_fold(first, plane, frame))


def exact_fold(first: Affine, plane, frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """``(M A', M c' + b)`` of the affine step ``first`` and the normalised plane map, in exact
    rationals (Python integers), each entry rounded once: `(d_out, 2)` and `(d_out,)`."""
    cols = frame.input_map(plane)
    den = max((x.denominator for col in cols for x in col), default=1)  # a power of two
    eG = den.bit_length() - 1
    G = np.array([[x.numerator * (den // x.denominator) for x in col] for col in cols],
                 dtype=object).T  # (n, 3) ints, exponent eG
    Mi, eM = dyadic(first.M)
    bi, eb = dyadic(first.c)
    Z = Mi.dot(G)
    E = max(eM + eG, eb)
    Z = Z * (1 << (E - eM - eG))
    return _to_float(Z[:, :2], E), _to_float(Z[:, 2] + bi * (1 << (E - eb)), E)


def _folded(program: Program, W: np.ndarray, bias: np.ndarray) -> Normalised:
    first = program.steps[0]
    steps = [Affine(np.ascontiguousarray(W), bias, first.name), *program.steps[1:]]
    return Normalised(Program(steps, 2, program.out_dim), np.eye(2), np.zeros(2), True)


def _is_domain(plane) -> bool:
    """Whether ``plane`` is a plain 2-input domain (origin 0, axes e1 and e2)."""
    return (plane.in_dim == 2 and not plane.origin.any() and plane.u[0] == 1 and plane.u[1] == 0
            and plane.v[0] == 0 and plane.v[1] == 1)
