"""The experiments a sweep can run: name → (parameter model, function that measures).

Each experiment is a thin call into the public library — it computes nothing itself — and
returns the numbers to put in its row (and, if asked, one figure). Its parameter model is a
pydantic model with ``extra="forbid"`` and a default for every field, so a grid file can set any
subset and a typo is an error naming the key.

To add one: write ``_run_x(params, *, figure, threads) -> Outcome`` and a model, and register
``Experiment("x", XParams, _run_x, ...)`` in ``EXPERIMENTS``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ..fitting import FitConfig
from ..fitting import fit as fit_net
from ..painting import PaintConfig, png_bytes, render_config
from ..plane import check_extent
from ..regions import linear_regions
from ..spec import PIECEWISE_LINEAR, InitSpec, NetSpec, check_activation
from ..theory import bounds as theory_bounds
from ..theory import meanfield, phase, trajectory
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


#: the bounds table's rows (theory.bounds.bounds_table) a sweep records, one column each
BOUND_COLUMNS = ("first_layer", "serra_upper", "serra_lower", "montufar_lower", "pascanu_lower")


def bound_values(n0: int, widths: list[int], names=BOUND_COLUMNS) -> dict[str, int | None]:
    """The values of the bounds table's rows ``names`` (None where a theorem does not apply)."""
    rows = {b.name: b.value for b in theory_bounds.bounds_table(n0, widths)}
    return {name: rows[name] for name in names}


def _run_bounds(p: BoundsParams, *, figure: bool, threads: int | None) -> Outcome:
    theory_bounds.check_size(p.n0, p.hidden)
    return Outcome(bound_values(p.n0, p.hidden))


# -- shared parameter checks ----------------------------------------------------------------
class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _positive(v: int) -> int:
    if v < 1:
        raise ValueError(f"must be >= 1, got {v}")
    return v


def _positive_float(v: float) -> float:
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"must be a positive finite number, got {v}")
    return v


# -- regions ----------------------------------------------------------------------------------
class RegionsParams(_Params):
    """A random 2-input piecewise-linear net (``depth`` layers of ``width``, or ``widths``) cut
    exactly over ``domain``."""

    depth: int = 2
    width: int = 16
    widths: tuple[int, ...] | None = None
    activation: str = "relu"
    init: str = "default"
    bias_init: str | None = None
    seed: int = 0
    domain: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
    max_regions: int = 1_000_000

    _pos = field_validator("depth", "width", "max_regions")(_positive)

    @field_validator("widths")
    @classmethod
    def _widths(cls, v):
        if v is not None and (not v or any(w < 1 for w in v)):
            raise ValueError(f"must be one or more widths >= 1, got {v!r}")
        return v

    @field_validator("activation")
    @classmethod
    def _act(cls, v: str) -> str:
        name = check_activation(v)
        if name not in PIECEWISE_LINEAR:
            raise ValueError(f"must be piecewise linear ({', '.join(sorted(PIECEWISE_LINEAR))}), "
                             f"got {v!r}")
        return name

    @field_validator("init", "bias_init")
    @classmethod
    def _init(cls, v: str | None) -> str | None:
        return None if v is None else str(InitSpec.parse(v))

    @field_validator("domain")
    @classmethod
    def _domain(cls, v):
        return check_extent(v)

    @property
    def hidden(self) -> list[int]:
        return list(self.widths) if self.widths is not None else [self.width] * self.depth


def _run_regions(p: RegionsParams, *, figure: bool, threads: int | None) -> Outcome:
    spec = NetSpec(inputs=2, widths=p.hidden, outputs=1, activation=p.activation,
                   out_activation="identity", init=p.init, bias_init=p.bias_init, seed=p.seed)
    regions = linear_regions(spec.build(), domain=p.domain, max_regions=p.max_regions,
                             workers=threads)
    return Outcome({
        "count": regions.count,
        "neurons": sum(p.hidden),
        **bound_values(2, p.hidden, ("first_layer", "serra_upper")),
    }, _regions_png(regions) if figure else None)


