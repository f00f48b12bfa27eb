"""Exact bounds on the number of linear regions of piecewise-linear networks.

Every function returns a Python ``int`` (exact, however large). The architecture is ``n0``
inputs followed by hidden layers of ``widths = [n_1, …, n_L]`` units; the output layer is affine
and does not cut the input space, so it does not appear. "Regions" are the pieces of the input
space on which the hidden activation pattern is constant, as in the papers below.

Lower bounds are the region counts of explicit constructions ("some network with these widths
has at least this many regions"); upper bounds hold for every network with these widths. A lower
bound whose theorem assumes something about the widths (e.g. ``n_l >= n0``) raises
:class:`~neuromosaic.errors.SpecError` when the assumption fails; :func:`bounds_table` collects
every bound that applies, with its source, for the CLI, the region engine and the lab.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

from ..errors import SpecError

__all__ = [
    "Bound",
    "bounds_dict",
    "bounds_table",
    "check_size",
    "format_count",
    "maxout_lower",
    "maxout_upper",
    "montufar_lower",
    "parse_widths",
    "pascanu_lower",
    "serra_lower",
    "serra_upper",
    "zaslavsky",
]


def _check_n0(n0: int) -> int:
    if isinstance(n0, bool) or not isinstance(n0, int) or n0 < 1:
        raise SpecError(f"n0 (the input dimension) must be an integer >= 1, got {n0!r}")
    return n0


def _check_widths(widths: Sequence[int]) -> list[int]:
    try:
        values = list(widths)
    except TypeError:
        raise SpecError(f"widths must be a list of integers >= 1, got {widths!r}") from None
    if not values:
        raise SpecError("widths must name at least one hidden layer, got []")
    for w in values:
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise SpecError(f"every width must be an integer >= 1, got {values!r}")
    return values


def _check_positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def parse_widths(text: str, *, max_width: int = 10**6, max_layers: int = 10_000) -> list[int]:
    """Parse ``"16,16,16"`` into ``[16, 16, 16]`` (one-line :class:`SpecError` otherwise); a
    typed-in architecture is capped at ``max_width`` units a layer and ``max_layers`` layers."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise SpecError(
            f"widths must be comma-separated integers >= 1 like 16,16,16, got {text!r}"
        ) from None
    values = _check_widths(values)
    if max(values) > max_width or len(values) > max_layers:
        raise SpecError(f"widths may have at most {max_layers} layers of at most {max_width} "
                        f"units, got {len(values)} layers up to {max(values)}")
    return values


#: the largest architecture whose bounds are computed: the big-integer work of the Serra sum
#: grows with n0² per layer and with the digits of the counts (about the total units in bits)
MAX_N0 = 1024
MAX_UNITS = 100_000
MAX_SERRA_STEPS = 4_000_000


def check_size(n0: int, widths: Sequence[int], *, what_n0: str = "n0",
               what_widths: str = "widths") -> None:
    """Refuse, before any work, an architecture whose bounds would take minutes (one line
    naming the option and the cap)."""
    if isinstance(n0, bool) or not isinstance(n0, int) or not 1 <= n0 <= MAX_N0:
        raise SpecError(f"{what_n0} must be an integer in 1..{MAX_N0}, got {n0!r}")
    ws = _check_widths(widths)
    if sum(ws) > MAX_UNITS:
        raise SpecError(f"{what_widths} may total at most {MAX_UNITS:,} units, got {sum(ws):,}")
    steps = sum((min(n0, w) + 1) * (n0 + 1) for w in ws)
    if steps > MAX_SERRA_STEPS:
        raise SpecError(f"{what_n0} {n0} with {len(ws)} layers needs {steps:,} steps of the Serra "
                        f"sum; at most {MAX_SERRA_STEPS:,} (fewer layers or a smaller {what_n0})")


def zaslavsky(n: int, n0: int) -> int:
    """Regions of ``n`` hyperplanes in general position in ``R^n0``: ``Σ_{j=0}^{n0} C(n, j)``.

    Zaslavsky (1975), "Facing up to arrangements" (Memoirs AMS 154): the number of regions of an
    arrangement in general position. It is the maximum over one hidden layer of ``n`` ReLU units
    with ``n0`` inputs, as Pascanu et al. (2013) use it. ``n = 0`` gives one region.
    """
    _check_n0(n0)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise SpecError(f"n (the number of hyperplanes) must be an integer >= 0, got {n!r}")
    return sum(comb(n, j) for j in range(min(n, n0) + 1))


