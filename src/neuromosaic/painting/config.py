"""PaintConfig: every option of ``neuromosaic paint`` in one validated model.

The same model is the CLI's parsed options, the lab's query parameters and the JSON stored in
every PNG, so a picture can always be re-rendered from itself.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import ConfigDict, field_validator, model_validator

from ..errors import NeuromosaicError, SpecError
from ..lineage import Step, as_steps
from ..spec import ActivationName, BiasInitName, BiasName, InitName, NetSpec, Validated
from .color import COLORS
from .render import INPUTS, input_count, parse_size


class PaintConfig(Validated):
    """A CPPN and how to render it. Defaults: 8 hidden layers × 16, tanh, sigmoid output,
    ``normal:1`` weights, a bias on every Linear (``bias``: see :class:`~neuromosaic.spec.NetSpec`),
    inputs x, y, r, 512×512, seed 0. A config stored without ``bias`` (made before 0.2.0)
    re-renders with ``"all"``, as it was made."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: tuple[int, int] = (512, 512)
    layers: int = 8
    width: int = 16
    widths: tuple[int, ...] | None = None
    activation: ActivationName = "tanh"
    out_activation: ActivationName = "sigmoid"
    init: InitName = "normal:1"
    bias_init: BiasInitName = None
    bias: BiasName = "all"
    inputs: str = "xyr"
    z_dim: int = 8
    z: tuple[float, ...] | None = None
    scale: float = 1.0
    center: tuple[float, float] = (0.0, 0.0)
    raw_coords: bool = False
    color: str = "rgb"
    seed: int = 0
    fast: bool = False
    device: str = "auto"
    cmap: str | None = None
    range: tuple[float, float] | None = None
    lineage: tuple[Step, ...] | None = None  # breeding steps from this net (neuromosaic.lineage)

    @model_validator(mode="before")
    @classmethod
    def _cmap_is_gray(cls, data: Any) -> Any:
        """A colour map colours one output: ``cmap`` without a ``color`` means gray."""
        if isinstance(data, dict) and data.get("cmap") is not None and data.get("color") is None:
            data = {**data, "color": "gray"}
        return data

    @field_validator("cmap")
    @classmethod
    def _cmap(cls, v: str | None) -> str | None:
        if v is not None:
            from .color import colormap_lut

            try:
                colormap_lut(v)
            except SpecError as exc:
                raise ValueError(str(exc).removeprefix("cmap ")) from None
        return v

    @field_validator("range", mode="before")
    @classmethod
    def _range(cls, v):
        if isinstance(v, str):
            v = [p for p in v.replace(" ", "").split(",") if p]
        if v is None:
            return v
        from .render import check_range

        try:
            return check_range(v)
        except SpecError as exc:
            raise ValueError(str(exc).removeprefix("range ")) from None

    @field_validator("lineage", mode="before")
    @classmethod
    def _lineage(cls, v):
        try:
            return as_steps(v) or None  # steps, their dicts or their text form "m0.3s17_…"
        except NeuromosaicError as exc:
            raise ValueError(str(exc).removeprefix("lineage: ").removeprefix("lineage ")) from None

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, v):
        return parse_size(v)

    @field_validator("widths", mode="before")
    @classmethod
    def _widths(cls, v):
        if isinstance(v, str):
            try:
                v = [int(p) for p in v.replace(" ", "").split(",") if p != ""]
            except ValueError:
                raise ValueError(f"must be comma-separated positive integers, got {v!r}") from None
        if v is not None and any(int(w) < 1 for w in v):
            raise ValueError(f"every width must be >= 1, got {list(v)}")
        return v

    @field_validator("layers")
    @classmethod
    def _layers(cls, v: int) -> int:
        if not 0 <= v <= 256:
            raise ValueError(f"must be between 0 and 256, got {v}")
        return v

    @field_validator("width", "z_dim")
    @classmethod
    def _positive(cls, v: int) -> int:
        if not 1 <= v <= 4096:
            raise ValueError(f"must be between 1 and 4096, got {v}")
        return v

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, v: str) -> str:
        if v not in INPUTS:
            raise ValueError(f"must be one of {', '.join(INPUTS)}, got {v!r}")
        return v

    @field_validator("color")
    @classmethod
    def _color(cls, v: str) -> str:
        if v not in COLORS:
            raise ValueError(f"must be one of {', '.join(COLORS)}, got {v!r}")
        return v

    @field_validator("device")
    @classmethod
    def _device(cls, v: str) -> str:
        if v not in ("auto", "cpu", "cuda") and not v.startswith("cuda:"):
            raise ValueError(f"must be auto, cpu or cuda, got {v!r}")
        return v

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: float) -> float:
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"must be a positive finite number, got {v}")
        return v

    @field_validator("center", mode="before")
    @classmethod
    def _center(cls, v):
        if isinstance(v, str):
            try:
                v = tuple(float(p) for p in v.split(","))
            except ValueError:
                raise ValueError(f"must be X,Y (two numbers), got {v!r}") from None
        v = tuple(v)
        if len(v) != 2 or not all(math.isfinite(float(c)) for c in v):
            raise ValueError(f"must be two finite numbers X,Y, got {v!r}")
        return v

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        if not 0 <= v < 2**63:
            raise ValueError(f"must be between 0 and 2**63-1, got {v}")
        return v

    @field_validator("z")
    @classmethod
    def _z_finite(cls, v):
        if v is not None and not all(math.isfinite(float(c)) for c in v):
            raise ValueError(f"every entry must be a finite number, got {list(v)}")
        return v

    @model_validator(mode="after")
    def _z_matches(self) -> PaintConfig:
        if self.z is not None and self.inputs == "xyrz" and len(self.z) != self.z_dim:
            raise ValueError(f"z has {len(self.z)} entries but z_dim is {self.z_dim}")
        return self

    # -- derived -------------------------------------------------------------------------
    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(self.widths) if self.widths is not None else (self.width,) * self.layers

    def net_spec(self) -> NetSpec:
        """The network this config paints."""
        return NetSpec(inputs=input_count(self.inputs, self.z_dim), widths=self.hidden,
                       outputs=1 if self.color == "gray" else 3, activation=self.activation,
                       out_activation=self.out_activation, init=self.init,
                       bias_init=self.bias_init, bias=self.bias, seed=self.seed)

    def build(self, *, device=None, progress=None):
        """The net this config paints: its NetSpec's, bred along ``lineage`` (on the CPU, so
        alike everywhere; ``progress(done, total)`` after each step), then moved to ``device``."""
        net = self.net_spec().build()
        if self.lineage:
            from ..lineage import replay

            net = replay(net, self.lineage, progress=progress)
        return net.to(device)

    def _repr_html_(self) -> str:
        """Jupyter: a small preview beside the settings and mean field's χ1 of the init."""
        from ..display import paintconfig_html

        return paintconfig_html(self)

    def latent(self) -> tuple[float, ...] | None:
        """The latent vector z (drawn from the seed unless given); ``None`` without z inputs."""
        if self.inputs != "xyrz":
            return None
        if self.z is not None:
            return tuple(self.z)
        return tuple(np.random.default_rng([self.seed, 1]).uniform(-1.0, 1.0, self.z_dim).tolist())

    def replace(self, **changes: Any) -> PaintConfig:
        return PaintConfig(**{**self.model_dump(), **changes})

    def metadata(self) -> dict:
        """What a PNG carries: the full config (with z made explicit) and the package version."""
        from .. import __version__

        cfg = self.model_dump(mode="json")
        z = self.latent()
        cfg["z"] = list(z) if z is not None else None
        if cfg.get("lineage") is None:  # a picture that was not bred: the chunk it always had
            cfg.pop("lineage", None)
        return {"kind": "paint", "version": __version__, "config": cfg,
                "spec": self.net_spec().model_dump(mode="json")}


