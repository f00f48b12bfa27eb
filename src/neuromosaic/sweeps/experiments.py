"""The experiments a sweep can run: name → (parameter model, function that measures).

Each experiment is a thin call into the public library — it computes nothing itself — and
returns the numbers to put in its row (and, if asked, one figure). Its parameter model is a
pydantic model with ``extra="forbid"`` and a default for every field, so a grid file can set any
subset and a typo is an error naming the key.

To add one: write ``_run_x(params, *, figure, threads) -> Outcome`` and a model, and register
``Experiment("x", XParams, _run_x, ...)`` in ``EXPERIMENTS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ..errors import SpecError
from ..paint import PaintConfig, png_bytes, render_config
from ..theory import bounds as theory_bounds
from .measures import IMAGE_MEASURES, image_stats


@dataclass(frozen=True)
class Outcome:
    """What one cell measured: ``values`` (column name → number, string or ``None``) and, when
    a figure was asked for and the experiment draws one, its file bytes."""

    values: dict[str, Any]
    figure: bytes | None = None


@dataclass(frozen=True)
class Experiment:
    """A runnable experiment.

    Attributes:
        name: what ``experiment = "…"`` says in the grid file.
        params: the pydantic model of its parameters (every field has a default).
        run: ``run(params, figure=bool, threads=int | None) -> Outcome``; ``threads`` is the
            CPU threads the cell may use (1 inside pool and Dask workers, ``None``: all).
        summary: one line for ``neuromosaic sweep --list``.
        measures: the names of the values it returns (documentation and the table's columns).
        figure_ext: the figure file's extension, or ``""`` if it draws none.
    """

    name: str
    params: type[BaseModel]
    run: Callable[..., Outcome]
    summary: str
    measures: tuple[str, ...] = field(default_factory=tuple)
    figure_ext: str = ""

    @property
    def makes_figure(self) -> bool:
        return bool(self.figure_ext)


# -- paint ------------------------------------------------------------------------------------
def _run_paint(cfg: PaintConfig, *, figure: bool, threads: int | None) -> Outcome:
    image = render_config(cfg, workers=threads)
    values: dict[str, Any] = {"num_params": cfg.net_spec().num_params, **image_stats(image)}
    return Outcome(values, png_bytes(image, cfg) if figure else None)


# -- bounds -----------------------------------------------------------------------------------
class BoundsParams(BaseModel):
    """Region-count bounds of a ReLU net with ``n0`` inputs and hidden ``widths`` (or ``depth``
    layers of ``width`` units when ``widths`` is not given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n0: int = 2
    depth: int = 3
    width: int = 16
    widths: tuple[int, ...] | None = None

    @field_validator("n0", "depth", "width")
    @classmethod
    def _positive(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"must be >= 1, got {v}")
        return v

    @property
    def hidden(self) -> list[int]:
        return list(self.widths) if self.widths is not None else [self.width] * self.depth


def _lower_or_none(fn: Callable[[int, list[int]], int], n0: int, widths: list[int]) -> int | None:
    try:
        return fn(n0, widths)
    except SpecError:  # the theorem's hypothesis on the widths does not hold: no bound
        return None


def _run_bounds(p: BoundsParams, *, figure: bool, threads: int | None) -> Outcome:
    ws = p.hidden
    return Outcome({
        "zaslavsky_first_layer": theory_bounds.zaslavsky(ws[0], p.n0),
        "serra_upper": theory_bounds.serra_upper(p.n0, ws),
        "serra_lower": _lower_or_none(theory_bounds.serra_lower, p.n0, ws),
        "montufar_lower": _lower_or_none(theory_bounds.montufar_lower, p.n0, ws),
        "pascanu_lower": _lower_or_none(theory_bounds.pascanu_lower, p.n0, ws),
    })


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e for e in (
        Experiment("paint", PaintConfig, _run_paint,
                   "paint a CPPN (nm.paint) and measure how busy the image is",
                   ("num_params", *IMAGE_MEASURES), ".png"),
        Experiment("bounds", BoundsParams, _run_bounds,
                   "exact region-count bounds (nm.theory.bounds) for an architecture",
                   ("zaslavsky_first_layer", "serra_upper", "serra_lower", "montufar_lower",
                    "pascanu_lower")),
    )
}
