"""The exact region engine: cut a rectangle of a plane by every piecewise-linear step of a network.

Per cutting step (a layer's activation) the mesh vertices carry the step's pre-activations. Each
hyperplane (a unit crossing a breakpoint, or two pieces of a max swapping) is a function that is
affine on every current face, so the mesh is split by it where its vertex values change sign
(:meth:`Mesh.split`). Only faces that the hyperplane can cross are tested: at the start of the
step the faces where a unit has vertices of both signs are marked in a bit set, and a face's
children inherit its marks. After the step the activation is applied to the vertex values (the
network is continuous, so vertex values stay exact), and each face records its activation pattern.

Implementations: elementwise steps (ReLU family, Hardtanh, Abs) are cut by the compiled kernels of
:mod:`._kernel` (Numba): one call per step, or one call for a whole small MLP
(:func:`mlp_arrays`, ``FUSED_MAX_UNITS``); max steps, and everything when ``KERNEL`` is
``"numpy"`` or Numba is missing, by :meth:`Mesh.split` (NumPy, one call per hyperplane). Both
give the same partition (tested).

Tolerances: a vertex value ``v`` of a cut counts as zero (the vertex lies on the hyperplane, no new
vertex) when ``|v| <= TOL_REL * max(1, max |values of the step|)``; ``TOL_REL = 1e-10``. Float64
interpolation errors are ~1e-16 times the same scale per layer, so far below it; features of the
partition thinner than the tolerance (in value) are merged into a neighbour.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import TooLargeError
from .mesh import Mesh
from .modules import Affine, Elementwise, MaxGroups, Pop, Program, Push, apply_step

TOL_REL = 1e-10

#: which implementation cuts elementwise steps: "numpy" (:meth:`Mesh.split` per unit), or else the
#: compiled kernel of :mod:`._kernel` (when Numba imports; "numba", the default). Tests run both.
KERNEL = os.environ.get("NEUROMOSAIC_REGIONS_KERNEL", "numba")


_CUT_STEP: list = []  # [cut_step or None] once looked up


def _kernel():
    """The compiled cut of :mod:`._kernel`, or None (NumPy path) when disabled or Numba is missing."""
    if KERNEL == "numpy":
        return None
    if not _CUT_STEP:
        try:
            from ._kernel import cut_step
        except ImportError:
            cut_step = None
        _CUT_STEP.append(cut_step)
        if cut_step is not None:
            _warm_up()
    return _CUT_STEP[0]


def _warm_up() -> None:
    """One tiny cut through the whole pipeline: the first Numba dispatch, BLAS call and torch
    conversion of a process each cost 0.1–10 ms once; pay them when the kernel loads."""
    import torch

    from .cut import linear_regions

    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        for p, v in zip(net.parameters(), ([[1.0, 0.5], [-0.5, 1.0], [0.3, -1.0]], [0.1, -0.2, 0.05],
                                           [[1.0, -1.0, 0.5]], [0.0]), strict=True):
            p.copy_(torch.tensor(v))
    linear_regions(net, domain=(-1.0, 1.0, -1.0, 1.0)).check()


def load_kernel() -> bool:
    """Load the compiled region kernel now (Numba: ~0.3 s from its disk cache, a few seconds of
    compiling the first time on a machine) instead of in the first cut; True if it is used (see
    ``KERNEL``)."""
    return _kernel() is not None


def code_layout(program: Program) -> list[dict]:
    """Where each cutting step's pattern lives in a region's pattern bytes.

    Returns one dict per cutting step: ``step`` (its index in the program), ``name``, ``kind``
    (``bits``: one bit per unit and breakpoint, ``z > c``, packed MSB first with
    ``numpy.packbits``, unit-major; ``argmax``: one byte per max unit), ``offset``, ``nbytes``,
    ``units``, ``per_unit`` (breakpoints per unit, or pieces per max unit).
    """
    if program._layout is not None:
        return program._layout
    layout, offset, live = [], 0, program.in_dim
    for i, step in enumerate(program.steps):
        if isinstance(step, Elementwise) and step.kind != "identity":
            nbits = live * len(step.breakpoints)
            nbytes = (nbits + 7) // 8
            layout.append(dict(step=i, name=step.name, kind="bits", offset=offset, nbytes=nbytes,
                               units=live, per_unit=len(step.breakpoints)))
            offset += nbytes
        elif isinstance(step, MaxGroups):
            n_out = step.groups.shape[0]
            layout.append(dict(step=i, name=step.name, kind="argmax", offset=offset, nbytes=n_out,
                               units=n_out, per_unit=step.groups.shape[1]))
            offset += n_out
        live = _live_after(step, live)
    program._layout = layout
    return layout


def _live_after(step, live: int) -> int:
    if isinstance(step, Affine):
        return step.M.shape[0]
    if isinstance(step, MaxGroups):
        return step.groups.shape[0]
    return live


def encode_patterns(program: Program, pre: list[np.ndarray], n: int) -> np.ndarray:
    """Pattern bytes `(n, nbytes)` of ``n`` points from their recorded pre-activations (see
    :meth:`Program.forward`), in the layout of :func:`code_layout`."""
    from .modules import pattern_codes

    cutting = [s for s in program.steps if isinstance(s, (Elementwise, MaxGroups))
               and not (isinstance(s, Elementwise) and s.kind == "identity")]
    parts = []
    for step, z in zip(cutting, pre, strict=True):
        codes = pattern_codes(step, z)
        parts.append(codes if isinstance(step, MaxGroups) else np.packbits(codes, axis=1))
    return np.concatenate(parts, axis=1) if parts else np.zeros((n, 0), np.uint8)


_ACT_CODES = {"relu": 1, "leaky": 2, "abs": 3, "hardtanh": 4}
#: nets cut by at most this many units (times breakpoints) are cut in one compiled call, whose
#: matrix products are plain loops; bigger ones use NumPy's (BLAS) products between the cuts
FUSED_MAX_UNITS = 128


def cut_units(program: Program) -> int:
    """Number of hyperplane families (units x breakpoints) the program cuts with."""
    return sum(lay["units"] * (lay["per_unit"] if lay["kind"] == "bits" else 1)
               for lay in code_layout(program))


def _fused_ok(program: Program) -> bool:
    return cut_units(program) <= FUSED_MAX_UNITS and mlp_arrays(program) is not None


def mlp_arrays(program: Program):
    """The arguments of :func:`._kernel.cut_mlp` for a program of Affine steps each followed by
    at most one elementwise step (ReLU, LeakyReLU/PReLU, Abs, Hardtanh, identity); None for any
    other program. Cached on the program."""
    if program._mlp is not None:
        return program._mlp or None
    layout = code_layout(program)
    Ws, bs, dims, kinds, soff, boffs, lohi, slopes = [], [], [program.in_dim], [], [], [], [], []
    steps, i, cut_i, n_slopes = program.steps, 0, 0, 0
    ok = bool(steps)
    while ok and i < len(steps):
        step = steps[i]
        if not isinstance(step, Affine):
            ok = False
            break
        Ws.append(step.M.ravel())
        bs.append(step.c)
        dims.append(step.M.shape[0])
        nxt = steps[i + 1] if i + 1 < len(steps) else None
        kind, lo, hi, off = 0, 0.0, 0.0, 0
        if isinstance(nxt, Elementwise):
            i += 1
            if nxt.kind != "identity":
                kind = _ACT_CODES[nxt.kind]
                off = layout[cut_i]["offset"]
                cut_i += 1
                if nxt.kind == "hardtanh":
                    lo, hi = nxt.lo, nxt.hi
                if nxt.kind == "leaky":
                    slopes.append(np.asarray(nxt.slope, dtype=np.float64))
        elif nxt is not None and not isinstance(nxt, Affine):
            ok = False
            break
        kinds.append(kind)
        soff.append(n_slopes)
        n_slopes += slopes[-1].size if kind == 2 else 0
        boffs.append(off)
        lohi += [lo, hi]
        i += 1
    if not ok:
        program._mlp = ()
        return None
    program._mlp = (np.concatenate(Ws), np.concatenate(bs), np.array(dims, dtype=np.int64),
                    np.array(kinds, dtype=np.int64), np.array(soff, dtype=np.int64),
                    np.array(boffs, dtype=np.int64), np.array(lohi, dtype=np.float64),
                    np.concatenate(slopes) if slopes else np.zeros(1))
    return program._mlp


class Cutter:
    """Runs a program over one rectangle of a plane. ``A`` `(n, 2)`, ``c`` `(n,)` map plane
    coordinates to inputs: ``x = A @ [s, t] + c``."""

    def __init__(self, program: Program, A: np.ndarray, c: np.ndarray, rect, *,
                 max_regions: int | None = None, progress=None):
        self.program = program
        self.layout = code_layout(program)
        n_codes = sum(e["nbytes"] for e in self.layout)
        s0, s1, t0, t1 = rect
        corners = np.array([[s0, t0], [s1, t0], [s1, t1], [s0, t1]], dtype=np.float64)
        self.mesh = Mesh(rect, corners @ A.T + c, n_codes)
        self.max_regions = max_regions
        self.progress = progress
        self.live = program.in_dim

    def run(self) -> Mesh:
        if self.progress is None and _kernel() is not None and _fused_ok(self.program):
            return self._run_fused()
        cut_i = 0
        steps = self.program.steps
        for i, step in enumerate(steps):
            mesh = self.mesh
            if isinstance(step, Affine):
                self._affine(step)
            elif isinstance(step, (Push, Pop)):
                X, self.live, _ = apply_step(step, mesh.vertex_values(), self.live)
                mesh.set_state(X)
            elif isinstance(step, Elementwise):
                if step.kind != "identity":
                    self._elementwise(step, self.layout[cut_i])
                    cut_i += 1
            elif isinstance(step, MaxGroups):
                self._maxgroups(step, self.layout[cut_i])
                cut_i += 1
            if self.progress is not None:
                self.progress(i + 1, len(steps), mesh.nf)
        return self.mesh

    def _run_fused(self) -> Mesh:
        """A small MLP in one compiled call (:func:`._kernel.cut_mlp`)."""
        from ._kernel import cut_mlp

        mesh = self.mesh
        arrays = mlp_arrays(self.program)
        max_faces = -1 if self.max_regions is None else int(self.max_regions)
        (mesh.P, mesh.X, mesh.F, mesh.deg, mesh.codes, mesh.nv, mesh.nf, status) = cut_mlp(
            mesh.P, np.ascontiguousarray(mesh.X), mesh.F, mesh.deg, mesh.codes, mesh.nv, mesh.nf,
            *arrays, TOL_REL, max_faces)
        if status:
            self._check_size()
        self.live = mesh.X.shape[1]
        return mesh

    def _affine(self, step: Affine) -> None:
        mesh, live = self.mesh, self.live
        d_out = step.M.shape[0]
        rest = mesh.X.shape[1] - live
        new = np.empty((mesh.X.shape[0], d_out + rest))
        np.matmul(mesh.X[:mesh.nv, :live], step.M.T, out=new[:mesh.nv, :d_out])
        new[:mesh.nv, :d_out] += step.c
        if rest:
            new[:mesh.nv, d_out:] = mesh.X[:mesh.nv, live:]
        mesh.set_state(new)
        self.live = d_out

    def _check_size(self) -> None:
        if self.max_regions is not None and self.mesh.nf > self.max_regions:
            raise TooLargeError(f"more than max_regions={self.max_regions} regions; stopped "
                                f"(raise --max-regions or shrink the domain)")

    def _tol(self, Z: np.ndarray) -> float:
        scale = float(np.abs(Z).max()) if Z.size else 0.0
        return TOL_REL * max(1.0, scale)

    def _elementwise(self, step: Elementwise, lay: dict) -> None:
        mesh, live = self.mesh, self.live
        kernel = _kernel()
        if kernel is not None:
            if not mesh.X.flags.c_contiguous:
                mesh.X = np.ascontiguousarray(mesh.X)
            max_faces = -1 if self.max_regions is None else int(self.max_regions)
            # tol = TOL_REL * max(1, max |values|), computed by the kernel
            done = kernel(mesh, live, step.breakpoints, -TOL_REL, lay["offset"], max_faces,
                          relu=step.kind == "relu")
            if done is False:
                self._check_size()
            if done is None:
                step.apply_(mesh.X[:mesh.nv, :live])
            return
        tol = self._tol(mesh.X[:mesh.nv, :live])
        nbytes = (live + 7) // 8
        mesh.extra = [None]  # [cross bits of the current breakpoint, activation bits per breakpoint]
        for bi, c in enumerate(step.breakpoints):
            Z = mesh.X[:mesh.nv, :live]
            pos = np.packbits(Z > c + tol, axis=1)
            neg = np.packbits(Z < c - tol, axis=1)
            posf = mesh.face_or(pos)
            cross = posf & mesh.face_or(neg)  # (nf, nbytes): units that may cut the face
            cap = mesh.F.shape[0]
            crossT = np.zeros((nbytes, cap), dtype=np.uint8)
            crossT[:, :mesh.nf] = cross.T
            bitsT = np.zeros((nbytes, cap), dtype=np.uint8)
            bitsT[:, :mesh.nf] = posf.T
            mesh.extra[0] = crossT
            mesh.extra.append(bitsT)
            del pos, neg, cross, posf
            for j in range(live):
                bit = 0x80 >> (j & 7)
                row = mesh.extra[0][j >> 3, :mesh.nf]
                cand = np.flatnonzero(row & np.uint8(bit))
                if cand.size == 0:
                    continue
                mesh.split(j, c, cand, tol, mark=(1 + bi, j >> 3, bit))
                self._check_size()
        bit_rows = [b[:, :mesh.nf].T for b in mesh.extra[1:]]
        mesh.extra = []
        # patterns: unit j is above breakpoint c on a face if a vertex is above c + tol
        if len(bit_rows) == 1:
            packed = np.ascontiguousarray(bit_rows[0])
        else:
            bits = [np.unpackbits(b, axis=1, count=live) for b in bit_rows]
            packed = np.packbits(np.stack(bits, axis=2).reshape(mesh.nf, -1), axis=1)
        mesh.codes[:mesh.nf, lay["offset"]:lay["offset"] + lay["nbytes"]] = packed
        step.apply_(mesh.X[:mesh.nv, :live])

    def _maxgroups(self, step: MaxGroups, lay: dict) -> None:
        """Tournament: a running max per unit, cut where the next piece overtakes it. This may cut
        more than the argmax does (where two losing pieces swap); regions are therefore defined by
        the argmax pattern, and faces with equal patterns are merged when the result is built."""
        mesh, live = self.mesh, self.live
        groups = np.sort(step.groups, axis=1)[:, ::-1]  # valid indices first, -1 padding last
        groups = np.where((step.groups >= 0).all(axis=1, keepdims=True), step.groups, groups)
        n_out, k = groups.shape
        d = mesh.X.shape[1]
        run_cols = d + np.arange(n_out)
        mesh.set_state(np.concatenate([mesh.vertex_values(), mesh.X[:mesh.nv, groups[:, 0]]], axis=1))
        tol = self._tol(mesh.X[:mesh.nv, :live])
        for a in range(1, k):
            units = np.flatnonzero(groups[:, a] >= 0)
            if units.size == 0:
                continue
            pieces, runs = groups[units, a], run_cols[units]
            # faces where piece a may overtake the running max, for every unit at once
            H = mesh.X[:mesh.nv, pieces] - mesh.X[:mesh.nv, runs]
            cross = mesh.face_or(np.packbits(H > tol, axis=1)) & mesh.face_or(np.packbits(H < -tol, axis=1))
            del H
            crossT = np.zeros((cross.shape[1], mesh.F.shape[0]), dtype=np.uint8)
            crossT[:, :mesh.nf] = cross.T
            mesh.extra = [crossT]
            del cross
            for i, (p, r) in enumerate(zip(pieces, runs, strict=True)):
                cand = np.flatnonzero(mesh.extra[0][i >> 3, :mesh.nf] & np.uint8(0x80 >> (i & 7)))
                if cand.size:
                    mesh.split(int(p), 0.0, cand, tol, minus=int(r))
                    self._check_size()
            mesh.extra = []
            X = mesh.X
            X[:mesh.nv, runs] = np.maximum(X[:mesh.nv, runs], X[:mesh.nv, pieces])
        from .modules import group_values

        mid = mesh.face_mean(live)
        mesh.codes[:mesh.nf, lay["offset"]:lay["offset"] + lay["nbytes"]] = \
            group_values(mid, step.groups).argmax(axis=2).astype(np.uint8)
        X = mesh.vertex_values()
        mesh.set_state(np.concatenate([X[:, run_cols], X[:, live:d]], axis=1))
        self.live = n_out
