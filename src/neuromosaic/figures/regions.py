"""Figures of a linear-region partition: the flat map and the exact piecewise-planar surface.

They draw what :class:`~neuromosaic.regions.result.Regions` holds; nothing is computed here but
colours and a fan triangulation of each (convex) polygon.
"""

from __future__ import annotations

import numpy as np

COLOR_BY = ("pattern", "output", "gradient")


def pattern_colors(patterns: np.ndarray) -> np.ndarray:
    """RGB `(n, 3)` in [0, 1] of pattern bytes `(n, nbytes)`: FNV-1a over the bytes → hue,
    saturation, lightness → RGB rounded to 8 bits, exactly as the lab's ``colors.js`` computes
    it, so a region has one colour in the lab and in every PNG (stable across runs)."""
    from ..regions.patterns import color_hash

    h = color_hash(patterns).astype(np.int64)
    hue = (h % 360).astype(np.float64)
    s = (45 + (h >> 9) % 30) / 100.0
    lum = (55 + (h >> 17) % 20) / 100.0
    a = s * np.minimum(lum, 1 - lum)
    # CSS Color 4's hsl(): f(n) = l - a * max(-1, min(k - 3, 9 - k, 1)), k = (n + hue/30) mod 12
    chans = []
    for n in (0, 8, 4):
        k = (n + hue / 30) % 12
        chans.append(lum - a * np.maximum(-1, np.minimum(np.minimum(k - 3, 9 - k), 1)))
    rgb = np.floor(np.stack(chans, axis=1) * 255 + 0.5)
    return rgb / 255.0


def region_colors(regions, color_by: str = "pattern", output: int = 0, cmap: str = "viridis",
                  pieces=None) -> np.ndarray:
    """RGBA or RGB colours `(count, 3|4)` of the regions (``pieces``: an
    :class:`~neuromosaic.regions.merge.AffinePieces`: each piece in the colour of its first
    region's pattern)."""
    import matplotlib as mpl

    if pieces is not None:
        first = np.unique(pieces.labels, return_index=True)[1]
        return pattern_colors(regions.patterns[first])[pieces.labels]
    if color_by not in COLOR_BY:
        from ..errors import SpecError

        raise SpecError(f"color_by must be one of {', '.join(COLOR_BY)}, got {color_by!r}")
    if color_by == "pattern":
        return pattern_colors(regions.patterns)
    grads, offsets = regions.affine
    if color_by == "output":
        pts = regions.interior_points()
        val = (grads[:, output] * pts).sum(1) + offsets[:, output]
        lo, hi = np.percentile(val, [1, 99]) if len(val) else (0, 1)
        return mpl.colormaps[cmap](mpl.colors.Normalize(lo, hi if hi > lo else lo + 1)(val))
    g = grads[:, output]
    hue = (np.arctan2(g[:, 1], g[:, 0]) / (2 * np.pi)) % 1.0
    mag = np.hypot(g[:, 0], g[:, 1])
    val = mag / (np.percentile(mag, 99) or 1.0) if len(mag) else mag
    return mpl.colors.hsv_to_rgb(np.stack([hue, np.full_like(hue, 0.75),
                                           0.25 + 0.75 * np.minimum(val, 1.0)], axis=1)).reshape(-1, 3)


