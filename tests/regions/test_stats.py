"""Partition statistics, and Gaines & Bi's bound: the mean degree of the region adjacency graph of
a fully connected ReLU net on a plane is at most 2·d = 4 (the box only removes neighbours)."""

import numpy as np
import pytest
import torch

import neuromosaic as nm
from neuromosaic.io.weights import load_npz_net

NETS = [(w, d, s) for w in (4, 8, 16, 32) for d in (1, 2, 3) for s in (0, 1)]


@pytest.mark.parametrize("width, depth, seed", NETS)
def test_mean_degree_is_at_most_four_on_random_relu_nets(width, depth, seed):
    for init, box in (("default", 1.0), ("kaiming", 3.0), ("normal:1", 0.5)):
        spec = nm.NetSpec(inputs=2, widths=[width] * depth, outputs=1, activation="relu",
                          out_activation="identity", init=init, seed=seed)
        reg = nm.linear_regions(spec, domain=(-box, box, -box, box))
        st = reg.stats()
        assert st["neighbours"]["mean"] <= 4.0 + 1e-12, (width, depth, seed, init, st["neighbours"])
        # the mean degree is twice the graph's edges over its nodes
        assert st["neighbours"]["mean"] == pytest.approx(2 * len(reg.neighbours) / reg.count)


def test_the_reference_nets_respect_the_bound(shared_nets):
    for name in ("mlp_w16_d2_s0", "mlp_w32_d3_s0", "mlp_w64_d4_s0"):
        net = load_npz_net(shared_nets / f"{name}.npz")
        for R in (1, 10):
            st = nm.linear_regions(net, domain=(-R, R, -R, R)).stats()
            assert st["neighbours"]["mean"] <= 4.0, (name, R, st["neighbours"])


def test_stats_agree_with_the_partition():
    spec = nm.NetSpec(inputs=2, widths=[8, 8], outputs=1, activation="relu", out_activation="identity", seed=3)
    reg = nm.linear_regions(spec, domain=(-2, 2, -2, 2))
    st = reg.stats()
    assert st["regions"] == reg.count and st["regions_per_unit_area"] == pytest.approx(reg.count / 16)
    assert sum(st["sides"]["histogram"].values()) == reg.count
    assert min(st["sides"]["histogram"]) >= 3  # convex polygons: triangles at least
    assert st["area"]["min"] == pytest.approx(reg.areas.min()) and st["area"]["max"] == pytest.approx(reg.areas.max())
    assert sum(st["area"]["log10_histogram"]["counts"]) == reg.count
    # a single square region: 4 sides, no neighbour
    one = nm.linear_regions(torch.nn.Sequential(torch.nn.Linear(2, 1)), domain=(0, 1, 0, 1)).stats()
    assert one["sides"]["histogram"] == {4: 1} and one["neighbours"]["max"] == 0
    # two regions split by x = 0.5: two quadrilaterals, one edge between them
    net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0]]))
        net[0].bias.fill_(-0.5)
    two = nm.linear_regions(net, domain=(0, 1, 0, 1)).stats()
    assert two["regions"] == 2 and two["neighbours"]["mean"] == 1.0 and two["sides"]["histogram"] == {4: 2}
    np.testing.assert_allclose(two["area"]["median"], 0.5)
