"""Rich displays for Jupyter: the ``_repr_html_`` (and ``_repr_png_``) of Regions,
DecisionRegions, FitResult, NetSpec, PaintConfig and the bounds table.

Every display is small whatever the object's size: a partition is drawn to one raster (each
region filled with its pattern colour, the same colour as in the lab and the figures), never
as one SVG path per region, so a 100,000-region partition is a picture of a few tens of KB.
Numbers come from the objects' own methods (the bounds table from
:func:`neuromosaic.theory.bounds.bounds_table`, χ1 from :mod:`neuromosaic.theory.meanfield`).
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np

RASTER = 320  # pixels on the longer side of a partition's picture
TABLE_STYLE = "border-collapse:collapse;font:12px system-ui,sans-serif"
CELL = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG", optimize=False)
    return out.getvalue()


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}" style="image-rendering:pixelated"/>'


def _table(rows: list[tuple[str, str]], title: str = "") -> str:
    head = f'<caption style="text-align:left;font-weight:600">{html.escape(title)}</caption>' if title else ""
    body = "".join(f'<tr><th style="{CELL}">{html.escape(k)}</th><td style="{CELL}">{html.escape(v)}</td></tr>'
                   for k, v in rows)
    return f'<table style="{TABLE_STYLE}">{head}{body}</table>'


def _side_by_side(*parts: str) -> str:
    cells = "".join(f'<div style="margin-right:16px">{p}</div>' for p in parts)
    return f'<div style="display:flex;align-items:flex-start;flex-wrap:wrap">{cells}</div>'


def raster_size(extent, longest: int = RASTER) -> tuple[int, int]:
    """``(width, height)`` in pixels of a picture of ``extent`` (aspect kept)."""
    s0, s1, t0, t1 = extent
    w, h = s1 - s0, t1 - t0
    if w >= h:
        return longest, max(1, round(longest * h / w))
    return max(1, round(longest * w / h)), longest


def polygons_raster(polygons, colors: np.ndarray, extent, *, longest: int = RASTER,
                    edge: tuple[int, int, int] = (40, 40, 46)) -> np.ndarray:
    """`(H, W, 3)` uint8: each polygon (plane coordinates) filled with its colour (`(n, 3)` in
    [0, 1]) on an ``edge``-coloured background. Polygons smaller than a pixel are not drawn: at
    this size they are part of the dense dark edges, and skipping them keeps the cost bounded
    by the pixels, not by the region count."""
    return chunks_raster([(polygons, colors)], extent, longest=longest, edge=edge)


def chunks_raster(chunks, extent, *, longest: int = RASTER,
                  edge: tuple[int, int, int] = (40, 40, 46)) -> np.ndarray:
    """:func:`polygons_raster` of polygons that come chunk by chunk, ``(polygons, colors)`` pairs
    drawn in order into one picture: memory holds the picture and one chunk (a partition read
    from disk, :meth:`neuromosaic.regions.store.RegionsFile.image`)."""
    from PIL import Image, ImageDraw

    width, height = raster_size(extent, longest)
    image = Image.new("RGB", (width, height), edge)
    draw = ImageDraw.Draw(image)
    for polygons, colors in chunks:
        _draw_polygons(draw, polygons, colors, extent, (width, height), edge)
    return np.asarray(image)


def _draw_polygons(draw, polygons, colors, extent, size, edge) -> None:
    if len(polygons) == 0:
        return
    width, height = size
    s0, s1, t0, t1 = extent
    sx, sy = width / (s1 - s0), height / (t1 - t0)
    rgb = np.round(np.asarray(colors) * 255).astype(np.uint8)
    sizes = np.fromiter((len(p) for p in polygons), dtype=np.int64, count=len(polygons))
    points = np.concatenate(polygons)  # every vertex once, then per-polygon extents in one pass
    px = (points[:, 0] - s0) * sx
    py = (t1 - points[:, 1]) * sy
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    wide = np.maximum.reduceat(px, starts) - np.minimum.reduceat(px, starts)
    tall = np.maximum.reduceat(py, starts) - np.minimum.reduceat(py, starts)
    xy = np.stack([px, py], axis=1)
    for i in np.flatnonzero((wide >= 1.0) | (tall >= 1.0)).tolist():
        a = int(starts[i])
        draw.polygon(xy[a:a + int(sizes[i])].ravel().tolist(), fill=tuple(rgb[i].tolist()), outline=edge)


def regions_png(regions, longest: int = RASTER) -> bytes:
    """The partition as a PNG: regions in their pattern colours (see :func:`polygons_raster`)."""
    from .figures.regions import pattern_colors

    return _png(polygons_raster(regions.polygons, pattern_colors(regions.patterns), regions.plane.extent,
                                longest=longest))


def _bounds_rows(regions) -> list[tuple[str, str]]:
    from .theory.bounds import bounds_table

    widths = list(getattr(regions.program, "hidden_widths", []) or [])
    if not widths:
        return []
    try:
        rows = bounds_table(2, widths)
    except Exception:  # noqa: BLE001 - a display never raises; the bounds are extra
        return []
    return [(b.label, "n/a" if b.value is None else f"{b.value:,}") for b in rows]


def regions_html(regions) -> str:
    s0, s1, t0, t1 = regions.plane.extent
    facts = [("linear regions", f"{regions.count:,}"),
             ("plane extent", f"[{s0:g}, {s1:g}] × [{t0:g}, {t1:g}]")]
    if math.isfinite(regions.seconds):
        facts.append(("cut in", f"{regions.seconds:.3g} s"))
    facts += _bounds_rows(regions)
    return _side_by_side(_img(regions_png(regions), f"{regions.count} linear regions"),
                         _table(facts, "Regions"))


def decision_html(dec) -> str:
    import matplotlib

    cmap = matplotlib.colormaps["tab10"]
    colors = np.array([cmap(int(c) % 10)[:3] for c in dec.classes])
    png = _png(polygons_raster(dec.polygons, colors, dec.plane.extent))
    areas = dec.areas_per_class
    facts = [("classes", str(dec.num_classes)), ("decision regions", f"{dec.count:,}"),
             ("pieces (linear regions cut by the boundary)", f"{dec.pieces.count:,}")]
    facts += [(f"area of class {k}", f"{a:.4g}") for k, a in enumerate(areas) if a > 0][:10]
    return _side_by_side(_img(png, f"{dec.count} decision regions"), _table(facts, "DecisionRegions"))


def fit_png(result, dpi: int = 60) -> bytes:
    """The fit figure (:func:`neuromosaic.figures.fit.plot_fit`) as a small PNG."""
    from .io.figures import figure_png

    return figure_png(result.plot(n=40), dpi=dpi, palette=True)


def fit_html(result) -> str:
    cfg = result.config
    metric = (f"test RMSE {result.test_rmse:.4g} (a constant: {result.baseline:.4g})"
              if result.test_accuracy is None else
              f"test accuracy {result.test_accuracy:.3f} (a constant: {result.baseline:.3f})")
    facts = [("task", cfg.task), ("target", cfg.target),
             ("net", f"{cfg.inputs} → {list(cfg.hidden)} → {cfg.layer_sizes[-1]} {cfg.activation}"),
             ("result", metric), ("steps", f"{result.history['step'][-1]:,} of {cfg.total_steps:,}"
                                  f" × {cfg.restarts} restart(s)")]
    if result.degenerate:
        facts.append(("warning", result.verdict))
    return _side_by_side(_img(fit_png(result), "the fit figure"), _table(facts, "FitResult"))


def chi1_rows(spec) -> list[tuple[str, str]]:
    """Mean field's χ1 of ``spec``'s init, per distinct fan-in: ordered (< 1) or chaotic (> 1)."""
    from .theory.meanfield import chi1
    from .theory.phase import init_to_sigmas

    rows, seen = [], set()
    for layer, fan_in in enumerate(spec.layer_sizes[:-2]):
        if fan_in in seen:
            continue
        seen.add(fan_in)
        try:
            sw, sb = init_to_sigmas(spec.init, fan_in, bias_init=spec.bias_init)
            x = chi1(spec.activation, sigma_w=sw, sigma_b=sb)
        except Exception:  # noqa: BLE001 - an activation mean field does not cover
            rows.append((f"χ1 at fan-in {fan_in}", "n/a for this activation"))
            continue
        phase = "chaotic" if x > 1 else "ordered" if x < 1 else "critical"
        where = f"layer {layer + 1}+" if len(set(spec.layer_sizes[:-2])) > 1 else "every layer"
        rows.append((f"χ1 ({where}, fan-in {fan_in})", f"{x:.4g}: {phase}"))
    return rows


def netspec_html(spec) -> str:
    sizes = spec.layer_sizes
    params = sum(a * b + (b if spec.has_bias(i) else 0) for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:],
                                                                                      strict=True)))
    facts = [("architecture", " → ".join(map(str, sizes))),
             ("activation", f"{spec.activation} (output: {spec.out_activation})"),
             ("parameters", f"{params:,}"), ("init", f"{spec.init}, bias {spec.bias}"
                                             + (f" ({spec.bias_init})" if spec.bias_init else "")),
             ("seed", str(spec.seed))]
    return _table(facts + chi1_rows(spec), "NetSpec")


def paintconfig_html(cfg) -> str:
    w, h = cfg.size
    facts = [("size", f"{w}×{h}"), ("net", f"{list(cfg.hidden)} {cfg.activation} → {cfg.out_activation}"),
             ("init", cfg.init), ("inputs", cfg.inputs), ("view", f"scale {cfg.scale:g}, centre {tuple(cfg.center)}"),
             ("colour", cfg.color + (f", cmap {cfg.cmap}" if cfg.cmap else "")), ("seed", str(cfg.seed))]
    return _side_by_side(_img(paint_preview_png(cfg), "preview"), _table(facts + chi1_rows(cfg.net_spec()),
                                                                         "PaintConfig"))


def paint_preview_png(cfg, side: int = 128) -> bytes:
    """A ``side``-pixel preview of ``cfg``'s picture (the same view, fewer pixels)."""
    from .painting.config import render_config

    w, h = cfg.size
    scale = side / max(w, h)
    small = cfg.replace(size=(max(1, round(w * scale)), max(1, round(h * scale))), device="cpu")
    image = render_config(small, workers=1)
    return _png(np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image)


def bounds_html(rows) -> str:
    """The bounds table (:func:`~neuromosaic.theory.bounds.bounds_table`) as HTML, its labels as
    the CLI prints them."""
    return _table([(b.label, "n/a" if b.value is None else f"{b.value:,}") for b in rows],
                  "Bounds on the number of linear regions")
