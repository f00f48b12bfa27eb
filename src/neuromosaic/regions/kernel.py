"""Numba kernels of the region engine: cut the mesh by every unit of an elementwise step at once.

The NumPy path (:meth:`.mesh.Mesh.split`, one call per unit) costs a fixed ~0.1 ms of NumPy call
overhead per unit, which dominates on small nets; these kernels do the same cut in a few compiled
calls per breakpoint, with the same arithmetic (so the same partition; faces in another order):

1. :func:`face_bits`: every vertex gets sign bits ``z > c + tol`` / ``z < c - tol`` for every unit
   (``z = X[v, j]``); every face ORs its vertices' bits: the units that may cross it (both signs
   present) and its initial pattern bit (``z > c + tol`` somewhere on the face).
2. :func:`cut_faces`: each face is cut depth first: the face and its pieces are tested by the units
   that may cross it, in unit order; a piece that a unit crosses is split in two (the ``z >= 0``
   half keeps the face id, the ``z <= 0`` half is a new face that goes on from the next unit). A
   crossed edge gets its new vertex from a hash table keyed by the edge, so the two faces of an
   edge share one vertex: both meet the edge's first crossing unit (the same for both).

The kernels never reallocate their arguments (a reassigned array costs Numba an atomic reference
count on every use, and NumPy's allocator asks for huge pages where Numba's does not): when an
array is full, :func:`cut_faces` stops before the split that needs more room, returns which array
is short and where it stopped, and the caller (:meth:`.cutter.Cutter`, one step at a time, the
products between steps being NumPy's) grows it and calls again; then :func:`activate` applies
the activation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Explicit signatures: the kernels are compiled (first use on a machine, a few seconds) or loaded
# from Numba's on-disk cache when this module is imported, not on the first cut. Hash keys pack
# two vertex ids in an int64 (ids < 2**31: far beyond what fits in memory).
_F2 = "float64[:, ::1]"
_I2 = "int64[:, ::1]"
_U2 = "uint8[:, ::1]"
_I1 = "int64[::1]"
_MESH = f"{_F2}, {_F2}, {_I2}, {_I1}, {_U2}"

# cut_faces status codes
DONE, MORE_FACES, MORE_VERTICES, WIDER, MORE_KEYS, TOO_MANY = 0, 1, 2, 3, 4, 5


@njit("int64(int64[::1], int64)", cache=True, nogil=True)
def _slot(keys, key):
    mask = keys.size - 1
    h = (((key >> 32) * 73856093) ^ ((key & 0xFFFFFFFF) * 19349663)) & mask
    while keys[h] != -1 and keys[h] != key:
        h = (h + 1) & mask
    return h


@njit(f"UniTuple({_I1}, 2)({_I1}, {_I1}, int64)", cache=True, nogil=True)
def rehash(keys, vals, size):
    """The table ``keys -> vals`` in a table of ``size`` slots (a power of two)."""
    nk = np.full(size, -1, dtype=np.int64)
    nv = np.empty(size, dtype=np.int64)
    for i in range(keys.size):
        if keys[i] != -1:
            s = _slot(nk, keys[i])
            nk[s] = keys[i]
            nv[s] = vals[i]
    return nk, nv


@njit(f"void({_F2}, {_I2}, {_I1}, {_U2}, int64, int64, int64, float64, float64, int64, int64, int64, {_U2})",
      cache=True, nogil=True)
def face_bits(X, F, deg, codes, nv, nf, live, c, tol, bi, L, byte_off, cross):
    """Fill ``cross`` `(nf, ceil(live / 8))` (units with vertices on both sides of ``c`` on the
    face) and OR the initial pattern bits (unit ``j``, breakpoint ``bi``: bit ``j * L + bi`` from
    byte ``byte_off``, MSB first) into ``codes``."""
    nbu = (live + 7) // 8
    posv = np.zeros((nv, nbu), dtype=np.uint8)
    negv = np.zeros((nv, nbu), dtype=np.uint8)
    for v in range(nv):
        for j in range(live):
            z = X[v, j] - c
            if z > tol:
                posv[v, j >> 3] |= np.uint8(0x80 >> (j & 7))
            elif z < -tol:
                negv[v, j >> 3] |= np.uint8(0x80 >> (j & 7))
    posf = np.zeros(nbu, dtype=np.uint8)
    negf = np.zeros(nbu, dtype=np.uint8)
    for f in range(nf):
        posf[:] = 0
        negf[:] = 0
        for i in range(deg[f]):
            v = F[f, i]
            for b in range(nbu):
                posf[b] |= posv[v, b]
                negf[b] |= negv[v, b]
        for b in range(nbu):
            cross[f, b] = posf[b] & negf[b]
        for j in range(live):
            if posf[j >> 3] & (0x80 >> (j & 7)):
                idx = j * L + bi
                codes[f, byte_off + (idx >> 3)] |= np.uint8(0x80 >> (idx & 7))


@njit(f"UniTuple(int64, 6)({_MESH}, int64, int64, int64, float64, float64, int64, int64, int64, int64, "
      f"{_U2}, int64, int64, {_I1}, {_I1}, int64, {_I1}, {_I1}, int64)", cache=True, nogil=True)
def cut_faces(P, X, F, deg, codes, nv, nf, live, c, tol, bi, L, byte_off, max_faces,
              cross, nf0, r0, stack_f, stack_u, top, keys, vals, hcount):
    """Cut faces ``r0 .. nf0 - 1`` (and their pieces) by the units that cross them; resume the
    depth-first stack ``stack_f/stack_u[:top]`` of face ``r0`` first. Returns
    ``(status, r, top, nv, nf, hcount)``: ``status`` DONE, or which array is too small (nothing of
    the pending split is written; grow it and call again with ``r0 = r``), or TOO_MANY (more than
    ``max_faces`` faces; ``max_faces`` <= 0: no limit)."""
    d = X.shape[1]
    D = F.shape[1]
    vcap = P.shape[0]
    fcap = F.shape[0]
    zs = np.empty(D, dtype=np.float64)
    ss = np.empty(D, dtype=np.int64)
    bufA = np.empty(D + 2, dtype=np.int64)
    bufB = np.empty(D + 2, dtype=np.int64)
    units = np.empty(live, dtype=np.int64)
    ncode = codes.shape[1]
    for r in range(r0, nf0):
        nu = 0
        for j in range(live):
            if cross[r, j >> 3] & (0x80 >> (j & 7)):
                units[nu] = j
                nu += 1
        if nu == 0:
            continue
        if not (r == r0 and top > 0):
            stack_f[0] = r
            stack_u[0] = 0
            top = 1
        while top > 0:
            top -= 1
            g = stack_f[top]
            u = stack_u[top]
            while u < nu:
                j = units[u]
                idx = j * L + bi
                byte = byte_off + (idx >> 3)
                bit = np.uint8(0x80 >> (idx & 7))
                k = deg[g]
                haspos = False
                hasneg = False
                for i in range(k):
                    z = X[F[g, i], j] - c
                    zs[i] = z
                    if z > tol:
                        ss[i] = 1
                        haspos = True
                    elif z < -tol:
                        ss[i] = -1
                        hasneg = True
                    else:
                        ss[i] = 0
                if not (haspos and hasneg):
                    if haspos:
                        codes[g, byte] |= bit
                    else:
                        codes[g, byte] &= ~bit
                    u += 1
                    continue
                # room for the split? (checked before anything is written)
                na = 0
                nb = 0
                ncross = 0
                for i in range(k):
                    i2 = i + 1 if i + 1 < k else 0
                    if ss[i] >= 0:
                        na += 1
                    if ss[i] <= 0:
                        nb += 1
                    if ss[i] * ss[i2] < 0:
                        ncross += 1
                status = DONE
                if max(na, nb) + ncross > D:
                    status = WIDER
                elif nf + 1 > fcap:
                    status = MORE_FACES
                elif nv + ncross > vcap:
                    status = MORE_VERTICES
                elif 2 * (hcount + ncross) > keys.size:
                    status = MORE_KEYS
                if status != DONE:
                    stack_f[top] = g
                    stack_u[top] = u
                    return status, r, top + 1, nv, nf, hcount
                # split: the z >= 0 cycle stays in g, the z <= 0 cycle becomes face nf
                na = 0
                nb = 0
                for i in range(k):
                    i2 = i + 1 if i + 1 < k else 0
                    a = F[g, i]
                    si = ss[i]
                    if si >= 0:
                        bufA[na] = a
                        na += 1
                    if si <= 0:
                        bufB[nb] = a
                        nb += 1
                    if si * ss[i2] < 0:
                        b = F[g, i2]
                        key = (min(a, b) << 32) | max(a, b)
                        s = _slot(keys, key)
                        if keys[s] == -1:
                            t = zs[i] / (zs[i] - zs[i2])
                            P[nv, 0] = P[a, 0] + t * (P[b, 0] - P[a, 0])
                            P[nv, 1] = P[a, 1] + t * (P[b, 1] - P[a, 1])
                            for col in range(d):
                                X[nv, col] = X[a, col] + t * (X[b, col] - X[a, col])
                            X[nv, j] = c
                            keys[s] = key
                            vals[s] = nv
                            m = nv
                            nv += 1
                            hcount += 1
                        else:
                            m = vals[s]
                        bufA[na] = m
                        na += 1
                        bufB[nb] = m
                        nb += 1
                h = nf
                nf += 1
                for i in range(D):
                    F[g, i] = bufA[i] if i < na else bufA[0]
                    F[h, i] = bufB[i] if i < nb else bufB[0]
                deg[g] = na
                deg[h] = nb
                for b2 in range(ncode):
                    codes[h, b2] = codes[g, b2]
                codes[g, byte] |= bit
                codes[h, byte] &= ~bit
                u += 1
                if max_faces > 0 and nf > max_faces:
                    return TOO_MANY, r, 0, nv, nf, hcount
                if u < nu:
                    stack_f[top] = h
                    stack_u[top] = u
                    top += 1
        top = 0
    return DONE, nf0, 0, nv, nf, hcount


@njit(f"Tuple((int64, int64, int64, int64, int64, int64, float64, {_U2}, {_I1}, {_I1}, {_I1}, {_I1}))"
      f"({_MESH}, int64, int64, int64, float64, float64, int64, int64, int64, int64)",
      cache=True, nogil=True)
def cut_level(P, X, F, deg, codes, nv, nf, live, c, tol, bi, L, byte_off, max_faces):
    """:func:`face_bits`, then :func:`cut_faces` from the start, in one call. ``tol < 0``: use
    ``-tol`` times ``max(1, max |X[:nv, :live]|)``. Returns ``(status, r, top, nv, nf, hcount, tol, cross, stack_f, stack_u,
    keys, vals)``: the state to go on with when ``status`` asks for room."""
    if tol < 0:
        scale = 1.0
        for v in range(nv):
            for j in range(live):
                scale = max(scale, abs(X[v, j]))
        tol = -tol * scale
    nbu = (live + 7) // 8
    cross = np.empty((nf, nbu), dtype=np.uint8)
    face_bits(X, F, deg, codes, nv, nf, live, c, tol, bi, L, byte_off, cross)
    size = 64  # room for the new vertices that fit in the vertex arrays, at load <= 1/2
    while size < 2 * min(P.shape[0] - nv, 4 * nf + 64):
        size *= 2
    keys = np.full(size, -1, dtype=np.int64)
    vals = np.empty(size, dtype=np.int64)
    stack_f = np.empty(live + 2, dtype=np.int64)
    stack_u = np.empty(live + 2, dtype=np.int64)
    status, r, top, nv, nf2, hcount = cut_faces(P, X, F, deg, codes, nv, nf, live, c, tol, bi, L, byte_off,
                                                max_faces, cross, nf, 0, stack_f, stack_u, 0, keys, vals, 0)
    return status, r, top, nv, nf2, hcount, tol, cross, stack_f, stack_u, keys, vals


# activation kinds of activate()
ACT_RELU, ACT_LEAKY, ACT_ABS, ACT_HARDTANH = 1, 2, 3, 4


@njit(f"void({_F2}, int64, int64, int64, float64[::1], float64[::1], float64[::1])",
      cache=True, nogil=True)
def activate(X, nv, live, kind, levels, slopes, hmax):
    """The activation in place on ``X[:nv, :live]``: ``kind`` ACT_RELU, ACT_LEAKY (a slope per unit
    in ``slopes``), ACT_ABS, or ACT_HARDTANH (clip to ``levels[0], levels[1]``). Fills ``hmax``
    `(live,)` with the largest ``|value|`` of every unit after it (what the next affine step's
    rounding is relative to, see :mod:`.scales`), in the same pass."""
    for j in range(live):
        hmax[j] = 0.0
    for v in range(nv):
        for j in range(live):
            z = X[v, j]
            if kind == ACT_RELU:
                if z < 0.0:
                    z = 0.0
            elif kind == ACT_LEAKY:
                if not z > 0:
                    z = z * slopes[j]
            elif kind == ACT_ABS:
                z = abs(z)
            else:
                z = min(max(z, levels[0]), levels[1])
            X[v, j] = z
            hmax[j] = max(hmax[j], abs(z))