def render_config(cfg: PaintConfig, *, progress=None, workers: int | None = None,
                  net=None) -> np.ndarray:
    """Build ``cfg``'s network (or take ``net``, already built) and paint it: `(H, W, C)` uint8."""
    from .render import paint, resolve_device

    dev = resolve_device(cfg.device)
    net = cfg.build(device=dev) if net is None else net
    return paint(net, cfg.size, scale=cfg.scale, center=cfg.center, raw_coords=cfg.raw_coords,
                 inputs=cfg.inputs, z=cfg.latent(), color=cfg.color, cmap=cfg.cmap,
                 range=cfg.range, fast=cfg.fast, device=dev, workers=workers, progress=progress)


def config_range(cfg: PaintConfig, *, net=None) -> tuple[float, float] | None:
    """The output range ``cfg``'s picture maps to colours: ``cfg.range`` if given, ``None`` for
    a bounded output activation (sigmoid, tanh, …), else the range the net reaches over the
    picture's own view (:func:`~.render.picture_range`). Pass it as ``range`` to every tile of
    an infinite canvas or frame of an animation, so they all map outputs alike."""
    from .render import picture_range, resolve_device

    if cfg.range is not None:
        return tuple(cfg.range)
    dev = resolve_device(cfg.device)
    net = net if net is not None else cfg.build(device=dev)
    return picture_range(net, cfg.size, scale=cfg.scale, center=cfg.center,
                         raw_coords=cfg.raw_coords, inputs=cfg.inputs, z=cfg.latent(), device=dev)


def png_bytes(image: np.ndarray, cfg: PaintConfig) -> bytes:
    """PNG bytes of ``image`` carrying ``cfg`` in its ``neuromosaic`` chunk."""
    from ..io.png import encode_png

    return encode_png(image, cfg.metadata())


def config_from_metadata(meta: dict) -> PaintConfig:
    """The PaintConfig stored in a PNG's metadata (see :meth:`PaintConfig.metadata`)."""
    from ..errors import InputError

    if meta.get("kind") != "paint" or not isinstance(meta.get("config"), dict):
        raise InputError(f"the PNG's neuromosaic chunk is a {meta.get('kind')!r} record, not a paint config")
    return PaintConfig(**meta["config"])
