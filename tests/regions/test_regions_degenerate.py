"""Degenerate arrangements whose counts are known by hand (float64, tolerance TOL_REL)."""

import numpy as np
import pytest
from regions_helpers import net_from

import neuromosaic as nm


def one_layer(W, b):
    W, b = np.asarray(W, float), np.asarray(b, float)
    return net_from([(W, b), (np.ones((1, len(b))), [0.0])])


def test_lines_through_one_point():
    # k lines through the origin cut the square into 2k sectors
    angles = np.linspace(0, np.pi, 5, endpoint=False)
    W = np.stack([np.cos(angles), np.sin(angles)], 1)
    reg = nm.linear_regions(one_layer(W, np.zeros(5)), domain=(-1, 1, -1, 1))
    assert reg.count == 10
    reg.check()


def test_lines_through_the_corners_and_vertices():
    # the two diagonals pass through all four corners; a third line through the centre vertex
    W = [[1, -1], [1, 1], [1, 0]]
    reg = nm.linear_regions(one_layer(W, [0, 0, 0]), domain=(-1, 1, -1, 1))
    assert reg.count == 6
    # a second layer whose hyperplane passes exactly through an existing vertex (0, 0)
    net = net_from([(W, [0, 0, 0]), ([[1, -1, 0.5]], [0.0]), ([[1.0]], [0.0])])
    reg2 = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    reg2.check()


def test_parallel_and_coincident_hyperplanes():
    W = [[1, 0], [1, 0], [1, 0], [2, 0], [1, 0]]
    b = [0.5, 0.0, -0.5, 0.0, 0.5]  # x = -0.5 (twice), x = 0 (twice, one scaled), x = 0.5
    reg = nm.linear_regions(one_layer(W, b), domain=(-1, 1, -1, 1))
    assert reg.count == 4
    reg.check()


def test_dead_neurons_and_zero_weights():
    W = [[0, 0], [0, 0], [1, 1], [0.3, -1]]
    b = [0.0, -5.0, 0.0, 10.0]  # zero everywhere, dead, a diagonal, a line outside the box
    reg = nm.linear_regions(one_layer(W, b), domain=(-1, 1, -1, 1))
    assert reg.count == 2
    reg.check()
    # a whole zero layer: one region, the output is constant
    net = net_from([(np.zeros((4, 2)), np.zeros(4)), (np.ones((1, 4)), [1.5])])
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    assert reg.count == 1
    g, o = reg.affine
    assert np.all(g == 0) and o[0, 0] == pytest.approx(1.5)


def test_hyperplane_along_the_domain_border():
    # x = 1 is the right edge: it touches but does not cut
    reg = nm.linear_regions(one_layer([[1, 0], [0, 1]], [-1.0, 0.0]), domain=(-1, 1, -1, 1))
    assert reg.count == 2
    reg.check()


def test_second_layer_coincides_with_first():
    # layer 2 unit = layer-1 unit 0 copied (z2 = relu(x)): its zero set is x <= 0, already a region
    net = net_from([([[1, 0], [0, 1]], [0, 0]), ([[1, 0], [0, 1]], [0, 0]), ([[1, 1]], [0.0])])
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    assert reg.count == 4
    reg.check()


def test_tiny_sliver_is_kept():
    # two nearly parallel lines crossing inside the box make thin wedges
    W = [[1, 0], [1, 1e-7]]
    reg = nm.linear_regions(one_layer(W, [0.0, 0.0]), domain=(-1, 1, -1, 1))
    assert reg.count == 4
    assert reg.areas.min() < 1e-6
    reg.check()


def test_an_affine_net_is_one_region():
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    reg = nm.linear_regions(net, domain=(0, 1, 0, 2))
    assert reg.count == 1 and reg.areas[0] == pytest.approx(2.0)
    reg.check()
    assert nm.regions_on_segment(net, [0, 0], [1, 1]).count == 1


def test_integer_weight_nets_full_of_coincidences_verify_exactly():
    # small integer weights: many concurrent and parallel hyperplanes, hyperplanes through
    # vertices and along edges, units identically zero on whole regions. Exact rationals confirm
    # every region (regioncam, float32, reports one extra face on several of these).
    from neuromosaic.regions.verify import verify_exact

    rng = np.random.default_rng(0)
    for _ in range(12):
        widths = [int(v) for v in rng.integers(2, 7, size=rng.integers(1, 4))]
        sizes = [2, *widths, 1]
        layers = [(rng.integers(-2, 3, size=(b, a)).astype(float), rng.integers(-2, 3, size=b) / 2.0)
                  for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        reg = nm.linear_regions(net_from(layers), domain=(-2, 2, -2, 2))
        reg.check()
        rep = verify_exact(reg)
        assert rep.ok and rep.area_sum == 16


def test_property_random_nets_with_zeros_and_repeats_check_out():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    weights = st.sampled_from([0.0, 0.5, -0.5, 1.0, -1.0, 0.3, -0.7, 2.0])

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.data())
    def run(widths, data):
        sizes = [2, *widths, 1]
        layers = [(np.array(data.draw(st.lists(weights, min_size=a * b, max_size=a * b))).reshape(b, a),
                   np.array(data.draw(st.lists(weights, min_size=b, max_size=b))))
                  for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
        reg = nm.linear_regions(net_from(layers), domain=(-1.5, 1.5, -1.5, 1.5))
        s = reg.check()
        assert s["area_error"] <= 1e-12 and reg.count >= 1

    run()
