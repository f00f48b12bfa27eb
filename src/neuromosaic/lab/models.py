"""The lab's request models: how HTTP fields map onto the library's own validated models.

The lab never validates a value itself. These models only say which fields a request may carry
(unknown fields → 422) and turn text forms (``"1,2"``) into what the library's models take;
every value is then checked by the same pydantic model as the CLI uses (``PaintConfig``,
``FitConfig``, …), whose ``SpecError`` becomes HTTP 422 with its one-line message.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import SpecError
from ..lineage import parse_lineage
from ..painting import PaintConfig


def parse_floats(text: str | None, what: str) -> tuple[float, ...] | None:
    """``"0.1,-2"`` → (0.1, −2.0); ``None`` or ``""`` → ``None``."""
    if text is None or not text.strip():
        return None
    try:
        return tuple(float(p) for p in text.replace(" ", "").split(",") if p)
    except ValueError:
        raise SpecError(f"{what} must be comma-separated numbers, got {text!r}") from None


class PaintQuery(BaseModel):
    """The paint options as query parameters (names and meanings as ``neuromosaic paint``)."""

    model_config = ConfigDict(extra="forbid")

    size: str = Field("256", description="N or WxH pixels")
    layers: int = Field(8, description="hidden layers")
    width: int = Field(16, description="neurons per hidden layer")
    widths: str | None = Field(None, description="hidden widths, e.g. 128,64,32 (overrides layers, width)")
    activation: str = "tanh"
    out_activation: str = "sigmoid"
    init: str = Field("normal:1", description="default | normal:S | uniform:A | xavier | kaiming")
    bias_init: str | None = None
    inputs: str = Field("xyr", description="xy | xyr | xyrz")
    z_dim: int = 8
    z: str | None = Field(None, description="latent vector, comma-separated (default: from the seed)")
    scale: float = Field(1.0, description="the shorter side spans SCALE units")
    center: str = Field("0,0", description="X,Y of the image centre")
    raw_coords: bool = False
    color: str = Field("rgb", description="rgb | gray | hsv")
    seed: int = 0
    fast: bool = Field(False, description="fast tanh (8-bit values move by at most 1)")
    device: str = Field("auto", description="auto | cpu | cuda")
    cmap: str | None = Field(None, description="a matplotlib colormap for a 1-output net (implies gray)")
    range: str | None = Field(None, description="LO,HI: the outputs shown as 0 and 1 (default: the "
                                                "output activation's range, or the picture's own)")
    lineage: str | None = Field(None, description="breeding steps from this net, e.g. m0.3s17_c5f1(m0.3s9) "
                                                  "(see neuromosaic.lineage)")
    download: bool = Field(False, description="full PNG compression, as an attachment")

    def config(self) -> PaintConfig:
        """The ``PaintConfig`` these parameters describe (``SpecError`` on a bad value)."""
        fields: dict[str, Any] = self.model_dump(exclude={"download"})
        fields["widths"] = fields["widths"] or None
        fields["bias_init"] = fields["bias_init"] or None
        fields["z"] = parse_floats(fields["z"], "z")
        fields["range"] = parse_floats(fields["range"], "range") if fields["range"] else None
        fields["lineage"] = parse_lineage(fields["lineage"] or "") or None  # over the caps: 413
        if fields["cmap"] and fields["color"] == "rgb":  # a colour map colours one output
            fields["color"] = "gray"
        return PaintConfig(**fields)


class RegionsRequest(BaseModel):
    """A network to cut into its exact linear regions over a rectangle of its 2-D input.

    Either ``widths`` (hidden widths, with ``out_dim`` outputs; the inputs are the plane's x and
    y) with ``activation``, ``init``, ``bias_init``, ``seed`` — the fields of
    :class:`~neuromosaic.spec.NetSpec` — or ``weights``: a base64-encoded ``.npz`` (keys ``W0, b0,
    …``, read with ``allow_pickle=False``). ``arch`` (``[2, hidden…, outputs]``) is the older
    spelling of ``widths`` + ``out_dim``, kept for one release.
    """

    model_config = ConfigDict(extra="forbid")

    widths: list[int] | None = Field(None, description="hidden widths (default [16, 16])")
    out_dim: int | None = Field(None, description="outputs of the net (default 1)")
    arch: list[int] | None = Field(None, description="deprecated: [2, hidden…, outputs]; use widths and out_dim")
    activation: str = Field("relu", description="a piecewise-linear activation")
    init: str = Field("default", description="default | normal:S | uniform:A | xavier | kaiming")
    bias_init: str | None = None
    seed: int = 0
    domain: tuple[float, float, float, float] = Field((-1.0, 1.0, -1.0, 1.0), description="x0, x1, y0, y1")
    weights: str | None = Field(None, description="base64 of an .npz file (instead of widths)")

    def architecture(self) -> tuple[list[int], int]:
        """``(hidden widths, outputs)`` from ``widths``/``out_dim`` or the older ``arch``."""
        if self.arch is not None:
            if self.widths is not None or self.out_dim is not None:
                raise SpecError("give widths and out_dim, or the older arch, not both")
            if len(self.arch) < 2:
                raise SpecError(f"arch must be [inputs, hidden…, outputs], got {self.arch}")
            if self.arch[0] != 2:
                raise SpecError(f"arch: the first entry (inputs) must be 2, the plane's x and y; got {self.arch[0]}")
            return list(self.arch[1:-1]), int(self.arch[-1])
        widths = [16, 16] if self.widths is None else list(self.widths)
        return widths, 1 if self.out_dim is None else int(self.out_dim)


class TowersRequest(BaseModel):
    """Nielsen's towers (``neuromosaic.fitting.towers.build``): ``n × n`` towers approximating ``target``."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field("x1**2 + x2**2", description="a named target or an expression in x1, x2")
    n: int = Field(8, description="towers per side")
    steepness: float = Field(100.0, description="sharpness of every step")
    sides: int | None = Field(None, description="None: square towers; k >= 3: regular k-gons")
    layers: int = Field(2, description="2: towers; 1: bumps with skirts")
    domain: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)
    grid: int = Field(64, description="points per side of the picture")
