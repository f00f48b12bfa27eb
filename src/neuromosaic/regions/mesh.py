"""The planar mesh that the region engine cuts: vertices carrying network values, convex faces.

Vertices: plane coordinates ``P`` `(nv, 2)` and the network state ``X`` `(nv, d)` at that point
(the current layer's values; see :mod:`.modules`). Faces: a padded array ``F`` `(nf, D)` of vertex
ids in counter-clockwise order; a face of ``deg`` vertices repeats its first vertex in columns
``deg..D-1``, so the ``D`` "edges" ``F[:, i] -> F[:, (i+1) % D]`` are its real edges plus
zero-length ones. The mesh is conforming: two faces that touch share a whole edge (no T-joints),
which holds because a face is split exactly where a vertex value changes sign, and both faces of
an edge see the same vertex values.

Splitting by a function ``h`` that is affine on every face (known at the vertices): an edge whose
ends have values of strictly opposite sign (beyond ``tol``) gets a new vertex at the zero of the
linear interpolation (exact inside a face where ``h`` is affine); every face with a vertex above
``tol`` and one below ``-tol`` becomes two faces, the cycle entries with ``h >= 0`` and those with
``h <= 0`` (new vertices and vertices within ``tol`` of zero go to both). Faces are convex, so a
line meets their boundary twice and the two sub-cycles keep counter-clockwise order.
"""

from __future__ import annotations

import numpy as np

_KEY_SHIFT = np.int64(32)
_NEXT: dict[int, np.ndarray] = {}  # D -> index of the next column, cyclically


