"""Invariant checks of a ``Regions`` result (``Regions.check()``).

Independent of the cutting: the network is evaluated afresh (the compiled float64 program and the
torch module) at every vertex and at an interior point of every face, and compared with what the
mesh stored. The geometry is tested in the cut's coordinates ``q`` in [-1, 1]² (see
:mod:`.frame`), so every tolerance means the same on a domain of any size or position:

- the faces' areas sum to the square's (relative 1e-9); every face is convex with positive area;
  no two regions share a pattern;
- at every vertex of every face, every unit is on the face's side of each of its breakpoints (a
  max unit's stored piece is the largest), up to ``CHECK_EPS`` machine epsilons of the step's
  scale (:mod:`.scales`): no hyperplane crosses a face, so no region was merged into another and
  no vertex is off its place;
- at an interior point of every face, the pattern equals the stored one (units within ``rtol`` of
  the scale from a breakpoint there are counted as ``ambiguous``) and the output equals the
  stored affine map (``rtol`` of the output's scale); the torch module agrees with the program
  at the same point in the user's coordinates.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from .compile import guess_shape
from .frame import EXACT_FOLD_MAX, exact_fold
from .patterns import group_rows
from .program import Affine, MaxGroups, apply_step, group_values, is_cutting
from .scales import CHECK_EPS, EPS, Scale, column_max

CHUNK = 16384


def _fail(msg: str):
    from .result import RegionCheckError

    raise RegionCheckError(msg)


def _torch_forward(reg, x: np.ndarray, shape) -> np.ndarray | None:
    """The torch module's own outputs at ``x`` (float64): the program's ``reference`` (the net,
    or its part before a dropped output activation), else the net."""
    from ..spec import NetSpec

    net = reg.program.reference if reg.program.reference is not None else reg.net
    if isinstance(net, NetSpec):
        module = net.build(dtype=torch.float64)
    elif isinstance(net, torch.nn.Module):
        module = copy.deepcopy(net).to(torch.float64).eval()
    else:
        return None
    with torch.no_grad():
        y = module(torch.as_tensor(x, dtype=torch.float64).reshape(x.shape[0], *shape))
    return y.reshape(x.shape[0], -1).numpy()


def program_scales(program, chunks, outputs: list | None = None, *,
                   propagate: bool = False) -> tuple[list[float], float]:
    """The :class:`~.scales.Scale` of every cutting step of ``program`` and of its output, over
    all the input points of ``chunks`` (arrays `(m, in_dim)`); the outputs of each chunk are
    appended to ``outputs`` if given."""
    hmax: dict[int, np.ndarray] = {}
    top = 0.0
    for x in chunks:
        top = max(top, float(np.abs(x).max()) if x.size else 0.0)
        X, live = x, program.in_dim
        for i, step in enumerate(program.steps):
            if isinstance(step, Affine):
                h = column_max(X[:, :live])
                hmax[i] = np.maximum(hmax[i], h) if i in hmax else h
            X, live, _ = apply_step(step, X, live)
        if outputs is not None:
            outputs.append(X[:, :live])
    scale, out = Scale(top, propagate=propagate), []
    for i, step in enumerate(program.steps):
        if is_cutting(step):
            out.append(scale.value)
        scale.step(step, hmax.get(i))
    return out, scale.value


def check_regions(reg, *, rtol: float = 1e-7) -> dict:
    frame, cut = reg.frame, reg.cut
    mesh = reg.cut_mesh
    P, F, deg = mesh.P, mesh.F, mesh.deg
    nf, D = F.shape
    area, J = mesh.face_areas, frame.jacobian
    total = float(area.sum())
    if not abs(total - 4.0) <= 4e-9:
        _fail(f"face areas sum to {total * J!r}, the rectangle has area {reg.plane.area!r}")
    if (area <= 0).any():
        f = int(np.argmin(area))
        _fail(f"face {f} has non-positive area {area[f] * J!r} (vertices "
              f"{frame.to_plane(P[F[f, :deg[f]]]).tolist()})")
    Q = P[F]
    e = np.roll(Q, -1, axis=1) - Q
    turn = e[..., 0] * np.roll(e, -1, axis=1)[..., 1] - e[..., 1] * np.roll(e, -1, axis=1)[..., 0]
    if (turn < -1e-9).any():
        f = int(np.flatnonzero((turn < -1e-9).any(1))[0])
        _fail(f"face {f} is not convex (vertices {frame.to_plane(P[F[f, :deg[f]]]).tolist()})")
    if reg.count and group_rows(reg.patterns)[0].size != reg.count:
        _fail("two regions carry the same activation pattern (a region counted twice)")

    program = cut.program
    if cut.folded:
        _check_fold(reg)
    steps = [s for s in program.steps if is_cutting(s)]
    face_codes = reg.patterns[mesh.face_region]
    vertex_x = [P[lo:lo + CHUNK] @ cut.A.T + cut.c for lo in range(0, len(P), CHUNK)]
    scales, y_scale = program_scales(program, vertex_x)
    tols = [CHECK_EPS * EPS * s for s in scales]
    coincident = _check_vertices(reg, program, steps, vertex_x, face_codes, tols)

    g, o = mesh.face_grads, mesh.face_offsets
    shape = _input_shape(reg)
    ambiguous, max_err, max_torch_err = 0, 0.0, 0.0
    w = np.arange(D)[None, :] < deg[:, None]
    for lo in range(0, nf, CHUNK):
        sl = slice(lo, lo + CHUNK)
        st = (Q[sl] * w[sl, :, None]).sum(1) / deg[sl, None]
        y, pre = program.forward(st @ cut.A.T + cut.c, record=True)
        pred = np.einsum("moj,mj->mo", g[sl], st) + o[sl]
        err = float(np.abs(y - pred).max()) if y.size else 0.0
        max_err = max(max_err, err)
        if err > rtol * y_scale:
            f = lo + int(np.argmax(np.abs(y - pred).max(1)))
            _fail(f"face {f}: the network gives {y[f - lo].tolist()} at "
                  f"{frame.to_plane(st[f - lo]).tolist()}, the stored affine map "
                  f"{pred[f - lo].tolist()}")
        x = reg.plane.to_input(frame.to_plane(st))  # the user's coordinates
        ys: list = []
        _, user_scale = program_scales(reg.program, [x], ys, propagate=True)
        y_user = ys[0]
        ferr = float(np.abs(y_user - y).max()) if y.size else 0.0
        if ferr > rtol * user_scale:
            _fail(f"the normalised program and the network disagree by {ferr:.3g} at "
                  f"{x[0].tolist()} (the domain's map folded into the first layer)")
        yt = _torch_forward(reg, x, shape)
        if yt is not None:
            terr = float(np.abs(yt - y_user).max()) if y.size else 0.0
            max_torch_err = max(max_torch_err, terr)
            if terr > rtol * user_scale:
                _fail(f"the compiled program and the torch module disagree by {terr:.3g} at "
                      f"{x[0].tolist()}")
        codes = program.encode_patterns(pre, len(st))
        xor = codes ^ face_codes[sl]
        if xor.any():
            amb = _ambiguous(reg, steps, pre, xor, [rtol * s for s in scales])
            if amb is not None:
                f = lo + amb
                _fail(f"face {f}: activation pattern at an interior point "
                      f"{frame.to_plane(st[amb]).tolist()} differs from the stored pattern")
            ambiguous += int(xor.any(1).sum())
    return dict(count=reg.count, faces=nf, area_sum=total * J, domain_area=reg.plane.area,
                area_error=abs(total - 4.0) * J,
                min_area=float(reg.areas.min()) if reg.count else 0.0,
                max_output_error=max_err, output_scale=y_scale,
                relative_output_error=max_err / y_scale if y_scale else 0.0,
                max_torch_error=max_torch_err, ambiguous=ambiguous, vertex_tolerances=tols,
                near_coincident=coincident)


def _check_fold(reg) -> None:
    """Fail unless the first layer that was cut is the network's first layer composed with the
    map from [-1, 1]² onto the rectangle, to ``CHECK_EPS`` of each unit's terms (recomputed in
    exact rationals; skipped for first layers of more than ``EXACT_FOLD_MAX`` weights)."""
    first, cut = reg.program.steps[0], reg.cut.program.steps[0]
    if first.M.size > EXACT_FOLD_MAX:
        return
    W, b = exact_fold(first, reg.plane, reg.frame)
    err = np.abs(cut.M - W).sum(axis=1) + np.abs(cut.c - b)
    size = np.abs(W).sum(axis=1) + np.abs(b)
    if (err > CHECK_EPS * EPS * size).any():
        i = int(np.argmax(err - CHECK_EPS * EPS * size))
        _fail(f"unit {i} of the first layer: the cut used weights {cut.M[i].tolist()} and bias "
              f"{cut.c[i]!r}, the network's layer moved onto [-1, 1]² is {W[i].tolist()} and "
              f"{b[i]!r}")


def _check_vertices(reg, program, steps, vertex_x, face_codes, tols) -> int:
    """Fail unless, at every vertex of every face, the network (evaluated afresh) has every unit
    on the face's side of each breakpoint, and every max unit's stored piece on top, within
    ``tols`` (one per cutting step). Returns the number of vertices where more hyperplanes (and
    sides of the square) meet within the tolerances than the two of general position: exact
    coincidences of a degenerate net, or features finer than float64 resolves (``verify``
    tells which)."""
    layout = reg.layout
    P = reg.cut_mesh.P
    sides = [[] for _ in steps]  # per step: per chunk (pos, neg) packed bits, or near-top bits
    coincident = 0
    for lo, x in zip(range(0, len(P), CHUNK), vertex_x, strict=True):
        _, pre = program.forward(x, record=True)
        meeting = (np.abs(P[lo:lo + len(x)]) == 1.0).sum(1)  # sides of the square
        for step, z, tol in zip(steps, pre, tols, strict=True):
            if not isinstance(step, MaxGroups):
                meeting += sum((np.abs(z - c) <= tol).sum(1) for c in step.breakpoints)
        coincident += int((meeting > 2).sum())
        for k, (step, z, tol) in enumerate(zip(steps, pre, tols, strict=True)):
            if isinstance(step, MaxGroups):
                vals = group_values(z, step.groups)
                near = vals >= vals.max(axis=2, keepdims=True) - tol
                sides[k].append(np.packbits(near.reshape(len(z), -1), axis=1))
            else:
                pos = np.stack([z > c + tol for c in step.breakpoints], 2).reshape(len(z), -1)
                neg = np.stack([z < c - tol for c in step.breakpoints], 2).reshape(len(z), -1)
                sides[k].append((np.packbits(pos, axis=1), np.packbits(neg, axis=1)))
    F = reg.cut_mesh.F
    for k, (step, lay) in enumerate(zip(steps, layout, strict=True)):
        stored = face_codes[:, lay["offset"]:lay["offset"] + lay["nbytes"]]
        if isinstance(step, MaxGroups):
            near = np.concatenate(sides[k])
            kk = step.groups.shape[1]
            bit = np.arange(step.groups.shape[0]) * kk + stored.astype(np.int64)  # (nf, n_out)
            ok = np.ones(stored.shape, bool)
            for d in range(F.shape[1]):
                rows = near[F[:, d]]
                ok &= (np.take_along_axis(rows, bit >> 3, axis=1) >> (7 - (bit & 7))) & 1 == 1
            bad = ~ok
        else:
            pos = np.concatenate([p for p, _ in sides[k]])
            neg = np.concatenate([n for _, n in sides[k]])
            anypos, anyneg = pos[F[:, 0]].copy(), neg[F[:, 0]].copy()
            for d in range(1, F.shape[1]):
                anypos |= pos[F[:, d]]
                anyneg |= neg[F[:, d]]
            bad = np.unpackbits((stored & anyneg) | (~stored & anypos), axis=1,
                                count=lay["units"] * lay["per_unit"]).astype(bool)
        if bad.any():
            f, i = (int(v) for v in np.argwhere(bad)[0])
            what = (f"unit {i} of max step {lay['name']}" if isinstance(step, MaxGroups) else
                    f"unit {i // lay['per_unit']} of {lay['name']} (breakpoint {i % lay['per_unit']})")
            _fail(f"face {f}: {what} crosses the face beyond the tolerance {tols[k]:.3g} "
                  "(the network, evaluated at the face's vertices, is on both sides of it; a "
                  "region is merged into another or a vertex is off its place)")
    return coincident


def _input_shape(reg):
    if reg.program.input_shape is not None:
        return tuple(reg.program.input_shape)
    try:
        return guess_shape(reg.net, reg.plane.in_dim) if isinstance(reg.net, torch.nn.Module) else (reg.plane.in_dim,)
    except Exception:
        return (reg.plane.in_dim,)


def _ambiguous(reg, steps, pre, xor, tols) -> int | None:
    """Index of a point whose pattern differs from the stored one (``xor`` of the two) at a unit
    that is NOT within ``tols`` (one per cutting step) of a breakpoint there; None if every
    difference is such a near-tie."""
    for lay, step, z, tol in zip(reg.layout, steps, pre, tols, strict=True):
        b = xor[:, lay["offset"]:lay["offset"] + lay["nbytes"]]
        rows = np.flatnonzero(b.any(1))
        if rows.size == 0:
            continue
        if isinstance(step, MaxGroups):
            vals = np.sort(group_values(z[rows], step.groups), axis=2)
            gap = (vals[..., -1] - vals[..., -2]).min(1)
            hard = rows[gap > tol]
        else:
            diff = np.unpackbits(b[rows], axis=1, count=lay["units"] * lay["per_unit"]).astype(bool)
            margin = np.stack([np.abs(z[rows] - c) for c in step.breakpoints], 2).reshape(rows.size, -1)
            hard = rows[(diff & (margin > tol)).any(1)]
        if hard.size:
            return int(hard[0])
    return None
