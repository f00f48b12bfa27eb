"""Hand-built nets reach the theory's counts, verified by the exact region engine."""

import itertools

import numpy as np
import pytest
import torch

import neuromosaic as nm
from neuromosaic.errors import SpecError
from neuromosaic.theory import bounds
from neuromosaic.theory import constructions as C


@pytest.mark.parametrize("k", range(1, 11))
def test_sawtooth_depth_k_has_exactly_2_to_the_k_pieces(k):
    net = C.sawtooth(k)
    segment = nm.regions_on_segment(net, [0.0], [1.0])
    assert segment.count == C.sawtooth_pieces(k) == 2**k
    # and each piece maps onto [0, 1] with slope ±2^k (the function really has 2^k pieces)
    np.testing.assert_allclose(np.abs(segment.slopes[:, 0]), 2.0**k)
    assert np.all(np.sign(segment.slopes[1:, 0]) != np.sign(segment.slopes[:-1, 0]))


def test_sawtooth_by_dense_sampling_too():
    net = C.sawtooth(6)
    x = torch.arange(2**12 + 1, dtype=torch.float64)[:, None] / 2**12  # dyadic: exact
    y = net(x).detach().numpy()[:, 0]
    assert 1 + np.count_nonzero(np.diff(np.sign(np.diff(y)))) == 64
    assert y.min() == 0.0 and y.max() == 1.0


@pytest.mark.parametrize("p, depth, last", [(2, 2, 3), (2, 3, 4), (3, 2, 5), (1, 1, 6)])
def test_folding_net_reaches_montufar_lower_bound_exactly(p, depth, last):
    net = C.folding_net(p, depth, last)
    regions = nm.linear_regions(net, domain=(0.0, 1.0, 0.0, 1.0), workers=1)
    expected = C.folding_regions(p, depth, last)
    assert regions.count == expected
    widths = [2 * p] * (depth - 1) + [last]
    assert expected == bounds.montufar_lower(2, widths)
    assert expected <= bounds.serra_upper(2, widths)


def test_folding_net_by_dense_sampling_of_patterns():
    net = C.folding_net(2, 2, 3)
    g = (np.arange(600) + 0.5) / 600
    h = torch.tensor(np.stack(np.meshgrid(g, g), -1).reshape(-1, 2))
    patterns = []
    for module in net:
        h = module(h)
        if isinstance(module, torch.nn.ReLU):
            patterns.append((h > 0).numpy())
    assert len(np.unique(np.concatenate(patterns, 1), axis=0)) == 28


def test_random_one_layer_net_of_12_units_in_a_huge_box_has_79_regions():
    spec = nm.NetSpec(inputs=2, widths=[12], outputs=1, activation="relu",
                      out_activation="identity", init="normal:1", bias_init="normal:1", seed=5)
    net = spec.build(dtype=torch.float64)
    W = net[0].weight.detach().numpy()
    b = net[0].bias.detach().numpy()
    crossings = [np.linalg.solve(W[[i, j]], -b[[i, j]]) for i, j in itertools.combinations(range(12), 2)]
    half = 4 * float(np.abs(crossings).max()) + 1.0  # every crossing well inside the box
    regions = nm.linear_regions(net, domain=(-half, half, -half, half), workers=1)
    assert regions.count == 1 + 12 + 66 == bounds.zaslavsky(12, 2)


def test_folding_lines_are_in_general_position_inside_the_square():
    normals, offsets = C.folding_lines(7)
    for i, j in itertools.combinations(range(7), 2):
        point = np.linalg.solve(normals[[i, j]], -offsets[[i, j]])
        assert np.all((point > 0) & (point < 1))
    for i, j, k in itertools.combinations(range(7), 3):
        point = np.linalg.solve(normals[[i, j]], -offsets[[i, j]])
        assert abs(normals[k] @ point + offsets[k]) > 1e-6


@pytest.mark.parametrize("call", [lambda: C.sawtooth(0), lambda: C.folding_net(0, 2, 3),
                                  lambda: C.folding_net(2, 2, 0)])
def test_bad_input(call):
    with pytest.raises(SpecError):
        call()
