"""Plane: the 2-D window through which every stage looks at a network.

A plane is a rectangle ``extent = (s0, s1, t0, t1)`` in plane coordinates ``(s, t)`` and an
affine map into the network's input space, ``x = origin + s * u + t * v``. For a 2-input net the
plane is simply the domain ``(x0, x1, y0, y1)`` (origin 0, u = e1, v = e2).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import SpecError


def _vector(name: str, value, dim: int | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise SpecError(f"{name} must be a non-empty vector, got {value!r}")
    if dim is not None and arr.size != dim:
        raise SpecError(f"{name} must have {dim} entries, got {arr.size}")
    if not np.isfinite(arr).all():
        raise SpecError(f"{name} must be finite, got {arr.tolist()}")
    return arr


def check_extent(extent: Sequence[float], *, name: str = "domain") -> tuple[float, float, float, float]:
    """Validate ``(x0, x1, y0, y1)`` with ``x0 < x1``, ``y0 < y1``, all finite."""
    try:
        vals = tuple(float(v) for v in extent)
    except (TypeError, ValueError):
        raise SpecError(f"{name} must be four numbers x0,x1,y0,y1, got {extent!r}") from None
    if len(vals) != 4:
        raise SpecError(f"{name} must be four numbers x0,x1,y0,y1, got {len(vals)}: {extent!r}")
    if not all(math.isfinite(v) for v in vals):
        raise SpecError(f"{name} must be finite, got {list(vals)}")
    x0, x1, y0, y1 = vals
    if not (x0 < x1 and y0 < y1):
        raise SpecError(f"{name} must have x0 < x1 and y0 < y1 (non-empty, not inverted), got {list(vals)}")
    return vals


class Plane:
    """A rectangle in a 2-D affine slice of R^n.

    Arguments:
        origin: `(n,)` the input-space point at plane coordinates (0, 0).
        u, v: `(n,)` the directions of the s and t axes (need not be unit, must be independent).
        extent: ``(s0, s1, t0, t1)``, the rectangle in plane coordinates.
    """

    def __init__(self, origin, u, v, extent=(-1.0, 1.0, -1.0, 1.0)):
        self.origin = _vector("origin", origin)
        n = self.origin.size
        self.u = _vector("u", u, n)
        self.v = _vector("v", v, n)
        if n < 2:
            raise SpecError(f"a plane needs an input space of dimension >= 2, got {n}")
        # smallest singular value of [u; v] from the 2x2 Gram matrix (lambda_min = det / lambda_max)
        a, b, c = float(self.u @ self.u), float(self.u @ self.v), float(self.v @ self.v)
        lam_max = 0.5 * (a + c) + math.sqrt(0.25 * (a - c) ** 2 + b * b)
        if lam_max == 0 or max(a * c - b * b, 0.0) / lam_max < 1e-24:
            raise SpecError("u and v must be linearly independent (they span the plane)")
        self.extent = check_extent(extent, name="extent")

    @classmethod
    def rect(cls, x0: float, x1: float, y0: float, y1: float) -> Plane:
        """The domain ``[x0, x1] × [y0, y1]`` of a 2-input network."""
        plane = cls.__new__(cls)  # the axes need no checks
        plane.origin, plane.u, plane.v = np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0])
        plane.extent = check_extent((x0, x1, y0, y1), name="extent")
        return plane

    @classmethod
    def through(cls, p0, p1, p2, *, margin: float = 0.1) -> Plane:
        """The plane through three points of R^n, with orthonormal axes (so areas are true areas).

        The origin is ``p0``, ``u`` points to ``p1``, ``v`` is the part of ``p2 - p0`` orthogonal to
        ``u``. The extent is the three points' bounding box in plane coordinates, widened by
        ``margin`` times its size on every side.
        """
        p0 = _vector("p0", p0)
        p1 = _vector("p1", p1, p0.size)
        p2 = _vector("p2", p2, p0.size)
        a, b = p1 - p0, p2 - p0
        la = np.linalg.norm(a)
        if la == 0:
            raise SpecError("p0 and p1 are the same point; three distinct non-collinear points are needed")
        u = a / la
        w = b - (b @ u) * u
        lw = np.linalg.norm(w)
        if lw <= 1e-12 * max(1.0, np.linalg.norm(b)):
            raise SpecError("p0, p1, p2 are collinear; they do not span a plane")
        v = w / lw
        pts = np.array([[0.0, 0.0], [la, 0.0], [b @ u, lw]])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = margin * (hi - lo).max()
        return cls(p0, u, v, (lo[0] - pad, hi[0] + pad, lo[1] - pad, hi[1] + pad))

    @property
    def in_dim(self) -> int:
        return self.origin.size

    @property
    def area(self) -> float:
        """Area of the extent in plane coordinates."""
        s0, s1, t0, t1 = self.extent
        return (s1 - s0) * (t1 - t0)

    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, c)`` with ``x = A @ [s, t] + c``; ``A`` is `(n, 2)`, ``c`` is `(n,)`."""
        return np.stack([self.u, self.v], axis=1), self.origin.copy()

    def to_input(self, st: np.ndarray) -> np.ndarray:
        """Map plane points `(..., 2)` to input space `(..., n)`."""
        st = np.asarray(st, dtype=np.float64)
        return self.origin + st[..., :1] * self.u + st[..., 1:2] * self.v

    def project(self, x: np.ndarray) -> np.ndarray:
        """Plane coordinates `(..., 2)` of input-space points `(..., n)`: the least-squares ``(s,
        t)`` with ``to_input(s, t)`` nearest ``x`` (exact for points on the plane)."""
        A, c = self.affine()
        x = np.asarray(x, dtype=np.float64)
        st, *_ = np.linalg.lstsq(A, (x - c).reshape(-1, self.in_dim).T, rcond=None)
        return st.T.reshape(*x.shape[:-1], 2)

    def grid(self, width: int, height: int) -> np.ndarray:
        """Pixel-centre plane coordinates `(height, width, 2)`, row 0 at the top (largest t)."""
        s0, s1, t0, t1 = self.extent
        s = s0 + (np.arange(width) + 0.5) * (s1 - s0) / width
        t = t1 - (np.arange(height) + 0.5) * (t1 - t0) / height
        ss, tt = np.meshgrid(s, t)
        return np.stack([ss, tt], axis=-1)

    def __repr__(self) -> str:
        return (f"Plane(origin={self.origin.tolist()}, u={self.u.tolist()}, "
                f"v={self.v.tolist()}, extent={list(self.extent)})")
