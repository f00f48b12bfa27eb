"""Right at every scale: huge, tiny and far-off domains are cut as [-1, 1]² is, and check() sees a
wrong partition there. References: the line arrangement's count in exact rationals, verify_exact."""

from fractions import Fraction

import numpy as np
import pytest
from regions_helpers import net_from

import neuromosaic as nm
from neuromosaic.regions import RegionCheckError, Regions
from neuromosaic.regions.verify import verify_exact

DOMAINS = {
    "1e-6": (-1e-6, 1e-6, -1e-6, 1e-6),
    "1": (-1.0, 1.0, -1.0, 1.0),
    "1e6": (-1e6, 1e6, -1e6, 1e6),
    "1e12": (-1e12, 1e12, -1e12, 1e12),
    "1e100": (-1e100, 1e100, -1e100, 1e100),
    "window at 1e9": (1e9, 1e9 + 1e-3, 1e9, 1e9 + 1e-3),
    "off-centre": (-3.5e6, -3.5e6 + 20.0, 7e5, 7e5 + 0.25),
    "thin and far": (2.0**40, 2.0**40 + 2.0**-10, -1e3, 1e5),
}


def scaled_net(domain, *, seed: int, units: int = 8):
    """One hidden layer whose lines cross near the middle of ``domain``: a random net on [-1, 1]²
    mapped onto the domain (its float64 weights are what the exact count reads)."""
    g = np.random.default_rng(seed)
    W = g.normal(size=(units, 2))
    b = g.uniform(-0.6, 0.6, units) * np.hypot(*W.T)  # each line within 0.6 of the centre
    x0, x1, y0, y1 = domain
    c, h = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), np.array([(x1 - x0) / 2, (y1 - y0) / 2])
    Wu = W / h  # z = W (x - c) / h + b
    bu = b - Wu @ c
    return net_from([(Wu, bu), (g.normal(size=(1, units)), [0.0])]), Wu, bu


def arrangement_count(W, b, domain) -> int:
    """Regions of the lines ``W x + b = 0`` in the open box, in exact rationals (lines in general
    position): 1 + lines meeting the box + pairwise crossings strictly inside it."""
    x0, x1, y0, y1 = (Fraction(float(v)) for v in domain)
    lines = [(Fraction(float(p)), Fraction(float(q)), Fraction(float(r)))
             for (p, q), r in zip(W, b, strict=True)]
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    count = 1
    for p, q, r in lines:
        vals = [p * x + q * y + r for x, y in corners]
        count += min(vals) < 0 < max(vals)
    for i, (p1, q1, r1) in enumerate(lines):
        for p2, q2, r2 in lines[i + 1:]:
            det = p1 * q2 - p2 * q1
            assert det != 0, "parallel lines: not in general position"
            x, y = (q1 * r2 - q2 * r1) / det, (r1 * p2 - r2 * p1) / det
            count += x0 < x < x1 and y0 < y < y1
    return count


