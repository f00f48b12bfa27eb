"""Random ReLU nets at init: exact counts ≈ c·T², nearly independent of depth (Hanin & Rolnick)."""

import numpy as np
import pytest

from neuromosaic.errors import SpecError
from neuromosaic.theory import bounds
from neuromosaic.theory import density as D


def test_fitted_c_T_squared_describes_depths_1_2_4_within_25_percent():
    data = D.density_counts(depths=(1, 2, 4), widths=(16, 24), samples=2, seed=0)
    c = D.fit_c(data["T"], data["counts"])
    ratio = data["counts"].mean(axis=1) / (c * data["T"] ** 2)
    assert np.all(np.abs(ratio - 1) < 0.25), ratio
    # far below the worst case, which grows exponentially with depth
    for depth, width, count in zip(data["depth"], data["width"], data["counts"].max(axis=1),
                                   strict=True):
        assert count <= bounds.serra_upper(2, [int(width)] * int(depth))
        if depth == 4:
            assert count < bounds.serra_upper(2, [int(width)] * 4) / 1000


def test_one_layer_count_is_at_most_zaslavsky():
    for seed in range(3):
        assert D.region_count(16, 1, seed=seed) <= bounds.zaslavsky(16, 2)


def test_only_box_over_sigma_b_matters():
    # He weights and ReLU: scaling inputs and biases together scales every pre-activation
    a = D.region_count(16, 3, sigma_b=0.0625, box=1.0, seed=4)
    b = D.region_count(16, 3, sigma_b=0.25, box=4.0, seed=4)
    assert a == b


def test_fit_c_recovers_an_exact_law():
    T = np.array([10.0, 20.0, 40.0])
    assert D.fit_c(T, 0.3 * T**2) == pytest.approx(0.3)


@pytest.mark.parametrize("call", [
    lambda: D.region_count(16, 1, sigma_b=0.0),
    lambda: D.region_count(16, 1, box=-1.0),
    lambda: D.region_count(0, 1),
    lambda: D.fit_c(np.array([1.0]), np.array([0.0])),
])
def test_bad_input(call):
    with pytest.raises(SpecError):
        call()