def plot_regions(regions, ax=None, color_by: str = "pattern", edges: bool = True, boundary: bool = False,
                 *, output: int = 0, edge_color: str = "black", linewidth: float | None = None,
                 boundary_color: str = "red", pieces=None):
    """Draw the partition as ONE ``PolyCollection`` on ``ax`` (a new figure if None).

    Arguments:
        color_by: ``pattern`` (colour hashed from the activation pattern), ``output`` (the value
            of output ``output`` at an interior point) or ``gradient`` (hue: direction of the
            output's gradient, brightness: its size).
        edges: draw the region edges; ``boundary``: overlay the zero level set of ``output``.
        pieces: an :class:`~neuromosaic.regions.merge.AffinePieces` of ``regions``: each affine
            piece in one colour (``color_by`` is then not used).
    Returns the ``PolyCollection``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    n = regions.count
    lw = linewidth if linewidth is not None else (0.4 if n < 2000 else 0.15 if n < 50000 else 0.05)
    coll = PolyCollection(regions.polygons, facecolors=region_colors(regions, color_by, output, pieces=pieces),
                          edgecolors=edge_color if edges else "face", linewidths=lw if edges else 0.0)
    ax.add_collection(coll)
    if boundary:
        segs = regions.decision_boundary(output)
        ax.add_collection(LineCollection(segs, colors=boundary_color, linewidths=1.5))
    s0, s1, t0, t1 = regions.plane.extent
    ax.set_xlim(s0, s1)
    ax.set_ylim(t0, t1)
    ax.set_aspect("equal")
    ax.set_title(f"{pieces.count:,} affine pieces ({n:,} activation regions)" if pieces is not None
                 else f"{n:,} linear regions")
    return coll


def plot_regions_image(image: np.ndarray, extent, count: int, ax=None):
    """Draw a partition already rasterised (``image`` `(H, W, 3)` uint8 over ``extent``, e.g.
    :meth:`~neuromosaic.regions.store.RegionsFile.image` of a partition on disk) on ``ax`` (a new
    figure if None), titled with its ``count``; returns the ``AxesImage``."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    s0, s1, t0, t1 = extent
    art = ax.imshow(image, extent=(s0, s1, t0, t1), origin="upper", interpolation="nearest")
    ax.set_xlim(s0, s1)
    ax.set_ylim(t0, t1)
    ax.set_aspect("equal")
    ax.set_title(f"{count:,} linear regions")
    return art


def _fan(regions, output: int):
    """Vertices `(m, 3)` (s, t, exact output) and triangles `(k, 3)` with each triangle's region."""
    grads, offsets = regions.affine
    verts, tris, owner = [], [], []
    base = 0
    for r, poly in enumerate(regions.polygons):
        z = poly @ grads[r, output] + offsets[r, output]
        verts.append(np.column_stack([poly, z]))
        k = len(poly)
        idx = np.arange(1, k - 1)
        tris.append(np.column_stack([np.full(k - 2, base), base + idx, base + idx + 1]))
        owner.append(np.full(k - 2, r))
        base += k
    return np.concatenate(verts), np.concatenate(tris), np.concatenate(owner)


def plot_surface(regions, backend: str = "plotly", ax=None, output: int = 0, *, edges: bool = True):
    """The exact piecewise-planar surface of output ``output`` over the plane.

    ``backend="plotly"``: returns a ``plotly.graph_objects.Figure`` with one ``Mesh3d`` (each
    region a fan of triangles coloured by its pattern). ``backend="matplotlib"``: draws one
    ``Poly3DCollection`` on ``ax`` (a new 3-D axes if None) and returns it.
    """
    colors = pattern_colors(regions.patterns)
    if backend == "plotly":
        import plotly.graph_objects as go

        V, T, owner = _fan(regions, output)
        rgb = [f"rgb({int(255 * r)},{int(255 * g)},{int(255 * b)})" for r, g, b in colors[owner]]
        mesh = go.Mesh3d(x=V[:, 0], y=V[:, 1], z=V[:, 2], i=T[:, 0], j=T[:, 1], k=T[:, 2],
                         facecolor=rgb, flatshading=True, hoverinfo="x+y+z")
        fig = go.Figure(mesh)
        fig.update_layout(title=f"{regions.count:,} linear regions: the exact surface",
                          scene=dict(xaxis_title="s", yaxis_title="t", zaxis_title=f"output {output}"),
                          margin=dict(l=0, r=0, t=40, b=0))
        return fig
    if backend != "matplotlib":
        from ..errors import SpecError

        raise SpecError(f"backend must be 'plotly' or 'matplotlib', got {backend!r}")
    import matplotlib.pyplot as plt
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    if ax is None:
        fig = plt.figure(figsize=(7, 6))
        ax = fig.add_subplot(projection="3d")
    grads, offsets = regions.affine
    polys = [np.column_stack([p, p @ grads[r, output] + offsets[r, output]])
             for r, p in enumerate(regions.polygons)]
    coll = Poly3DCollection(polys, facecolors=colors, edgecolors="k" if edges else "none",
                            linewidths=0.2 if edges else 0.0)
    ax.add_collection3d(coll)
    s0, s1, t0, t1 = regions.plane.extent
    z = np.concatenate([p[:, 2] for p in polys]) if polys else np.zeros(1)
    ax.set_xlim(s0, s1)
    ax.set_ylim(t0, t1)
    ax.set_zlim(float(z.min()), float(z.max()) + 1e-12)
    ax.set_xlabel("s")
    ax.set_ylabel("t")
    ax.set_zlabel(f"output {output}")
    return coll


