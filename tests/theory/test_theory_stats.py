"""Per-layer statistics of the article's inits against mean field's predicted spread."""

import numpy as np
import pytest

import neuromosaic as nm
from neuromosaic.errors import SpecError
from neuromosaic.theory import stats as S


def test_measured_spread_follows_mean_field_for_the_articles_inits():
    result = S.init_stats(("default", "normal:1", "uniform:3"), size=24, seeds=range(6))
    for init, r in result.items():
        np.testing.assert_allclose(r["std"], r["predicted_std"], rtol=0.2, err_msg=init)
    grey, chaos = result["default"], result["normal:1"]
    assert grey["std"][-1] < 0.25 and grey["saturated"].max() == 0.0  # sums near 0: grey goo
    assert chaos["std"][-1] > 3.0 and chaos["saturated"][-1] > 0.3  # tanh saturates at ±1


def test_layer_values_match_the_network_itself():
    spec = nm.NetSpec(inputs=2, widths=[8, 8], outputs=3, init="normal:1", seed=2)
    values = S.layer_values(spec, size=8)
    assert [v.shape for v in values["pre"]] == [(64, 8), (64, 8)]
    np.testing.assert_allclose(values["post"][1], np.tanh(values["pre"][1]))


def test_phase_renders_are_grey_in_order_and_varied_in_chaos():
    renders = S.phase_renders([0.3, 6.0], [0.0], size=32)
    ordered, chaotic = renders[0, 0].astype(float), renders[0, 1].astype(float)
    assert ordered.std() < 2.0  # one flat colour
    assert chaotic.std() > 20.0


@pytest.mark.parametrize("call", [
    lambda: S.layer_values(nm.NetSpec(inputs=3, widths=[4]), size=8),
    lambda: S.layer_values(nm.NetSpec(inputs=2, widths=[4]), size=0),
    lambda: S.init_stats(("bogus",), size=8, seeds=[0]),
    lambda: S.phase_renders([0.0], [0.0], size=8),
])
def test_bad_input(call):
    with pytest.raises(SpecError):
        call()


def test_grey_goo_fades_by_root_chi1_per_layer():
    # in the ordered phase a unit's spread across the pixels shrinks by √χ1 per layer
    from neuromosaic.theory import meanfield, phase

    r = S.init_stats(("default",), size=24, seeds=range(4))["default"]
    per_layer = (r["pixel_std"][7] / r["pixel_std"][2]) ** (1 / 5)
    root_chi1 = meanfield.chi1("tanh", **dict(zip(("sigma_w", "sigma_b"),
                                                  phase.init_to_sigmas("default", 16),
                                                  strict=True))) ** 0.5
    assert abs(per_layer / root_chi1 - 1) < 0.1
