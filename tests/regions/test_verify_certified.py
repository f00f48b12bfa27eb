"""Verify mode, certified in float64: it proves what the exact rationals prove, finds what is wrong
with a corrupted partition, falls back to rationals where the floats cannot decide, and reports
maps that torch's autograd confirms. References: exact rationals (``verify(exact=True)``), the
arrangement count of one layer, torch autograd."""

from fractions import Fraction

import numpy as np
import pytest
import torch
from regions_helpers import mlp, net_from
from torch import nn

import neuromosaic as nm
from neuromosaic.layers import Maxout, Residual
from neuromosaic.regions import Regions
from neuromosaic.regions.verify import ExactReport, VerifyReport, pattern_maps, verify, verify_exact


def _nets():
    torch.manual_seed(3)
    maxout = nn.Sequential(Maxout(2, 6, 3), Maxout(6, 5, 2), nn.Linear(5, 1)).double()
    torch.manual_seed(4)
    residual = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), Residual(nn.Sequential(nn.Linear(8, 8), nn.ReLU())),
                             nn.Linear(8, 1)).double()
    return {
        "relu": (mlp([12, 12, 12], seed=1), 2.0),
        "leaky": (mlp([10, 10], seed=2, act=lambda: nn.LeakyReLU(0.1)), 2.0),
        "hardtanh": (mlp([10, 10], seed=3, act=nn.Hardtanh), 6.0),
        "abs": (mlp([8, 8], seed=4, act=lambda: _Abs()), 2.0),
        "maxout": (maxout, 2.0),
        "residual": (residual, 2.0),
    }


class _Abs(nn.Module):
    def forward(self, x):
        return x.abs()


@pytest.mark.parametrize("name", ["relu", "leaky", "hardtanh", "abs", "maxout", "residual"])
def test_floats_prove_what_the_rationals_prove(name):
    net, R = _nets()[name]
    reg = nm.linear_regions(net, domain=(-R, R, -R, R))
    fast = verify(reg)
    ref = verify(reg, exact=True)  # every region re-derived in rationals: the reference
    assert fast.ok and ref.ok, (fast.failures, ref.failures)
    assert fast.count == ref.count == reg.count > 5
    assert fast.area_sum == ref.area_sum == Fraction(4 * R * R)
    assert ref.fell_back == reg.count and ref.certified == 0
    assert fast.certified + fast.fell_back == reg.count
    # the float enclosures hold the exact areas
    lo, hi = fast.area_bounds
    assert lo <= 4 * R * R <= hi
    assert fast.map_error < 1e-9 and ref.map_error < 1e-9


def test_old_names_remain_for_a_release():
    reg = nm.linear_regions(mlp([6], seed=0), domain=(-1, 1, -1, 1))
    assert ExactReport is VerifyReport
    rep = verify_exact(reg)
    assert rep.ok and rep.infeasible == 0 and rep.area_sum == rep.domain_area == 4
    assert reg.verify().ok


def test_three_lines_through_one_point_fall_back_to_rationals():
    # x = 0, y = 0 and x + y = 0 meet at the origin: no float can decide the third line there
    net = net_from([([[1, 0], [0, 1], [1, 1]], [0, 0, 0]), ([[1, -1, 1]], [0])])
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    rep = reg.verify()
    assert rep.ok and reg.count == 6
    assert rep.fell_back > 0 and rep.exact_decisions > 0


def test_coincident_lines_and_dead_paths():
    # two equal units (one line twice), and a second layer that copies a first-layer unit (its
    # line coincides with the unit's on one side and vanishes on the other)
    net = net_from([([[1, 2], [1, 2], [-1, 1]], [0.25, 0.25, 0.0]),
                    ([[1, 0, 0], [0, 0, 1]], [0.0, 0.0]), ([[1, 1]], [0])])
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    rep = reg.verify()
    assert rep.ok, rep.failures
    assert reg.count == 4  # two distinct lines crossing inside the square


