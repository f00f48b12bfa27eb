"""Figures of a fit: target and learned surface in 3-D, error map, linear regions against their
bounds, loss curves; the surface-classifier view; frames of training for animations.

Every panel function takes ``ax=None`` and returns what it drew. Nothing here computes: the
arrays come from :mod:`neuromosaic.fitting.views`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure


def _axes(ax, projection=None):
    if ax is not None:
        return ax
    fig = Figure(figsize=(5, 4))
    return fig.add_subplot(111, projection=projection)


def plot_surface3d(xs, ys, z, ax=None, *, title: str = "", cmap: str = "viridis", zlim=None,
                   facecolors=None, alpha: float | None = None):
    """A 3-D surface of ``z`` `(n, n)` over ``xs``, ``ys`` `(n,)`; returns the Poly3DCollection."""
    ax = _axes(ax, "3d")
    gx, gy = np.meshgrid(xs, ys)
    kw = {"facecolors": facecolors, "shade": False} if facecolors is not None else {"cmap": cmap}
    surf = ax.plot_surface(gx, gy, z, rstride=1, cstride=1, linewidth=0, antialiased=False,
                           alpha=alpha, **kw)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    if zlim is not None:
        ax.set_zlim(*zlim)
    ax.set_title(title, fontsize=10)
    ax.view_init(elev=28, azim=-60)
    return surf


def plot_error_map(view, ax=None):
    """|learned − target| on the grid, with a colour bar; returns the image."""
    ax = _axes(ax)
    err = np.abs(view.learned - view.target)
    im = ax.imshow(err, origin="lower", cmap="magma", aspect="auto",
                   extent=(view.xs[0], view.xs[-1], view.ys[0], view.ys[-1]))
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    rmse = float(np.sqrt(np.mean(err**2)))
    ax.set_title(f"|error|  (grid RMSE {rmse:.3g}, max {err.max():.3g})", fontsize=10)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    return im


def plot_regions_panel(view, ax=None):
    """The exact linear regions of the learned net, titled with their count and the bounds."""
    ax = _axes(ax)
    ax.set_xlim(view.xs[0], view.xs[-1])
    ax.set_ylim(view.ys[0], view.ys[-1])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    bounds = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in view.bounds.items())
    if view.regions is None:
        ax.text(0.5, 0.5, view.region_note or "no regions", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_title("linear regions", fontsize=10)
        return None
    from .regions import region_colors  # colours hashed from the activation pattern:
                                        # a region keeps its colour from frame to frame
    coll = PolyCollection(view.regions.polygons, facecolors=region_colors(view.regions, "pattern"),
                          edgecolors="k", linewidths=0.3)
    ax.add_collection(coll)
    ax.set_title(f"{view.regions.count} linear regions (bounds: {bounds})", fontsize=10)
    ax.set_aspect("auto")
    return coll


def plot_loss(history: dict, ax=None, *, metric: bool = True):
    """Train and test loss against the step (log scale); returns the lines."""
    ax = _axes(ax)
    lines = ax.semilogy(history["step"], history["train_loss"], label="train loss")
    lines += ax.semilogy(history["step"], history["test_loss"], label="test loss")
    if metric and "test_accuracy" in history:
        twin = ax.twinx()
        lines += twin.plot(history["step"], history["test_accuracy"], color="C2", label="test accuracy")
        twin.set_ylim(0, 1)
        twin.set_ylabel("accuracy")
    ax.set_xlabel("step")
    ax.set_title("loss", fontsize=10)
    ax.legend(lines, [ln.get_label() for ln in lines], fontsize=8, loc="upper right")
    return lines


def plot_section(view, ax=None, *, target_line: np.ndarray | None = None):
    """Regression: target and net along x2 = middle of the domain (kinks show as corners)."""
    ax = _axes(ax)
    mid = len(view.ys) // 2
    lines = ax.plot(view.xs, view.target[mid], "k--", label="target")
    lines += ax.plot(view.xs, view.learned[mid], "C3", label="net")
    ax.set_xlabel("x1")
    ax.set_title(f"section x2 = {view.ys[mid]:.2f}", fontsize=10)
    ax.legend(fontsize=8)
    return lines


def plot_fit(result, view=None, *, fig: Figure | None = None, n: int = 64) -> Figure:
    """The summary figure of a :class:`~neuromosaic.fitting.FitResult`.

    Regression: target | learned (3-D) | error map, then regions | loss | a section.
    Surface task: :func:`plot_surface_task`. Classification: :func:`plot_classification`.
    ``view`` is a precomputed :class:`~neuromosaic.fitting.views.FitView` (made if None).
    """
    from ..fitting.views import fit_view

    view = view if view is not None else fit_view(result, n=n)
    if result.config.task == "surface":
        return plot_surface_task(result, view, fig=fig)
    if result.config.task == "classification":
        return plot_classification(result, view, fig=fig)
    fig = fig or Figure(figsize=(15, 9), layout="constrained")
    lo = float(min(view.target.min(), view.learned.min()))
    hi = float(max(view.target.max(), view.learned.max()))
    plot_surface3d(view.xs, view.ys, view.target, fig.add_subplot(2, 3, 1, projection="3d"),
                   title=f"target  {_expr(result)}", zlim=(lo, hi))
    hidden = ",".join(str(w) for w in result.spec.widths)
    plot_surface3d(view.xs, view.ys, view.learned, fig.add_subplot(2, 3, 2, projection="3d"),
                   title=f"learned: {result.spec.activation} [{hidden}], test RMSE {result.test_rmse:.3g}\n"
                         f"(a constant: {result.baseline:.3g})"
                         + ("  — NO BETTER THAN CONSTANT" if result.degenerate else ""),
                   zlim=(lo, hi))
    plot_error_map(view, fig.add_subplot(2, 3, 3))
    plot_regions_panel(view, fig.add_subplot(2, 3, 4))
    plot_loss(result.history, fig.add_subplot(2, 3, 5))
    plot_section(view, fig.add_subplot(2, 3, 6))
    return fig


def plot_surface_task(result, view, *, fig: Figure | None = None) -> Figure:
    """The seed's experiment: the classifier's probability on the surface (the regression view,
    coloured), on horizontal slices ``z = c``, and on the vertical section through the middle."""
    import matplotlib

    fig = fig or Figure(figsize=(15, 9), layout="constrained")
    cmap = matplotlib.colormaps["coolwarm"]
    ax = fig.add_subplot(2, 3, 1, projection="3d")
    plot_surface3d(view.xs, view.ys, view.target, ax, facecolors=cmap(view.learned), alpha=0.55,
                   title=f"surface z = {_expr(result)}, coloured by P(on surface);\n"
                         f"the {len(result.data['y_train'])} training points")
    groups = surface_point_groups(result)
    for name, pts in groups.items():
        ax.scatter(pts[:, 0], pts[:, 1], pts[:, 2], s=2, depthshade=False, label=name,
                   **POINT_STYLE[name])
    ax.legend(fontsize=7, loc="upper left", markerscale=3)
    extent = (view.xs[0], view.xs[-1], view.ys[0], view.ys[-1])
    ax = fig.add_subplot(2, 3, 2)
    im = ax.imshow(view.learned, origin="lower", extent=extent, cmap=cmap, vmin=0, vmax=1, aspect="auto")
    fig.colorbar(im, ax=ax, fraction=0.046)
    acc = result.test_accuracy
    ax.set_title(f"P(on surface) at z = f(x1, x2)\ntest accuracy {acc:.3f} "
                 f"(a constant classifier: {result.baseline:.3f})"
                 + ("  — NO BETTER THAN CONSTANT" if result.degenerate else ""), fontsize=10)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax = fig.add_subplot(2, 3, 3)
    im = ax.imshow(view.section, origin="lower", cmap=cmap, vmin=0, vmax=1, aspect="auto",
                   extent=(view.xs[0], view.xs[-1], view.section_z[0], view.section_z[-1]))
    mid = len(view.ys) // 2
    x2 = float(view.ys[mid])
    ax.plot(view.xs, view.target[mid], "k--", lw=1, label=f"z = f(x1, {x2:.2f})")
    band = 0.05 * (view.ys[-1] - view.ys[0])  # the training points near the section
    for name, pts in groups.items():
        near = pts[np.abs(pts[:, 1] - x2) <= band]
        ax.scatter(near[:, 0], near[:, 2], s=9, **POINT_STYLE[name])
    ax.set_xlim(view.xs[0], view.xs[-1])
    ax.set_ylim(view.section_z[0], view.section_z[-1])
    ax.set_xlabel("x1")
    ax.set_ylabel("z")
    ax.legend(fontsize=8)
    ax.set_title(f"P(on surface) on the section x2 = {x2:.2f}\n(training points with "
                 f"|x2 − {x2:.2f}| ≤ {band:.2f})", fontsize=10)
    for k, (z, prob) in enumerate(list(view.slices.items())[:2]):
        ax = fig.add_subplot(2, 3, 4 + k)
        ax.imshow(prob, origin="lower", extent=extent, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        ax.contour(view.xs, view.ys, view.target, levels=[z], colors="k", linestyles="--", linewidths=1)
        ax.set_title(f"slice z = {z:.2f}: P(on surface); dashed: f = {z:.2f}", fontsize=10)
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    plot_loss(result.history, fig.add_subplot(2, 3, 6))
    return fig


POINT_STYLE = {"on the surface": {"c": "black"}, "above": {"c": "tab:orange"},
               "below": {"c": "tab:cyan"}}


def surface_point_groups(result) -> dict[str, np.ndarray]:
    """The surface task's training points `(n, 3)` split into on the surface (class 1), above
    and below it (class 0, by the sign of z − f)."""
    x, y = result.data["x_train"].double(), result.data["y_train"]
    gap = x[:, 2] - result.target(x[:, 0], x[:, 1]).reshape(-1)
    x = x.numpy()
    on, off = (y > 0.5).numpy(), (y <= 0.5).numpy()
    above = off & (gap > 0).numpy()
    return {"on the surface": x[on], "above": x[above], "below": x[off & ~above]}


def plot_classification(result, view, *, fig: Figure | None = None) -> Figure:
    """A data set: the probability map with the training points, the regions, the loss."""
    fig = fig or Figure(figsize=(15, 4.8), layout="constrained")
    ax = fig.add_subplot(1, 3, 1)
    extent = (view.xs[0], view.xs[-1], view.ys[0], view.ys[-1])
    x, y = result.data["x_train"].numpy(), result.data["y_train"].numpy()
    classes = result.config.classes
    if classes > 2:  # the exact decision regions where they are defined, else the argmax image
        import matplotlib

        cmap = matplotlib.colormaps["tab10"]
        if view.decision is not None:
            from .regions import plot_decision

            plot_decision(view.decision, ax=ax)
        else:
            ax.imshow(view.learned, origin="lower", extent=extent, cmap="tab10", vmin=-0.5,
                      vmax=9.5, aspect="auto", alpha=0.7, interpolation="nearest")
        for label in range(classes):
            pts = x[y == label]
            ax.scatter(pts[:, 0], pts[:, 1], s=7, color=cmap(label), edgecolors="black",
                       linewidths=0.3, label=f"class {label}")
        what = ("exact decision regions" if view.decision is not None else "predicted class")
    else:
        ax.imshow(view.learned, origin="lower", extent=extent, cmap="coolwarm", vmin=0, vmax=1, aspect="auto")
        for label, colour in ((0, "white"), (1, "black")):
            pts = x[y == label]
            ax.scatter(pts[:, 0], pts[:, 1], s=7, c=colour, edgecolors="0.3", linewidths=0.3)
        what = "P(class 1)"
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    ax.set_title(f"{result.config.target}: {what}, test accuracy {result.test_accuracy:.3f}\n"
                 f"(a constant classifier: {result.baseline:.3f})"
                 + ("  — NO BETTER THAN CONSTANT" if result.degenerate else ""), fontsize=10)
    plot_regions_panel(view, fig.add_subplot(1, 3, 2))
    plot_loss(result.history, fig.add_subplot(1, 3, 3))
    return fig


def training_frame(result, step: int, view, *, zlim) -> np.ndarray:
    """One animation frame `(H, W, 3)` uint8: the learned surface and its regions at ``step``."""
    fig = Figure(figsize=(9, 4), dpi=80, layout="constrained")
    if result.config.task == "regression":
        plot_surface3d(view.xs, view.ys, view.learned, fig.add_subplot(1, 2, 1, projection="3d"),
                       title=f"step {step}", zlim=zlim)
        plot_regions_panel(view, fig.add_subplot(1, 2, 2))
    else:
        ax = fig.add_subplot(1, 2, 1)
        ax.imshow(view.learned, origin="lower", cmap="coolwarm", vmin=0, vmax=1, aspect="auto",
                  extent=(view.xs[0], view.xs[-1], view.ys[0], view.ys[-1]))
        ax.set_title(f"step {step}: P(class 1)" if result.config.task == "classification"
                     else f"step {step}: P(on surface) on the surface", fontsize=10)
        if result.config.task == "classification":
            plot_regions_panel(view, fig.add_subplot(1, 2, 2))
        else:
            ax = fig.add_subplot(1, 2, 2)
            ax.imshow(view.section, origin="lower", cmap="coolwarm", vmin=0, vmax=1, aspect="auto",
                      extent=(view.xs[0], view.xs[-1], view.section_z[0], view.section_z[-1]))
            ax.set_title("section x2 = mid (x1 across, z up)", fontsize=10)
    return figure_to_array(fig)


def figure_to_array(fig: Figure) -> np.ndarray:
    """Render ``fig`` with the Agg canvas into a uint8 `(H, W, 3)` array (even H and W)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    h, w = rgba.shape[0] // 2 * 2, rgba.shape[1] // 2 * 2  # H.264 wants even sizes
    return np.ascontiguousarray(rgba[:h, :w, :3])


def _expr(result) -> str:
    from ..fitting.targets import target_expression

    text = target_expression(result.config.target)
    return text if len(text) <= 40 else text[:37] + "..."
