"""The fit figure's numbers: regions within their bounds, surface-task slices, frames."""

import numpy as np
import torch

import neuromosaic as nm
from neuromosaic.figures.fit import plot_fit, training_frame
from neuromosaic.fitting.views import fit_view, training_views


def test_regions_of_a_one_layer_relu_fit_respect_zaslavsky():
    res = nm.fit("paraboloid", hidden=[6], steps=200, lr=0.03, n_train=300, seed=1, snapshot_every=100)
    view = fit_view(res, n=32)
    assert view.bounds == {"serra_upper": 22, "zaslavsky": 22}  # 1 + 6 + C(6, 2)
    assert 1 <= view.regions.count <= 22
    # the net is affine on each region: its value at a region's interior point matches the map
    pts = view.regions.interior_points()
    res.net.double()
    with torch.no_grad():
        out = res.net(torch.as_tensor(pts)).numpy()[:, 0]
    # predict_grid works on the float64 net: it is the net on an 8 × 8 grid, row i at y_i
    xs = np.linspace(-1, 1, 8)
    gx, gy = np.meshgrid(xs, xs)
    with torch.no_grad():
        direct = res.net(torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1))).numpy().reshape(8, 8)
    np.testing.assert_allclose(res.predict_grid(8), direct, rtol=1e-12, atol=1e-12)
    grads, offsets = view.regions.grads, view.regions.offsets
    affine = np.einsum("rij,rj->ri", grads, pts)[:, 0] + offsets[:, 0]
    np.testing.assert_allclose(out, affine, rtol=1e-9, atol=1e-9)
    fig = plot_fit(res, view)
    assert len([a for a in fig.axes if a.get_label() != "<colorbar>"]) >= 6
    frames = training_views(res, n=16)
    assert [s for s, _ in frames] == [0, 100, 200]
    image = training_frame(res, 0, frames[0][1], zlim=(2, 6))
    assert image.dtype == np.uint8 and image.shape[2] == 3 and image.shape[0] % 2 == 0


def test_smooth_nets_have_no_regions_and_surface_task_has_slices():
    res = nm.fit("paraboloid", task="surface", hidden=[4], activation="tanh", steps=20, n_train=100)
    view = fit_view(res, n=16, slice_count=3)
    assert view.regions is None and "3 inputs" in view.region_note
    zs = sorted(view.slices)
    assert zs[0] == view.target.min() and zs[-1] == view.target.max()  # lowest to highest f
    assert view.section.shape == (16, 16) and ((view.section >= 0) & (view.section <= 1)).all()
    plot_fit(res, view)