@pytest.mark.parametrize("name", sorted(DOMAINS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_at_every_scale_equal_the_exact_arrangement(name, seed):
    domain = DOMAINS[name]
    net, W, b = scaled_net(domain, seed=seed)
    want = arrangement_count(W, b, domain)
    assert want >= 20  # the lines do cross inside the box
    reg = nm.linear_regions(net, domain=domain)
    assert reg.count == want
    report = reg.check()
    assert report["ambiguous"] == 0 and report["relative_output_error"] < 1e-12
    rep = verify_exact(reg)
    assert rep.ok and rep.count == want
    x0, x1, y0, y1 = domain
    assert rep.area_sum == (Fraction(x1) - Fraction(x0)) * (Fraction(y1) - Fraction(y0))
    # reported in the user's coordinates: inside the domain, areas summing to its area
    for poly in reg.polygons:
        assert (poly[:, 0] >= x0).all() and (poly[:, 0] <= x1).all()
        assert (poly[:, 1] >= y0).all() and (poly[:, 1] <= y1).all()
    area = (x1 - x0) * (y1 - y0)
    assert reg.areas.sum() == pytest.approx(area, rel=1e-9) and (reg.areas > 0).all()
    assert rep.max_area_error <= 1e-9 * area


@pytest.mark.parametrize("name", ["1e12", "window at 1e9", "off-centre"])
def test_pieces_keep_their_maps_and_points_in_user_coordinates(name):
    domain = DOMAINS[name]
    net, _, _ = scaled_net(domain, seed=4)
    reg = nm.linear_regions(net, domain=domain)
    pts = reg.interior_points()
    x0, x1, y0, y1 = domain
    assert ((pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)).all()
    # each region's reported gradient is the network's (torch autograd at its interior point)
    import torch

    x = torch.tensor(pts, requires_grad=True)
    net(x).sum().backward()
    np.testing.assert_allclose(reg.grads[:, 0, :], x.grad.numpy(), rtol=1e-6)
    # the tiles, the neighbours and the boundary are in the user's coordinates too
    assert reg.tiles == [domain]
    assert len(reg.neighbours) >= reg.count - 1
    seg = reg.decision_boundary()
    assert seg.size == 0 or ((seg[..., 0] >= x0) & (seg[..., 0] <= x1)).all()


# a deep net moved onto a domain is the same net only if float64 holds its moved first layer:
# far windows get dyadic centres and weights of 8 significant bits (then every product and sum
# of the move is exact); "window at 1e9" and "thin and far" would need a bias of more than 53 bits
DEEP_DOMAINS = {**{k: DOMAINS[k] for k in ("1e-6", "1", "1e6", "1e12", "1e100", "off-centre")},
                "far, dyadic": (2.0**30, 2.0**30 + 2.0**-10, -(2.0**20), -(2.0**20) + 2.0**-12)}


@pytest.mark.parametrize("name", sorted(DEEP_DOMAINS))
def test_a_deep_net_moved_onto_any_domain_keeps_its_count(name):
    # the same [8, 8, 8] net on [-1, 1]² and with its first layer mapped onto the domain
    import torch
    from regions_helpers import mlp

    net = mlp([8, 8, 8], seed=7)
    with torch.no_grad():
        m, e = np.frexp(4.0 * net[0].weight.numpy())  # as the net on [-4, 4]², 8-bit weights
        net[0].weight.copy_(torch.tensor(np.ldexp(np.round(m * 256) / 256, e)))
        m, e = np.frexp(net[0].bias.numpy())
        net[0].bias.copy_(torch.tensor(np.ldexp(np.round(m * 256) / 256, e)))
    base = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    x0, x1, y0, y1 = domain = DEEP_DOMAINS[name]
    c, h = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), np.array([(x1 - x0) / 2, (y1 - y0) / 2])
    with torch.no_grad():
        W = net[0].weight.numpy() / h
        net[0].bias.copy_(torch.tensor(net[0].bias.numpy() - W @ c))
        net[0].weight.copy_(torch.tensor(W))
    reg = nm.linear_regions(net, domain=domain)
    assert reg.count == base.count > 60
    assert reg.check()["ambiguous"] == 0
    assert reg.areas.sum() == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-9)


def test_the_frame_maps_the_square_onto_the_domain_exactly():
    from neuromosaic.regions.frame import Frame

    for domain in DOMAINS.values():
        frame = Frame(domain)
        x0, x1, y0, y1 = domain
        q = np.array([[-1.0, -1.0], [1.0, 1.0], [0.0, 0.5], [-0.25, 1.0]])
        st = frame.to_plane(q)
        assert st[0].tolist() == [x0, y0] and st[1].tolist() == [x1, y1] and st[3, 1] == y1
        assert x0 <= st[2, 0] <= x1 and y0 <= st[2, 1] <= y1
        assert frame.rect_to_plane((-1, 1, -1, 1)) == domain
        g, o = np.array([[[2.0, -3.0]]]), np.array([[0.5]])  # y = 2 qs - 3 qt + 0.5
        gp, op = frame.maps_to_plane(g, o)
        y = gp[0, 0] @ frame.center + op[0, 0]  # the map at the centre, q = 0
        scale = np.abs(gp).max() * np.abs(frame.center).max() + 1
        assert y == pytest.approx(0.5, abs=1e-9 * scale)


def test_the_random_net_of_the_issue_is_cut_right_up_to_1e12():
    # issue 15: `neuromosaic regions --arch 2,8,1 --domain=-1e12,1e12,-1e12,1e12` gave 16 regions
    # (the tolerance merged every crossing); the lines cross within ~1 of the origin: 37 regions
    spec = nm.NetSpec(inputs=2, widths=[8], outputs=1, activation="relu", out_activation="identity",
                      init="default", seed=0)
    W, b = (p.detach().numpy() for p in list(spec.build().parameters())[:2])
    for R in (1e6, 1e9, 1e12):
        reg = nm.linear_regions(spec, domain=(-R, R, -R, R))
        assert reg.count == arrangement_count(W, b, (-R, R, -R, R)) == 37
        reg.check()
        assert verify_exact(reg).ok


