"""Verify mode: re-derive every region from its activation pattern in exact rational arithmetic.

For a ReLU network every float64 weight is a dyadic rational, so with each layer's weights scaled
to integers the pre-activations of a pattern are exact integer affine maps of the plane
coordinates (Python ints, no rounding). A region's pattern gives one half-plane per unit (active:
``z >= 0``, inactive: ``z <= 0``); clipping the rectangle by all of them in exact rationals
(``fractions.Fraction``) gives the region as it truly is. Then: every pattern is feasible with
positive area, no pattern repeats, and the exact areas sum exactly to the rectangle's area, so no
region is missing and none overlaps another.

Speed: the maps are shared by regions with a common pattern prefix (a depth-first walk over the
layers), and only half-planes near the float64 polygon are clipped one by one; every other one is
then checked exactly at the clipped polygon's vertices (and clipped by if it fails).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

import numpy as np

from ..errors import SpecError
from .frame import dyadic as _to_ints  # arr = ints · 2**−e, exactly
from .program import Affine, Elementwise


@dataclass
class ExactReport:
    """What :func:`verify_exact` found."""

    count: int
    area_sum: Fraction
    domain_area: Fraction
    smallest_area: float
    max_area_error: float  # |exact - float64| area over regions
    infeasible: int

    @property
    def ok(self) -> bool:
        return self.infeasible == 0 and self.area_sum == self.domain_area


def _relu_layers(program) -> list[tuple[np.ndarray, np.ndarray]]:
    steps = program.steps
    layers, i = [], 0
    while i < len(steps):
        s = steps[i]
        if not isinstance(s, Affine):
            raise SpecError("verify mode supports Linear + ReLU networks only; got " + type(s).__name__)
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        if nxt is None:
            break
        if not (isinstance(nxt, Elementwise) and nxt.kind == "relu"):
            raise SpecError(f"verify mode supports Linear + ReLU networks only; got {nxt.name}")
        layers.append((s.M, s.c))
        i += 2
    return layers


def verify_exact(regions, *, near: float = 1e-6) -> ExactReport:
    """Re-derive every region of ``regions`` (a ReLU MLP's) exactly; see the module docstring.

    ``near``: half-planes within ``near`` (relative, float64) of a region's float polygon are
    clipped first; the others are then verified exactly. Raises nothing; read ``.ok``.
    """
    layers = _relu_layers(regions.program)
    A, c = regions.plane.affine()
    s0, s1, t0, t1 = (Fraction(v) for v in regions.plane.extent)
    # input x = A p + c as an integer affine map [coef_s, coef_t, const] of p = (s, t)
    base, e_base = _to_ints(np.concatenate([A, c[:, None]], axis=1))
    int_layers = [(_to_ints(W), _to_ints(b)) for W, b in layers]
    polys = regions.polygons
    areas_f = regions.areas
    widths = [W.shape[0] for W, _ in layers]
    bits = [regions.pattern_bits(r) for r in range(regions.count)]
    rect = [_homogeneous(s0, t0), _homogeneous(s1, t0), _homogeneous(s1, t1), _homogeneous(s0, t1)]
    state = dict(area=Fraction(0), smallest=np.inf, err=0.0, infeasible=0)

    def descend(level: int, idx: list[int], G: np.ndarray, e: int, cons: list[np.ndarray]):
        (Wi, eW), (bi, eb) = int_layers[level]
        Z = Wi.dot(G)  # (width, 3), exponent eW + e
        E = max(eW + e, eb)
        Z = Z * (1 << (E - eW - e))
        Z[:, 2] = Z[:, 2] + bi * (1 << (E - eb))
        groups: dict[bytes, list[int]] = {}
        for r in idx:
            groups.setdefault(bits[r][level].tobytes(), []).append(r)
        for key, members in groups.items():
            on = np.frombuffer(key, dtype=np.uint8)[:widths[level]].astype(bool)
            sign = np.where(on, 1, -1).astype(object)
            here = cons + [Z * sign[:, None]]
            if level + 1 < len(int_layers):
                descend(level + 1, members, Z * on[:, None].astype(object), E, here)
            else:
                C = np.concatenate(here)
                for r in members:
                    _clip_region(r, C)

    def _clip_region(r: int, C: np.ndarray):
        Cf = C.astype(np.float64)
        Cf /= np.maximum(np.abs(Cf).max(axis=1, keepdims=True), 1e-300)
        P = polys[r]
        scale = max(1.0, float(np.abs(P).max()))
        val = Cf[:, :2] @ P.T / scale + Cf[:, 2:3] / scale
        close = val.min(axis=1) <= near
        poly = rect
        for row in C[close]:
            poly = _clip(poly, row)
        rest = C[~close]
        while poly and len(rest):
            bad = _violated(poly, rest)
            if not bad.any():
                break
            for row in rest[bad]:
                poly = _clip(poly, row)
            rest = rest[~bad]
        area = _area(poly)
        if area <= 0:
            state["infeasible"] += 1
            return
        state["area"] += area
        fa = float(area)
        state["smallest"] = min(state["smallest"], fa)
        state["err"] = max(state["err"], abs(fa - float(areas_f[r])))

    descend(0, list(range(regions.count)), base, e_base, [])
    return ExactReport(regions.count, state["area"], (s1 - s0) * (t1 - t0), float(state["smallest"]),
                       state["err"], state["infeasible"])


def _homogeneous(s: Fraction, t: Fraction) -> tuple[int, int, int]:
    w = s.denominator * t.denominator
    return s.numerator * t.denominator, t.numerator * s.denominator, w


def _clip(poly: list, row) -> list:
    """Sutherland-Hodgman in homogeneous integer coordinates: keep the part of the convex
    ``poly`` (points ``(X, Y, W)``, ``W > 0``, meaning ``(X/W, Y/W)``) where
    ``row . (s, t, 1) >= 0``. No rounding and no gcd on every step, unlike ``Fraction``."""
    if not poly:
        return poly
    a, b, c = row
    vals = [a * X + b * Y + c * W for X, Y, W in poly]
    if all(v >= 0 for v in vals):
        return poly
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        vp, vq = vals[i], vals[(i + 1) % n]
        if vp >= 0:
            out.append(p)
        if (vp > 0 and vq < 0) or (vp < 0 and vq > 0):
            # the zero of the value on p..q: vp * q - vq * p (homogeneous), made W > 0
            X, Y, W = vp * q[0] - vq * p[0], vp * q[1] - vq * p[1], vp * q[2] - vq * p[2]
            if W < 0:
                X, Y, W = -X, -Y, -W
            g = gcd(gcd(X, Y), W)
            out.append((X // g, Y // g, W // g))
    return out if len(out) >= 3 else []


def _violated(poly: list, rows: np.ndarray) -> np.ndarray:
    """Rows (integer half-planes) that some vertex of ``poly`` violates, exactly."""
    bad = np.zeros(len(rows), dtype=bool)
    for X, Y, W in poly:
        v = rows[:, 0] * X + rows[:, 1] * Y + rows[:, 2] * W
        bad |= np.array([x < 0 for x in v], dtype=bool)
    return bad


def _area(poly: list) -> Fraction:
    if len(poly) < 3:
        return Fraction(0)
    a = Fraction(0)
    for i in range(len(poly)):
        (x0, y0, w0), (x1, y1, w1) = poly[i], poly[(i + 1) % len(poly)]
        a += Fraction(x0 * y1 - x1 * y0, w0 * w1)
    return a / 2