def plot_decision(dec, ax=None, *, linear_edges: bool = True, boundary_color: str = "black",
                  cmap: str = "tab10", label: bool = True):
    """Draw decision regions: each piece filled with its class's colour (``cmap``), the linear
    regions' edges thin (``linear_edges``), the exact decision boundary thick and each class
    region's class written on it (``label``). Returns ``{"pieces": PolyCollection,
    "boundary": LineCollection, "labels": [Text]}``."""
    import matplotlib as mpl
    from matplotlib.collections import LineCollection, PolyCollection

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 6))
    colours = mpl.colormaps[cmap](np.asarray(dec.classes) % 10)
    colours[:, 3] = 0.75
    pieces = PolyCollection(dec.polygons, facecolors=colours,
                            edgecolors="0.35" if linear_edges else "none",
                            linewidths=0.25 if linear_edges else 0)
    ax.add_collection(pieces)
    lines = LineCollection(dec.boundary, colors=boundary_color, linewidths=1.6)
    ax.add_collection(lines)
    labels = []
    if label:  # each class region's class, on its largest piece (regions over 1 % of the box)
        areas = dec.pieces.areas
        for r in range(dec.count):
            members = np.flatnonzero(dec.region_of_piece == r)
            if areas[members].sum() < 0.01 * dec.plane.area:
                continue
            big = members[np.argmax(areas[members])]
            x, y = dec.polygons[big].mean(axis=0)
            labels.append(ax.text(x, y, str(dec.region_class[r]), ha="center", va="center",
                                  fontsize=11, weight="bold", color="black"))
    s0, s1, t0, t1 = dec.plane.extent
    ax.set_xlim(s0, s1)
    ax.set_ylim(t0, t1)
    ax.set_aspect("equal")
    return {"pieces": pieces, "boundary": lines, "labels": labels}


def plot_images_plane(regions, decision, marks: np.ndarray, images: np.ndarray, labels, *,
                      side: int = 8, fig=None):
    """Two panels on the plane through three images: the linear regions (pattern colours) and
    the decision regions, each with the images marked at their points (``marks`` `(3, 2)` plane
    coordinates) and shown as insets (``images`` `(3, side*side)` in [0, 1], ``labels`` their
    classes). Returns the figure."""
    from matplotlib.figure import Figure

    fig = fig or Figure(figsize=(12, 6.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_regions(regions, ax=left, edges=regions.count < 20000)
    left.set_title(f"{regions.count:,} linear regions on the plane through three test images", fontsize=10)
    plot_decision(decision, ax=right)
    right.set_title(f"decision regions: {decision.count} regions of {decision.num_classes} classes", fontsize=10)
    for ax in (left, right):
        ax.scatter(marks[:, 0], marks[:, 1], s=70, c="white", edgecolors="black", zorder=5)
        for (x, y), img, lab in zip(marks, images, labels, strict=True):
            inset = ax.inset_axes((x, y, 0.12 * np.ptp(ax.get_xlim()), 0.12 * np.ptp(ax.get_ylim())),
                                  transform=ax.transData)
            inset.imshow(np.asarray(img).reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
            inset.set_xticks([])
            inset.set_yticks([])
            inset.set_title(str(lab), fontsize=8, pad=1)
    return fig


def plot_regions_during_training(rows: list[dict], ax=None):
    """Region count on a plane (bars) and test accuracy (line) per epoch; returns the artists."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = [r["epoch"] for r in rows]
    bars = ax.bar(epochs, [r["regions"] for r in rows], color="0.6", label="linear regions on the plane")
    ax.set_xlabel("epoch")
    ax.set_ylabel("regions on the plane")
    twin = ax.twinx()
    (line,) = twin.plot(epochs, [r["test_accuracy"] for r in rows], "o-", color="C3", label="test accuracy")
    twin.set_ylim(0, 1)
    twin.set_ylabel("test accuracy")
    return {"bars": bars, "accuracy": line}
