"""The four figures that matter most, drawn small and deterministically, for the baseline-image
comparison of test_baseline_images.py.

    python tests/figures/baseline_figures.py      # rewrite tests/figures/baseline/*.png

Run it only when a figure is meant to change, and look at the new pictures before committing.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np

BASELINE = Path(__file__).with_name("baseline")


def _png_array(fig) -> np.ndarray:
    from PIL import Image

    from neuromosaic.io.figures import figure_png

    return np.asarray(Image.open(io.BytesIO(figure_png(fig, dpi=50, palette=False))).convert("RGB"))


def gallery_sheet() -> np.ndarray:
    """Every gallery picture at 48², side by side in the article's order."""
    from neuromosaic.painting import render_config
    from neuromosaic.painting.gallery import gallery_items

    tiles = [render_config(item.config, workers=1) for item in gallery_items(48)]
    tiles = [np.repeat(t, 3, axis=2) if t.shape[2] == 1 else t for t in tiles]
    return np.concatenate(tiles, axis=1)


def regions_plot() -> np.ndarray:
    import neuromosaic as nm
    from neuromosaic.figures.regions import plot_regions

    net = nm.NetSpec(inputs=2, widths=[8, 8], outputs=1, activation="relu", out_activation="identity",
                     init="default", seed=0).build(dtype=__import__("torch").float64)
    reg = nm.linear_regions(net, domain=(-1, 1, -1, 1))
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4))
    plot_regions(reg, ax=fig.add_subplot())
    return _png_array(fig)


def fit_figure() -> np.ndarray:
    import neuromosaic as nm

    res = nm.fit("x1**2 + x2**2 + 3", hidden=[6], steps=150, restarts=1, n_train=200, n_test=100,
                 seed=0)
    return _png_array(res.plot(n=24))


def phase_diagram() -> np.ndarray:
    from neuromosaic.figures.theory import phase_figure
    from neuromosaic.theory.stats import phase_view

    phase = phase_view("tanh", fan_in=16, thumb=0, seed=0)
    return _png_array(phase_figure(phase["diagram"], points=phase["points"], renders=phase["renders"],
                                   render_sigma_w=phase["render_sigma_w"],
                                   render_sigma_b=phase["render_sigma_b"], title="tanh"))


FIGURES = {"gallery": gallery_sheet, "regions": regions_plot, "fit": fit_figure, "phase": phase_diagram}


def main() -> None:
    import matplotlib
    from PIL import Image

    matplotlib.use("Agg")
    BASELINE.mkdir(exist_ok=True)
    for name, draw in FIGURES.items():
        Image.fromarray(draw()).save(BASELINE / f"{name}.png", optimize=True)
        print("wrote", BASELINE / f"{name}.png")


if __name__ == "__main__":
    sys.exit(main())
