"""Trajectory length (Raghu et al. 2017) against mean field's per-layer factor √χ1."""

import math

import numpy as np
import pytest

from neuromosaic.errors import SpecError
from neuromosaic.theory import trajectory as tr


@pytest.mark.parametrize("sigma_w", [1.0, 2.0])
def test_relu_growth_per_layer_is_sigma_w_over_root_2_at_width_100(sigma_w):
    lengths = tr.circle_lengths("relu", sigma_w=sigma_w, sigma_b=0.1, width=100, depth=16,
                                points=128, samples=4, seed=1)
    growth = tr.measured_growth(lengths, skip=1)
    assert abs(growth / (sigma_w / math.sqrt(2)) - 1) < 0.05


def test_tangent_length_agrees_with_the_polyline_for_a_linear_net():
    # identity activation: the image of the circle is an ellipse; the tangent integral must
    # equal the ellipse's perimeter measured by a fine polyline
    lengths = tr.circle_lengths("identity", sigma_w=1.0, width=2, depth=1, points=4096, seed=3)
    assert lengths[0, 0] == pytest.approx(2 * math.pi)
    import torch
    gen = torch.Generator().manual_seed(3)
    weight = torch.randn(2, 2, generator=gen, dtype=torch.float64) / math.sqrt(2)
    t = np.linspace(0, 2 * math.pi, 20001)
    pts = np.stack([np.cos(t), np.sin(t)], 1) @ weight.numpy().T
    perimeter = np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()
    assert lengths[0, 1] == pytest.approx(perimeter, rel=1e-6)


def test_tanh_growth_follows_chi1_in_both_phases():
    result = tr.growth_vs_sigma("tanh", [0.5, 2.0], sigma_b=0.0, width=200, depth=12,
                                samples=2, points=256)
    np.testing.assert_allclose(result["measured"], result["predicted"], rtol=0.06)
    assert result["measured"][0] < 1 < result["measured"][1]


def test_predicted_growth_settles_to_root_chi1():
    factors = tr.predicted_growth("tanh", sigma_w=4.0, q0=0.5, depth=12)
    from neuromosaic.theory import meanfield
    assert factors[-1] == pytest.approx(math.sqrt(meanfield.chi1("tanh", sigma_w=4.0)), rel=1e-4)


def test_depth_multiplies_length_width_barely_matters():
    d = tr.depth_width_lengths("tanh", sigma_w=4.0, widths=(16, 64), depth=8, points=128)
    lengths = d["lengths"]
    growth = (lengths[:, 8] / lengths[:, 2]) ** (1 / 6)  # per layer, layers 2..8
    assert np.all(growth > 1.3)  # exponential in depth (√χ1 ≈ 1.54 for normal:1 at fan-in 16)
    assert abs(growth[1] / growth[0] - 1) < 0.1  # 4x the width, about the same factor per layer


@pytest.mark.parametrize("kwargs, text", [
    ({"activation": "gelu", "sigma_w": 1.0}, "trajectory supports"),
    ({"activation": "relu", "sigma_w": 0.0}, "sigma_w"),
    ({"activation": "relu", "sigma_w": 1.0, "width": 0}, "width"),
    ({"activation": "nope", "sigma_w": 1.0}, "unknown activation"),
])
def test_bad_input(kwargs, text):
    with pytest.raises(SpecError) as info:
        tr.circle_lengths(**kwargs)
    assert text in str(info.value)
