"""Baseline images: the gallery, a regions plot, the fit figure and the phase diagram, drawn
now, against the pictures in tests/figures/baseline/ (rewritten by baseline_figures.py only when a
figure is meant to change). A tolerance absorbs anti-aliasing and ±1 colour levels; a moved
line, a lost panel or a wrong colour map does not pass."""

import matplotlib
import numpy as np
import pytest
from baseline_figures import BASELINE, FIGURES
from PIL import Image

matplotlib.use("Agg")


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_the_figure_looks_like_its_baseline(name):
    want = np.asarray(Image.open(BASELINE / f"{name}.png").convert("RGB")).astype(np.int16)
    got = FIGURES[name]().astype(np.int16)
    assert got.shape == want.shape, (got.shape, want.shape)
    diff = np.abs(got - want)
    rms = float(np.sqrt(np.mean(diff.astype(np.float64) ** 2)))
    changed = float(np.mean(diff.max(axis=2) > 16))  # pixels visibly different
    assert rms < 6.0 and changed < 0.02, (name, rms, changed)


def test_the_comparison_sees_a_changed_figure():
    """The tolerance is not so loose that a different picture passes."""
    base = np.asarray(Image.open(BASELINE / "regions.png").convert("RGB")).astype(np.int16)
    other = np.asarray(Image.open(BASELINE / "fit.png").convert("RGB").resize(base.shape[1::-1]))
    diff = np.abs(other.astype(np.int16) - base)
    assert float(np.sqrt(np.mean(diff.astype(np.float64) ** 2))) >= 6.0
