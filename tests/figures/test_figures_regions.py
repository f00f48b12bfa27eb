"""Region figures: one collection, colours hashed from the pattern, exact surfaces."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.collections import PolyCollection
from torch import nn

import neuromosaic as nm
from neuromosaic.figures.regions import pattern_colors


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))


@pytest.mark.parametrize("color_by", ["pattern", "output", "gradient"])
def test_plot_is_one_polycollection(color_by):
    reg = nm.linear_regions(_net(), domain=(-1, 1, -1, 1))
    fig, ax = plt.subplots()
    coll = reg.plot(ax=ax, color_by=color_by, boundary=True)
    assert isinstance(coll, PolyCollection)
    assert len(coll.get_paths()) == reg.count
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
    plt.close(fig)


def test_colours_are_stable_and_follow_the_pattern():
    a = nm.linear_regions(_net(), domain=(-1, 1, -1, 1))
    b = nm.linear_regions(_net(), domain=(-1, 1, -1, 1), tiles=(2, 2), workers=1)
    ca = {bytes(p): tuple(c) for p, c in zip(a.patterns, pattern_colors(a.patterns), strict=True)}
    cb = {bytes(p): tuple(c) for p, c in zip(b.patterns, pattern_colors(b.patterns), strict=True)}
    assert ca == cb
    assert len(set(ca.values())) > 0.9 * len(ca)  # distinct patterns, (almost always) distinct colours


def test_plot3d_plotly_mesh_is_the_exact_surface():
    net = _net(1)
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    fig = reg.plot3d()
    mesh = fig.data[0]
    assert mesh.type == "mesh3d"
    xyz = np.column_stack([mesh.x, mesh.y, mesh.z])
    with torch.no_grad():
        y = net(torch.tensor(xyz[:, :2], dtype=torch.float32)).double().numpy().ravel()
    np.testing.assert_allclose(xyz[:, 2], y, atol=1e-5)
    assert len(mesh.i) == sum(len(p) - 2 for p in reg.polygons)


def test_plot3d_matplotlib():
    reg = nm.linear_regions(_net(2), domain=(-1, 1, -1, 1))
    fig = plt.figure()
    ax = fig.add_subplot(projection="3d")
    coll = reg.plot3d(backend="matplotlib", ax=ax)
    fig.canvas.draw()
    assert len(coll.get_facecolor()) == reg.count
    plt.close(fig)
    with pytest.raises(nm.NeuromosaicError, match="backend"):
        reg.plot3d(backend="vtk")
