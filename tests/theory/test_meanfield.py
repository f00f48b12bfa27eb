"""Mean field: the issue's figures, and checks against Gauss–Hermite and wide random nets."""

import functools
import math

import numpy as np
import pytest
import torch
from numpy.polynomial.hermite_e import hermegauss

import neuromosaic as nm
from neuromosaic.errors import SpecError
from neuromosaic.spec import ACTIVATIONS
from neuromosaic.theory import meanfield as mf
from neuromosaic.theory import phase


@functools.lru_cache(maxsize=2)
def hermite(n):
    z, w = hermegauss(n)
    return z, w / w.sum()


def rel(a, b):
    return abs(a - b) / abs(b)


def test_critical_sigma_w_of_tanh_without_bias_is_one():
    assert abs(phase.critical_sigma_w("tanh", sigma_b=0.0) - 1.0) < 1e-3
    assert abs(phase.critical_sigma_w("relu", sigma_b=0.5) - math.sqrt(2)) < 1e-9


def test_init_to_sigmas_follows_the_layer_variances():
    sw, sb = phase.init_to_sigmas("default", 16)
    assert sw**2 == pytest.approx(1 / 3) and sb**2 == pytest.approx(1 / 48)
    assert phase.init_to_sigmas("normal:1", 16) == (pytest.approx(4.0), pytest.approx(math.sqrt(1 / 48)))
    assert phase.init_to_sigmas("uniform:100", 16)[0] ** 2 == pytest.approx(16 * 100**2 / 3)
    assert phase.init_to_sigmas("kaiming", 16) == (pytest.approx(math.sqrt(2)), 0.0)
    assert phase.init_to_sigmas("xavier", 16) == (pytest.approx(1.0), 0.0)
    assert phase.init_to_sigmas("normal:1", 16, bias_init="normal:2")[1] == pytest.approx(2.0)


def test_the_articles_inits_at_fan_in_16():
    # PyTorch default W and b (σ_b² = 1/48, the default bias): ordered, grey goo
    assert rel(mf.chi1("tanh", **_sig("default")), 0.315) < 0.01
    # normal(0, 1) weights: chaotic; σ_b = 0 as the issue states, and with the default bias
    assert rel(mf.chi1("tanh", sigma_w=4.0, sigma_b=0.0), 2.38) < 0.01
    assert rel(mf.chi1("tanh", **_sig("normal:1")), 2.38) < 0.01
    # uniform(±100): deep in chaos
    assert rel(mf.chi1("tanh", sigma_w=_sig("uniform:100")["sigma_w"], sigma_b=0.0), 123) < 0.01
    assert rel(mf.chi1("tanh", **_sig("uniform:100")), 123) < 0.01


def _sig(init):
    sw, sb = phase.init_to_sigmas(init, 16)
    return {"sigma_w": sw, "sigma_b": sb}


@pytest.mark.parametrize("q", [0.05, 1.0, 4.0])
def test_panel_quadrature_agrees_with_gauss_hermite_where_that_works(q):
    # tanh's poles at ±iπ/2 make Gauss–Hermite converge slowly: 300 nodes for ~1e-8
    z, w = hermite(300)
    x = math.sqrt(q) * z
    assert mf.expect("tanh", "phi2", q) == pytest.approx(w @ np.tanh(x) ** 2, rel=1e-6)
    assert mf.expect("tanh", "dphi2", q) == pytest.approx(w @ np.cosh(x) ** -4, rel=1e-6)
    assert mf.expect("sigmoid", "phi2", q) == pytest.approx(w @ (1 / (1 + np.exp(-x))) ** 2, rel=1e-6)


def test_piecewise_linear_expectations_are_exact():
    assert mf.expect("relu", "phi2", 3.0) == pytest.approx(1.5, rel=1e-12)
    assert mf.expect("relu", "dphi2", 3.0) == pytest.approx(0.5, rel=1e-12)
    p_inside = math.erf(1 / math.sqrt(2 * 2.0))  # P(|√2 z| < 1)
    assert mf.expect("hardtanh", "dphi2", 2.0) == pytest.approx(p_inside, rel=1e-10)
    assert mf.chi1("relu", sigma_w=1.7, sigma_b=0.3) == pytest.approx(1.7**2 / 2, rel=1e-12)


