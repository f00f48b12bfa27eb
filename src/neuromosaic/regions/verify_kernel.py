"""Numba kernel of :mod:`.verify`: certify regions in float64 with rigorous error bounds.

For each region (one at a time, ``nogil``, so a thread pool runs slices in parallel) the kernel
reads the region's constraints (``N`` of them, shared with the regions of a common pattern
prefix, see :func:`certify_regions`): constraint ``n`` is an affine function of the cut's
coordinates ``q`` that is ``>= 0`` on the region (a unit's pre-activation minus a breakpoint,
times the sign the pattern gives it, or a max unit's winner minus another piece), computed in
float64, with a bound on the distance of each coefficient from the exact rational one. The float
polygon from the cut only suggests the answer: the kernel

1. labels each edge of the float polygon with the constraint (or side of the square) closest to
   both of its ends, and merges consecutive edges with one label;
2. encloses every vertex of the labelled polygon: the exact intersection of its two lines lies in
   a box around the float solution (the residual, bounded, through the inverse of the 2 x 2
   system, bounded);
3. checks every other constraint and side of the square strictly at every vertex box, with the
   coefficient bounds and the rounding of the evaluation (``gamma_3`` of the terms);
4. checks that the polygon turns strictly left at every vertex and encloses its area.

If all holds, the labelled polygon is exactly the region (the constraints are met on the convex
hull of the vertices, and every edge lies on one of them), and its edges are exactly the listed
constraints. Anything it cannot decide gives a status other than ``OK`` and the caller re-derives
that region in exact rationals.
"""

from __future__ import annotations

import numpy as np
from numba import njit

U = 2.0 ** -53
ETA = 2.0 ** -1074 * 8  # underflow in a short sum
G3 = 3 * U / (1 - 3 * U)

OK, NO_LABEL, SINGULAR, UNDECIDED, NOT_CONVEX, REPEATED = 0, 1, 2, 3, 4, 5
STATUS = {OK: "certified", NO_LABEL: "fewer than three distinct edges", SINGULAR: "near-parallel edges",
          UNDECIDED: "a constraint within its error bound at a vertex", NOT_CONVEX: "a turn within its error bound",
          REPEATED: "a constraint on two edges"}

SIDES = np.array([[1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.0, -1.0, 1.0]])


@njit(cache=True, nogil=True)
def _coef(Pv, Pr, gidx, noff, r, n, N, out):
    """Coefficients and their bounds of constraint ``n`` (``n >= N``: side ``n - N``) into out[0:6]."""
    if n >= N:
        s = n - N
        out[0] = 1.0 if s == 0 else (-1.0 if s == 1 else 0.0)
        out[1] = 1.0 if s == 2 else (-1.0 if s == 3 else 0.0)
        out[2] = 1.0
        out[3] = 0.0
        out[4] = 0.0
        out[5] = 0.0
    else:
        st = 0
        while st + 1 < noff.shape[0] and noff[st + 1] <= n:
            st += 1
        row = gidx[r, st]
        j = n - noff[st]
        for i in range(3):
            out[i] = Pv[row, i, j]
            out[3 + i] = Pr[row, i, j]


@njit(cache=True, nogil=True)
def _dup(Pd, gidx, noff, r, n, N):
    """The constraint whose exact line constraint ``n`` repeats, else -1."""
    if n >= N:
        return -1
    st = 0
    while st + 1 < noff.shape[0] and noff[st + 1] <= n:
        st += 1
    return Pd[gidx[r, st], n - noff[st]]