def _regions_png(regions) -> bytes:
    """The partition drawn by ``Regions.plot`` as PNG bytes (an Agg canvas, no pyplot state)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 4), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    regions.plot(ax=ax)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# -- fit --------------------------------------------------------------------------------------
def _run_fit(cfg: FitConfig, *, figure: bool, threads: int | None) -> Outcome:
    res = fit_net(**cfg.model_dump())
    hist = res.history
    return Outcome({
        "test_rmse": res.test_rmse,
        "test_accuracy": res.test_accuracy,
        "train_loss": hist["train_loss"][-1],
        "test_loss": hist["test_loss"][-1],
        "steps_run": int(hist["step"][-1]),
        "stopped_early": res.stopped_early,
        "num_params": res.spec.num_params,
    })


# -- meanfield --------------------------------------------------------------------------------
class MeanfieldParams(_Params):
    """Mean-field theory of a random net: ``activation`` with weight and bias scales
    ``sigma_w``, ``sigma_b``; or, when ``init`` is given, the scales of that paint ``--init``
    at fan-in ``fan_in`` (``init`` then replaces ``sigma_w`` and ``sigma_b``)."""

    activation: str = "tanh"
    sigma_w: float = 1.0
    sigma_b: float = 0.0
    init: str | None = None
    bias_init: str | None = None
    fan_in: int = 16

    _act = field_validator("activation")(check_activation)
    _sw = field_validator("sigma_w")(_positive_float)
    _fan = field_validator("fan_in")(_positive)

    @field_validator("sigma_b")
    @classmethod
    def _sb(cls, v: float) -> float:
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"must be a finite number >= 0, got {v}")
        return v

    @field_validator("init", "bias_init")
    @classmethod
    def _init(cls, v: str | None) -> str | None:
        return None if v is None else str(InitSpec.parse(v))

    def sigmas(self) -> tuple[float, float]:
        if self.init is None:
            return self.sigma_w, self.sigma_b
        return phase.init_to_sigmas(self.init, self.fan_in, bias_init=self.bias_init)


def _run_meanfield(p: MeanfieldParams, *, figure: bool, threads: int | None) -> Outcome:
    sw, sb = p.sigmas()
    mf = meanfield.analyse(p.activation, sigma_w=sw, sigma_b=sb)
    return Outcome({
        "sigma_w_used": sw, "sigma_b_used": sb, "q_star": mf.q_star, "chi1": mf.chi1,
        "c_star": mf.c_star, "xi_q": mf.xi_q, "xi_c": mf.xi_c, "phase": mf.phase,
        "critical_sigma_w": phase.critical_sigma_w(p.activation, sigma_b=sb),
    })


# -- trajectory -------------------------------------------------------------------------------
class TrajectoryParams(_Params):
    """A unit circle through ``depth`` random layers of ``width`` (Raghu et al. 2017): its
    length's growth per layer, measured from layer ``skip`` on, beside mean field's √χ1."""

    activation: str = "tanh"
    sigma_w: float = 4.0
    sigma_b: float = 0.0
    width: int = 100
    depth: int = 10
    skip: int = 1
    points: int = 512
    samples: int = 1
    seed: int = 0

    _act = field_validator("activation")(check_activation)
    _sw = field_validator("sigma_w")(_positive_float)
    _pos = field_validator("width", "depth", "points", "samples")(_positive)


def _run_trajectory(p: TrajectoryParams, *, figure: bool, threads: int | None) -> Outcome:
    lengths = trajectory.circle_lengths(p.activation, sigma_w=p.sigma_w, sigma_b=p.sigma_b,
                                        width=p.width, depth=p.depth, points=p.points,
                                        samples=p.samples, seed=p.seed)
    return Outcome({
        "growth_measured": trajectory.measured_growth(lengths, skip=p.skip),
        "growth_predicted": math.sqrt(meanfield.chi1(p.activation, sigma_w=p.sigma_w,
                                                     sigma_b=p.sigma_b)),
        "length_final": float(lengths[:, -1].mean()),
    })


EXPERIMENTS: dict[str, Experiment] = {
    e.name: e for e in (
        Experiment("paint", PaintConfig, _run_paint,
                   "paint a CPPN (nm.paint) and measure how busy the image is",
                   ("num_params", *IMAGE_MEASURES), ".png"),
        Experiment("bounds", BoundsParams, _run_bounds,
                   "exact region-count bounds (nm.theory.bounds) for an architecture",
                   BOUND_COLUMNS),
        Experiment("regions", RegionsParams, _run_regions,
                   "exact linear regions of a random ReLU-family net (nm.linear_regions) and "
                   "the bounds", ("count", "neurons", "first_layer", "serra_upper"),
                   ".png"),
        Experiment("fit", FitConfig, _run_fit,
                   "train a small net on a 2-D target (nm.fit) and report its test error",
                   ("test_rmse", "test_accuracy", "train_loss", "test_loss", "steps_run",
                    "stopped_early", "num_params")),
        Experiment("meanfield", MeanfieldParams, _run_meanfield,
                   "order/chaos of random nets: q*, chi1, c*, depth scales (nm.theory.meanfield)",
                   ("sigma_w_used", "sigma_b_used", "q_star", "chi1", "c_star", "xi_q", "xi_c",
                    "phase", "critical_sigma_w")),
        Experiment("trajectory", TrajectoryParams, _run_trajectory,
                   "a circle's length through random layers vs sqrt(chi1) "
                   "(nm.theory.trajectory)",
                   ("growth_measured", "growth_predicted", "length_final")),
    )
}