def test_correlation_map_against_gauss_hermite_and_arc_cosine_kernel():
    q, c = 1.3, 0.4
    z, w = hermite(200)
    z1, z2 = np.meshgrid(z, z, indexing="ij")
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(1 - c * c) * z2)
    pair = np.einsum("i,j,ij->", w, w, np.tanh(u1) * np.tanh(u2))
    length = 1.5**2 * (w @ np.tanh(math.sqrt(q) * z) ** 2) + 0.2**2
    expected = (1.5**2 * pair + 0.2**2) / length
    got = mf.correlation_map("tanh", c, sigma_w=1.5, sigma_b=0.2, q=q)
    assert got == pytest.approx(expected, rel=1e-6)
    # ReLU, σ_b = 0: the normalised arc-cosine kernel (Cho & Saul 2009)
    theta = math.acos(c)
    kernel = (math.sin(theta) + (math.pi - theta) * c) / math.pi
    assert mf.correlation_map("relu", c, sigma_w=1.2, sigma_b=0.0, q=2.0) == pytest.approx(kernel, rel=1e-9)


def test_phases_and_fixed_points():
    ordered = mf.analyse("tanh", sigma_w=0.8, sigma_b=0.1)
    chaotic = mf.analyse("tanh", sigma_w=3.0, sigma_b=0.1)
    assert ordered.phase == "ordered" and ordered.c_star == 1.0
    assert chaotic.phase == "chaotic" and 0.0 <= chaotic.c_star < 0.5
    assert mf.correlation_map("tanh", chaotic.c_star, sigma_w=3.0, sigma_b=0.1) == pytest.approx(
        chaotic.c_star, abs=1e-7)
    assert mf.length_map("tanh", chaotic.q_star, sigma_w=3.0, sigma_b=0.1) == pytest.approx(
        chaotic.q_star, rel=1e-10)
    assert ordered.xi_c == pytest.approx(-1 / math.log(ordered.chi1))
    # the depth scale diverges at the edge of chaos
    edge = phase.critical_sigma_w("tanh", sigma_b=0.05)
    assert mf.analyse("tanh", sigma_w=edge * 0.999, sigma_b=0.05).xi_c > 100
    assert mf.q_star("tanh", sigma_w=0.9, sigma_b=0.0) == 0.0
    assert mf.q_star("relu", sigma_w=2.0, sigma_b=0.0) == math.inf


def test_length_map_predicts_a_wide_random_tanh_net():
    width, depth, sw, sb = 2000, 6, 2.0, 0.3
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, width, generator=gen)  # inputs of mean square 1 (q0 = 1)
    measured = []
    h = x
    for _ in range(depth):
        weights = torch.randn(width, width, generator=gen) * sw / math.sqrt(width)
        bias = torch.randn(width, generator=gen) * sb
        pre = h @ weights.T + bias
        measured.append(float(pre.pow(2).mean()))
        h = torch.tanh(pre)
    predicted = mf.length_trajectory("tanh", sigma_w=sw, sigma_b=sb, q0=1.0, depth=depth)
    np.testing.assert_allclose(measured, predicted, rtol=0.03)


def test_every_activation_has_a_mean_field():
    for name in ACTIVATIONS:
        result = mf.analyse(name, sigma_w=1.2, sigma_b=0.1)
        assert math.isfinite(result.chi1) and result.chi1 > 0, name


def test_phase_diagram_shapes_and_edge():
    d = phase.phase_diagram("tanh", sigma_w=np.geomspace(0.3, 5, 12), sigma_b=np.array([0.0, 0.5]))
    assert d["chi1"].shape == (2, 12)
    assert d["critical_sigma_w"][0] == pytest.approx(1.0, abs=1e-3)
    assert mf.chi1("tanh", sigma_w=d["critical_sigma_w"][1], sigma_b=0.5) == pytest.approx(1.0)
    assert np.all(np.diff(d["chi1"][1]) > 0)  # χ1 grows with σ_w


def test_public_path_from_the_package():
    assert nm.theory.meanfield.chi1("tanh", sigma_w=1.0, sigma_b=0.0) == pytest.approx(1.0)


@pytest.mark.parametrize("call, text", [
    (lambda: mf.chi1("tanh", sigma_w=0.0), "sigma_w"),
    (lambda: mf.chi1("tanh", sigma_w=-1.0), "sigma_w"),
    (lambda: mf.chi1("tanh", sigma_w=1.0, sigma_b=-0.1), "sigma_b"),
    (lambda: mf.chi1("swish", sigma_w=1.0), "unknown activation"),
    (lambda: phase.init_to_sigmas("gauss:2", 16), "unknown init"),
    (lambda: phase.init_to_sigmas("default", 0), "fan_in"),
    (lambda: mf.correlation_map("tanh", 1.5, sigma_w=1.0), "[-1, 1]"),
])
def test_bad_input_is_one_clear_line(call, text):
    with pytest.raises(SpecError) as info:
        call()
    assert text in str(info.value) and "\n" not in str(info.value)
