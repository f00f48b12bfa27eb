"""Decision regions: the class of every piece is the net's argmax there, the boundary is where two
outputs tie, and the areas add up (issue: multiclass decision regions)."""

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm


def _net(seed, classes=3, widths=(8, 8), softmax=False):
    spec = nm.NetSpec(inputs=2, widths=list(widths), outputs=classes, activation="relu",
                      out_activation="identity", seed=seed)
    net = spec.build(dtype=torch.float64)
    return nn.Sequential(*net, nn.Softmax(dim=1)) if softmax else net


@pytest.mark.parametrize("seed, classes", [(0, 3), (1, 4), (2, 2), (3, 5)])
def test_every_piece_is_the_argmax_away_from_the_boundary(seed, classes):
    net = _net(seed, classes)
    dec = nm.decision_regions(net, domain=(-2, 2, -2, 2))
    dec.pieces.check()
    # a dense grid of points: the piece that holds each (by its polygon) must carry the class the
    # net predicts there, wherever the winner leads by a margin
    s = np.linspace(-1.99, 1.99, 161)
    st = np.stack(np.meshgrid(s, s), -1).reshape(-1, 2)
    with torch.no_grad():
        y = net(torch.as_tensor(st)).numpy()
    top2 = np.sort(y, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 1e-6 * max(1.0, np.abs(y).max())
    from matplotlib.path import Path

    hit = np.full(len(st), -1)
    for i, poly in enumerate(dec.polygons):
        inside = Path(poly).contains_points(st)
        hit[inside] = i
    ok = (hit >= 0) & clear
    assert ok.mean() > 0.95
    np.testing.assert_array_equal(dec.classes[hit[ok]], y[ok].argmax(1))


def test_the_boundary_is_where_two_outputs_tie_and_areas_add_up():
    net = _net(4, 3)
    dec = nm.decision_regions(net, domain=(-3, 3, -3, 3))
    assert dec.boundary.shape[0] > 0
    for t in (0.25, 0.5, 0.75):
        pts = dec.boundary[:, 0] * (1 - t) + dec.boundary[:, 1] * t
        with torch.no_grad():
            y = np.sort(net(torch.as_tensor(pts)).numpy(), axis=1)
        np.testing.assert_allclose(y[:, -1], y[:, -2], atol=1e-9 * max(1.0, np.abs(y).max()))
    assert dec.areas_per_class.sum() == pytest.approx(36.0, rel=1e-12)
    # the areas agree with a brute-force count on a grid
    s = np.linspace(-3, 3, 601)[:-1] + 0.005
    st = np.stack(np.meshgrid(s, s), -1).reshape(-1, 2)
    share = np.bincount(dec.predict(st), minlength=3) / len(st)
    np.testing.assert_allclose(share, dec.areas_per_class / 36.0, atol=0.01)


def test_class_regions_are_connected_components_of_one_class():
    dec = nm.decision_regions(_net(5, 3, widths=(12, 12)), domain=(-2, 2, -2, 2))
    assert dec.count >= dec.num_classes - 1 and dec.count <= dec.pieces.count
    for a, b in dec.pieces.neighbours:  # neighbours of one class are one region
        if dec.classes[a] == dec.classes[b]:
            assert dec.region_of_piece[a] == dec.region_of_piece[b]
    assert (dec.region_class[dec.region_of_piece] == dec.classes).all()
    assert dec.linear_regions_per_region.sum() >= len({bytes(p) for p in dec.linear_patterns})


def test_a_last_softmax_changes_no_region_and_one_output_is_refused():
    plain = nm.decision_regions(_net(6, 3), domain=(-2, 2, -2, 2))
    soft = nm.decision_regions(_net(6, 3, softmax=True), domain=(-2, 2, -2, 2))
    assert soft.pieces.count == plain.pieces.count and soft.pieces.program.output_activation == "Softmax"
    np.testing.assert_allclose(np.sort(soft.areas_per_class), np.sort(plain.areas_per_class))
    with pytest.raises(nm.NeuromosaicError, match="at least 2 outputs"):
        nm.decision_regions(_net(0, 1), domain=(-1, 1, -1, 1))


def test_plot_draws_every_piece_and_the_boundary():
    import matplotlib.pyplot as plt

    dec = nm.decision_regions(_net(7, 3), domain=(-2, 2, -2, 2))
    fig, ax = plt.subplots()
    drawn = dec.plot(ax=ax)
    assert len(drawn["pieces"].get_paths()) == dec.pieces.count
    assert len(drawn["boundary"].get_segments()) == len(dec.boundary)
    plt.close(fig)
