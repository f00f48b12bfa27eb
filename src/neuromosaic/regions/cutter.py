"""Cut one rectangle of a plane by every piecewise-linear step of a program.

Per cutting step (a layer's activation) the mesh vertices carry the step's pre-activations. Each
hyperplane (a unit crossing a breakpoint, or two pieces of a max swapping) is a function that is
affine on every current face, so the mesh is split by it where its vertex values change sign.
Only faces that the hyperplane can cross are tested: at the start of the step the faces where a
unit has vertices of both signs are marked in a bit set, and a face's children inherit its marks.
After the step the activation is applied to the vertex values (the network is continuous, so
vertex values stay exact), and each face records its activation pattern.

Backends (the ``backend`` keyword of :func:`~neuromosaic.regions.partition.linear_regions`):

- ``"numba"`` (default): each elementwise step (ReLU family, Hardtanh, Abs) is cut by the compiled
  kernel of :mod:`.kernel` (a few calls per breakpoint); the affine steps between are NumPy (BLAS)
  products.
- ``"numpy"``: every hyperplane is cut by :meth:`.mesh.Mesh.split` (one NumPy call per unit): the
  slow, simple reference the tests compare the kernel with.

Max steps (MaxPool, Maxout) are cut by :meth:`.mesh.Mesh.split` in both. Both backends give the
same partition (tested), and both call ``progress`` after every step.

Tolerances: a vertex value ``v`` of a cut counts as zero (the vertex lies on the hyperplane, no new
vertex) when ``|v| <= CUT_EPS * eps * scale``, the scale being the size of the terms the step's
values are sums of (see :mod:`.scales`); float64 interpolation errors are a few ``eps`` of it per
layer. The cut runs in coordinates normalised to the rectangle (see :mod:`.frame`), so the
tolerance means the same on every domain; features of the partition thinner than it (in value)
are merged into a neighbour.
"""

from __future__ import annotations

import importlib

import numpy as np

from ..errors import SpecError, TooLargeError, field_error
from .mesh import Mesh
from .program import (
    Affine,
    Elementwise,
    Hide,
    MaxGroups,
    Pop,
    Program,
    Push,
    Show,
    apply_step,
    group_values,
)
from .scales import Scale, column_max

#: the zero tolerance of the 1-D segments (:mod:`.segment`), relative to ``max(1, max |values|)``
TOL_REL = 1e-10
BACKENDS = ("auto", "numba", "numpy")
#: ``backend="auto"`` cuts programs of at most this many units on the NumPy path: they take a few
#: milliseconds there, less than loading the compiled kernel costs a fresh process (Numba's import
#: and type registries, ~0.7 s); bigger ones load the kernel (once per process). The rule depends
#: on the program only, so a net gets the same partition, in the same order, from every caller.
AUTO_NUMPY_UNITS = 32

_KERNEL: dict = {}  # "module": the loaded kernel module


def load_kernel():
    """The compiled kernel module :mod:`.kernel` (importing it loads the compiled functions from
    Numba's disk cache, ~0.3 s; the first time on a machine it compiles them, a few seconds).
    Raises ``SpecError`` naming the fix when Numba cannot be imported."""
    if "module" not in _KERNEL:
        try:
            kernel = importlib.import_module(".kernel", __package__)
        except ImportError as exc:
            raise SpecError(f"backend 'numba' needs Numba ({exc}); install numba or pass "
                            "backend='numpy'") from None
        _KERNEL["module"] = kernel
    return _KERNEL["module"]


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise SpecError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    return backend


def resolve_backend(backend: str, program: Program) -> str:
    """``"numba"`` or ``"numpy"`` for ``program`` (``"auto"``: see ``AUTO_NUMPY_UNITS``)."""
    if check_backend(backend) != "auto":
        return backend
    return "numpy" if program.cut_units <= AUTO_NUMPY_UNITS else "numba"


_ACT_CODES = {"relu": 1, "leaky": 2, "abs": 3, "hardtanh": 4}  # kernel.ACT_*
MAX_INITIAL_CAPACITY = 1 << 16


