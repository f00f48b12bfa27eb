"""Regions (constant activation pattern) against affine pieces (connected unions of neighbours
with one affine map)."""

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.io.nets import save


def test_a_unit_nothing_reads_splits_regions_but_not_pieces():
    # two crossing lines; the output reads only the first unit: 4 regions, 2 affine pieces
    net = _reads_only_x()
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    labels, count = reg.affine_pieces()
    assert reg.count == 4 and count == 2
    x_of = reg.interior_points()[:, 0]
    assert len(set(labels[x_of > 0].tolist())) == 1 and len(set(labels[x_of < 0].tolist())) == 1


def test_pieces_of_a_random_net_join_only_equal_maps_and_keep_unequal_neighbours_apart():
    net = nm.NetSpec(inputs=2, widths=[6, 6, 6], outputs=1, activation="relu",
                     out_activation="identity", seed=3).build(dtype=torch.float64)
    reg = nm.linear_regions(net, domain=(-3, 3, -3, 3))
    labels, count = reg.affine_pieces()
    assert 1 <= count <= reg.count and labels.max() == count - 1
    g, o = reg.affine
    maps = np.concatenate([g.reshape(reg.count, -1), o.reshape(reg.count, -1)], axis=1)
    scale = max(1.0, np.abs(maps).max())
    for a, b in reg.neighbours:
        equal = np.abs(maps[a] - maps[b]).max() <= 1e-12 * scale
        assert (labels[a] == labels[b]) == equal
    for piece in range(count):  # every piece has one map
        members = np.flatnonzero(labels == piece)
        assert np.abs(maps[members] - maps[members[0]]).max() <= 1e-9 * scale


def test_exact_pieces_agree_with_float_pieces_and_with_a_hand_count():
    # the first net above, and a net with dead paths: exact rationals decide equal maps
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
        net[0].bias.copy_(torch.tensor([0.0, 0.0, 0.5]))
        net[2].weight.copy_(torch.tensor([[0.5, 0.0, 0.0]]))  # only x reaches the output
        net[2].bias.zero_()
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    labels, count = reg.affine_pieces(exact=True)
    assert count == 2 and reg.count > 2  # x < 0 and x > 0, whatever the other lines do
    assert (labels == reg.affine_pieces()[0]).all()
    net = nm.NetSpec(inputs=2, widths=[8, 8], outputs=1, activation="relu",
                     out_activation="identity", seed=5).build(dtype=torch.float64)
    reg = nm.linear_regions(net, domain=(-4, 4, -4, 4))
    exact, n_exact = reg.affine_pieces(exact=True)
    approx, n_approx = reg.affine_pieces()
    assert n_exact == n_approx and (exact == approx).all()


def test_merge_affine_option_and_cli(tmp_path, capsys):
    net = _reads_only_x()
    pieces = nm.linear_regions(net, domain=(-1, 1, -1, 1), merge="affine")
    assert isinstance(pieces, nm.AffinePieces) and pieces.count == 2 and pieces.regions.count == 4
    assert np.allclose(pieces.areas, [2.0, 2.0])
    g, _ = pieces.affine
    assert sorted(g[:, 0, 0].tolist()) == [0.0, 2.0]  # the x > 0 half reads 2x, the other 0
    assert sum(len(p) for p in pieces.polygons) == 4
    with pytest.raises(nm.NeuromosaicError, match="merge must be"):
        nm.linear_regions(net, domain=(-1, 1, -1, 1), merge="maps")
    path = tmp_path / "net.safetensors"
    save(path, net)
    code = main(["regions", "--weights", str(path), "--merge", "affine", "--verify", "--quiet",
                 "-o", str(tmp_path / "p.png")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "2 affine pieces" in out and "in exact rationals" in out
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    code = main(["regions", "--widths", "4", "--merge", "maps"])
    out, err = capsys.readouterr()
    assert code == 2 and "--merge must be pattern or affine" in err


def _reads_only_x():
    """Two crossing lines (x = 0, y = 0); the output reads only the first unit: 2 * relu(x)."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)).double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
        net[0].bias.zero_()
        net[2].weight.copy_(torch.tensor([[2.0, 0.0]]))
        net[2].bias.zero_()
    return net
