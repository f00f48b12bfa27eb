"""``Paint(spec)``: the lab's paint controls and preview; ``Canvas(spec)``: its infinite canvas.

Both answer the paint routes with the lab's own functions: ``GET /api/paint.png`` renders with
``lab.routes_paint._paint_job`` (``render_config`` and the PNG with its config chunk) under the
lab's caps, ``GET /api/paint/range`` with ``config_range``.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..errors import SpecError
from ..lab.models import PaintQuery
from ..painting.config import PaintConfig, config_range
from ..spec import NetSpec
from .base import LabWidget, number

PANEL_SIZE = "512x512"  # paint.js's download size when the query leaves it out
PAINT_KEYS = ("size", "layers", "width", "widths", "activation", "out_activation", "init", "bias_init",
              "inputs", "z_dim", "z", "scale", "center", "raw_coords", "color", "seed", "fast", "device")
CANVAS_KEYS = ("layers", "width", "activation", "out_activation", "init", "inputs", "color", "seed")
_DEFAULT = PaintConfig(size=PANEL_SIZE)


def paint_config(spec: PaintConfig | NetSpec | None = None, **fields: Any) -> PaintConfig:
    """The :class:`PaintConfig` a widget starts from: ``spec`` (a PaintConfig, or a CPPN's
    NetSpec: 2, 3 or 3 + z inputs, 1 (gray) or 3 (rgb) outputs) with ``fields`` changed."""
    if spec is None:
        return PaintConfig(**fields)
    if isinstance(spec, PaintConfig):
        return spec.replace(**fields)
    if not isinstance(spec, NetSpec):
        raise SpecError(f"spec must be a PaintConfig or a NetSpec, got {type(spec).__name__}")
    if spec.outputs not in (1, 3):
        raise SpecError(f"a painted net has 1 (gray) or 3 (rgb) outputs, got {spec.outputs}")
    inputs = {2: "xy", 3: "xyr"}.get(spec.inputs, "xyrz")
    net = dict(widths=spec.widths, activation=spec.activation, out_activation=spec.out_activation,
               init=spec.init, bias_init=spec.bias_init, bias=spec.bias, seed=spec.seed,
               inputs=inputs, color="gray" if spec.outputs == 1 else "rgb")
    if inputs == "xyrz":
        net["z_dim"] = spec.inputs - 3
    return PaintConfig(**{**net, **fields})


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number(value)
    if isinstance(value, tuple):
        return ",".join(_text(v) if not isinstance(v, int) else str(v) for v in value)
    return str(value)


def panel_query(cfg: PaintConfig, keys: tuple[str, ...], panel: str) -> dict[str, str]:
    """The panel's URL parameters for ``cfg`` (those unlike the defaults); ``SpecError`` for a
    setting the panel has no control for."""
    fields = dict(cfg)
    if "widths" not in keys and cfg.widths is not None:  # the canvas has layers × width only
        if len(set(cfg.widths)) > 1:
            raise SpecError(f"the {panel} widget draws equal widths (layers × width), got {list(cfg.widths)}")
        fields.update(widths=None, layers=len(cfg.widths), width=cfg.widths[0] if cfg.widths else cfg.width)
    query = {}
    for name, value in fields.items():
        if value == getattr(_DEFAULT, name):
            continue
        if name not in keys:
            raise SpecError(f"the {panel} widget has no control for {name} (got {value!r})")
        query[name] = f"{value[0]}x{value[1]}" if name == "size" else _text(value)
    return query


class _Painting(LabWidget):
    """The paint routes, and the last picture the page was sent (``image``, ``image_config``)."""

    def __init__(self, **traits):
        super().__init__(**traits)
        self._shown: tuple[PaintConfig, bytes] | None = None

    def routes(self):
        return {**super().routes(), ("GET", "/api/paint.png"): self._paint_png,
                ("GET", "/api/paint/range"): self._paint_range}

    def _paint_png(self, params: dict) -> tuple[str, bytes]:
        from ..lab.routes_paint import _paint_job, check_paint_caps

        query = PaintQuery(**params)
        cfg = query.config()
        check_paint_caps(cfg, self.limits)
        png = _paint_job(cfg, query.download)
        self._shown = (cfg, png)
        return "image/png", png

    def _paint_range(self, params: dict) -> dict:
        from ..lab.routes_paint import check_paint_caps

        cfg = PaintQuery(**params).config()
        check_paint_caps(cfg, self.limits)
        rng = config_range(cfg)
        return {"range": None if rng is None else [float(rng[0]), float(rng[1])]}

    @property
    def image(self) -> np.ndarray | None:
        """The last picture sent to the page, `(H, W, C)` uint8 as decoded from its PNG (a
        preview, a canvas tile); ``None`` before the first."""
        if self._shown is None:
            return None
        from PIL import Image

        pixels = np.asarray(Image.open(io.BytesIO(self._shown[1])))
        return pixels[..., None] if pixels.ndim == 2 else pixels

    @property
    def image_config(self) -> PaintConfig | None:
        """The config :attr:`image` was painted from (``render_config`` of it gives its pixels)."""
        return None if self._shown is None else self._shown[0]

    @property
    def net(self):
        """The painted network (a ``torch.nn.Sequential``), built from :attr:`value` (bred
        along its lineage, if it has one)."""
        return self.value.build()


class Paint(_Painting):
    """The lab's Paint panel: every paint option as a control and a live 256-pixel preview.

    ``spec``: a :class:`~neuromosaic.painting.PaintConfig` or a CPPN's
    :class:`~neuromosaic.spec.NetSpec` (default: ``PaintConfig()``), with ``fields`` changed;
    ``limits``: the lab's caps (:class:`~neuromosaic.lab.compute.Limits`).

    ``w.value`` is the PaintConfig the controls describe (``render_config(w.value)`` paints the
    full-size picture, as the panel's download), ``w.net`` its network, ``w.image`` the preview
    shown. ``w.query`` holds the panel's state; setting it moves the controls.
    """

    def __init__(self, spec: PaintConfig | NetSpec | None = None, *, limits=None, **fields):
        cfg = paint_config(spec, **fields)
        query = panel_query(cfg, PAINT_KEYS, "Paint")
        super().__init__(panel="paint", query=_join(query), limits=limits)

    @property
    def value(self) -> PaintConfig:
        return PaintQuery(**{"size": PANEL_SIZE, **self.params()}).config()


class Canvas(_Painting):
    """The lab's infinite canvas: drag to pan, scroll to zoom; each 256-pixel tile is painted in
    the kernel at its own zoom.

    ``spec``: as :class:`Paint` (its ``center`` and ``scale`` are the first view); the canvas
    has controls for the net's depth, width, activation, init, inputs, colour and seed only.

    ``w.value`` is the view as a 512² :class:`~neuromosaic.painting.PaintConfig` (centre, scale
    and the output range every tile shares), ``w.net`` the network, ``w.image`` the last tile.
    """

    def __init__(self, spec: PaintConfig | NetSpec | None = None, *, limits=None, **fields):
        cfg = paint_config(spec, **fields)
        view = {"x": number(cfg.center[0]), "y": number(cfg.center[1]), "span": number(cfg.scale)}
        cfg = cfg.replace(center=_DEFAULT.center, scale=_DEFAULT.scale)
        query = panel_query(cfg, CANVAS_KEYS, "Canvas")
        query.update({k: v for k, v in view.items() if v != {"x": "0", "y": "0", "span": "1"}[k]})
        super().__init__(panel="canvas", query=_join(query), limits=limits)

    @property
    def value(self) -> PaintConfig:
        params = self.params()
        x, y, span = (float(params.pop(k, d)) for k, d in (("x", 0), ("y", 0), ("span", 1)))
        base = PaintQuery(**{**params, "size": "256"}).config()  # the view the range is asked for
        return base.replace(size=(512, 512), center=(x, y), scale=span, range=config_range(base))


def _join(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query, safe=",:")