@njit(cache=True, nogil=True)
def certify_regions(Pv, Pr, Pd, gidx, noff, cnt, N, hasdup, poly, npoly, lo, hi, labels, nlab, verts, area,
                    status):
    """Certify regions ``lo..hi-1``.

    The constraints are shared by regions with a common pattern prefix: ``Pv``, ``Pr``
    `(P, 3, W)` hold coefficients and bounds of groups of constraints; region ``r``'s constraints
    of cutting step ``s`` are row ``gidx[r, s]``, columns ``0..cnt[s]-1``, numbered from
    ``noff[s]`` (``N`` in all). ``Pd`` (same rows) names, for a constraint whose exact map is
    another's (a max unit against a piece exactly 0, and the winner's own ReLU), that other one,
    else -1; ``hasdup`` `(Rc,)` says which regions have any. poly `(Rc, K, 2)` float polygons
    (counter-clockwise) with ``npoly`` `(Rc,)` vertices. Writes: labels `(Rc, K)` (constraint index,
    ``N + s`` for side ``s`` of the square: q_s >= -1, q_s <= 1, q_t >= -1, q_t <= 1), nlab `(Rc,)`,
    verts `(Rc, K, 4)` (vertex ``i`` between edges ``i`` and ``i + 1``: x, y, rx, ry), area `(Rc, 2)`
    (value, bound), status `(Rc,)`."""
    K = poly.shape[1]
    S = cnt.shape[0]
    lab = np.empty(K, np.int64)
    best = np.empty(K)
    dv = np.empty(K + 1)
    ca = np.empty(6)
    cb = np.empty(6)
    for r in range(lo, hi):
        k = npoly[r]
        st = OK
        # 1. label every edge of the float polygon
        for j in range(k):
            best[j] = np.inf
            lab[j] = -1
        for s in range(4):
            for j in range(k):
                x = poly[r, j, 0] if s < 2 else poly[r, j, 1]
                side = -1.0 if s % 2 == 0 else 1.0
                dv[j] = abs(x - side)
            dv[k] = dv[0]
            for j in range(k):
                sc = max(dv[j], dv[j + 1])
                if sc < best[j]:
                    best[j] = sc
                    lab[j] = N + s
        for sp in range(S):
            row = gidx[r, sp]
            for jj in range(cnt[sp]):
                c0 = Pv[row, 0, jj]
                c1 = Pv[row, 1, jj]
                g = np.sqrt(c0 * c0 + c1 * c1)
                if g == 0.0:
                    continue
                c2 = Pv[row, 2, jj]
                for j in range(k):
                    dv[j] = abs(c0 * poly[r, j, 0] + c1 * poly[r, j, 1] + c2) / g
                dv[k] = dv[0]
                for j in range(k):
                    sc = max(dv[j], dv[j + 1])
                    if sc < best[j]:
                        best[j] = sc
                        lab[j] = noff[sp] + jj
        if hasdup[r]:  # a repeated line is labelled by the constraint it repeats
            for j in range(k):
                d = _dup(Pd, gidx, noff, r, lab[j], N)
                if d >= 0:
                    lab[j] = d
        # merge consecutive edges with one label (a region's edge split by a tile border, …)
        j0 = -1
        for j in range(k):
            if lab[j] != lab[(j - 1 + k) % k]:
                j0 = j
                break
        m = 0
        if j0 >= 0:
            for t in range(k):
                j = (j0 + t) % k
                if m == 0 or lab[j] != labels[r, m - 1]:
                    labels[r, m] = lab[j]
                    m += 1
            if m > 1 and labels[r, m - 1] == labels[r, 0]:
                m -= 1
        nlab[r] = m
        if m < 3:
            status[r] = NO_LABEL
            continue
        for i in range(m):
            for j in range(i + 1, m):
                if labels[r, i] == labels[r, j]:
                    st = REPEATED
        if st != OK:
            status[r] = st
            continue
        # 2. enclose every vertex: the lines of edges i and i+1
        for i in range(m):
            _coef(Pv, Pr, gidx, noff, r, labels[r, i], N, ca)
            _coef(Pv, Pr, gidx, noff, r, labels[r, (i + 1) % m], N, cb)
            a0, a1, a2, ra0, ra1, ra2 = ca[0], ca[1], ca[2], ca[3], ca[4], ca[5]
            b0, b1, b2, rb0, rb1, rb2 = cb[0], cb[1], cb[2], cb[3], cb[4], cb[5]
            det = a0 * b1 - a1 * b0
            # |exact det - det| <= input bounds + rounding of two products and a difference
            rdet = (abs(a0) * rb1 + ra0 * abs(b1) + ra0 * rb1 + abs(a1) * rb0 + ra1 * abs(b0) + ra1 * rb0
                    + 3 * U * (abs(a0 * b1) + abs(a1 * b0))) * (1 + 8 * U) + ETA
            dlo = abs(det) - rdet
            if not dlo > 0.0:
                st = SINGULAR
                break
            x = (a1 * b2 - a2 * b1) / det
            y = (a2 * b0 - a0 * b2) / det
            # residuals of the exact lines at (x, y), bounded
            resa = abs(a0 * x + a1 * y + a2) + G3 * (abs(a0 * x) + abs(a1 * y) + abs(a2)) \
                + ra0 * abs(x) + ra1 * abs(y) + ra2
            resb = abs(b0 * x + b1 * y + b2) + G3 * (abs(b0 * x) + abs(b1 * y) + abs(b2)) \
                + rb0 * abs(x) + rb1 * abs(y) + rb2
            # exact inverse = adj / det: |adj| <= |adj~| + bounds, |det| >= dlo
            rx = ((abs(b1) + rb1) * resa + (abs(a1) + ra1) * resb) / dlo
            ry = ((abs(b0) + rb0) * resa + (abs(a0) + ra0) * resb) / dlo
            verts[r, i, 0] = x
            verts[r, i, 1] = y
            verts[r, i, 2] = rx * (1 + 16 * U) + ETA
            verts[r, i, 3] = ry * (1 + 16 * U) + ETA
        if st != OK:
            status[r] = st
            continue
        # 3. every other constraint strictly at every vertex box (a count: the loop vectorises)
        for i in range(m):
            x, y, rx, ry = verts[r, i, 0], verts[r, i, 1], verts[r, i, 2], verts[r, i, 3]
            ax, ay = abs(x), abs(y)
            bad = 0
            for sp in range(S):
                row = gidx[r, sp]
                for jj in range(cnt[sp]):
                    c0 = Pv[row, 0, jj]
                    c1 = Pv[row, 1, jj]
                    c2 = Pv[row, 2, jj]
                    v = c0 * x + c1 * y + c2
                    bound = (abs(c0) * rx + abs(c1) * ry + Pr[row, 0, jj] * (ax + rx) + Pr[row, 1, jj] * (ay + ry)
                             + Pr[row, 2, jj] + G3 * (abs(c0 * x) + abs(c1 * y) + abs(c2))) * (1 + 8 * U) + ETA
                    bad += v <= bound
            for s in range(4):
                # side s: q_s >= -1, q_s <= 1, q_t >= -1, q_t <= 1, with the vertex's box
                c = x if s < 2 else y
                rc = rx if s < 2 else ry
                v = c + 1.0 if s % 2 == 0 else 1.0 - c
                bad += v - rc <= 2 * U * abs(v)
            # the two lines through the vertex are on it, not strictly inside: take them back
            for t in range(2):
                n = labels[r, (i + t) % m]
                if n >= N:
                    s = n - N
                    c = x if s < 2 else y
                    rc = rx if s < 2 else ry
                    v = c + 1.0 if s % 2 == 0 else 1.0 - c
                    bad -= v - rc <= 2 * U * abs(v)
                else:
                    _coef(Pv, Pr, gidx, noff, r, n, N, ca)
                    c0, c1, c2 = ca[0], ca[1], ca[2]
                    v = c0 * x + c1 * y + c2
                    bound = (abs(c0) * rx + abs(c1) * ry + ca[3] * (ax + rx) + ca[4] * (ay + ry)
                             + ca[5] + G3 * (abs(c0 * x) + abs(c1 * y) + abs(c2))) * (1 + 8 * U) + ETA
                    bad -= v <= bound
            if hasdup[r] and bad != 0:  # the repeats of the two lines are on the vertex too
                la, lb = labels[r, i], labels[r, (i + 1) % m]
                for sp in range(S):
                    row = gidx[r, sp]
                    for jj in range(cnt[sp]):
                        d = Pd[row, jj]
                        if d >= 0 and (d == la or d == lb):
                            c0 = Pv[row, 0, jj]
                            c1 = Pv[row, 1, jj]
                            c2 = Pv[row, 2, jj]
                            v = c0 * x + c1 * y + c2
                            bound = (abs(c0) * rx + abs(c1) * ry + Pr[row, 0, jj] * (ax + rx)
                                     + Pr[row, 1, jj] * (ay + ry) + Pr[row, 2, jj]
                                     + G3 * (abs(c0 * x) + abs(c1 * y) + abs(c2))) * (1 + 8 * U) + ETA
                            bad -= v <= bound
            if bad != 0:
                st = UNDECIDED
                break
        if st != OK:
            status[r] = st
            continue
        # 4. strictly convex (a left turn at every vertex), and the area with its bound
        a = 0.0
        ra = 0.0
        at = 0.0
        for i in range(m):
            p = (i - 1 + m) % m
            q = (i + 1) % m
            dx1 = verts[r, i, 0] - verts[r, p, 0]
            dy1 = verts[r, i, 1] - verts[r, p, 1]
            dx2 = verts[r, q, 0] - verts[r, i, 0]
            dy2 = verts[r, q, 1] - verts[r, i, 1]
            ex1 = verts[r, i, 2] + verts[r, p, 2] + U * abs(dx1)
            ey1 = verts[r, i, 3] + verts[r, p, 3] + U * abs(dy1)
            ex2 = verts[r, q, 2] + verts[r, i, 2] + U * abs(dx2)
            ey2 = verts[r, q, 3] + verts[r, i, 3] + U * abs(dy2)
            cr = dx1 * dy2 - dy1 * dx2
            bound = (abs(dx1) * ey2 + ex1 * abs(dy2) + ex1 * ey2 + abs(dy1) * ex2 + ey1 * abs(dx2) + ey1 * ex2
                     + 3 * U * (abs(dx1 * dy2) + abs(dy1 * dx2))) * (1 + 8 * U) + ETA
            if not cr > bound:
                st = NOT_CONVEX
                break
            x0, y0, rx0, ry0 = verts[r, i, 0], verts[r, i, 1], verts[r, i, 2], verts[r, i, 3]
            x1, y1, rx1, ry1 = verts[r, q, 0], verts[r, q, 1], verts[r, q, 2], verts[r, q, 3]
            t = x0 * y1 - x1 * y0
            a += t
            at += abs(t)
            ra += (abs(x0) * ry1 + rx0 * abs(y1) + rx0 * ry1 + abs(x1) * ry0 + rx1 * abs(y0) + rx1 * ry0
                   + 3 * U * (abs(x0 * y1) + abs(x1 * y0)))
        if st != OK:
            status[r] = st
            continue
        area[r, 0] = 0.5 * a
        area[r, 1] = (0.5 * ra + (m + 1) * U * 0.5 * (at + ra)) * (1 + 8 * U) + ETA
        status[r] = OK