def test_a_missing_region_is_found():
    reg = nm.linear_regions(mlp([10, 10], seed=5), domain=(-1, 1, -1, 1))
    rep = verify(_without(reg, reg.count // 2))
    assert not rep.ok and rep.missing >= 2
    assert any("lacks" in f for f in rep.failures)


def test_two_regions_merged_into_one_are_found():
    reg = nm.linear_regions(mlp([10, 10], seed=6), domain=(-1, 1, -1, 1))
    a, b = reg.neighbours[0]
    codes = reg.patterns[reg._face_region].copy()
    codes[reg._face_region == b] = reg.patterns[a]  # b's faces now claim a's pattern
    bad = Regions(reg.net, reg.program, reg.plane, reg._P, reg._Y, reg._F, reg._deg, codes,
                  reg._face_tile, reg._rects, frame=reg.frame, cut=reg.cut)
    rep = verify(bad)
    assert not rep.ok


def test_an_infeasible_pattern_is_found():
    reg = nm.linear_regions(mlp([10, 10], seed=7), domain=(-1, 1, -1, 1))
    codes = reg.patterns.copy()
    codes[0] ^= 0xFF  # every unit of the first eight flipped: no such region
    bad = Regions(reg.net, reg.program, reg.plane, reg._P, reg._Y, reg._F, reg._deg,
                  codes[reg._face_region], reg._face_tile, reg._rects, frame=reg.frame, cut=reg.cut)
    rep = verify(bad)
    assert not rep.ok and (rep.infeasible > 0 or rep.missing > 0)


def test_a_wrong_map_is_found():
    reg = nm.linear_regions(mlp([8, 8], seed=8), domain=(-1, 1, -1, 1))
    g, o = reg.cut_affine
    g = g.copy()
    g[3, 0, 0] *= 1 + 1e-5
    reg.__dict__["cut_affine"] = (g, o)
    rep = verify(reg)
    assert not rep.ok and "affine map" in rep.failures[0]


@pytest.mark.parametrize("domain", [(-1e-6, 1e-6, -1e-6, 1e-6), (-1e12, 1e12, -1e12, 1e12),
                                    (1e9, 1e9 + 1e-3, 1e9, 1e9 + 1e-3), (-1e100, 1e100, -1e100, 1e100)])
def test_proved_at_every_scale(domain):
    x0, x1, y0, y1 = domain
    c, h = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), np.array([(x1 - x0) / 2, (y1 - y0) / 2])
    g = np.random.default_rng(0)
    W = g.normal(size=(8, 2))
    b = g.uniform(-0.6, 0.6, 8) * np.hypot(*W.T)
    W2 = g.normal(size=(6, 8))
    net = net_from([(W / h, b - (W / h) @ c), (W2, g.normal(size=6) * 0.3), (g.normal(size=(1, 6)), [0.0])])
    reg = nm.linear_regions(net, domain=domain)
    rep = reg.verify()
    assert rep.ok, rep.failures
    assert rep.area_sum == (Fraction(x1) - Fraction(x0)) * (Fraction(y1) - Fraction(y0))


def test_maps_from_patterns_equal_autograd():
    net = mlp([16, 16, 16], seed=9)
    reg = nm.linear_regions(net, domain=(-3, 3, -3, 3))
    idx = np.arange(reg.count)
    g, o = pattern_maps(reg, idx)  # cut coordinates: q = (s, t) / 3
    pts = torch.tensor(reg.interior_points(), requires_grad=True)
    y = net(pts)
    (grad,) = torch.autograd.grad(y.sum(), pts)
    assert np.allclose(g[:, 0, :] / 3, grad.numpy(), rtol=1e-10, atol=1e-13)
    assert np.allclose((g[:, 0, :] / 3 * pts.detach().numpy()).sum(1) + o[:, 0],
                       y.detach().numpy()[:, 0], rtol=1e-10, atol=1e-12)


def test_refused_naming_the_module():
    net = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).double().eval()
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    with pytest.raises(nm.NeuromosaicError, match="BatchNorm1d"):
        reg.verify()


def _without(reg, region: int):
    keep = reg._face_region != region
    return Regions(reg.net, reg.program, reg.plane, reg._P, reg._Y, reg._F[keep], reg._deg[keep],
                   reg.patterns[reg._face_region[keep]], reg._face_tile[keep], reg._rects,
                   frame=reg.frame, cut=reg.cut)


def test_max_pool_after_relu_ties_are_decided_exactly():
    # a max pool over ReLU units ties wherever its units are all off (every piece identically 0);
    # across an edge the tie breaks to the unit turning on: both the float path (derivatives with
    # bounds) and the exact path read that (the exact path once flipped only the unit and
    # reported a region missing); the exact re-derivation of every region is the reference
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 1)).double()
    g = np.random.default_rng(1)
    reg = nm.linear_regions(net, plane=nm.Plane.through(*g.normal(size=(3, 36))), input_shape=(1, 6, 6))
    rep = reg.verify()
    assert rep.ok, rep.failures
    # ties read from the maps' derivatives in floats; a winner's line repeated by its constraint
    # against a dead piece is known for the same line: most regions stay in floats
    assert reg.count > 20 and rep.certified > 0.8 * reg.count
    ref = verify(reg, exact=True)
    assert ref.ok and ref.area_sum == rep.area_sum
