"""Segments (1-D pieces) and the exact verify mode."""

import numpy as np
import pytest
import torch
from regions_helpers import mlp, net_from

import neuromosaic as nm
from neuromosaic.regions.verify import verify_exact


def test_one_layer_breakpoints_are_the_unit_zeros():
    W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = np.array([0.25, -0.5, 0.0])
    net = net_from([(W, b), (np.ones((1, 3)), [0.0])])
    seg = nm.regions_on_segment(net, [-1, -1], [1, 1])  # x = y = -1 + 2t
    # zeros: x = -0.25 -> t = 0.375; y = 0.5 -> t = 0.75; x + y = 0 -> t = 0.5
    np.testing.assert_allclose(seg.breakpoints, [0.375, 0.5, 0.75], atol=1e-15)
    assert seg.count == 4
    assert seg.pieces[0] == (0.0, 0.375)


def test_segment_pieces_match_a_fine_sampling_and_the_network():
    net = mlp([16, 16, 16], seed=3, inputs=3)
    a, b = np.array([-2.0, 0.5, 1.0]), np.array([2.0, -1.0, 0.0])
    seg = nm.regions_on_segment(net, a, b)
    t = np.linspace(0, 1, 200001)
    with torch.no_grad():
        y = net(torch.tensor(a + t[:, None] * (b - a))).numpy()[:, 0]
    piece = np.searchsorted(seg.breakpoints, t)
    np.testing.assert_allclose(y, seg.slopes[piece, 0] * t + seg.offsets[piece, 0], atol=1e-9)
    # a diagonal of the 2-D partition crosses as many regions as the segment count
    net2 = mlp([12, 12], seed=4)
    reg = nm.linear_regions(net2, domain=(-1, 1, -1, 1))
    seg2 = nm.regions_on_segment(net2, [-1, -1], [1, 1])
    assert 1 <= seg2.count <= reg.count


def test_segment_bad_input():
    net = mlp([4], seed=0)
    with pytest.raises(nm.NeuromosaicError, match="same point"):
        nm.regions_on_segment(net, [0, 0], [0, 0])
    with pytest.raises(nm.NeuromosaicError, match="finite"):
        nm.regions_on_segment(net, [0, np.nan], [1, 1])


def test_exact_verify_medium_net():
    net = mlp([16, 16, 16], seed=11)
    reg = nm.linear_regions(net, domain=(-3, 3, -3, 3))
    rep = verify_exact(reg)
    assert rep.ok
    assert rep.area_sum == rep.domain_area == 36
    assert rep.infeasible == 0 and rep.count == reg.count
    assert 0 < rep.smallest_area <= reg.areas.min() * (1 + 1e-6)
    assert rep.max_area_error < 1e-10  # a rigorous bound: the distance plus the enclosure's width


def test_exact_verify_detects_a_missing_region():
    reg = nm.linear_regions(mlp([8, 8], seed=12), domain=(-1, 1, -1, 1))
    rep = verify_exact(_drop(reg, 0))
    assert not rep.ok and rep.missing > 0 and rep.area_sum < rep.domain_area
    assert rep.mesh["failures"]  # the hole's edges have one face and are inside the square


def _drop(reg, region: int):
    """``reg`` without the faces of ``region`` (a partition with a hole)."""
    from neuromosaic.regions import Regions

    keep = reg._face_region != region
    return Regions(reg.net, reg.program, reg.plane, reg._P, reg._Y, reg._F[keep], reg._deg[keep],
                   reg.patterns[reg._face_region[keep]], reg._face_tile[keep], reg._rects,
                   frame=reg.frame, cut=reg.cut)


@pytest.mark.parametrize("length", [1e-9, 1.0, 1e9])
def test_segment_pieces_at_every_scale_equal_the_exact_crossings(length):
    # one layer of 12 units whose zeros lie inside the segment: pieces = 1 + distinct crossings,
    # counted in exact rationals; the old tolerance (absolute below 1) merged them on a short segment
    g = np.random.default_rng(3)
    ts = np.sort(g.uniform(0.05, 0.95, 12))
    a, b = np.array([0.3, -0.2]) * length, np.array([0.3, -0.2]) * length + np.array([1.0, 0.5]) * length
    W = g.normal(size=(12, 2))
    bias = -np.einsum("ij,ij->i", W, a + ts[:, None] * (b - a))  # unit i is zero at t_i
    from fractions import Fraction

    net = net_from([(W, bias), (g.normal(size=(1, 12)), [0.0])])
    crossings = set()
    for w, c in zip(W, bias, strict=True):
        fa = sum(Fraction(float(x)) * Fraction(float(y)) for x, y in zip(w, a, strict=True)) + Fraction(float(c))
        fb = sum(Fraction(float(x)) * Fraction(float(y)) for x, y in zip(w, b, strict=True)) + Fraction(float(c))
        if (fa < 0 < fb) or (fb < 0 < fa):
            crossings.add(fa / (fa - fb))
    seg = nm.regions_on_segment(net, a, b)
    assert seg.count == 1 + len(crossings) == 13