class Mesh:
    """A conforming convex mesh of a rectangle; grows in place (capacity doubling)."""

    def __init__(self, rect: tuple[float, float, float, float], X0: np.ndarray, n_codes: int,
                 capacity: int = 256):
        s0, s1, t0, t1 = rect
        self.P = np.empty((capacity, 2))
        self.P[:4] = [[s0, t0], [s1, t0], [s1, t1], [s0, t1]]
        self.X = np.empty((capacity, X0.shape[1]))
        self.X[:4] = X0
        self.nv = 4
        self.F = np.zeros((capacity, 8), dtype=np.int64)  # a face of degree < 8 repeats vertex 0
        self.F[0, :4] = [0, 1, 2, 3]
        self.deg = np.empty(capacity, dtype=np.int64)
        self.deg[0] = 4
        self.codes = np.zeros((capacity, n_codes), dtype=np.uint8)
        self.nf = 1
        self.extra: list[np.ndarray] = []  # per-face arrays (rows copied to children), e.g. cross bits

    # -- storage ------------------------------------------------------------------------------
    @property
    def faces(self) -> np.ndarray:
        return self.F[:self.nf]

    def vertex_values(self) -> np.ndarray:
        return self.X[:self.nv]

    def set_state(self, X: np.ndarray) -> None:
        """Replace the vertex state by `(nv, d_new)` (after an affine step or a max step)."""
        cap = self.P.shape[0]
        if X.shape[0] == cap:
            self.X = X
            return
        new = np.empty((cap, X.shape[1]))
        new[:self.nv] = X
        self.X = new

    def grow_vertices(self, n_new: int) -> None:
        need = self.nv + n_new
        cap = self.P.shape[0]
        if need <= cap:
            return
        cap = max(need, cap * 2)
        for name in ("P", "X"):
            old = getattr(self, name)
            new = np.empty((cap, old.shape[1]), dtype=old.dtype)
            new[:self.nv] = old[:self.nv]
            setattr(self, name, new)

    def grow_faces(self, n_new: int, width: int) -> None:
        need = self.nf + n_new
        cap = self.F.shape[0]
        if width > self.F.shape[1]:  # widen: pad with each face's first vertex
            F = np.empty((cap, width), dtype=np.int64)
            F[:, :self.F.shape[1]] = self.F
            F[:, self.F.shape[1]:] = self.F[:, :1]
            self.F = F
        if need <= cap:
            return
        cap = max(need, int(cap * 1.5) + 16)
        F = np.empty((cap, self.F.shape[1]), dtype=np.int64)
        F[:self.nf] = self.F[:self.nf]
        self.F = F
        deg = np.empty(cap, dtype=np.int64)
        deg[:self.nf] = self.deg[:self.nf]
        self.deg = deg
        codes = np.zeros((cap, self.codes.shape[1]), dtype=np.uint8)
        codes[:self.nf] = self.codes[:self.nf]
        self.codes = codes
        for i, arr in enumerate(self.extra):
            # extra arrays are stored transposed, (rows, cap), so that one row is contiguous
            new = np.zeros((arr.shape[0], cap), dtype=arr.dtype)
            new[:, :self.nf] = arr[:, :self.nf]
            self.extra[i] = new

    # -- the cut ------------------------------------------------------------------------------
    def split(self, col: int, level: float, cand: np.ndarray | None, tol: float, *,
              minus: int | None = None, mark: tuple[int, int, int] | None = None) -> int:
        """Split every candidate face that ``h = X[:, col] - level`` (or ``X[:, col] - X[:, minus]``)
        crosses; returns the number of new faces.

        ``cand``: face indices to test (None: all). The new vertices get ``X[:, col] = level``
        exactly when ``minus`` is None. ``mark = (i, row, bit)``: set that bit of
        ``self.extra[i][row]`` on tested faces with a vertex above ``tol`` (and on the ``h >= 0``
        halves of split faces), clear it on the others: the face's activation bit.
        """
        X = self.X
        V = self.F[cand] if cand is not None else self.F[:self.nf]
        z = X[V, col]
        if minus is not None:
            z -= X[V, minus]
        elif level != 0.0:
            z -= level
        pos = z > tol
        neg = z < -tol
        anypos = pos.any(axis=1)
        sp = anypos & neg.any(axis=1)
        if mark is not None:
            i, row, bit = mark
            arr = self.extra[i][row]
            tested = slice(0, self.nf) if cand is None else cand
            arr[tested] = (arr[tested] & np.uint8(~bit & 0xFF)) | (anypos.view(np.uint8) * np.uint8(bit))
        idx = np.flatnonzero(sp)
        if idx.size == 0:
            return 0
        rows = idx if cand is None else cand[idx]
        s = (pos.view(np.int8) - neg.view(np.int8))[idx]
        V, z = V[idx], z[idx]
        nc, D = V.shape
        nxt = _NEXT.get(D)
        if nxt is None:
            nxt = _NEXT.setdefault(D, np.roll(np.arange(D), -1))
        Vn = V[:, nxt]
        cross = (s * s[:, nxt]) < 0
        a, b = V[cross], Vn[cross]
        za, zb = z[cross], z[:, nxt][cross]
        ukey, first, inv = np.unique((np.minimum(a, b) << _KEY_SHIFT) | np.maximum(a, b),
                                     return_index=True, return_inverse=True)
        # one new vertex per crossed edge, computed once (from the edge's first half-edge), so
        # both faces of the edge share it
        ua, ub, ha = a[first], b[first], za[first]
        t = ha / (ha - zb[first])
        n_new_v = ukey.size
        self.grow_vertices(n_new_v)
        X, P = self.X, self.P
        base = self.nv
        sl = slice(base, base + n_new_v)
        Pa = P[ua]
        P[sl] = Pa + t[:, None] * (P[ub] - Pa)
        Xa = X[ua]
        X[sl] = Xa + t[:, None] * (X[ub] - Xa)
        if minus is None:
            X[sl, col] = level
        self.nv += n_new_v

        # the cycle with the new vertices inserted after their edge's start; new ones have h = 0
        E = np.full((nc, 2 * D), -1, dtype=np.int64)
        E[:, 0::2] = np.where(np.arange(D)[None, :] < self.deg[rows][:, None], V, -1)  # drop padding
        E[:, 1::2][cross] = base + inv
        S = np.zeros((nc, 2 * D), dtype=np.int8)
        S[:, 0::2] = s
        valid = E >= 0
        AB, deg_ab = _compact(np.concatenate([E, E]),
                              np.concatenate([valid & (S >= 0), valid & (S <= 0)]))
        width = max(AB.shape[1], self.F.shape[1])
        self.grow_faces(nc, width)
        AB = _pad_to(AB, width)
        F = self.F
        F[rows] = AB[:nc]
        self.deg[rows] = deg_ab[:nc]
        new = slice(self.nf, self.nf + nc)
        F[new] = AB[nc:]
        self.deg[new] = deg_ab[nc:]
        self.codes[new] = self.codes[rows]
        for arr in self.extra:
            arr[:, new] = arr[:, rows]
        if mark is not None:  # the new faces are the h <= 0 halves
            i, row, bit = mark
            self.extra[i][row, new] &= np.uint8(~bit & 0xFF)
            self.extra[i][row, rows] |= np.uint8(bit)
        self.nf += nc
        return nc

    # -- per-face reductions ------------------------------------------------------------------
    def face_or(self, bits: np.ndarray) -> np.ndarray:
        """OR of per-vertex bytes `(nv, nb)` over each face's vertices: `(nf, nb)`."""
        F = self.faces
        out = bits[F[:, 0]].copy()
        for k in range(1, F.shape[1]):
            out |= bits[F[:, k]]
        return out

    def face_mean(self, ncols: int) -> np.ndarray:
        """Mean of the first ``ncols`` state columns over each face's vertices (an interior
        point's values), `(nf, ncols)`. Gathers one vertex column of the faces at a time, in
        chunks of about 32 MB (a whole `(faces, D, ncols)` gather is gigabytes on wide layers)."""
        F, deg = self.faces, self.deg[:self.nf]
        X = self.X[:, :ncols]
        out = np.empty((self.nf, ncols))
        chunk = max(256, (4 << 20) // max(ncols, 1))
        for lo in range(0, self.nf, chunk):
            Fc, dc = F[lo:lo + chunk], deg[lo:lo + chunk]
            acc = out[lo:lo + chunk]
            np.copyto(acc, X[Fc[:, 0]])
            for k in range(1, Fc.shape[1]):
                live = np.flatnonzero(dc > k)  # faces with a k-th vertex (the rest repeat vertex 0)
                if live.size == 0:
                    break
                acc[live] += X[Fc[live, k]]
            acc /= dc[:, None]
        return out


def _compact(E: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left-pack the kept entries of every row, padding with the row's first kept entry."""
    rows, cols = np.nonzero(keep)  # row-major: each row's kept entries in order
    deg = np.bincount(rows, minlength=E.shape[0])
    width = int(deg.max())
    pos = np.arange(rows.size) - (np.cumsum(deg) - deg)[rows]
    out = np.repeat(E[np.arange(E.shape[0]), np.argmax(keep, axis=1)][:, None], width, axis=1)
    out[rows, pos] = E[rows, cols]
    return out, deg


def _pad_to(A: np.ndarray, width: int) -> np.ndarray:
    if A.shape[1] == width:
        return A
    out = np.empty((A.shape[0], width), dtype=A.dtype)
    out[:, :A.shape[1]] = A
    out[:, A.shape[1]:] = A[:, :1]
    return out
