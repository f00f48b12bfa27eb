"""Numbers that say how busy a painted image is (the article's "complexity grows with depth").

Grey goo has ``spatial_std`` ≈ 0; a smooth gradient has a sizeable ``spatial_std`` but a tiny
``neighbour_diff``; a "pixelated" deep net has a large ``neighbour_diff``: colour changes from
one pixel to the next. Both are in units of the full 8-bit range (0 … 1).
"""

from __future__ import annotations

import numpy as np

IMAGE_MEASURES = ("mean", "spatial_std", "neighbour_diff", "distinct_colors")


def image_stats(image: np.ndarray) -> dict[str, float | int]:
    """Busyness of an image.

    Arguments:
        image: `(H, W, C)` or `(H, W)` uint8.

    Returns:
        ``mean``: mean pixel value / 255; ``spatial_std``: the standard deviation over pixels of
        each channel / 255, averaged over channels; ``neighbour_diff``: mean absolute difference
        between horizontally and vertically adjacent pixels / 255, over both directions and all
        channels (0 for a 1×1 image); ``distinct_colors``: the number of different pixel values.
    """
    img = np.asarray(image)
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.dtype != np.uint8:
        raise ValueError(f"image must be (H, W, C) uint8, got shape {img.shape} {img.dtype}")
    unit = img.astype(np.float64) / 255.0
    dx = np.abs(np.diff(unit, axis=1))
    dy = np.abs(np.diff(unit, axis=0))
    pairs = dx.size + dy.size
    neighbour = float((dx.sum() + dy.sum()) / pairs) if pairs else 0.0
    packed = np.zeros(img.shape[:2], dtype=np.int64)
    for c in range(img.shape[2]):
        packed = packed * 256 + img[:, :, c]
    return {
        "mean": float(unit.mean()),
        "spatial_std": float(unit.reshape(-1, unit.shape[2]).std(axis=0).mean()),
        "neighbour_diff": neighbour,
        "distinct_colors": int(np.unique(packed).size),
    }
