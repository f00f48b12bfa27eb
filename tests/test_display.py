"""Rich displays in Jupyter: what they show is the objects' own numbers, the pictures are one
raster whatever the region count, and the HTML stays small."""

import base64
import io
import re

import numpy as np
import pytest
import torch
from PIL import Image

import neuromosaic as nm
from neuromosaic.display import polygons_raster, raster_size
from neuromosaic.figures.regions import pattern_colors
from neuromosaic.theory.bounds import bounds_table
from neuromosaic.theory.meanfield import chi1
from neuromosaic.theory.phase import init_to_sigmas


def _net(widths, seed=0, outputs=1):
    return nm.NetSpec(inputs=2, widths=widths, outputs=outputs, activation="relu",
                      out_activation="identity", seed=seed).build(dtype=torch.float64)


def _images(html: str) -> list[np.ndarray]:
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(m))).convert("RGB"))
            for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_the_partition_raster_paints_each_region_in_its_pattern_colour():
    reg = nm.linear_regions(_net([8, 8]), domain=(-2, 2, -1, 1))
    html = reg._repr_html_()
    (image,) = _images(html)
    assert image.shape[:2][::-1] == raster_size(reg.plane.extent) == (320, 160)
    assert f"{reg.count:,}" in html
    colours = np.round(pattern_colors(reg.patterns) * 255).astype(np.uint8)
    s0, s1, t0, t1 = reg.plane.extent
    big = np.argsort(reg.areas)[::-1][:5]  # regions large enough to hold a pixel's centre well inside
    for i, point in zip(big, reg.interior_points()[big], strict=True):
        col = int((point[0] - s0) / (s1 - s0) * 320)
        row = int((t1 - point[1]) / (t1 - t0) * 160)
        assert tuple(image[row, col]) == tuple(colours[i]), i


def test_the_html_does_not_grow_with_the_region_count():
    small = nm.linear_regions(_net([4]), domain=(-1, 1, -1, 1))
    large = nm.linear_regions(_net([64, 64, 64]), domain=(-4, 4, -4, 4))
    assert large.count > 50 * small.count
    assert len(small._repr_html_()) < 60_000 and len(large._repr_html_()) < 200_000
    assert len(large._repr_png_()) < 150_000


def test_a_raster_skips_regions_smaller_than_a_pixel_and_keeps_the_rest():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    speck = np.array([[0.5, 0.5], [0.5001, 0.5], [0.5001, 0.5001]])
    image = polygons_raster([square, speck], np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (0, 1, 0, 1),
                            longest=10)
    assert image.shape == (10, 10, 3) and (image == [255, 0, 0]).all(axis=2).sum() >= 64
    assert not (image == [0, 255, 0]).all(axis=2).any()


def test_the_regions_display_shows_the_bounds_table_rows():
    reg = nm.linear_regions(_net([6, 6]), domain=(-1, 1, -1, 1))
    html = reg._repr_html_()
    for b in bounds_table(2, [6, 6]):
        assert b.label in html.replace("&#x27;", "'")
    table = bounds_table(2, [6, 6])._repr_html_()
    assert all(f"{b.value:,}" in table for b in bounds_table(2, [6, 6]) if b.value is not None)


@pytest.mark.parametrize("init, phase", [("default", "ordered"), ("normal:1", "chaotic")])
def test_a_netspec_shows_its_parameters_and_chi1(init, phase):
    spec = nm.NetSpec(inputs=3, widths=[16] * 8, outputs=3, activation="tanh", init=init)
    html = spec._repr_html_()
    params = sum(p.numel() for p in spec.build().parameters())
    assert f"{params:,}" in html and "3 → 16" in html
    sw, sb = init_to_sigmas(init, 16, bias_init=None)
    assert f"{chi1('tanh', sigma_w=sw, sigma_b=sb):.4g}: {phase}" in html


def test_a_fit_result_and_a_paint_config_show_a_picture_and_their_numbers():
    res = nm.fit(hidden=[4], steps=20, restarts=1, n_train=60, n_test=30)
    html = res._repr_html_()
    assert f"test RMSE {res.test_rmse:.4g}" in html and f"a constant: {res.baseline:.4g}" in html
    assert len(_images(html)) == 1 and res._repr_png_()[:4] == b"\x89PNG"
    cfg = nm.PaintConfig(size=(256, 128), seed=2)
    (preview,) = _images(cfg._repr_html_())
    from neuromosaic.painting import render_config

    assert np.array_equal(preview, render_config(cfg.replace(size=(128, 64), device="cpu"), workers=1))


def test_decision_regions_show_their_classes():
    dec = nm.decision_regions(_net([8], outputs=3), domain=(-1, 1, -1, 1))
    html = dec._repr_html_()
    assert f"{dec.count:,}" in html and len(_images(html)) == 1
