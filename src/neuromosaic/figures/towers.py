"""Figures of Nielsen's towers: the target beside its tower approximation, single towers."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .fit import plot_surface3d


def plot_tower_fit(xs, ys, target, approx, *, title: str = "", fig: Figure | None = None) -> Figure:
    """Target | tower approximation (3-D) | |error| map; ``target``, ``approx`` `(n, n)`."""
    fig = fig or Figure(figsize=(15, 4.6), layout="constrained")
    lo, hi = float(min(target.min(), approx.min())), float(max(target.max(), approx.max()))
    plot_surface3d(xs, ys, target, fig.add_subplot(1, 3, 1, projection="3d"), title="target",
                   zlim=(lo, hi))
    plot_surface3d(xs, ys, approx, fig.add_subplot(1, 3, 2, projection="3d"), title=title,
                   zlim=(lo, hi))
    ax = fig.add_subplot(1, 3, 3)
    err = np.abs(approx - target)
    im = ax.imshow(err, origin="lower", cmap="magma", aspect="auto",
                   extent=(xs[0], xs[-1], ys[0], ys[-1]))
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title(f"|error| (max {err.max():.3g})", fontsize=10)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return fig


def plot_single_towers(panels, *, fig: Figure | None = None) -> Figure:
    """Single towers side by side; ``panels`` is ``[(title, xs, ys, Z), …]``."""
    fig = fig or Figure(figsize=(4.2 * len(panels), 4.2), layout="constrained")
    for i, (title, xs, ys, z) in enumerate(panels):
        plot_surface3d(xs, ys, z, fig.add_subplot(1, len(panels), i + 1, projection="3d"),
                       title=title, cmap="viridis", zlim=(0, max(1.0, float(z.max()))))
    return fig