def test_check_sees_the_old_tolerance_merge_crossings(monkeypatch):
    # the engine's old zero tolerance (1e-10 of the values) merged the crossings at R = 1e9 and
    # 1e12; check() now evaluates the net at every face's vertices and sees the lost hyperplanes
    from neuromosaic.regions import scales

    spec = nm.NetSpec(inputs=2, widths=[8], outputs=1, activation="relu", out_activation="identity",
                      init="default", seed=0)
    monkeypatch.setattr(scales, "CUT_EPS", 1e-10 / scales.EPS)
    for R in (1e9, 1e12):
        reg = nm.linear_regions(spec, domain=(-R, R, -R, R))
        assert reg.count < 37
        with pytest.raises(RegionCheckError, match="crosses the face"):
            reg.check()


def rebuilt(reg, *, P=None, keep=None, codes=None) -> Regions:
    """``reg``'s partition with its vertices, faces or face patterns replaced (one tile)."""
    m = reg.cut_mesh
    P = m.P.copy() if P is None else P
    codes = reg.patterns[m.face_region] if codes is None else codes
    keep = np.arange(m.num_faces) if keep is None else keep
    return Regions(reg.net, reg.program, reg.plane, P, m.Y, m.F[keep], m.deg[keep], codes[keep],
                   m.face_tile[keep], [(-1.0, 1.0, -1.0, 1.0)], frame=reg.frame, cut=reg.cut)


@pytest.mark.parametrize("name", ["1e12", "window at 1e9", "1e-6"])
def test_check_fails_loudly_on_corrupted_partitions(name):
    domain = DOMAINS[name]
    net, _, _ = scaled_net(domain, seed=5)
    reg = nm.linear_regions(net, domain=domain)
    assert len(reg.tiles) == 1
    rebuilt(reg).check()  # the rebuilt copy itself is fine
    m = reg.cut_mesh
    # a region dropped: the areas no longer sum to the domain's
    with pytest.raises(RegionCheckError, match="areas sum"):
        rebuilt(reg, keep=np.flatnonzero(m.face_region != int(np.argmax(reg.areas)))).check()
    # two regions with one pattern: one region counted twice
    codes = reg.patterns[m.face_region].copy()
    a, b = reg.neighbours[0]
    codes[m.face_region == b] = reg.patterns[a]
    with pytest.raises(RegionCheckError):
        rebuilt(reg, codes=codes).check()
    # a region's pattern with a unit flipped whose line is elsewhere: a pattern of no region
    known = {bytes(p) for p in reg.patterns}
    flipped = next(f for f in (reg.patterns[a] ^ np.uint8(1 << k) for k in range(8))
                   if bytes(f) not in known)
    codes = reg.patterns[m.face_region].copy()
    codes[m.face_region == a] = flipped
    with pytest.raises(RegionCheckError, match="crosses the face|differs"):
        rebuilt(reg, codes=codes).check()
    # an interior crossing moved off its lines by 1e-3 of the domain (areas still sum right)
    inner = np.flatnonzero((np.abs(m.P) < 0.9).all(1))
    P = m.P.copy()
    P[inner[0]] += [1e-3, -2e-3]
    bad = rebuilt(reg, P=P)
    assert bad.areas.sum() == pytest.approx(reg.areas.sum(), rel=1e-12)
    with pytest.raises(RegionCheckError, match="crosses the face|convex"):
        bad.check()


def test_check_sees_a_first_layer_folded_in_float64_far_from_the_origin(monkeypatch):
    # a window at 1e9 folded in float64 loses the bias to cancellation (1e-7 of values ~1e-3):
    # the engine folds it in exact rationals, and check() recomputes the fold
    from neuromosaic.regions import frame

    domain = DOMAINS["window at 1e9"]
    net, _, _ = scaled_net(domain, seed=6)
    nm.linear_regions(net, domain=domain).check()
    monkeypatch.setattr(frame, "FOLD_EPS", float("inf"))
    with pytest.raises(RegionCheckError, match="first layer"):
        nm.linear_regions(net, domain=domain).check()
