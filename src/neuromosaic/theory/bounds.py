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

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

from ..errors import SpecError

__all__ = [
    "Bound",
    "bounds_table",
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
        nxt: dict[int, int] = {}
        for m, count in ways.items():
            for j in range(min(m, n_l) + 1):
                key = min(m, n_l - j)
                nxt[key] = nxt.get(key, 0) + count * comb(n_l, j)
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


@dataclass(frozen=True)
class Bound:
    """One row of :func:`bounds_table`: ``value`` is ``None`` when the theorem's hypothesis
    fails, and ``note`` says why."""

    name: str
    kind: str  # "upper", "lower" or "exact"
    value: int | None
    source: str
    note: str = ""


def bounds_table(n0: int, widths: Sequence[int]) -> list[Bound]:
    """Every ReLU bound for ``n0`` inputs and hidden ``widths``, with its source.

    Never raises for a valid architecture: a lower bound whose hypothesis fails has
    ``value=None`` and the reason in ``note``. Bad ``n0``/``widths`` raise :class:`SpecError`.
    """
    _check_n0(n0)
    ws = _check_widths(widths)
    rows = [
        Bound("zaslavsky (first layer)", "exact" if len(ws) == 1 else "lower",
              zaslavsky(ws[0], n0), "Zaslavsky 1975 (general position)",
              "maximum of one layer" if len(ws) == 1 else "the first layer alone already cuts"),
        Bound("serra_upper", "upper", serra_upper(n0, ws),
              "Serra, Tjandraatmadja & Ramalingam 2018, Theorem 1"),
        Bound("2^N (activation patterns)", "upper", 2 ** sum(ws),
              "each region has its own on/off pattern of the N units"),
    ]
    for name, fn, source in (
        ("serra_lower", serra_lower, "Serra, Tjandraatmadja & Ramalingam 2018, lower-bound thm"),
        ("montufar_lower", montufar_lower, "Montúfar, Pascanu, Cho & Bengio 2014, Thm 4 / Cor. 6"),
        ("pascanu_lower", pascanu_lower, "Pascanu, Montúfar & Bengio 2013, deep lower bound"),
    ):
        try:
            rows.append(Bound(name, "lower", fn(n0, ws), source))
        except SpecError as exc:
            rows.append(Bound(name, "lower", None, source, str(exc)))
    return rows
