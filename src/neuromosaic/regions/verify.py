"""Verify mode: a proof that a partition is exactly the network's, decided in floating point with
rigorous error bounds, and in exact rationals where those cannot decide.

What is proved, for the network as compiled (its float weights, plane and rectangle read as the
exact rationals they are; see :func:`check_supported` for what is refused), in the cut's
coordinates ``q`` in [-1, 1]² (an exact affine image of the user's rectangle):

1. **Every region is real.** For a region's pattern ``p`` every unit's pre-activation is an exact
   affine map of ``q``; the pattern says on which side of each breakpoint it lies (a max unit: which
   piece is largest). The region ``R_p`` is the square cut by these half-planes. Its polygon is
   *certified*: each vertex lies in a box around a float64 point (the two exact lines through it,
   with bounded coefficients, solved with a bounded residual), every other constraint holds
   strictly on that box, and the polygon turns strictly left at every vertex. Then the polygon is
   exactly ``R_p``, its edges are exactly the listed constraints, and its area is enclosed.
2. **No region is missing.** Across the open edge of ``R_p`` that lies on unit ``u``'s line, only
   ``u`` is zero (the others are strict at both ends, so on the whole edge): the pattern just
   across is ``p`` with ``u`` flipped (a max unit: the other piece), and it must be one of the
   partition's patterns. If the union of the regions missed part of the square, its boundary
   would contain an edge across which no region lies: so the regions cover the square. A unit
   identically zero on the region (dead, or a max pool's tie) is zero on the edge too, and so is
   its map across: its sign across is read from that map's derivative outwards, with bounds
   (:func:`_across`); a constraint known to repeat another's line (a max unit against a piece
   exactly 0 repeats the winner's ReLU) counts as that line.
3. **None is repeated, and none overlaps another**: the patterns are distinct, and two regions of
   distinct patterns are disjoint. With 2, the exact areas sum to the square's, exactly.
4. **Every region's affine map is the one its pattern implies**: the float64 chain of maps carries
   its own error bound; the reported maps must lie within ``MAP_RTOL`` of it.

The float64 chain: each layer's maps for a block of regions are one matrix product, and a second
one, with ``|M|``, bounds their distance from the exact maps (Higham's ``gamma_n`` for the
rounding of a dot product in any order, plus the bound carried in). The decisions per region run
in a compiled kernel (:mod:`.verify_kernel`). A region the floats cannot decide (a vertex where
three lines meet, near-parallel edges: a degenerate net) is re-derived in exact rationals: its
maps in Python integers (every float is a dyadic rational), the square clipped by its half-planes
in homogeneous integer coordinates, the pattern across each edge read with a lexicographic sign
(the value at the edge's midpoint, then the derivative outwards). The report counts both.

Also checked, with no arithmetic: the cut mesh of every tile is a planar subdivision of its tile
(``V - E + F = 1``; every interior edge in exactly two faces, once each way; every boundary edge in
one face, on the tile's boundary), and the tiles cover the square.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

import numpy as np

from ..errors import SpecError
from .frame import dyadic as _to_ints  # arr = ints · 2**−e, exactly
from .program import Affine, Elementwise, Hide, MaxGroups, Pop, Push, Show

U = 2.0 ** -53
TINY = 2.0 ** -1074
#: reported affine maps must be within this (relative to the largest map coefficient) of the exact
#: (as Regions.check's output tolerance)
MAP_RTOL = 1e-7
#: reported areas must be within this fraction of the domain's area of the exact ones
AREA_RTOL = 1e-9
#: bytes of constraint and state arrays one block of regions may take
BLOCK_BYTES = 192 << 20
#: failures listed in a report (the counts are complete)
MAX_LISTED = 10


def _gamma(n: int) -> float:
    return n * U / (1 - n * U)


@dataclass
class VerifyReport:
    """What :func:`verify` proved (``ok``) or found.

    Attributes:
        ok: the partition is proved exact (every item of the module docstring holds).
        count: regions in the partition.
        certified: regions decided in float64 with error bounds.
        fell_back: regions re-derived in exact rationals (the floats could not decide them).
        decisions: sign decisions made (constraints times vertices, plus the neighbour lookups);
            ``exact_decisions``: how many of them were made in exact rationals.
        infeasible: patterns whose half-planes leave no area.
        missing: edges across which the pattern is not in the partition (regions it lacks).
        repeated: patterns that occur more than once.
        area_sum, domain_area: the exact areas' sum (proved equal to the rectangle's when ``ok``;
            else the sum of the certified parts) and the rectangle's, as ``Fraction``.
        area_bounds: ``(lo, hi)`` the sum of the regions' area enclosures (plane units).
        smallest_area: the smallest region's area (a lower bound, plane units).
        max_area_error: a bound on the distance between a reported area and its exact value.
        map_error: a bound on the distance of a reported map coefficient from the exact one,
            relative to the largest coefficient. (A reported area or map fails the proof when it
            lies outside its exact value's enclosure by more than ``AREA_RTOL`` of the domain's
            area, or ``MAP_RTOL``.)
        mesh: the combinatorial checks of the cut mesh (counts and failures).
        failures: the first few failures, one line each.
        seconds: how long the verification took.
    """

    ok: bool
    count: int
    certified: int = 0
    fell_back: int = 0
    decisions: int = 0
    exact_decisions: int = 0
    infeasible: int = 0
    missing: int = 0
    repeated: int = 0
    area_sum: Fraction = Fraction(0)
    domain_area: Fraction = Fraction(0)
    area_bounds: tuple[float, float] = (0.0, 0.0)
    smallest_area: float = 0.0
    max_area_error: float = 0.0
    map_error: float = 0.0
    mesh: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """One line: the verdict and the figures."""
        head = "ok: proved exact" if self.ok else "FAILED"
        s = (f"verify: {head}; {self.count:,} regions, {self.certified:,} certified in float64 "
             f"with error bounds, {self.fell_back:,} in exact rationals ({self.exact_decisions:,} "
             f"of {self.decisions:,} decisions); areas sum to the domain's "
             f"{float(self.domain_area):.6g}" + (" exactly" if self.ok else f" (got {float(self.area_sum):.6g})")
             + f"; maps within {self.map_error:.1e}")
        if not self.ok and self.failures:
            s += "; first failure: " + self.failures[0]
        return s


ExactReport = VerifyReport  # the name before verify was certified in floats (kept for a release)


# -- what can be proved ---------------------------------------------------------------------------
_EXACT_AFFINE = ("Linear", "Conv1d", "Conv2d", "Flatten", "Unflatten", "output", "carry", "clamp", "Identity")


def check_supported(program) -> None:
    """Refuse, naming the module, what verify cannot prove: an affine map the compiler folded
    with rounding (BatchNorm in eval mode; an average pool of a size that is not a power of two)
    is not the user's net as given. Activations are piecewise linear with rational slopes by
    construction of the program (ReLU, LeakyReLU/PReLU, Hardtanh/ReLU6, Abs, MaxPool, Maxout)."""
    for step in program.steps:
        if isinstance(step, Affine):
            name = step.name
            if name.startswith("BatchNorm"):
                raise SpecError(f"verify cannot prove a net with {name}: its eval map (x - mean) / "
                                "sqrt(var + eps) * w + b is not exact in float64; fold it into the "
                                "Linear or Conv before it and verify the folded net")
            if name.startswith("AvgPool") or name.startswith("AdaptiveAvgPool"):
                nz = np.abs(step.M[step.M != 0])
                if nz.size and not np.all(np.frexp(nz)[0] == 0.5):
                    raise SpecError(f"verify cannot prove a net with {name} of this size: 1/k is "
                                    "not exact in float64 unless k is a power of two")
        elif isinstance(step, Elementwise):
            if step.kind not in ("relu", "leaky", "abs", "hardtanh", "identity"):
                raise SpecError(f"verify cannot prove a net with {step.name} ({step.kind})")
        elif not isinstance(step, (MaxGroups, Push, Pop, Hide, Show)):
            raise SpecError(f"verify cannot prove a net with {getattr(step, 'name', type(step).__name__)}")


# -- the constraints' layout ----------------------------------------------------------------------
class _Layout:
    """Constraint ``n`` of a region, for every cutting step in order: a bits step gives one per unit
    and breakpoint (unit-major, as the pattern bits), a max step one per unit and piece (the winner
    minus that piece; the winner itself and padding are constant ``1``). ``flip(rows, n)`` gives the
    pattern across constraint ``n``'s line."""

    def __init__(self, program):
        self.steps = program.layout()
        byte, mask, setv = [], [], []
        for lay in self.steps:
            if lay["kind"] == "bits":
                i = np.arange(lay["units"] * lay["per_unit"])
                byte.append(lay["offset"] + i // 8)
                mask.append((0x80 >> (i % 8)).astype(np.uint8))
                setv.append(np.full(i.size, -1))
            else:
                g = np.repeat(np.arange(lay["units"]), lay["per_unit"])
                byte.append(lay["offset"] + g)
                mask.append(np.zeros(g.size, np.uint8))
                setv.append(np.tile(np.arange(lay["per_unit"]), lay["units"]))
        self.byte = np.concatenate(byte) if byte else np.zeros(0, np.int64)
        self.mask = np.concatenate(mask) if mask else np.zeros(0, np.uint8)
        self.setv = np.concatenate(setv) if setv else np.zeros(0, np.int64)
        self.N = int(self.byte.size)

    def flip(self, rows: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Patterns `rows` with constraint ``n[i]`` crossed in row ``i``."""
        out = rows.copy()
        idx = np.arange(len(n))
        b = self.byte[n]
        is_max = self.setv[n] >= 0
        out[idx, b] = np.where(is_max, self.setv[n].astype(np.uint8), out[idx, b] ^ self.mask[n])
        return out

    def codes(self, rows: np.ndarray) -> list[np.ndarray]:
        """Per cutting step: bits `(n, units, per_unit)` bool, or argmax `(n, units)` int."""
        out = []
        for lay in self.steps:
            chunk = rows[:, lay["offset"]:lay["offset"] + lay["nbytes"]]
            if lay["kind"] == "bits":
                bits = np.unpackbits(chunk, axis=1, count=lay["units"] * lay["per_unit"]).astype(bool)
                out.append(bits.reshape(len(rows), lay["units"], lay["per_unit"]))
            else:
                out.append(chunk.astype(np.int64))
        return out

    def encode(self, codes: list) -> np.ndarray:
        """Pattern bytes of one region from per-step codes (the inverse of :meth:`codes`)."""
        parts = []
        for lay, c in zip(self.steps, codes, strict=True):
            if lay["kind"] == "bits":
                parts.append(np.packbits(np.asarray(c, dtype=np.uint8).reshape(-1)))
            else:
                parts.append(np.asarray(c, dtype=np.uint8).reshape(-1))
        return np.concatenate(parts) if parts else np.zeros(0, np.uint8)


# -- the exact first layer ------------------------------------------------------------------------
class _Context:
    """The program and its exact start: the input map of the normalised plane, folded into the
    first affine step in exact integers (``Z1 = ints * 2**-e1``; float64 with a half-ulp bound)."""

    def __init__(self, regions, prove: bool = True):
        program = regions.program
        if prove:
            check_supported(program)
        self.program, self.layout = program, _Layout(program)
        self.out_dim = program.out_dim
        steps = program.steps
        self.start = 1 if steps and isinstance(steps[0], Affine) else 0
        if not prove:  # maps only: the cut's own start (folded as exactly as the cut needed)
            cut = regions.cut
            if cut.folded:
                first = cut.program.steps[0]
                self.V1 = np.concatenate([first.M, first.c[:, None]], axis=1)
            else:
                A, c = cut.A, cut.c
                V = np.concatenate([A, c[:, None]], axis=1)
                self.V1 = (steps[0].M @ V) if self.start else V
                if self.start:
                    self.V1[:, 2] += steps[0].c
            self.R1 = np.zeros_like(self.V1)
            self.live1 = self.V1.shape[0]
            self.exact_steps = {}
            return
        cols = regions.frame.input_map(regions.plane)
        den = max((x.denominator for col in cols for x in col), default=1)
        eG = den.bit_length() - 1
        G = np.array([[x.numerator * (den // x.denominator) for x in col] for col in cols],
                     dtype=object).T  # (in_dim, 3), exponent eG
        if self.start:
            Mi, eM = _to_ints(steps[0].M)
            bi, eb = _to_ints(steps[0].c)
            Z = Mi.dot(G)
            E = max(eM + eG, eb)
            Z = Z * (1 << (E - eM - eG))
            Z[:, 2] = Z[:, 2] + bi * (1 << (E - eb))
            self.Z1, self.e1 = Z, E
        else:
            self.Z1, self.e1 = G, eG
        self.live1 = self.Z1.shape[0]
        from .frame import _to_float

        V = _to_float(self.Z1, self.e1)
        R = 0.5 * np.spacing(np.abs(V))
        R[self.Z1 == 0] = 0.0
        self.V1, self.R1 = V, R
        self.exact_steps: dict[int, tuple] = {}

    def ints(self, i: int):
        """Step ``i``'s exact integers (cached): Affine ``(M, eM, c, ec)``; leaky ``(slope, e)``;
        breakpoints and hardtanh limits ``(list of (int, e))``."""
        if i not in self.exact_steps:
            s = self.program.steps[i]
            if isinstance(s, Affine):
                self.exact_steps[i] = (*_to_ints(s.M), *_to_ints(s.c))
            elif isinstance(s, Elementwise):
                slope = _to_ints(s.slope) if s.slope is not None else None
                bps = [float(c).as_integer_ratio() for c in s.breakpoints]
                self.exact_steps[i] = (slope, bps)
        return self.exact_steps[i]


# -- the float64 chain with error bounds ----------------------------------------------------------
def _pattern_order(rows: np.ndarray) -> np.ndarray:
    """An order of the rows in which those sharing a pattern prefix are consecutive (sorted by
    their first 32 bytes: the first layers, where sharing pays), so :func:`_float_chain` shares
    their maps."""
    lead = rows[:, :min(rows.shape[1], 32)]
    return np.lexsort(lead.T[::-1]) if lead.shape[1] and len(rows) else np.arange(len(rows))


def _runs(rows: np.ndarray, end: int) -> np.ndarray:
    """Group index of every row: consecutive rows with equal bytes ``[:end]`` share a group (rows
    sorted by pattern share most)."""
    if len(rows) == 0:
        return np.zeros(0, np.int64)
    starts = np.ones(len(rows), bool)
    starts[1:] = (rows[1:, :end] != rows[:-1, :end]).any(axis=1)
    return np.cumsum(starts) - 1


def _float_chain(ctx: _Context, rows: np.ndarray, bounds: bool = True, decide=None):
    """The constraints, shared per pattern prefix: ``(Pv, Pr, gidx, noff, cnt)`` as
    :func:`.verify_kernel.certify_regions` reads them; the output maps `(Rc, 3, out)` and their
    bounds; and a mask of regions whose pattern asks for ``z > c`` of a unit identically ``c``
    (infeasible).

    The state of a group of regions is `(G, 3, d)`: for every unit, its map's coefficients of
    ``q_s``, ``q_t`` and 1, so an affine step is one product ``(G * 3, d_in) @ M.T``. The maps are
    computed once per pattern prefix: regions with equal patterns up to a cutting step share
    everything before it (consecutive rows; sort the rows by pattern to share most). Without
    ``bounds``, only the maps (the bounds are zeros, and there are no constraints).

    The fourth item is a dict: ``infeasible`` `(Rc,)` (the pattern asks ``z > c`` of a unit
    identically ``c``, or a tie for a later piece), ``zero`` `(Rc,)` (some constraint is
    identically zero: a dead unit, an exact tie) and ``zmask(idx)`` (which constraints, `(k, N)`).
    ``decide(ci, z, rz, grp, codes)``: called at every cutting step ``ci`` before its bits are
    used, with the step's input maps per group; it may rewrite ``codes[ci]`` and ``rows`` in place
    (the pattern across an edge, :func:`_across`)."""
    Rc = len(rows)
    lay = ctx.layout
    codes = lay.codes(rows)
    pools_v, pools_r, gcols, pools_d = [], [], [], []
    grp = np.zeros(Rc, np.int64)  # each region's group: the prefix so far
    X, Rr = ctx.V1.T[None].copy(), ctx.R1.T[None].copy()
    live = ctx.live1
    # src[g, u]: a constraint whose exact map is unit u's current map (a ReLU's output when on is
    # its input), else -1: a max unit against a piece exactly 0 then has the same line as it
    src = np.full((1, live), -1, np.int64)
    coff = 0  # the first constraint index of the current cutting step
    infeasible = np.zeros(Rc, bool)
    has_zero = np.zeros(Rc, bool)  # a constraint identically zero: it may change across an edge
    zmasks: list = []
    # units identically 0 everywhere (a zero row and bias): they never cross, on either side
    gzero = ~ctx.V1.any(axis=1) & ~ctx.R1.any(axis=1)
    ci = 0

    def regroup():
        nonlocal grp, X, Rr, src
        lo = lay.steps[ci]
        new = _runs(rows, lo["offset"] + lo["nbytes"])
        first = np.flatnonzero(np.r_[True, new[1:] != new[:-1]])
        parent = grp[first]
        X, Rr, src = X[parent], Rr[parent], src[parent]
        grp = new
        return first

    def emit(cv, cr, zero, infeasible_g, dup=None):
        nonlocal coff
        pools_v.append(cv)
        pools_r.append(cr)
        pools_d.append(np.full((cv.shape[0], cv.shape[2]), -1, np.int64) if dup is None else dup)
        coff += cv.shape[2]
        gcols.append(grp)
        zmasks.append(zero)
        infeasible[:] |= infeasible_g[grp]
        has_zero[:] |= zero.any(axis=1)[grp]

    def join(h, rest):
        return np.concatenate([h, rest], axis=2) if rest.shape[2] else h

    for step in ctx.program.steps[ctx.start:]:
        G = X.shape[0]
        if isinstance(step, Affine):
            dout = step.M.shape[0]
            g = _gamma(live + 1)
            Xl, Rl = X[:, :, :live].reshape(G * 3, live), Rr[:, :, :live].reshape(G * 3, live)
            Z = (Xl @ step.M.T).reshape(G, 3, dout)
            Z[:, 2] += step.c
            if bounds:
                B = ((Rl + g * np.abs(Xl)) @ np.abs(step.M).T).reshape(G, 3, dout)
                B[:, 2] += g * np.abs(step.c)
                B *= 1 + 2 * _gamma(live + 8)
                B += (live + 2) * TINY
            else:
                B = np.zeros_like(Z)
            X, Rr = join(Z, X[:, :, live:]), join(B, Rr[:, :, live:])
            live = dout
            gzero = ~step.M.any(axis=1) & (step.c == 0)
            src = np.full((X.shape[0], live), -1, np.int64)
            continue
        elif isinstance(step, Elementwise):
            if step.kind == "identity":
                continue
            if decide is not None:
                decide(ci, X[:, :, :live], Rr[:, :, :live], grp, codes)
            first = regroup()
            G = X.shape[0]
            bits = codes[ci][first]  # (G, live, m)
            ci += 1
            z, rz = X[:, :, :live], Rr[:, :, :live]
            cv, cr, zs = [], [], []
            inf_g = np.zeros(G, bool)
            for k, c in enumerate(step.breakpoints if bounds else ()):
                b = bits[:, :, k]  # (G, live)
                zc, rc = z.copy(), rz.copy()
                if c != 0:
                    zc[:, 2] -= c
                    rc[:, 2] += U * np.abs(zc[:, 2])
                zc *= np.where(b, 1.0, -1.0)[:, None, :]
                zero = ~zc.any(axis=1) & ~rc.any(axis=1)  # (G, live)
                inf_g |= (zero & b).any(axis=1)
                zc.transpose(0, 2, 1)[zero] = (0.0, 0.0, 1.0)
                zs.append(zero & ~(gzero[None, :] & (c == 0)))  # a unit 0 everywhere never turns
                cv.append(zc)
                cr.append(rc)
            m_bp = len(step.breakpoints)
            base = coff + np.arange(live) * m_bp  # each unit's first constraint
            if bounds:
                emit(np.stack(cv, axis=3).reshape(G, 3, -1), np.stack(cr, axis=3).reshape(G, 3, -1),
                     np.stack(zs, axis=2).reshape(G, -1), inf_g)
            if step.kind in ("relu", "leaky"):
                src = np.where(bits[:, :, 0], base[None, :], -1)
            elif step.kind == "abs":
                src = np.broadcast_to(base[None, :], (G, live)).copy()
            else:
                src = np.full((G, live), -1, np.int64)
            on = bits[:, None, :, 0]
            if step.kind == "relu":
                zn, rn = z * on, rz * on
            elif step.kind == "abs":
                zn, rn = np.where(on, z, -z), rz.copy()
            elif step.kind == "leaky":
                f = np.where(bits[:, :, 0], 1.0, step.slope[None, :])[:, None, :]
                zn = z * f
                rn = (rz * np.abs(f) + U * np.abs(zn)) * (1 + 4 * U) + TINY
            else:  # hardtanh: bits (z > lo, z > hi)
                b0, b1 = bits[:, :, 0], bits[:, :, 1]
                mid = (b0 & ~b1)[:, None, :]
                zn, rn = z * mid, rz * mid
                zn[:, 2] += np.where(~b0, step.lo, 0.0) + np.where(b1, step.hi, 0.0)
            X, Rr = join(zn, X[:, :, live:]), join(rn, Rr[:, :, live:])
        elif isinstance(step, MaxGroups):
            if decide is not None:
                decide(ci, X[:, :, :live], Rr[:, :, :live], grp, codes)
            first = regroup()
            G = X.shape[0]
            A = codes[ci][first]  # (G, n_out) winners
            ci += 1
            groups = step.groups
            n_out, k = groups.shape
            z, rz = X[:, :, :live], Rr[:, :, :live]
            sel = groups[np.arange(n_out)[None, :], A][:, None, :]  # (G, 1, n_out)
            zo, ro = np.take_along_axis(z, sel, axis=2), np.take_along_axis(rz, sel, axis=2)
            src_o = np.take_along_axis(src[:, :live], sel[:, 0], axis=1)  # (G, n_out)
            cv, cr, zs, ds = [], [], [], []
            inf_g = np.zeros(G, bool)
            for j in range(k if bounds else 0):
                gj = np.maximum(groups[:, j], 0)
                d = zo - z[:, :, gj]
                rd = (ro + rz[:, :, gj] + U * np.abs(d)) * (1 + 4 * U)
                same = (A == j) | (groups[:, j] < 0)[None, :]  # (G, n_out)
                zero = ~same & ~d.any(axis=1) & ~rd.any(axis=1)  # an exact tie
                inf_g |= (zero & (j < A)).any(axis=1)  # a tie goes to the first piece
                zs.append(zero)
                dead = ~z[:, :, gj].any(axis=1) & ~rz[:, :, gj].any(axis=1)  # piece j exactly 0
                ds.append(np.where(~same & ~zero & dead, src_o, -1))
                const = same | zero
                d.transpose(0, 2, 1)[const] = (0.0, 0.0, 1.0)
                rd.transpose(0, 2, 1)[const] = 0.0
                cv.append(d)
                cr.append(rd)
            if bounds:
                emit(np.stack(cv, axis=3).reshape(G, 3, -1), np.stack(cr, axis=3).reshape(G, 3, -1),
                     np.stack(zs, axis=2).reshape(G, -1), inf_g, np.stack(ds, axis=2).reshape(G, -1))
            src = src_o
            X, Rr = join(zo, X[:, :, live:]), join(ro, Rr[:, :, live:])
            live = n_out
        elif isinstance(step, Push):
            X = np.concatenate([X[:, :, :live], X], axis=2)
            Rr = np.concatenate([Rr[:, :, :live], Rr], axis=2)
        elif isinstance(step, Pop):
            h = X[:, :, :live] + X[:, :, live:2 * live]
            rh = (Rr[:, :, :live] + Rr[:, :, live:2 * live] + U * np.abs(h)) * (1 + 4 * U)
            X, Rr = join(h, X[:, :, 2 * live:]), join(rh, Rr[:, :, 2 * live:])
        elif isinstance(step, Hide):
            live -= step.count
        elif isinstance(step, Show):
            live += step.count
        if not isinstance(step, Elementwise):
            gzero = np.zeros(live, bool)
        if not isinstance(step, (Elementwise, MaxGroups)):
            src = np.full((X.shape[0], live), -1, np.int64)
    if not bounds:
        return None, X[grp][:, :, :ctx.out_dim], Rr[grp][:, :, :ctx.out_dim], {}
    cnt = np.array([p.shape[2] for p in pools_v], dtype=np.int64)
    W = int(cnt.max()) if len(cnt) else 1
    rows_per = [p.shape[0] for p in pools_v]
    base = np.concatenate([[0], np.cumsum(rows_per)]).astype(np.int64)
    Pv = np.zeros((int(base[-1]), 3, W))
    Pr = np.zeros((int(base[-1]), 3, W))
    Pd = np.full((int(base[-1]), W), -1, np.int64)
    for s, (pv, pr, pd) in enumerate(zip(pools_v, pools_r, pools_d, strict=True)):
        Pv[base[s]:base[s + 1], :, :pv.shape[2]] = pv
        Pr[base[s]:base[s + 1], :, :pr.shape[2]] = pr
        Pd[base[s]:base[s + 1], :pd.shape[1]] = pd
    gidx = (np.stack(gcols, axis=1) + base[:-1]) if gcols else np.zeros((Rc, 0), np.int64)
    noff = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
    cons = (Pv, Pr, Pd, np.ascontiguousarray(gidx, dtype=np.int64), noff, cnt)

    def zmask(idx):
        return np.concatenate([zm[gc[idx]] for zm, gc in zip(zmasks, gcols, strict=True)], axis=1)

    def dupmap(idx):
        return np.concatenate([pd[gc[idx]] for pd, gc in zip(pools_d, gcols, strict=True)], axis=1)

    has_dup = np.zeros(Rc, bool)
    for pd, gc in zip(pools_d, gcols, strict=True):
        has_dup |= (pd >= 0).any(axis=1)[gc]
    flags = dict(infeasible=infeasible, zero=has_zero, zmask=zmask, dup=has_dup, dupmap=dupmap)
    return cons, X[grp][:, :, :ctx.out_dim], Rr[grp][:, :, :ctx.out_dim], flags


def _block_size(ctx: _Context) -> int:
    """Regions per block: at most every region its own constraints and state (no prefix shared)."""
    widest = max([ctx.live1] + [s.M.shape[0] for s in ctx.program.steps if isinstance(s, Affine)])
    per_region = 3 * 8 * (3 * ctx.layout.N + 8 * widest) + 512
    return int(max(256, min(32768, BLOCK_BYTES // per_region)))


def _padded_polygons(polys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    k = np.array([len(p) for p in polys], dtype=np.int64)
    K = int(k.max()) if len(k) else 3
    out = np.zeros((len(polys), K, 2))
    for i, p in enumerate(polys):
        out[i, :len(p)] = p
    return out, k


def _across(ctx: _Context, rows: np.ndarray, masks: np.ndarray, normals: np.ndarray):
    """The patterns across edges, in float64 with bounds: ``rows`` `(P, nbytes)` the regions'
    patterns, ``masks`` `(P, N)` the constraints zero on the edge (the edge's own, and those
    identically zero on the region), ``normals`` `(P, 2)` outward normals. Returns the patterns
    across and which were decided.

    On the edge every masked constraint's map *across* vanishes (the network is continuous, and
    it is zero there from the region's side), so its sign across is the sign of its derivative
    outwards; a max unit's winner across is the piece, among those tied on the edge, whose value
    grows fastest (identical maps: the first). Every other constraint keeps its sign. A
    derivative within its bound (and not exactly zero) leaves the edge undecided."""
    out, ok = rows.copy(), np.ones(len(rows), bool)
    block = _block_size(ctx)
    for lo in range(0, len(rows), block):
        sl = slice(lo, lo + block)
        out[sl], ok[sl] = _across_block(ctx, rows[sl].copy(), masks[sl], normals[sl])
    return out, ok


def _across_block(ctx: _Context, rows: np.ndarray, masks: np.ndarray, normals: np.ndarray):
    lay = ctx.layout
    P = len(rows)
    ok = np.ones(P, bool)
    offs = np.cumsum([0] + [s["units"] * s["per_unit"] for s in lay.steps])
    nx, ny = np.abs(normals[:, :1]), np.abs(normals[:, 1:])

    def decide(ci, z, rz, grp, codes):
        s = lay.steps[ci]
        m = masks[:, offs[ci]:offs[ci + 1]]
        if not m.any():
            return
        zr, rr = z[grp], rz[grp]  # (P, 3, live): every row's maps
        d = zr[:, 0] * normals[:, :1] + zr[:, 1] * normals[:, 1:]  # (P, live)
        b = ((rr[:, 0] * nx + rr[:, 1] * ny) + 2 * U * (np.abs(zr[:, 0]) * nx + np.abs(zr[:, 1]) * ny)) \
            * (1 + 8 * U) + TINY
        flat = ~zr[:, :2].any(axis=1) & ~rr[:, :2].any(axis=1)  # exactly constant: 0 across
        if s["kind"] == "bits":
            i, u, k = np.nonzero(m.reshape(P, s["units"], s["per_unit"]))
            up, down, zero = d[i, u] > b[i, u], d[i, u] < -b[i, u], flat[i, u]
            ok[i[~(up | down | zero)]] = False
            codes[ci][i, u, k] = up & ~zero
            bits = codes[ci].reshape(P, -1).astype(np.uint8)
            rows[:, s["offset"]:s["offset"] + s["nbytes"]] = np.packbits(bits, axis=1)
            return
        groups = ctx.program.steps[s["step"]].groups
        mm = m.reshape(P, s["units"], s["per_unit"])
        for g in np.flatnonzero(mm.any(axis=(0, 2))):
            i = np.flatnonzero(mm[:, g].any(axis=1))
            q = np.arange(len(i))
            tied = mm[i, g].copy()
            tied[q, codes[ci][i, g]] = True  # the region's winner, and the pieces tied with it
            tied &= (groups[g] >= 0)[None, :]
            piece = np.maximum(groups[g], 0)
            D, B = d[i][:, piece], b[i][:, piece]  # (Q, k)
            win = np.argmax(np.where(tied, D, -np.inf), axis=1)
            Zp, Rp = zr[i][:, :, piece], rr[i][:, :, piece]  # (Q, 3, k)
            exact = ~Rp.any(axis=1)
            same = (Zp == Zp[q, :, win][:, :, None]).all(axis=1) & exact & exact[q, win][:, None]
            same[q, win] = True
            apart = (D[q, win] - B[q, win])[:, None] > D + B
            ok[i[~(~tied | same | apart).all(axis=1)]] = False
            codes[ci][i, g] = np.argmax(same & tied, axis=1)  # identical maps: the first piece
        rows[:, s["offset"]:s["offset"] + s["nbytes"]] = codes[ci].astype(np.uint8)

    _float_chain(ctx, rows, decide=decide)
    return rows, ok


def pattern_maps(regions, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The affine maps of regions ``idx`` computed from their patterns (the chain of maps in
    float64, shared per pattern prefix): ``grads`` `(k, out, 2)` and ``offsets`` `(k, out)` in the
    cut's coordinates. Accurate to rounding however small the region (a fit to its vertices is not,
    see :attr:`.result.Regions.cut_affine`)."""
    idx = np.asarray(idx, dtype=np.int64)
    ctx = _Context(regions, prove=False)
    rows_all = regions.patterns[idx]
    perm = _pattern_order(rows_all)
    grads = np.empty((len(idx), ctx.out_dim, 2))
    offsets = np.empty((len(idx), ctx.out_dim))
    block = _block_size(ctx)
    for lo in range(0, len(idx), block):
        p = perm[lo:lo + block]
        _, Y, _, _ = _float_chain(ctx, rows_all[p], bounds=False)  # (k, 3, out)
        grads[p] = Y[:, :2].transpose(0, 2, 1)
        offsets[p] = Y[:, 2]
    return grads, offsets


# -- the exact re-derivation of one region ----------------------------------------------------------
class _Dyadic:
    """A state ``ints * 2**-e`` (an object array of Python ints, one exponent)."""

    __slots__ = ("a", "e")

    def __init__(self, a, e: int):
        self.a, self.e = a, e

    def at(self, e: int):
        return self.a if e == self.e else self.a * (1 << (e - self.e))


def _exact_chain(ctx: _Context, codes: list | None, decide=None):
    """The exact constraints `(N, 3)` (object ints, each row scaled by a positive power of two),
    the output map ``(ints (out, 3), e)`` and the codes used. With ``decide(map_row) -> sign`` the
    codes are read from the maps (the pattern across an edge) instead of ``codes``."""
    st = _Dyadic(ctx.Z1.copy(), ctx.e1)
    live = ctx.live1
    cons = []
    used = []
    ci = 0
    for i, step in enumerate(ctx.program.steps[ctx.start:], ctx.start):
        if isinstance(step, Affine):
            Mi, eM, bi, eb = ctx.ints(i)
            E = max(eM + st.e, eb)
            Z = Mi.dot(st.a[:live]) * (1 << (E - eM - st.e))
            Z[:, 2] = Z[:, 2] + bi * (1 << (E - eb))
            rest = st.at(E)[live:]
            st = _Dyadic(np.concatenate([Z, rest]) if len(rest) else Z, E)
            live = Z.shape[0]
        elif isinstance(step, Elementwise):
            if step.kind == "identity":
                continue
            slope, bps = ctx.ints(i)
            z = st.a[:live]
            m = len(bps)
            if decide is None:
                bits = np.asarray(codes[ci], dtype=bool).reshape(live, m)
            else:
                bits = np.zeros((live, m), bool)
            shifted = []
            for k, (num, den) in enumerate(bps):
                ed = den.bit_length() - 1
                E = max(st.e, ed)
                zc = z * (1 << (E - st.e))
                zc[:, 2] = zc[:, 2] - num * (1 << (E - ed))
                shifted.append(zc)
                if decide is not None:
                    bits[:, k] = [decide(row) > 0 for row in zc]
            for u in range(live):
                for k in range(m):
                    row = shifted[k][u]
                    if bits[u, k] and not any(row):
                        row = np.array([0, 0, -1], dtype=object)  # z > c asked of z identically c
                    cons.append(row if bits[u, k] else -row)
            used.append(bits)
            ci += 1
            on = bits[:, 0]
            a = st.a.copy()
            if step.kind == "relu":
                a[:live][~on] = 0
                st = _Dyadic(a, st.e)
            elif step.kind == "abs":
                a[:live][~on] = -a[:live][~on]
                st = _Dyadic(a, st.e)
            elif step.kind == "leaky":
                si, es = slope
                a = st.at(st.e + es).copy()
                off = np.flatnonzero(~on)
                a[off] = st.a[off] * si[off][:, None]
                st = _Dyadic(a, st.e + es)
            else:  # hardtanh
                (ln, ld), (hn, hd) = bps
                el, eh = ld.bit_length() - 1, hd.bit_length() - 1
                E = max(st.e, el, eh)
                a = st.at(E).copy()
                low, high = ~bits[:, 0], bits[:, 1]
                a[:live][low | high] = 0
                for u in np.flatnonzero(low):
                    a[u, 2] = ln * (1 << (E - el))
                for u in np.flatnonzero(high):
                    a[u, 2] = hn * (1 << (E - eh))
                st = _Dyadic(a, E)
        elif isinstance(step, MaxGroups):
            groups = step.groups
            n_out, k = groups.shape
            z = st.a[:live]
            if decide is None:
                win = np.asarray(codes[ci], dtype=np.int64).reshape(n_out)
            else:
                win = np.zeros(n_out, np.int64)
                for g in range(n_out):
                    best = 0
                    for j in range(1, k):
                        if groups[g, j] >= 0 and decide(z[groups[g, j]] - z[groups[g, best]]) > 0:
                            best = j
                    win[g] = best
            for g in range(n_out):
                za = z[groups[g, win[g]]]
                for j in range(k):
                    gj = groups[g, j]
                    if j == win[g] or gj < 0:
                        cons.append(np.array([0, 0, 1], dtype=object))
                    else:
                        d = za - z[gj]
                        if not any(d) and j < win[g]:
                            d = np.array([0, 0, -1], dtype=object)  # a tie goes to the first piece
                        # an exact tie stays (0, 0, 0): identically zero, it may break across an edge
                        cons.append(d)
            used.append(win)
            ci += 1
            sel = groups[np.arange(n_out), win]
            st = _Dyadic(np.concatenate([z[sel], st.a[live:]]), st.e)
            live = n_out
        elif isinstance(step, Push):
            st = _Dyadic(np.concatenate([st.a[:live], st.a]), st.e)
        elif isinstance(step, Pop):
            h = st.a[:live] + st.a[live:2 * live]
            st = _Dyadic(np.concatenate([h, st.a[2 * live:]]), st.e)
        elif isinstance(step, Hide):
            live -= step.count
        elif isinstance(step, Show):
            live += step.count
    C = np.array(cons, dtype=object).reshape(-1, 3) if cons else np.zeros((0, 3), dtype=object)
    return C, (st.a[:ctx.out_dim], st.e), used


_SIDES = np.array([[1, 0, 1], [-1, 0, 1], [0, 1, 1], [0, -1, 1]], dtype=object)


def _exact_region(ctx: _Context, row: np.ndarray, poly_f: np.ndarray, near: float):
    """Re-derive one region exactly: ``(area (Fraction, q units) or None, neighbour patterns,
    output map (ints, e), decisions)``."""
    codes = [c[0] for c in ctx.layout.codes(row[None])]
    C, ymap, _ = _exact_chain(ctx, codes)
    rows = np.concatenate([C, _SIDES]) if len(C) else _SIDES.copy()
    # constant constraints decide alone; the others are clipped, the near ones first
    const = np.array([r[0] == 0 and r[1] == 0 for r in rows])
    if any(r[2] < 0 for r in rows[const]):
        return None, [], ymap, len(rows)
    lines = rows[~const]
    Cf = _approx(lines)
    val = Cf[:, :2] @ poly_f.T + Cf[:, 2:3]
    close = val.min(axis=1) <= near
    poly = [(-1, -1, 1), (1, -1, 1), (1, 1, 1), (-1, 1, 1)]
    for r in lines[close]:
        poly = _clip(poly, r)
    rest = lines[~close]
    while poly and len(rest):
        bad = _violated(poly, rest)
        if not bad.any():
            break
        for r in rest[bad]:
            poly = _clip(poly, r)
        rest = rest[~bad]
    decisions = len(rows) * max(1, len(poly))
    area = _area(poly)
    if area <= 0:
        return None, [], ymap, decisions
    # the pattern across every edge of the exact polygon
    vals = [[r[0] * X + r[1] * Y + r[2] * W for (X, Y, W) in poly] for r in lines]
    n_lines = len(lines)
    line_index = np.flatnonzero(~const)
    is_side = line_index >= len(C)
    # units identically zero on the region: zero on every edge, so they may turn on across it
    n_zero = sum(1 for r, c in zip(rows, const, strict=True) if c and r[2] == 0)
    neighbours = []
    k = len(poly)
    for i in range(k):
        j = (i + 1) % k
        on = [n for n in range(n_lines) if vals[n][i] == 0 and vals[n][j] == 0]
        if any(is_side[n] for n in on):
            continue  # on the square's boundary
        if len(on) == 1 and n_zero == 0:
            neighbours.append(ctx.layout.flip(row[None], np.array([line_index[on[0]]]))[0])
            continue
        # lines that coincide here: read the pattern across from the maps, lexicographically
        (X0, Y0, W0), (X1, Y1, W1) = poly[i], poly[j]
        mid = (X0 * W1 + X1 * W0, Y0 * W1 + Y1 * W0, 2 * W0 * W1)
        dx, dy = Fraction(X1, W1) - Fraction(X0, W0), Fraction(Y1, W1) - Fraction(Y0, W0)
        den = dx.denominator * dy.denominator
        out = (int(dy * den), int(-dx * den))  # outward normal of a counter-clockwise polygon

        def decide(r, mid=mid, out=out):
            v = r[0] * mid[0] + r[1] * mid[1] + r[2] * mid[2]
            return v if v != 0 else r[0] * out[0] + r[1] * out[1]

        _, _, used = _exact_chain(ctx, None, decide)
        neighbours.append(ctx.layout.encode(used))
        decisions += ctx.layout.N
    return area, neighbours, ymap, decisions


def _approx(rows: np.ndarray) -> np.ndarray:
    """Rows of Python ints as floats, each scaled to a largest entry near 1 (no overflow)."""
    out = np.empty(rows.shape)
    for i, r in enumerate(rows):
        shift = max(int(abs(v)).bit_length() for v in r) - 60
        out[i] = [float(v >> shift) if shift > 0 else float(v) for v in r]
    return out / np.maximum(np.abs(out).max(axis=1, keepdims=True), 1e-300)


def _homogeneous(s: Fraction, t: Fraction) -> tuple[int, int, int]:
    w = s.denominator * t.denominator
    return s.numerator * t.denominator, t.numerator * s.denominator, w


def _clip(poly: list, row) -> list:
    """Sutherland-Hodgman in homogeneous integer coordinates: keep the part of the convex
    ``poly`` (points ``(X, Y, W)``, ``W > 0``, meaning ``(X/W, Y/W)``) where
    ``row . (s, t, 1) >= 0``. No rounding and no gcd on every step, unlike ``Fraction``."""
    if not poly:
        return poly
    a, b, c = row
    vals = [a * X + b * Y + c * W for X, Y, W in poly]
    if all(v >= 0 for v in vals):
        return poly
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        vp, vq = vals[i], vals[(i + 1) % n]
        if vp >= 0:
            out.append(p)
        if (vp > 0 and vq < 0) or (vp < 0 and vq > 0):
            # the zero of the value on p..q: vp * q - vq * p (homogeneous), made W > 0
            X, Y, W = vp * q[0] - vq * p[0], vp * q[1] - vq * p[1], vp * q[2] - vq * p[2]
            if W < 0:
                X, Y, W = -X, -Y, -W
            g = gcd(gcd(X, Y), W)
            out.append((X // g, Y // g, W // g))
    # drop repeated points (a line through a vertex)
    dedup = [p for i, p in enumerate(out)
             if p[0] * out[i - 1][2] != out[i - 1][0] * p[2] or p[1] * out[i - 1][2] != out[i - 1][1] * p[2]]
    return dedup if len(dedup) >= 3 else []


def _violated(poly: list, rows: np.ndarray) -> np.ndarray:
    """Rows (integer half-planes) that some vertex of ``poly`` violates, exactly."""
    bad = np.zeros(len(rows), dtype=bool)
    for X, Y, W in poly:
        v = rows[:, 0] * X + rows[:, 1] * Y + rows[:, 2] * W
        bad |= np.array([x < 0 for x in v], dtype=bool)
    return bad


def _area(poly: list) -> Fraction:
    if len(poly) < 3:
        return Fraction(0)
    a = Fraction(0)
    for i in range(len(poly)):
        (x0, y0, w0), (x1, y1, w1) = poly[i], poly[(i + 1) % len(poly)]
        a += Fraction(x0 * y1 - x1 * y0, w0 * w1)
    return a / 2


# -- the combinatorial checks of the mesh ---------------------------------------------------------
def mesh_invariants(regions) -> dict:
    """Checks of the cut mesh that need no arithmetic: in every tile, ``V - E + F = 1`` (a disc),
    every interior edge in two faces once each way, every boundary edge in one face with both ends
    on one side of the tile; the tiles' rectangles cover the square with areas summing exactly.
    Returns counts and a list of failures."""
    F, deg, tile, P = regions._F, regions._deg, regions._face_tile, regions._P
    rects = regions._rects
    fails = []
    D = F.shape[1]
    real = np.arange(D)[None, :] < deg[:, None]
    a, b = F[real], np.roll(F, -1, axis=1)[real]
    et = np.repeat(tile, deg)
    nv = int(P.shape[0])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo.astype(np.int64) * nv + hi
    ukey, first, cnt = np.unique(key, return_index=True, return_counts=True)
    if (cnt > 2).any():
        fails.append(f"{int((cnt > 2).sum())} edges lie in more than two faces")
    directed = np.unique(a.astype(np.int64) * nv + b)
    if len(directed) != len(a):
        fails.append(f"{len(a) - len(directed)} edges are used twice in one direction (overlapping faces)")
    # boundary edges: on one side of their tile
    one = first[cnt == 1]
    R = np.array(rects, dtype=np.float64)[et[one]]
    pa, pb = P[a[one]], P[b[one]]
    on_side = ((pa[:, 0] == R[:, 0]) & (pb[:, 0] == R[:, 0])) | ((pa[:, 0] == R[:, 1]) & (pb[:, 0] == R[:, 1])) \
        | ((pa[:, 1] == R[:, 2]) & (pb[:, 1] == R[:, 2])) | ((pa[:, 1] == R[:, 3]) & (pb[:, 1] == R[:, 3]))
    if not on_side.all():
        fails.append(f"{int((~on_side).sum())} edges have one face and are not on their tile's boundary")
    T = len(rects)
    Vt = np.zeros(T, np.int64)
    used_v = np.unique(F[real])
    vt = np.zeros(nv, np.int64)
    vt[F[real]] = np.repeat(tile, deg)
    np.add.at(Vt, vt[used_v], 1)
    Et = np.bincount(et[first], minlength=T)
    Ft = np.bincount(tile, minlength=T)
    euler = Vt - Et + Ft
    if (euler != 1).any():
        fails.append(f"V - E + F is not 1 in {int((euler != 1).sum())} tiles")
    total = sum((Fraction(r[1]) - Fraction(r[0])) * (Fraction(r[3]) - Fraction(r[2])) for r in rects)
    inside = all(-1 <= r[0] < r[1] <= 1 and -1 <= r[2] < r[3] <= 1 for r in rects)
    overlap = any(min(p[1], q[1]) > max(p[0], q[0]) and min(p[3], q[3]) > max(p[2], q[2])
                  for i, p in enumerate(rects) for q in rects[i + 1:]) if T <= 4096 else False
    if total != 4 or not inside or overlap:
        fails.append("the tiles do not cover the square exactly once")
    return dict(vertices=int(len(used_v)), edges=int(len(ukey)), faces=int(len(F)), tiles=T,
                euler=[int(x) for x in np.unique(euler)], failures=fails)


# -- the whole proof ------------------------------------------------------------------------------
def verify(regions, *, near: float = 1e-6, workers: int | None = None,
           exact: bool = False) -> VerifyReport:
    """Prove ``regions`` (a :class:`~.result.Regions`) the exact partition of its network; see the
    module docstring. Raises :class:`~neuromosaic.errors.SpecError` naming a module it cannot
    prove; otherwise returns a :class:`VerifyReport` (read ``.ok``; nothing else raises).

    ``near``: in an exact re-derivation, half-planes within ``near`` of the float polygon are
    clipped first. ``workers``: threads for the compiled decisions (default: the usable cores).
    ``exact``: re-derive every region in exact rationals (slow; the reference the float64 path is
    tested against)."""
    from . import verify_kernel as vk

    start = time.perf_counter()
    ctx = _Context(regions)
    lay = ctx.layout
    n = regions.count
    patterns = np.ascontiguousarray(regions.patterns)
    frame = regions.frame
    cs, ct, hs, ht = frame.exact
    jac = hs * ht  # plane area per unit of q area (exact)
    domain_area = 4 * jac
    fails: list[str] = []

    def fail(msg: str):
        if len(fails) < MAX_LISTED:
            fails.append(msg)

    from .patterns import group_rows, pattern_hash

    first, inv = group_rows(patterns)
    repeated = n - len(first)
    if repeated:
        fail(f"{repeated} patterns occur more than once")
    keys = pattern_hash(patterns)
    order = np.argsort(keys, kind="stable")
    skeys = keys[order]

    def known(rows: np.ndarray) -> np.ndarray:
        h = pattern_hash(rows)
        pos = np.minimum(np.searchsorted(skeys, h), max(n - 1, 0))
        found = skeys[pos] == h
        # confirm byte by byte (a hash collision is not a proof); equal hashes of other patterns
        # are looked through one by one
        same = found & (patterns[order[pos]] == rows).all(axis=1)
        for i in np.flatnonzero(found & ~same):
            p = pos[i] + 1
            while p < n and skeys[p] == h[i] and not same[i]:
                same[i] = np.array_equal(patterns[order[p]], rows[i])
                p += 1
        return same

    mesh = mesh_invariants(regions)
    for f in mesh["failures"]:
        fail("mesh: " + f)
    polys = regions.cut_polygons
    grads_rep, offs_rep = regions.cut_affine
    workers = workers or max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))
    block = _block_size(ctx)
    certified = fell_back = infeasible = missing = 0
    decisions = exact_decisions = 0
    area_lo = area_hi = 0.0
    smallest = np.inf
    area_err = area_out = 0.0  # bounds on |reported - exact|; how far outside the enclosures
    map_err = map_out = 0.0
    map_scale = 0.0
    exact_area = Fraction(0)
    undecided: list[int] = []
    certified_area_sum = 0.0
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        # in pattern order: regions that share a prefix share its maps (see _float_chain)
        perm = _pattern_order(patterns)
        for lo in range(0, n, block):
            idx = perm[lo:lo + block]
            rows = patterns[idx]
            cons, Yv, Yr, flags = _float_chain(ctx, rows)
            poly, npoly = _padded_polygons([polys[i] for i in idx])
            Rc, K = len(rows), poly.shape[1]
            labels = np.full((Rc, K), -1, np.int64)
            nlab = np.zeros(Rc, np.int64)
            verts = np.zeros((Rc, K, 4))
            area = np.zeros((Rc, 2))
            status = np.full(Rc, -1, np.int64)
            cuts = np.linspace(0, Rc, (workers if pool else 1) + 1).astype(int)
            args = [(*cons, lay.N, flags["dup"], poly, npoly, int(a), int(b), labels, nlab, verts, area, status)
                    for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]
            if pool:
                list(pool.map(lambda a: vk.certify_regions(*a), args))
            else:
                for a in args:
                    vk.certify_regions(*a)
            decisions += int((nlab * (lay.N + 4)).sum())
            good = (status == vk.OK) & ~flags["infeasible"] & (not exact)
            # the pattern across every constraint edge must be in the partition: one unit flips,
            # or (a constraint identically zero on the region) read from the maps across
            col = np.arange(K)[None, :] < nlab[:, None]
            ri = np.repeat(np.arange(Rc), col.sum(1))
            li = labels[col]
            pos = np.nonzero(col)[1]
            keep = good[ri] & (li < lay.N)
            ri, li, pos = ri[keep], li[keep], pos[keep]
            tie = (flags["zero"] | flags["dup"])[ri]
            across = lay.flip(rows[ri], li)
            if tie.any():
                t = np.flatnonzero(tie)
                m = nlab[ri[t]]
                w1 = verts[ri[t], pos[t], :2]  # edge i runs from vertex i - 1 to vertex i
                w0 = verts[ri[t], (pos[t] - 1) % m, :2]
                normals = np.stack([w1[:, 1] - w0[:, 1], w0[:, 0] - w1[:, 0]], axis=1)
                masks = flags["zmask"](ri[t]) | (flags["dupmap"](ri[t]) == li[t][:, None])
                masks[np.arange(len(t)), li[t]] = True
                across[t], decided = _across(ctx, rows[ri[t]], masks, normals)
                unsure = np.unique(ri[t][~decided])
                good[unsure] = False
                keep = good[ri]
                ri, li, across = ri[keep], li[keep], across[keep]
            found = known(across)
            decisions += len(li)
            if not found.all():
                missing += int((~found).sum())
                for r, c in zip(ri[~found][:MAX_LISTED], li[~found][:MAX_LISTED], strict=False):
                    fail(f"region {idx[r]}: across its edge on constraint {c} lies a pattern "
                         "the partition lacks (a region is missing)")
            # maps: the reported within the exact's enclosure (plus MAP_RTOL)
            Yv_t, Yr_t = Yv.transpose(0, 2, 1), Yr.transpose(0, 2, 1)  # (Rc, out, 3)
            rep = np.concatenate([grads_rep[idx], offs_rep[idx][:, :, None]], axis=2)
            if good.any():
                dist = np.abs(rep - Yv_t)[good]
                map_err = max(map_err, float((dist + Yr_t[good]).max()))
                map_out = max(map_out, float((dist - Yr_t[good]).max()))
            map_scale = max(map_scale, float(np.abs(Yv_t).max()) if Yv_t.size else 0.0)
            # areas
            a_q, r_q = area[good, 0], area[good, 1]
            certified += int(good.sum())
            certified_area_sum += float(a_q.sum())
            area_lo += float((a_q - r_q).sum())
            area_hi += float((a_q + r_q).sum())
            if good.any():
                smallest = min(smallest, float((a_q - r_q).min()))
                dist = np.abs(regions.cut_areas[idx][good] - a_q)
                area_err = max(area_err, float((dist + r_q).max()))
                area_out = max(area_out, float((dist - r_q).max()))
            undecided.extend(idx[~good].tolist())
        # the regions the floats could not decide: exact rationals
        for r in undecided:
            fell_back += 1
            area_q, neigh, (yi, ye), dec = _exact_region(ctx, patterns[r], polys[r], near)
            decisions += dec
            exact_decisions += dec
            if area_q is None:
                infeasible += 1
                fail(f"region {r}: its pattern is infeasible (its half-planes leave no area)")
                continue
            exact_area += area_q
            fa = float(area_q)
            smallest = min(smallest, fa)
            area_err = max(area_err, abs(fa - float(regions.cut_areas[r])))
            area_out = max(area_out, abs(fa - float(regions.cut_areas[r])))
            area_lo += fa
            area_hi += fa
            if neigh:
                found = known(np.array(neigh, dtype=np.uint8))
                decisions += len(neigh)
                exact_decisions += len(neigh)
                if not found.all():
                    missing += int((~found).sum())
                    fail(f"region {r}: across one of its edges lies a pattern the partition lacks")
            den = 1 << ye
            exact_map = np.array([[Fraction(int(v), den) for v in rw] for rw in yi])
            rep = np.concatenate([grads_rep[r], offs_rep[r][:, None]], axis=1)
            dev = max((abs(Fraction(float(x)) - y) for x, y in zip(rep.reshape(-1), exact_map.reshape(-1),
                                                                     strict=True)), default=Fraction(0))
            map_err = max(map_err, float(dev))
            map_out = max(map_out, float(dev))
            map_scale = max(map_scale, max((abs(float(y)) for y in exact_map.reshape(-1)), default=0.0))
    finally:
        if pool:
            pool.shutdown()
    rel_map = map_err / map_scale if map_scale > 0 else map_err
    # a reported number fails when it lies outside its exact value's enclosure by more than the
    # tolerance (the enclosures' widths are bounds, reported in map_error and max_area_error)
    out_map = map_out / map_scale if map_scale > 0 else map_out
    if out_map > MAP_RTOL:
        fail(f"a reported affine map is {out_map:.2g} (relative) from the one its pattern implies")
    if area_out > AREA_RTOL * 4:
        fail(f"a reported area is {area_out / 4:.2g} of the domain's from the region's exact area")
    ok = (not fails and certified + fell_back == n and infeasible == 0 and missing == 0
          and repeated == 0)
    lo_p, hi_p = float(area_lo * jac), float(area_hi * jac)
    if ok and not (lo_p <= float(domain_area) * (1 + 1e-12) and hi_p >= float(domain_area) * (1 - 1e-12)):
        ok = False
        fail("the areas' enclosures do not contain the domain's area")
    area_sum = domain_area if ok else exact_area * jac + Fraction(certified_area_sum) * jac
    return VerifyReport(
        ok=ok, count=n, certified=certified, fell_back=fell_back, decisions=decisions,
        exact_decisions=exact_decisions, infeasible=infeasible, missing=missing, repeated=repeated,
        area_sum=area_sum, domain_area=domain_area, area_bounds=(lo_p, hi_p),
        smallest_area=float(smallest * float(jac)) if np.isfinite(smallest) else 0.0,
        max_area_error=float(area_err * float(jac)), map_error=rel_map, mesh=mesh, failures=fails,
        seconds=time.perf_counter() - start)


def verify_exact(regions, *, near: float = 1e-6) -> VerifyReport:
    """The former name of :func:`verify` (kept for a release)."""
    return verify(regions, near=near)
