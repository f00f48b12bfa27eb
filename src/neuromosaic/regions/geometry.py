"""Geometry on the padded face arrays of the mesh: areas, affine fits, hulls, adjacency, level sets.

Faces are `(nf, D)` vertex ids, counter-clockwise, padded with their first vertex (see
:mod:`.mesh`); ``deg`` `(nf,)` is the true vertex count.
"""

from __future__ import annotations

import numpy as np

CHUNK = 65536


def face_areas(P: np.ndarray, F: np.ndarray) -> np.ndarray:
    """Signed (CCW positive) shoelace area of every face `(nf,)`; padding edges add zero."""
    out = np.empty(F.shape[0])
    for lo in range(0, F.shape[0], CHUNK):
        Q = P[F[lo:lo + CHUNK]]
        Qn = np.roll(Q, -1, axis=1)
        out[lo:lo + CHUNK] = 0.5 * (Q[..., 0] * Qn[..., 1] - Qn[..., 0] * Q[..., 1]).sum(axis=1)
    return out


def face_affine(P: np.ndarray, Y: np.ndarray, F: np.ndarray, deg: np.ndarray):
    """Least-squares affine fit ``y = g @ p + o`` of the vertex values on every face.

    The values are exact samples of an affine function, so the fit is that function (up to
    rounding). Returns ``grads`` `(nf, n_out, 2)` and ``offsets`` `(nf, n_out)`.
    """
    nf, D = F.shape
    n_out = Y.shape[1]
    grads = np.empty((nf, n_out, 2))
    offsets = np.empty((nf, n_out))
    for lo in range(0, nf, CHUNK):
        Fc, dc = F[lo:lo + CHUNK], deg[lo:lo + CHUNK]
        w = (np.arange(D)[None, :] < dc[:, None]).astype(np.float64)  # (m, D)
        Q, Z = P[Fc], Y[Fc]  # (m, D, 2), (m, D, n_out)
        qc = (Q * w[..., None]).sum(1) / dc[:, None]
        zc = (Z * w[..., None]).sum(1) / dc[:, None]
        dq = (Q - qc[:, None]) * w[..., None]
        dz = (Z - zc[:, None]) * w[..., None]
        M = np.einsum("mki,mkj->mij", dq, dq)  # (m, 2, 2)
        R = np.einsum("mki,mko->moi", dq, dz)  # (m, n_out, 2)
        det = M[:, 0, 0] * M[:, 1, 1] - M[:, 0, 1] ** 2
        det = np.where(det == 0, np.finfo(float).tiny, det)
        inv = np.stack([np.stack([M[:, 1, 1], -M[:, 0, 1]], -1),
                        np.stack([-M[:, 0, 1], M[:, 0, 0]], -1)], 1) / det[:, None, None]
        g = np.einsum("moi,mij->moj", R, inv)
        grads[lo:lo + CHUNK] = g
        offsets[lo:lo + CHUNK] = zc - np.einsum("moj,mj->mo", g, qc)
    return grads, offsets


