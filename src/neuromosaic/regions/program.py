"""A compiled network: the flat program of affine and piecewise-linear steps the region engine runs.

A program is a list of steps acting on a state matrix ``X`` of shape `(num_points, d)` (one row per
mesh vertex). The first ``live`` columns are the current activations; the columns after them are
copies saved by :class:`~neuromosaic.layers.Residual` blocks (a stack), carried along untouched.

Steps:
    ``Affine(M, c)``: ``live`` columns ``h`` become ``M @ h + c`` (Linear, Conv, AvgPool,
        BatchNorm in eval mode, Flatten/Unflatten).
    ``Elementwise(kind, ...)``: a piecewise-linear scalar function applied to every live unit; it
        cuts the plane where a unit crosses one of ``breakpoints`` (ReLU family: 0; Hardtanh: its
        two limits; Abs: 0).
    ``MaxGroups(groups)``: ``out[j] = max(h[groups[j]])`` (MaxPool windows, Maxout pieces); it cuts
        where the argmax changes.
    ``Push`` / ``Pop``: the start and the end of a residual block (save ``h``; add it back).
    ``Hide(k)`` / ``Show(k)``: move the last ``k`` live columns under the stack's top and back, so
        an activation or a max acts on some of the values while the others pass it unchanged
        (the layout of ``X`` is ``[live | stack]``: only ``live`` changes, no data moves).

A region's activation pattern is a row of bytes; :meth:`Program.layout` says where each cutting
step's part lives in it. Compiling a ``torch.nn.Module`` into a program: :mod:`.compile`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Affine:
    M: np.ndarray  # (d_out, d_in)
    c: np.ndarray  # (d_out,)
    name: str = "Linear"


@dataclass
class Elementwise:
    kind: str  # relu | leaky | abs | hardtanh | identity
    breakpoints: tuple[float, ...]
    slope: np.ndarray | None = None  # (live,) negative-side slope for leaky/prelu
    lo: float = -1.0
    hi: float = 1.0
    name: str = "ReLU"

    def apply(self, z: np.ndarray) -> np.ndarray:
        """The activation on values `(n, live)`."""
        if self.kind == "relu":
            return np.maximum(z, 0.0)
        if self.kind == "leaky":
            return np.where(z > 0, z, z * self.slope)
        if self.kind == "abs":
            return np.abs(z)
        if self.kind == "hardtanh":
            return np.clip(z, self.lo, self.hi)
        return z

    def apply_(self, z: np.ndarray) -> None:
        """The activation in place on a view `(n, live)`."""
        if self.kind == "relu":
            np.maximum(z, 0.0, out=z)
        elif self.kind == "abs":
            np.abs(z, out=z)
        elif self.kind == "hardtanh":
            np.clip(z, self.lo, self.hi, out=z)
        elif self.kind == "leaky":
            z[...] = np.where(z > 0, z, z * self.slope)


@dataclass
class MaxGroups:
    groups: np.ndarray  # (n_out, k) indices into the live columns; -1 marks padding
    name: str = "MaxPool"


@dataclass
class Push:
    name: str = "Residual"


@dataclass
class Pop:
    name: str = "Residual"


@dataclass
class Hide:
    """The last ``count`` live columns go under the stack's top: the next steps see ``live -
    count`` units (a traced net carries values past an activation this way)."""

    count: int
    name: str = "carry"


@dataclass
class Show:
    """The ``count`` columns under the stack's top come back as the last live columns."""

    count: int
    name: str = "carry"


