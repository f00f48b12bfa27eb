"""The engine against independent references: shared/nets counts, regioncam, brute-force grids,
torch autograd, and its own invariant checker after every layer."""

import numpy as np
import pytest
import torch
from regions_helpers import mlp, regioncam_count

import neuromosaic as nm
from neuromosaic.io.weights import load_npz_net
from neuromosaic.regions.brute import grid_count

SHARED_COUNTS = {("mlp_w16_d2_s0", 1): 127, ("mlp_w16_d2_s0", 10): 519,
                 ("mlp_w32_d3_s0", 1): 1180, ("mlp_w32_d3_s0", 10): 4705}


@pytest.mark.parametrize("name,R", sorted(SHARED_COUNTS))
def test_shared_nets_counts(shared_nets, name, R):
    net = load_npz_net(shared_nets / f"{name}.npz")
    reg = nm.linear_regions(net, domain=(-R, R, -R, R))
    assert reg.count == SHARED_COUNTS[name, R]
    summary = reg.check()
    assert summary["ambiguous"] == 0
    assert reg.count == regioncam_count(net, R)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("widths,R", [([16, 16], 1.0), ([16, 16], 10.0), ([32, 32, 32], 1.0), ([32, 32, 32], 10.0)])
def test_counts_equal_regioncam(seed, widths, R):
    net = mlp(widths, seed=100 + seed)
    assert nm.linear_regions(net, domain=(-R, R, -R, R)).count == regioncam_count(net, R)


@pytest.mark.parametrize("seed", range(3))
def test_grid_patterns_are_a_converging_lower_bound(seed):
    net = mlp([8, 8], seed=seed)
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    coarse = grid_count(net, domain=(-1, 1, -1, 1), size=64)
    fine = grid_count(net, domain=(-1, 1, -1, 1), size=1024)
    assert coarse <= fine <= reg.count
    # every region wider than a few pixels is seen by the fine grid
    missed = reg.count - fine
    assert missed <= np.sum(reg.areas < 4 * (2 / 1024) ** 2 * 50)


def test_check_after_every_layer_on_many_random_nets():
    rng = np.random.default_rng(0)
    for seed in range(40):
        depth = int(rng.integers(1, 4))
        widths = [int(w) for w in rng.integers(1, 9, size=depth)]
        net = mlp(widths, seed=seed, outputs=int(rng.integers(1, 3)))
        R = float(rng.choice([0.5, 1.0, 5.0]))
        for cut in range(2, len(net) + 1, 2):  # every prefix ending in a ReLU, then the whole net
            sub = net[:cut] if cut < len(net) else net
            reg = nm.linear_regions(sub, domain=(-R, R, -R, R))
            s = reg.check()
            assert s["area_error"] <= 1e-9 * (2 * R) ** 2
            assert s["ambiguous"] == 0


def test_interior_points_reproduce_affine_maps_with_autograd():
    net = mlp([12, 12, 12], seed=5, outputs=2)
    reg = nm.linear_regions(net, domain=(-2, 1, -1, 3))
    pts = reg.interior_points()
    x = torch.tensor(pts, requires_grad=True)
    y = net(x)
    grads, offsets = reg.affine
    for k in range(2):
        (g,) = torch.autograd.grad(y[:, k].sum(), x, retain_graph=True)
        np.testing.assert_allclose(g.numpy(), grads[:, k], atol=1e-9)
        np.testing.assert_allclose(y[:, k].detach().numpy(),
                                   (grads[:, k] * pts).sum(1) + offsets[:, k], atol=1e-9)


def test_areas_sum_to_domain_and_polygons_are_ccw():
    reg = nm.linear_regions(mlp([10, 10], seed=1), domain=(-3, 2, -1, 4))
    assert reg.areas.sum() == pytest.approx(25.0, rel=1e-12)
    for poly, area in zip(reg.polygons, reg.areas, strict=True):
        x, y = poly[:, 0], poly[:, 1]
        shoelace = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
        assert shoelace == pytest.approx(area, rel=1e-9, abs=1e-15) and shoelace > 0


@pytest.mark.parametrize("tiles", [(2, 2), (3, 2), (1, 5)])
def test_tiles_merge_to_the_same_partition(tiles):
    net = mlp([16, 16], seed=2)
    one = nm.linear_regions(net, domain=(-4, 4, -4, 4), tiles=(1, 1))
    many = nm.linear_regions(net, domain=(-4, 4, -4, 4), tiles=tiles, workers=2)
    assert many.count == one.count
    assert len(many.neighbours) == len(one.neighbours)
    key = lambda r: sorted(zip(map(bytes, r.patterns), np.round(r.areas, 9), strict=True))  # noqa: E731
    assert key(many) == key(one)
    many.check()
    for poly, area in zip(many.polygons, many.areas, strict=True):  # merged pieces: one convex polygon
        x, y = poly[:, 0], poly[:, 1]
        assert 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y) == pytest.approx(area, rel=1e-9, abs=1e-14)


def test_plane_slice_of_a_wider_net_matches_grid_and_check():
    net = mlp([10, 10], seed=3, inputs=5)
    rng = np.random.default_rng(1)
    plane = nm.Plane.through(*rng.normal(size=(3, 5)))
    reg = nm.linear_regions(net, plane=plane)
    reg.check()
    assert grid_count(net, plane=plane, size=512) <= reg.count
    assert all(p.shape[1] == 5 for p in reg.polygons_input)


def test_neighbours_share_an_edge():
    reg = nm.linear_regions(mlp([6, 6], seed=4), domain=(-1, 1, -1, 1))
    polys = reg.polygons
    for i, j in reg.neighbours:
        a = {tuple(np.round(p, 12)) for p in polys[i]}
        b = {tuple(np.round(p, 12)) for p in polys[j]}
        assert len(a & b) >= 2


def test_decision_boundary_is_on_the_zero_set():
    net = mlp([8, 8], seed=6)
    reg = nm.linear_regions(net, domain=(-2, 2, -2, 2))
    segs = reg.decision_boundary()
    assert len(segs) > 0
    pts = segs.reshape(-1, 2)
    with torch.no_grad():
        y = net(torch.tensor(pts)).numpy().ravel()
    assert np.abs(y).max() < 1e-9


def test_max_regions_stops_cleanly():
    with pytest.raises(nm.NeuromosaicError, match="max_regions: more than 10 regions"):
        nm.linear_regions(mlp([16, 16], seed=0), domain=(-1, 1, -1, 1), max_regions=10)


def test_netspec_is_built():
    spec = nm.NetSpec(inputs=2, widths=[8, 8], outputs=1, activation="relu",
                      out_activation="identity", init="default", seed=3)
    reg = nm.linear_regions(spec, domain=(-1, 1, -1, 1))
    assert reg.count == regioncam_count(spec.build(dtype=torch.float64)[:-1], 1.0)
    reg.check()


def test_progress_is_called_per_layer():
    calls2, calls3 = [], []
    net = mlp([8, 8], seed=7)
    nm.linear_regions(net, domain=(-1, 1, -1, 1), progress=lambda d, t: calls2.append((d, t)))
    nm.linear_regions(net, domain=(-1, 1, -1, 1), progress=lambda d, t, f: calls3.append((d, t, f)))
    assert [d for d, _ in calls2] == list(range(1, len(net) + 1))  # one call per step (module)
    assert calls3[-1][0] == calls3[-1][1] and calls3[-1][2] >= 1