def face_widths(P: np.ndarray, F: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """`(nf,)` the width of every face: the root of the smallest eigenvalue of its vertices'
    covariance (about a third of a thin face's true width; zero for a degenerate one)."""
    out = np.empty(F.shape[0])
    D = F.shape[1]
    for lo in range(0, F.shape[0], CHUNK):
        Fc, dc = F[lo:lo + CHUNK], deg[lo:lo + CHUNK]
        w = (np.arange(D)[None, :] < dc[:, None]).astype(np.float64)
        Q = P[Fc]
        qc = (Q * w[..., None]).sum(1) / dc[:, None]
        dq = (Q - qc[:, None]) * w[..., None]
        a = (dq[..., 0] ** 2).sum(1) / dc
        b = (dq[..., 0] * dq[..., 1]).sum(1) / dc
        c = (dq[..., 1] ** 2).sum(1) / dc
        lam = 0.5 * (a + c) - np.sqrt(0.25 * (a - c) ** 2 + b * b)
        out[lo:lo + CHUNK] = np.sqrt(np.maximum(lam, 0.0))
    return out


def convex_hull(points: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """Counter-clockwise convex hull `(k, 2)` of `(m, 2)` points (monotone chain); points within
    ``eps`` (cross product) of a hull edge are dropped."""
    pts = np.unique(points, axis=0)
    if len(pts) < 3:
        return pts

    def half(seq):
        out: list = []
        for p in seq:
            while len(out) >= 2 and _cross(out[-2], out[-1], p) <= eps:
                out.pop()
            out.append(p)
        return out

    lower, upper = half(pts), half(pts[::-1])
    return np.array(lower[:-1] + upper[:-1])


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def edge_pairs(F: np.ndarray) -> np.ndarray:
    """Pairs of faces `(m, 2)` sharing an edge (by vertex ids)."""
    nf, D = F.shape
    a, b = F.reshape(-1), np.roll(F, -1, axis=1).reshape(-1)
    face = np.repeat(np.arange(nf), D)
    real = a != b
    a, b, face = a[real], b[real], face[real]
    key = (np.minimum(a, b) << 32) | np.maximum(a, b)
    order = np.argsort(key, kind="stable")
    key, face = key[order], face[order]
    same = np.flatnonzero(key[1:] == key[:-1])
    return np.stack([face[same], face[same + 1]], axis=1)


def border_pairs(P, F, face_tile, rects) -> np.ndarray:
    """Pairs of faces of different tiles whose edges on a common tile border overlap with
    positive length. A split vertex on a tile border has the border coordinate exactly (it is
    interpolated between two points that have it), so border edges are found by equality."""
    pairs = []
    a_all, b_all = F, np.roll(F, -1, axis=1)
    rects = np.asarray(rects)
    for axis in (0, 1):
        lo_col, hi_col = (0, 1) if axis == 0 else (2, 3)
        for value in np.intersect1d(rects[:, hi_col], rects[:, lo_col]):
            sides = []
            for col in (hi_col, lo_col):  # tiles ending at the line, tiles starting at it
                tiles = np.flatnonzero(rects[:, col] == value)
                sel = np.flatnonzero(np.isin(face_tile, tiles))
                a, b = a_all[sel], b_all[sel]
                on = (P[a, axis] == value) & (P[b, axis] == value) & (a != b)
                f = np.broadcast_to(sel[:, None], a.shape)[on]
                lo = np.minimum(P[a[on], 1 - axis], P[b[on], 1 - axis])
                hi = np.maximum(P[a[on], 1 - axis], P[b[on], 1 - axis])
                sides.append((lo, hi, f))
            (lo0, hi0, f0), (lo1, hi1, f1) = sides
            if lo0.size == 0 or lo1.size == 0:
                continue
            cuts = np.unique(np.concatenate([lo0, hi0, lo1, hi1]))
            mids = 0.5 * (cuts[:-1] + cuts[1:])
            o0, o1 = np.argsort(lo0), np.argsort(lo1)
            i0 = np.searchsorted(lo0[o0], mids, side="right") - 1
            i1 = np.searchsorted(lo1[o1], mids, side="right") - 1
            ok = (i0 >= 0) & (i1 >= 0)
            i0, i1, m = o0[i0[ok]], o1[i1[ok]], mids[ok]
            ok = (hi0[i0] >= m) & (hi1[i1] >= m)
            pairs.append(np.stack([f0[i0[ok]], f1[i1[ok]]], axis=1))
    return np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)


def zero_segments(P: np.ndarray, y: np.ndarray, F: np.ndarray, deg: np.ndarray, tol: float) -> np.ndarray:
    """Segments `(m, 2, 2)` of the zero set of ``y`` (vertex values, affine on every face)."""
    segs = []
    for lo in range(0, F.shape[0], CHUNK):
        Fc, dc = F[lo:lo + CHUNK], deg[lo:lo + CHUNK]
        z = y[Fc]
        s = np.where(z > tol, 1, np.where(z < -tol, -1, 0))
        real = np.arange(Fc.shape[1])[None, :] < dc[:, None]  # padding repeats vertex 0
        zero = (s == 0) & real
        has = ((s == 1).any(1) & (s == -1).any(1)) | (zero.sum(1) == 2)
        Fc, z, s, zero = Fc[has], z[has], s[has], zero[has]
        if Fc.size == 0:
            continue
        Fn, zn, sn = np.roll(Fc, -1, 1), np.roll(z, -1, 1), np.roll(s, -1, 1)
        cross = (s * sn == -1)
        t = np.where(cross, z / np.where(cross, z - zn, 1.0), 0.0)
        pts = P[Fc] + t[..., None] * (P[Fn] - P[Fc])
        is_pt = cross | zero
        ok = is_pt.sum(1) == 2
        order = np.argsort(~is_pt[ok], axis=1, kind="stable")[:, :2]
        segs.append(np.take_along_axis(pts[ok], order[..., None], axis=1))
    return np.concatenate(segs) if segs else np.zeros((0, 2, 2))
