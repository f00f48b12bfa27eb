"""Matplotlib figures for the theory module: they draw what :mod:`neuromosaic.theory` computed.

Each ``plot_*`` takes the data and an optional ``ax`` and returns the artists it drew; each
``*_figure`` lays several of them out and returns the ``Figure`` (headless; nothing is shown).
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.offsetbox import AnnotationBbox, OffsetImage
from matplotlib.ticker import FuncFormatter

__all__ = ["constructions_figure", "density_figure", "phase_figure", "plot_density", "plot_growth", "plot_lengths",
           "plot_phase", "plot_stats_row", "stats_figure", "trajectory_figure"]

_INIT_COLORS = {"default": "#1f77b4", "uniform:100": "#d62728", "uniform:3": "#ff7f0e",
                "normal:1": "#2ca02c", "xavier": "#9467bd", "kaiming": "#8c564b"}


def _ax(ax, figsize=(6, 4)):
    if ax is None:
        ax = Figure(figsize=figsize).add_subplot()
    return ax


def plot_phase(diagram: dict, *, points: list[dict] = (), renders: np.ndarray | None = None,
               render_sigma_w=None, render_sigma_b=None, ax=None) -> dict:
    """The order/chaos phase diagram.

    Arguments:
        diagram: :func:`~neuromosaic.theory.phase.phase_diagram`'s dict (``chi1`` `(B, W)`).
        points: :func:`~neuromosaic.theory.phase.init_points` rows, marked and labelled.
        renders: `(B', W', h, w, 3)` uint8 thumbnails drawn at ``(render_sigma_w[j],
            render_sigma_b[i])``.

    Returns ``{"mesh", "edge", "points", "thumbs"}``.
    """
    ax = _ax(ax)
    sw, sb, chi = diagram["sigma_w"], diagram["sigma_b"], diagram["chi1"]
    log_chi = np.log10(np.clip(chi, 1e-3, None))
    norm = TwoSlopeNorm(vmin=min(log_chi.min(), -0.1), vcenter=0.0, vmax=max(log_chi.max(), 0.1))
    # pale colours (blended with white) so the thumbnails stay readable on top
    rgb = 0.45 * colormaps["RdBu_r"](norm(log_chi))[..., :3] + 0.55
    mesh = ax.pcolormesh(sw, sb, rgb, shading="nearest", rasterized=True)
    edge = ax.plot(diagram["critical_sigma_w"], sb, color="k", lw=2.5, zorder=4,
                   label="edge of chaos  χ1 = 1")
    thumbs = []
    if renders is not None:
        zoom = 1.0 if renders.shape[2] <= 56 else 56 / renders.shape[2]
        for i, b in enumerate(render_sigma_b):
            for j, w in enumerate(render_sigma_w):
                box = AnnotationBbox(OffsetImage(renders[i, j], zoom=zoom), (w, b), frameon=True,
                                     pad=0.1, bboxprops={"lw": 0.5, "ec": "0.3"}, zorder=3)
                thumbs.append(ax.add_artist(box))
    drawn = []
    for p in points:
        color = _INIT_COLORS.get(p["init"], "k")
        drawn.append(ax.scatter([p["sigma_w"]], [p["sigma_b"]], s=90, marker="*", color=color,
                                edgecolor="k", zorder=10, clip_on=False,
                                label=f"{p['init']}: χ1 = {p['chi1']:.3g} ({p['phase']})"))
    ax.set_xscale("log")
    ax.set_xlim(sw.min(), sw.max())
    ax.set_ylim(sb.min() - 0.12 * (sb.max() - sb.min()), sb.max() * 1.08)
    ax.set_xlabel("σ_w  (weight std × √fan_in)")
    ax.set_ylabel("σ_b  (bias std)")
    ax.set_title("← ordered: one flat colour (grey for small σ_b)", loc="left", fontsize=9,
                 color="#08306b")
    ax.set_title("chaotic: structure →", loc="right", fontsize=9, color="#67000d")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return {"mesh": mesh, "edge": edge, "points": drawn, "thumbs": thumbs}


def phase_figure(diagram: dict, *, points=(), renders=None, render_sigma_w=None,
                 render_sigma_b=None, title: str = "") -> Figure:
    """:func:`plot_phase` on its own wide figure."""
    fig = Figure(figsize=(13, 5.5), dpi=100, layout="constrained")
    plot_phase(diagram, points=points, renders=renders, render_sigma_w=render_sigma_w,
               render_sigma_b=render_sigma_b, ax=fig.add_subplot())
    if title:
        fig.suptitle(title)
    return fig


def _sparse_label(v: float, _pos=None) -> str:
    """Label minor log ticks 2, 3 and 5 (× a power of ten) only."""
    if v <= 0:
        return ""
    lead = round(v / 10 ** np.floor(np.log10(v)))
    return f"{v:g}" if lead in (2, 3, 5) else ""


def plot_growth(growth: dict[str, dict], ax=None) -> list:
    """Per-layer length growth vs ``σ_w``: measured (markers) and ``√χ1`` (lines), per activation
    (``growth[name]`` is :func:`~neuromosaic.theory.trajectory.growth_vs_sigma`'s dict)."""
    ax = _ax(ax)
    drawn = []
    for k, (name, g) in enumerate(growth.items()):
        color = f"C{k}"
        drawn += ax.plot(g["sigma_w"], g["predicted"], color=color, lw=1.5,
                         label=f"{name}: mean field √χ1")
        drawn.append(ax.scatter(g["sigma_w"], g["measured"], color=color, edgecolor="k", zorder=3,
                                label=f"{name}: measured"))
    ax.axhline(1.0, color="0.5", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(FuncFormatter(_sparse_label))
    ax.set_xlabel("σ_w")
    ax.set_ylabel("length growth per layer")
    ax.legend(fontsize=7)
    return drawn


def plot_lengths(depth_width: dict, *, marks=((32, 8), (16, 16)), ax=None) -> list:
    """Length of the circle's image after each layer, one line per width
    (:func:`~neuromosaic.theory.trajectory.depth_width_lengths`'s dict); ``marks``: the
    ``(width, layer)`` points to ring — by default the article's 8 layers × 32 against 16 × 16,
    nets with about as many weights."""
    ax = _ax(ax)
    drawn = []
    layers = np.arange(depth_width["lengths"].shape[1])
    widths = list(depth_width["widths"])
    for w, row in zip(widths, depth_width["lengths"], strict=True):
        drawn += ax.plot(layers, row, marker="o", ms=3, label=f"width {w}")
    for w, layer in marks:
        if w in widths and layer < len(layers):
            value = depth_width["lengths"][widths.index(w), layer]
            drawn.append(ax.scatter([layer], [value], s=160, facecolor="none", edgecolor="k", lw=1.5))
            ax.annotate(f"{layer} layers × {w}: {value:.3g}", (layer, value), xytext=(-10, 12),
                        textcoords="offset points", ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("layer")
    ax.set_ylabel("length of the circle's image")
    ax.legend(fontsize=7)
    return drawn


def trajectory_figure(growth: dict[str, dict], depth_width: dict, *, title: str = "") -> Figure:
    fig = Figure(figsize=(11, 4.5), dpi=100, layout="constrained")
    a, b = fig.subplots(1, 2)
    plot_growth(growth, ax=a)
    a.set_title("growth per layer: measured vs √χ1")
    plot_lengths(depth_width, ax=b)
    b.set_title("depth multiplies the length; width only shifts it")
    if title:
        fig.suptitle(title)
    return fig


def plot_density(data: dict, c: float, *, bounds: dict[str, tuple] | None = None, ax=None) -> dict:
    """Exact region counts vs total neurons ``T`` (one colour per depth), the fitted ``c·T²``,
    and optional bound curves ``{label: (T (K,), values (K,))}``, on log-log axes."""
    ax = _ax(ax)
    points = []
    for k, depth in enumerate(np.unique(data["depth"])):
        rows = data["depth"] == depth
        T = np.repeat(data["T"][rows], data["counts"].shape[1])
        points.append(ax.scatter(T, data["counts"][rows].ravel(), color=f"C{k}", s=18,
                                 edgecolor="k", lw=0.3, zorder=3, label=f"depth {depth}"))
    t = np.geomspace(data["T"].min(), data["T"].max(), 50)
    fit = ax.plot(t, c * t**2, color="k", lw=2, label=f"fit  {c:.3f}·T²")
    curves = []
    for k, (label, (bt, values)) in enumerate((bounds or {}).items()):
        curves += ax.plot(bt, np.asarray(values, dtype=float), ls="--", lw=1, color=f"C{k + 5}",
                          label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("total neurons T")
    ax.set_ylabel("linear regions in the box")
    ax.legend(fontsize=7, ncol=2)
    return {"points": points, "fit": fit, "bounds": curves}


def density_figure(data: dict, c: float, *, bounds=None, title: str = "") -> Figure:
    fig = Figure(figsize=(8, 5.5), dpi=100, layout="constrained")
    plot_density(data, c, bounds=bounds, ax=fig.add_subplot())
    if title:
        fig.suptitle(title)
    return fig


def plot_stats_row(result: dict, *, key: str, axes, bins: int = 60) -> list:
    """Histograms of one init's layers (``result`` is one value of
    :func:`~neuromosaic.theory.stats.init_stats`), layer ``l`` on ``axes[l]``; ``key`` is
    ``"pre"`` or ``"post"``."""
    drawn = []
    values = result[key]
    span = max(float(np.abs(np.concatenate(values)).max()), 1e-6)
    lim = min(span, 4 * float(result["predicted_std"].max())) if key == "pre" else 1.0
    for layer, (ax, v) in enumerate(zip(axes, values, strict=False)):
        _, _, patches = ax.hist(v, bins=bins, range=(-lim, lim), color="C0" if key == "pre" else "C1")
        drawn.append(patches)
        if key == "pre":
            ax.set_title(f"layer {layer + 1}: std {result['std'][layer]:.3g} "
                         f"(pred. {result['predicted_std'][layer]:.3g})", fontsize=6)
        ax.set_yticks([])
        ax.locator_params(axis="x", nbins=5)
        ax.tick_params(labelsize=6)
    return drawn


def stats_figure(result: dict[str, dict], *, layers=(0, 1, 3, 7), title: str = "") -> Figure:
    """Rows: the inits, each as two rows of histograms (pre-activations, then tanh outputs);
    columns: ``layers`` (0-based)."""
    inits = list(result)
    fig = Figure(figsize=(2.2 * len(layers) + 1, 1.9 * 2 * len(inits)), dpi=90, layout="constrained")
    axes = fig.subplots(2 * len(inits), len(layers), squeeze=False)
    for r, init in enumerate(inits):
        picked = {k: [result[init][k][i] for i in layers] for k in ("pre", "post")}
        sub = {**result[init], **picked,
               "std": result[init]["std"][list(layers)],
               "predicted_std": result[init]["predicted_std"][list(layers)]}
        plot_stats_row(sub, key="pre", axes=axes[2 * r])
        plot_stats_row(sub, key="post", axes=axes[2 * r + 1])
        axes[2 * r, 0].set_ylabel(f"{init}\npre-act.", fontsize=8)
        axes[2 * r + 1, 0].set_ylabel(f"{init}\ntanh", fontsize=8)
        for c, layer in enumerate(layers):
            axes[2 * r, c].set_title(f"layer {layer + 1}: std {sub['std'][c]:.3g} "
                                     f"(pred. {sub['predicted_std'][c]:.3g})\n"
                                     f"one unit across pixels: {result[init]['pixel_std'][layer]:.2g}",
                                     fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def constructions_figure(sawtooth_curves: dict[int, tuple], sawtooth_rows: list[dict], regions,
                         formula: int, *, title: str = "") -> Figure:
    """Left: the sawtooth of several depths (``{k: (x (N,), y (N,))}``) with the exact piece
    counts (``sawtooth_rows`` from :func:`~neuromosaic.theory.constructions.verify_sawtooth`);
    right: the folding net's regions (a :class:`~neuromosaic.regions.result.Regions`)."""
    fig = Figure(figsize=(11, 4.8), dpi=100, layout="constrained")
    a, b = fig.subplots(1, 2)
    counts = {r["depth"]: r for r in sawtooth_rows}
    for i, (k, (x, y)) in enumerate(sorted(sawtooth_curves.items())):
        r = counts.get(k)
        label = f"depth {k}: {r['pieces']} pieces (2^{k} = {r['formula']})" if r else f"depth {k}"
        a.plot(x, y + 1.2 * i, lw=1, label=label)
    a.set_yticks([])
    a.set_title("sawtooth: 2 ReLUs per layer, 2^k pieces after k layers")
    a.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2)
    regions.plot(ax=b)
    b.set_aspect("equal")
    b.set_title(f"Montúfar folding: {regions.count} regions (formula {formula})")
    if title:
        fig.suptitle(title)
    return fig