def serra_upper(n0: int, widths: Sequence[int]) -> int:
    """Upper bound on the regions of a ReLU net, Serra, Tjandraatmadja & Ramalingam (2018),
    "Bounding and counting linear regions of deep neural networks" (ICML), Theorem 1:

    ``Σ_{(j_1…j_L) ∈ J} Π_l C(n_l, j_l)`` with
    ``J = {0 <= j_l <= min(n0, n_1 − j_1, …, n_{l−1} − j_{l−1}, n_l) for every l}``.

    ``j_l`` is the dimension of the image reaching layer ``l`` that the layer can still cut; it
    shrinks when earlier layers switch units off (the bottleneck effect). For one layer it equals
    :func:`zaslavsky`. The sum over ``J`` is done by dynamic programming over the running
    minimum ``m = min(n0, n_k − j_k …)`` (``m`` in ``0..n0``), so it costs ``O(L·n0²)``.
    """
    _check_n0(n0)
    ws = _check_widths(widths)
    # ways[m]: Σ of Π C(n_l, j_l) over the prefixes whose running minimum is m
    ways = {n0: 1}
    for n_l in ws:
        combs = [comb(n_l, j) for j in range(min(n0, n_l) + 1)]
        prefix = [0]
        for c in combs:
            prefix.append(prefix[-1] + c)
        nxt: dict[int, int] = {}
        for m, count in ways.items():
            # j <= n_l - m keeps the running minimum at m: one product with a prefix sum
            stay = min(m, n_l - m)
            if stay >= 0:
                nxt[m] = nxt.get(m, 0) + count * prefix[stay + 1]
            # a larger j lowers it to n_l - j: each such j lands on its own key
            for j in range(max(0, n_l - m + 1), min(m, n_l) + 1):
                key = n_l - j
                nxt[key] = nxt.get(key, 0) + count * combs[j]
        ways = nxt
    return sum(ways.values())


