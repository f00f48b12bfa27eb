"""Invariant checks of a ``Regions`` result (``Regions.check()``).

Independent of the cutting: the network is evaluated directly (the compiled float64 program and the
torch module) at an interior point of every face, and compared with what the mesh stored.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from .compile import guess_shape
from .patterns import group_rows
from .program import MaxGroups, group_values, is_cutting

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


def check_regions(reg, *, rtol: float = 1e-7) -> dict:
    mesh = reg.mesh
    P, F, deg = mesh.P, mesh.F, mesh.deg
    nf, D = F.shape
    area = mesh.face_areas
    total, want = float(area.sum()), reg.plane.area
    if not abs(total - want) <= 1e-9 * want:
        _fail(f"face areas sum to {total!r}, the rectangle has area {want!r}")
    if (area <= 0).any():
        f = int(np.argmin(area))
        _fail(f"face {f} has non-positive area {area[f]!r} (vertices {P[F[f, :deg[f]]].tolist()})")
    scale = max(1.0, float(np.abs(P).max()))
    Q = P[F]
    e = np.roll(Q, -1, axis=1) - Q
    turn = e[..., 0] * np.roll(e, -1, axis=1)[..., 1] - e[..., 1] * np.roll(e, -1, axis=1)[..., 0]
    if (turn < -1e-9 * scale * scale).any():
        f = int(np.flatnonzero((turn < -1e-9 * scale * scale).any(1))[0])
        _fail(f"face {f} is not convex (vertices {P[F[f, :deg[f]]].tolist()})")
    if reg.count and group_rows(reg.patterns)[0].size != reg.count:
        _fail("two regions carry the same activation pattern (a region counted twice)")

    g, o = mesh.face_grads, mesh.face_offsets
    face_codes = reg.patterns[mesh.face_region]
    y_scale = max(1.0, float(np.abs(mesh.Y).max()))
    steps = [s for s in reg.program.steps if is_cutting(s)]
    shape = _input_shape(reg)
    ambiguous, max_err, max_torch_err = 0, 0.0, 0.0
    w = np.arange(D)[None, :] < deg[:, None]
    for lo in range(0, nf, CHUNK):
        sl = slice(lo, lo + CHUNK)
        st = (Q[sl] * w[sl, :, None]).sum(1) / deg[sl, None]
        x = reg.plane.to_input(st)
        y, pre = reg.program.forward(x, record=True)
        pred = np.einsum("moj,mj->mo", g[sl], st) + o[sl]
        err = float(np.abs(y - pred).max()) if y.size else 0.0
        max_err = max(max_err, err)
        if err > rtol * y_scale:
            f = lo + int(np.argmax(np.abs(y - pred).max(1)))
            _fail(f"face {f}: the network gives {y[f - lo].tolist()} at {st[f - lo].tolist()}, "
                  f"the stored affine map {pred[f - lo].tolist()}")
        yt = _torch_forward(reg, x, shape)
        if yt is not None:
            terr = float(np.abs(yt - y).max()) if y.size else 0.0
            max_torch_err = max(max_torch_err, terr)
            if terr > rtol * y_scale:
                _fail(f"the compiled program and the torch module disagree by {terr:.3g} at {st[0].tolist()}")
        codes = reg.program.encode_patterns(pre, len(st))
        bad = codes != face_codes[sl]
        if bad.any():
            amb = _ambiguous(reg, steps, pre, bad, rtol)
            if amb is not None:
                f = lo + amb
                _fail(f"face {f}: activation pattern at an interior point {st[amb].tolist()} differs "
                      "from the stored pattern")
            ambiguous += int(bad.any(1).sum())
    return dict(count=reg.count, faces=nf, area_sum=total, domain_area=want,
                area_error=abs(total - want), min_area=float(reg.areas.min()) if reg.count else 0.0,
                max_output_error=max_err, max_torch_error=max_torch_err, ambiguous=ambiguous)


def _input_shape(reg):
    if reg.program.input_shape is not None:
        return tuple(reg.program.input_shape)
    try:
        return guess_shape(reg.net, reg.plane.in_dim) if isinstance(reg.net, torch.nn.Module) else (reg.plane.in_dim,)
    except Exception:
        return (reg.plane.in_dim,)


def _ambiguous(reg, steps, pre, bad, rtol) -> int | None:
    """Index of a point whose pattern differs from the stored one at a unit that is NOT within
    ``rtol`` (relative) of a breakpoint there; None if every difference is such a near-tie."""
    for lay, step, z in zip(reg.layout, steps, pre, strict=True):
        b = bad[:, lay["offset"]:lay["offset"] + lay["nbytes"]]
        rows = np.flatnonzero(b.any(1))
        if rows.size == 0:
            continue
        tol = rtol * max(1.0, float(np.abs(z).max()))
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
