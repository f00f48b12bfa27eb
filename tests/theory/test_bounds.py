"""Region-count bounds: the papers' formulas, checked by hand and against each other."""

import itertools
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromosaic as nm
from neuromosaic.errors import SpecError
from neuromosaic.theory import bounds as B


def serra_upper_by_enumeration(n0, widths):
    """Theorem 1 of Serra et al. 2018 written out literally: sum over every tuple in J."""
    total = 0
    for js in itertools.product(*(range(n + 1) for n in widths)):
        ok = True
        for layer, j in enumerate(js):
            cap = min([n0, widths[layer]] + [widths[k] - js[k] for k in range(layer)])
            if j > cap:
                ok = False
                break
        if ok:
            prod = 1
            for n, j in zip(widths, js, strict=True):
                prod *= comb(n, j)
            total += prod
    return total


def test_known_small_values_by_hand():
    assert nm.theory.bounds.zaslavsky(n=6, n0=2) == 1 + 6 + 15
    assert B.zaslavsky(12, 2) == 79
    assert B.zaslavsky(3, 5) == 8  # fewer hyperplanes than dimensions: all 2^n sign patterns
    assert B.zaslavsky(0, 3) == 1
    # J for widths (2, 2), n0 = 2: j1=0 → 1·(1+2+1); j1=1 → 2·(1+2); j1=2 → 1·1
    assert B.serra_upper(2, [2, 2]) == 4 + 6 + 1
    assert B.serra_upper(1, [1, 1]) == 3  # a width-1 bottleneck: the second unit cuts once
    assert B.montufar_lower(2, [4, 4, 4]) == (2**2) * (2**2) * (1 + 4 + 6)
    assert B.pascanu_lower(2, [4, 4, 4]) == 2 * 2 * (1 + 4 + 6)
    assert B.serra_lower(2, [6, 6]) == (6 // 2 + 1) ** 2 * (1 + 6 + 15)
    assert B.maxout_lower(2, 2, 3, 3) == 3**2 * 3**2
    assert B.maxout_lower(n0=2, width=2, layers=1, rank=4) == 16  # Prop. 7: k^min(n0, n)
    assert B.maxout_upper(2, 1, 2) == 2  # one unit of rank 2: two pieces
    assert B.maxout_upper(2, 3, 2) == min(1 + 12 + 66, 2**3)


def test_bounds_are_exact_python_ints_even_when_huge():
    value = B.serra_upper(3, [64] * 40)
    assert isinstance(value, int) and value > 2**200
    assert isinstance(B.montufar_lower(2, [16] * 30), int)


@given(n0=st.integers(1, 6), n=st.integers(1, 40))
def test_serra_upper_equals_zaslavsky_for_one_layer(n0, n):
    assert B.serra_upper(n0, [n]) == B.zaslavsky(n, n0)


@given(widths=st.lists(st.integers(3, 12), min_size=1, max_size=6))
def test_n0_1_serra_upper_equals_lower(widths):
    upper = B.serra_upper(1, widths)
    assert upper == B.serra_lower(1, widths)
    product = 1
    for n in widths:
        product *= n + 1
    assert upper == product  # one dimension: each layer multiplies the pieces by (n_l + 1)


@settings(max_examples=60)
@given(n0=st.integers(1, 3), widths=st.lists(st.integers(1, 5), min_size=1, max_size=3))
def test_serra_upper_matches_literal_enumeration(n0, widths):
    assert B.serra_upper(n0, widths) == serra_upper_by_enumeration(n0, widths)


@settings(max_examples=80)
@given(n0=st.integers(1, 4), widths=st.lists(st.integers(1, 30), min_size=1, max_size=5))
def test_every_lower_bound_is_below_every_upper_bound(n0, widths):
    table = B.bounds_table(n0, widths)
    lowers = [r.value for r in table if r.kind == "lower" and r.value is not None]
    uppers = [r.value for r in table if r.kind == "upper"]
    (first,) = [r.value for r in table if r.kind == "first_layer"]
    assert first == B.zaslavsky(widths[0], n0)  # what the first layer's lines alone make
    assert max([first, *lowers]) <= min(uppers)
    assert B.serra_upper(n0, widths) <= 2 ** sum(widths)
    assert {r.kind for r in table} <= set(B.KIND_MEANING) and all(r.label for r in table)


def test_deep_beats_shallow_with_the_same_units():
    # Montúfar et al.: 3 layers of 8 beat one layer of 24 units in 2-D (exponential in depth)
    assert B.montufar_lower(2, [8, 8, 8]) > B.zaslavsky(24, 2)
    assert B.serra_lower(2, [8, 8, 8]) > B.montufar_lower(2, [8, 8, 8])


def test_table_marks_inapplicable_lower_bounds():
    rows = {r.name: r for r in B.bounds_table(2, [3, 16])}
    assert rows["serra_lower"].value is None and "3*n0" in rows["serra_lower"].note
    assert rows["montufar_lower"].value == 1 * B.zaslavsky(16, 2)


@pytest.mark.parametrize("call, text", [
    (lambda: B.zaslavsky(5, 0), "n0"),
    (lambda: B.serra_upper(0, [4]), "n0"),
    (lambda: B.serra_upper(2, [4, 0]), "width"),
    (lambda: B.serra_upper(2, []), "at least one"),
    (lambda: B.montufar_lower(3, [2, 4]), ">= n0"),
    (lambda: B.maxout_lower(2, 2, 0, 2), "layers"),
    (lambda: B.maxout_lower(2, 2, 2, 0), "rank"),
    (lambda: B.parse_widths("16,x"), "comma-separated"),
    (lambda: B.parse_widths("16,-1"), "width"),
])
def test_bad_input_is_one_clear_line(call, text):
    with pytest.raises(SpecError) as info:
        call()
    assert text in str(info.value) and "\n" not in str(info.value)