def serra_lower(n0: int, widths: Sequence[int]) -> int:
    """Lower bound of Serra, Tjandraatmadja & Ramalingam (2018), their lower-bound theorem
    (arXiv:1711.02114; its construction improves Montúfar et al.'s ``⌊n_l/n0⌋`` to
    ``⌊n_l/n0⌋ + 1`` by also using the outer pieces of each zig-zag):

    ``(Π_{l=1}^{L−1} (⌊n_l/n0⌋ + 1)^{n0}) · Σ_{j=0}^{n0} C(n_L, j)``, for ``n_l >= 3·n0``.

    Each of layers ``1..L−1`` folds every input coordinate ``⌊n_l/n0⌋ + 1`` times onto the same
    interval (a zig-zag whose outer pieces are used too); the last layer cuts the folded cube with
    a generic arrangement. The condition ``n_l >= 3·n0`` is checked for the folding layers
    ``l < L`` (the last layer only cuts). For ``n0 = 1`` it equals :func:`serra_upper`: the
    bounds are exact in one dimension.
    """
    _check_n0(n0)
    ws = _check_widths(widths)
    bad = [w for w in ws[:-1] if w < 3 * n0]
    if bad:
        raise SpecError(
            f"serra_lower needs every hidden width but the last >= 3*n0 = {3 * n0}, got {ws}"
        )
    product = 1
    for n_l in ws[:-1]:
        product *= (n_l // n0 + 1) ** n0
    return product * zaslavsky(ws[-1], n0)


def pascanu_lower(n0: int, widths: Sequence[int]) -> int:
    """Lower bound of Pascanu, Montúfar & Bengio (2013), "On the number of response regions of
    deep feed forward networks with piece-wise linear activations" (arXiv:1312.6098; ICLR 2014),
    their deep-network lower bound (``Ω(⌊n/n0⌋^{L−1} n^{n0})`` in the abstract):

    ``(Π_{l=1}^{L−1} ⌊n_l/n0⌋) · Σ_{j=0}^{n0} C(n_L, j)``, for ``n_l >= n0``.

    Each folding layer maps ``⌊n_l/n0⌋`` regions onto the same image along one direction; the last
    layer cuts that image with a generic arrangement. The width condition is checked for the
    folding layers ``l < L``.
    """
    _check_n0(n0)
    ws = _check_widths(widths)
    bad = [w for w in ws[:-1] if w < n0]
    if bad:
        raise SpecError(f"pascanu_lower needs every hidden width but the last >= n0 = {n0}, got {ws}")
    product = 1
    for n_l in ws[:-1]:
        product *= n_l // n0
    return product * zaslavsky(ws[-1], n0)


def montufar_lower(n0: int, widths: Sequence[int]) -> int:
    """Lower bound of Montúfar, Pascanu, Cho & Bengio (2014), "On the number of linear regions of
    deep neural networks" (NeurIPS), Theorem 4, whose width-``n`` case is Corollary 6
    (``Ω((n/n0)^{(L−1)·n0} n^{n0})`` for ReLU):

    ``(Π_{l=1}^{L−1} ⌊n_l/n0⌋^{n0}) · Σ_{j=0}^{n0} C(n_L, j)``, for ``n_l >= n0``.

    Each folding layer folds every one of the ``n0`` coordinates ``⌊n_l/n0⌋`` times, so
    ``⌊n_l/n0⌋^{n0}`` input regions share one image (the "space folding" picture); the last layer
    cuts that image with a generic arrangement. The width condition is checked for ``l < L``.
    """
    _check_n0(n0)
    ws = _check_widths(widths)
    bad = [w for w in ws[:-1] if w < n0]
    if bad:
        raise SpecError(
            f"montufar_lower needs every hidden width but the last >= n0 = {n0}, got {ws}"
        )
    product = 1
    for n_l in ws[:-1]:
        product *= (n_l // n0) ** n0
    return product * zaslavsky(ws[-1], n0)


def maxout_lower(n0: int, width: int, layers: int, rank: int) -> int:
    """Lower bound for a maxout network of ``layers`` layers of ``width`` units of rank ``k``.

    Montúfar, Pascanu, Cho & Bengio (2014), Theorem 8: a maxout network with ``L`` layers of
    width ``n0`` and rank ``k`` computes functions with at least ``k^(L−1) · k^n0`` linear regions
    (as MISSION.md states it); for one layer this is Proposition 7's lower bound
    ``k^min(n0, n)``. A wider layer can copy the width-``n0`` construction (extra units are
    ignored downstream); a narrower one (``width < n0``) runs the construction on a
    ``width``-dimensional projection of the input, so the bound used is
    ``k^(L−1) · k^min(n0, width)``.
    """
    _check_n0(n0)
    _check_positive("width", width)
    _check_positive("layers", layers)
    _check_positive("rank", rank)
    return rank ** (layers - 1) * rank ** min(n0, width)


def maxout_upper(n0: int, width: int, rank: int) -> int:
    """Upper bound for ONE maxout layer of ``width`` units of rank ``k`` on ``R^n0``.

    Montúfar, Pascanu, Cho & Bengio (2014), Proposition 7: at most
    ``min(Σ_{j=0}^{n0} C(k²·n, j), k^n)`` regions — each unit's ``k`` pieces meet along at most
    ``k²`` hyperplanes, and each unit picks one of ``k`` pieces.
    """
    _check_n0(n0)
    _check_positive("width", width)
    _check_positive("rank", rank)
    return min(zaslavsky(rank * rank * width, n0), rank**width)


#: what each kind of row says about the architecture (the labels the CLI, lab and figures print)
KIND_MEANING = {
    "upper": "every net with these widths has at most",
    "lower": "some net with these widths has at least",
    "first_layer": "the first layer alone, in general position, makes",
}


@dataclass(frozen=True)
class Bound:
    """One row of :func:`bounds_table`.

    Attributes:
        name: a stable key (``serra_upper``, ``first_layer``, …).
        kind: ``upper`` (holds for every net of the architecture), ``lower`` (reached by an
            explicit construction: some net of the architecture has at least this many) or
            ``first_layer`` (what the first layer's hyperplanes alone make, in general position;
            the full net refines it, so a generic net has at least as many).
        value: the number (an exact int), or ``None`` when the theorem's hypothesis fails.
        title: the row's short name for people; source: where it comes from; note: why
            ``value`` is ``None``.
    """

    name: str
    kind: str
    value: int | None
    title: str
    source: str
    note: str = ""

    @property
    def label(self) -> str:
        """``"upper: Serra et al. 2018 (every net with these widths has at most)"``: the same
        words wherever the row is shown."""
        return f"{self.title} ({KIND_MEANING[self.kind]})"


class BoundsTable(list):
    """The rows of :func:`bounds_table` (a list of :class:`Bound`), shown as a table in Jupyter."""

    def _repr_html_(self) -> str:
        from ..display import bounds_html

        return bounds_html(self)


def bounds_table(n0: int, widths: Sequence[int], *, rank: int | None = None) -> list[Bound]:
    """Every bound on the number of linear regions for ``n0`` inputs and hidden ``widths``.

    The one table every shell prints (the ``regions`` and ``bounds`` commands, the fit figure,
    the lab, the sweeps). ReLU nets; with ``rank`` also the maxout bounds of Montúfar et al.
    (2014) for a maxout net of rank ``rank`` and the narrowest width. Never raises for a valid
    architecture: a lower bound whose hypothesis fails has ``value=None`` and the reason in
    ``note``. Bad ``n0``/``widths`` raise :class:`SpecError`.
    """
    _check_n0(n0)
    ws = _check_widths(widths)
    rows = [
        Bound("serra_upper", "upper", serra_upper(n0, ws), "Serra upper bound",
              "Serra, Tjandraatmadja & Ramalingam 2018, Theorem 1"),
        Bound("patterns", "upper", 2 ** sum(ws), "2^N activation patterns",
              "each region has its own on/off pattern of the N units"),
        Bound("first_layer", "first_layer", zaslavsky(ws[0], n0), f"{ws[0]} lines of the first layer",
              "Zaslavsky 1975 (an arrangement in general position)"),
    ]
    for name, fn, title, source in (
        ("serra_lower", serra_lower, "Serra lower bound", "Serra, Tjandraatmadja & Ramalingam 2018, lower-bound thm"),
        ("montufar_lower", montufar_lower, "Montúfar lower bound", "Montúfar, Pascanu, Cho & Bengio 2014, Thm 4 / Cor. 6"),
        ("pascanu_lower", pascanu_lower, "Pascanu lower bound", "Pascanu, Montúfar & Bengio 2013, deep lower bound"),
    ):
        try:
            rows.append(Bound(name, "lower", fn(n0, ws), title, source))
        except SpecError as exc:
            rows.append(Bound(name, "lower", None, title, source, str(exc)))
    if rank is not None:
        width = min(ws)
        rows.append(Bound("maxout_lower", "lower", maxout_lower(n0, width, len(ws), rank),
                          f"maxout lower bound (L={len(ws)}, width {width}, k={rank})",
                          "Montúfar, Pascanu, Cho & Bengio 2014, Thm 8 / Prop. 7"))
        if len(ws) == 1:
            rows.append(Bound("maxout_upper", "upper", maxout_upper(n0, ws[0], rank),
                              f"maxout upper bound (one layer, k={rank})",
                              "Montúfar et al. 2014, Prop. 7"))
    return BoundsTable(rows)


def bounds_dict(rows: Sequence[Bound], *, as_text_over: int | None = None) -> list[dict]:
    """The rows as JSON-ready dicts (``name, kind, title, label, value, source, note``); values
    at or above ``as_text_over`` become decimal strings (JavaScript loses digits past 2**53)."""
    out = []
    for b in rows:
        value = b.value
        if value is not None and as_text_over is not None and value >= as_text_over:
            value = str(value) if value.bit_length() < 13_000 else format_count(value)
        out.append({"name": b.name, "kind": b.kind, "title": b.title, "label": b.label,
                    "value": value, "source": b.source, "note": b.note})
    return out


def format_count(value: int) -> str:
    """``1,234`` below 10^15, else ``1.2346e+97`` (from the top bits: a float would overflow and
    ``str`` refuses ints of more than 4300 digits). The one way counts are shown."""
    if value < 10**15:
        return f"{value:,}"
    shift = max(0, value.bit_length() - 60)
    log10 = math.log10(value >> shift) + shift * math.log10(2)
    exponent = math.floor(log10)
    return f"{10 ** (log10 - exponent):.4f}e+{exponent}"