def initial_capacity(program: Program) -> int:
    """Faces (and vertices) to make room for at the start: about what ``n`` lines in general
    position make in a plane, ``1 + n + n(n-1)/2`` (Zaslavsky), twice over, for the ``n``
    hyperplane families of the program; the mesh grows past it when needed. Room made up front
    saves the small cuts the interruptions to grow (a few per layer otherwise)."""
    n = program.cut_units
    return int(min(MAX_INITIAL_CAPACITY, max(256, 2 * (1 + n + n * (n - 1) // 2))))


class Cutter:
    """Runs a program over one rectangle of a plane. ``A`` `(n, 2)`, ``c`` `(n,)` map plane
    coordinates to inputs: ``x = A @ [s, t] + c``.

    Arguments:
        backend: ``"numba"`` or ``"numpy"`` (see the module docstring).
        max_regions: stop with :class:`~neuromosaic.errors.TooLargeError` past this many faces.
        progress: ``progress(done_steps, total_steps, faces)`` after every step.
    """

    def __init__(self, program: Program, A: np.ndarray, c: np.ndarray, rect, *,
                 backend: str = "numba", max_regions: int | None = None, progress=None):
        self.program = program
        self.layout = program.layout()
        s0, s1, t0, t1 = rect
        corners = np.array([[s0, t0], [s1, t0], [s1, t1], [s0, t1]], dtype=np.float64)
        self.mesh = Mesh(rect, corners @ A.T + c, program.pattern_bytes,
                         capacity=initial_capacity(program))
        self.kernel = load_kernel() if check_backend(backend) == "numba" else None
        self.max_regions = max_regions
        self.progress = progress
        self.live = program.in_dim
        # max |live value| per column when known without a pass over the vertices (the corners;
        # later the kernel's activation finds it in its own pass); None: compute it
        self.hmax: np.ndarray | None = np.abs(self.mesh.X[:4]).max(axis=0)
        self.scale = Scale(float(self.hmax.max()))

    def run(self) -> Mesh:
        cut_i = 0
        steps = self.program.steps
        for i, step in enumerate(steps):
            mesh = self.mesh
            if isinstance(step, Affine):
                hmax = self.hmax
                if hmax is None:
                    hmax = column_max(mesh.X[:mesh.nv, :self.live])
                self.scale.step(step, hmax)
                self._affine(step)
            elif isinstance(step, (Push, Pop, Hide, Show)):
                self.scale.step(step)
                X, self.live, _ = apply_step(step, mesh.vertex_values(), self.live)
                mesh.set_state(X)
            elif isinstance(step, Elementwise):
                if step.kind != "identity":
                    if self.kernel is not None:
                        self._elementwise_kernel(step, self.layout[cut_i])
                    else:
                        self._elementwise_numpy(step, self.layout[cut_i])
                    cut_i += 1
            elif isinstance(step, MaxGroups):
                self._maxgroups(step, self.layout[cut_i])
                cut_i += 1
            if not isinstance(step, Elementwise) or (step.kind != "identity"
                                                     and self.kernel is None):
                self.hmax = None  # the live values changed without the kernel's activation pass
            if self.progress is not None:
                self.progress(i + 1, len(steps), mesh.nf)
        return self.mesh

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
            raise field_error(TooLargeError, "max_regions", f"more than {self.max_regions:,} "
                              "regions; stopped: raise the limit or shrink the domain")

    def _elementwise_kernel(self, step: Elementwise, lay: dict) -> None:
        """Cut by every unit at every breakpoint with the compiled kernel, then activate."""
        k, mesh, live = self.kernel, self.mesh, self.live
        if not mesh.X.flags.c_contiguous:
            mesh.X = np.ascontiguousarray(mesh.X)
        max_faces = -1 if self.max_regions is None else int(self.max_regions)
        levels = np.asarray(step.breakpoints, dtype=np.float64)
        L = levels.size
        tol = self.scale.tolerance()
        for bi in range(L):
            c, nf0 = float(levels[bi]), mesh.nf
            status, r, top, mesh.nv, mesh.nf, hcount, tol, cross, stack_f, stack_u, keys, vals = \
                k.cut_level(mesh.P, mesh.X, mesh.F, mesh.deg, mesh.codes, mesh.nv, mesh.nf, live, c,
                            tol, bi, L, lay["offset"], max_faces)
            while status != k.DONE:  # grow what is short (NumPy allocations), then go on
                if status == k.TOO_MANY:
                    self._check_size()
                if status == k.WIDER:
                    mesh.grow_faces(0, mesh.F.shape[1] + 4)
                elif status == k.MORE_FACES:
                    mesh.grow_faces(max(16, mesh.nf // 2), mesh.F.shape[1])
                elif status == k.MORE_VERTICES:
                    mesh.grow_vertices(max(64, mesh.nv // 2))
                elif status == k.MORE_KEYS:
                    keys, vals = k.rehash(keys, vals, 2 * keys.size)
                status, r, top, mesh.nv, mesh.nf, hcount = k.cut_faces(
                    mesh.P, mesh.X, mesh.F, mesh.deg, mesh.codes, mesh.nv, mesh.nf, live, c, tol, bi,
                    L, lay["offset"], max_faces, cross, nf0, r, stack_f, stack_u, top, keys, vals, hcount)
        slopes = (np.ascontiguousarray(step.slope[:live], dtype=np.float64) if step.kind == "leaky"
                  else np.zeros(1))
        self.hmax = np.empty(live)
        k.activate(mesh.X, mesh.nv, live, _ACT_CODES[step.kind], levels, slopes, self.hmax)

    def _elementwise_numpy(self, step: Elementwise, lay: dict) -> None:
        mesh, live = self.mesh, self.live
        tol = self.scale.tolerance()
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
        tol = self.scale.tolerance()
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
        mid = mesh.face_mean(live)
        mesh.codes[:mesh.nf, lay["offset"]:lay["offset"] + lay["nbytes"]] = \
            group_values(mid, step.groups).argmax(axis=2).astype(np.uint8)
        X = mesh.vertex_values()
        mesh.set_state(np.concatenate([X[:, run_cols], X[:, live:d]], axis=1))
        self.live = n_out