@dataclass
class Program:
    """A compiled network: ``steps`` from ``in_dim`` inputs to ``out_dim`` outputs."""

    steps: list = field(default_factory=list)
    in_dim: int = 0
    out_dim: int = 0
    _layout: list | None = field(default=None, repr=False, compare=False)
    #: the torch callable the program equals (the checks compare the two), and the name of a
    #: last monotone activation it leaves out (Sigmoid…): the program is its pre-activation
    reference: object = field(default=None, repr=False, compare=False)
    output_activation: str | None = None
    input_shape: tuple | None = None  # the per-sample shape the reference takes

    @property
    def cutting_steps(self) -> list[int]:
        """Indices of the steps that cut the plane (elementwise steps other than identity, max steps)."""
        return [i for i, s in enumerate(self.steps) if is_cutting(s)]

    def layout(self) -> list[dict]:
        """Where each cutting step's pattern lives in a region's pattern bytes.

        Returns one dict per cutting step: ``step`` (its index in the program), ``name``, ``kind``
        (``bits``: one bit per unit and breakpoint, ``z > c``, packed MSB first with
        ``numpy.packbits``, unit-major; ``argmax``: one byte per max unit), ``offset``, ``nbytes``,
        ``units``, ``per_unit`` (breakpoints per unit, or pieces per max unit).
        """
        if self._layout is not None:
            return self._layout
        layout, offset, live = [], 0, self.in_dim
        for i, step in enumerate(self.steps):
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
            live = live_after(step, live)
        self._layout = layout
        return layout

    @property
    def pattern_bytes(self) -> int:
        """Bytes of one region's activation pattern."""
        return sum(lay["nbytes"] for lay in self.layout())

    @property
    def cut_units(self) -> int:
        """Number of hyperplane families (units × breakpoints, or max units) the program cuts with."""
        return sum(lay["units"] * (lay["per_unit"] if lay["kind"] == "bits" else 1)
                   for lay in self.layout())

    @property
    def hidden_widths(self) -> list[int]:
        """The number of units of every cutting step (a network's hidden widths)."""
        return [lay["units"] for lay in self.layout()]

    def state_width(self) -> int:
        """The widest vertex state the program needs (live units + residual stack + a max step's
        running maxima): the columns of ``X`` in the mesh."""
        live, widest, stack = self.in_dim, self.in_dim, 0
        for step in self.steps:
            if isinstance(step, Push):
                stack += live
            elif isinstance(step, Pop):
                stack -= live
            elif isinstance(step, Hide):
                stack += step.count
            elif isinstance(step, Show):
                stack -= step.count
            live = live_after(step, live)
            extra = step.groups.shape[0] if isinstance(step, MaxGroups) else 0
            widest = max(widest, live + stack + extra)
        return widest

    def encode_patterns(self, pre: list[np.ndarray], n: int) -> np.ndarray:
        """Pattern bytes `(n, pattern_bytes)` of ``n`` points from their recorded pre-activations
        (see :meth:`forward`), in the layout of :meth:`layout`."""
        cutting = [s for s in self.steps if is_cutting(s)]
        parts = []
        for step, z in zip(cutting, pre, strict=True):
            codes = pattern_codes(step, z)
            parts.append(codes if isinstance(step, MaxGroups) else np.packbits(codes, axis=1))
        return np.concatenate(parts, axis=1) if parts else np.zeros((n, 0), np.uint8)

    def forward(self, x: np.ndarray, *, record: bool = False):
        """Evaluate on points `(n, in_dim)` in float64. With ``record``, also return the list of
        pre-activation values `(n, live)` of every cutting step (to read activation patterns)."""
        X = np.asarray(x, dtype=np.float64)
        live = X.shape[1]
        pre = []
        for step in self.steps:
            X, live, z = apply_step(step, X, live)
            if z is not None:
                pre.append(z)
        out = X[:, :live]
        return (out, pre) if record else out


def apply_step(step, X: np.ndarray, live: int):
    """Apply one step to state `(n, d)`; returns ``(X, live, pre)`` with ``pre`` the values a
    cutting step looked at (else None)."""
    if isinstance(step, Affine):
        h = X[:, :live] @ step.M.T + step.c
        return np.concatenate([h, X[:, live:]], axis=1), step.M.shape[0], None
    if isinstance(step, Elementwise):
        z = X[:, :live]
        if step.kind == "identity":
            return X, live, None
        X = X.copy()
        X[:, :live] = step.apply(z)
        return X, live, z.copy()
    if isinstance(step, MaxGroups):
        z = X[:, :live]
        vals = group_values(z, step.groups)
        h = vals.max(axis=2)
        return np.concatenate([h, X[:, live:]], axis=1), step.groups.shape[0], z.copy()
    if isinstance(step, Push):
        return np.concatenate([X[:, :live], X], axis=1), live, None
    if isinstance(step, Pop):
        h = X[:, :live] + X[:, live:2 * live]
        return np.concatenate([h, X[:, 2 * live:]], axis=1), live, None
    if isinstance(step, Hide):
        return X, live - step.count, None
    if isinstance(step, Show):
        return X, live + step.count, None
    raise TypeError(step)


def group_values(z: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """`(n, n_out, k)` values of each group; padding (-1) is -inf."""
    vals = z[:, np.maximum(groups, 0)]
    return np.where(groups[None] >= 0, vals, -np.inf)


def pattern_codes(step, z: np.ndarray) -> np.ndarray:
    """Activation pattern of a cutting step at points whose pre-activations are `(n, live)`:
    `(n, m)` small ints: for Elementwise, for every unit and breakpoint ``c``: ``z > c``; for
    MaxGroups, the argmax inside every group."""
    if isinstance(step, MaxGroups):
        return group_values(z, step.groups).argmax(axis=2).astype(np.uint8)
    cols = [(z > c) for c in step.breakpoints]
    return np.stack(cols, axis=2).reshape(z.shape[0], -1).astype(np.uint8)


def is_cutting(step) -> bool:
    """Whether ``step`` cuts the plane (a max step, or an elementwise step other than identity)."""
    return isinstance(step, MaxGroups) or (isinstance(step, Elementwise) and step.kind != "identity")


def live_after(step, live: int) -> int:
    """The number of live units after ``step`` when ``live`` went in."""
    if isinstance(step, Affine):
        return step.M.shape[0]
    if isinstance(step, MaxGroups):
        return step.groups.shape[0]
    if isinstance(step, Hide):
        return live - step.count
    if isinstance(step, Show):
        return live + step.count
    return live
