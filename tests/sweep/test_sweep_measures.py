"""Image busyness numbers against images whose answer is known by hand."""

import numpy as np
import pytest

from neuromosaic.sweeps import image_stats


def test_flat_image_is_not_busy():
    stats = image_stats(np.full((7, 9, 3), 128, np.uint8))
    assert stats == {"mean": pytest.approx(128 / 255), "spatial_std": pytest.approx(0.0, abs=1e-12),
                     "neighbour_diff": 0.0, "distinct_colors": 1}


def test_checkerboard_is_as_busy_as_can_be():
    yy, xx = np.mgrid[:8, :8]
    board = (((xx + yy) % 2) * 255).astype(np.uint8)
    stats = image_stats(board)
    assert stats["neighbour_diff"] == 1.0  # every neighbour pair is black/white
    assert stats["spatial_std"] == pytest.approx(0.5)  # half 0, half 1
    assert stats["distinct_colors"] == 2


def test_horizontal_gradient():
    h, w = 5, 256
    img = np.tile(np.arange(w, dtype=np.uint8), (h, 1))[:, :, None].repeat(3, axis=2)
    stats = image_stats(img)
    horizontal, vertical = h * (w - 1), (h - 1) * w  # pairs per channel
    assert stats["neighbour_diff"] == pytest.approx(horizontal * (1 / 255) / (horizontal + vertical))
    assert stats["spatial_std"] == pytest.approx(np.arange(256).std() / 255)
    assert stats["distinct_colors"] == 256


def test_colours_are_counted_as_triples():
    img = np.zeros((1, 3, 3), np.uint8)
    img[0, 1] = (1, 0, 0)
    img[0, 2] = (0, 0, 1)  # same channel values as pixel 1, another colour
    assert image_stats(img)["distinct_colors"] == 3
    assert image_stats(np.zeros((1, 1, 3), np.uint8))["neighbour_diff"] == 0.0


def test_rejects_non_images():
    with pytest.raises(ValueError, match="uint8"):
        image_stats(np.zeros((4, 4, 3), np.float32))
