"""FitConfig: every option of a training run, validated once (shared by ``nm.fit``, the CLI,
the lab and sweeps)."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import ConfigDict, field_validator

from ..errors import SpecError
from ..plane import check_extent
from ..spec import ActivationName, InitName, Validated
from .targets import DATASETS, get_target

MAX_UNITS = 4096        # units in one hidden layer
MAX_DEPTH = 16          # hidden layers
MAX_POINTS = 1_000_000  # training or test points
MAX_STEPS = 1_000_000

DEFAULT_LR = {"adam": 0.01, "sgd": 0.05, "lbfgs": 1.0}


class FitConfig(Validated):
    """A training run.

    Arguments:
        target: an expression in ``x1, x2`` or a named target (``paraboloid`` …); for
            ``task="classification"`` a data set name (``circle xor gauss spiral moons``).
        task: ``regression`` (fit ``y = f(x1, x2)``), ``surface`` (the seed's experiment:
            classify points ``(x1, x2, z)`` as on/off the surface ``z = f``) or
            ``classification`` (a 2-D data set).
        hidden: hidden widths, e.g. ``(6,)`` or ``(64, 64)``.
        activation: hidden activation (see ``neuromosaic.spec.ACTIVATIONS``).
        domain: ``(x0, x1, y0, y1)`` where the points are drawn.
        n_train, n_test: points in the training set and the held-out test set.
        noise: N(0, noise²) added to regression targets; the jitter of data sets.
        optimizer: ``adam``, ``sgd`` or ``lbfgs``; ``lr`` defaults to 0.01, 0.05, 1.0.
        batch_size: ``None`` for full batch, else mini-batches drawn without replacement.
        steps: optimiser steps; ``lbfgs_polish`` more full-batch L-BFGS steps follow them.
        snapshot_every: keep a copy of the weights every this many steps (``None``: 40 in all).
        eval_every: record losses every this many steps (``None``: 200 records in all).
        early_stop: stop when the test loss has not improved by 0.1 % for this many steps.
        init: weight init of the net (``default`` is PyTorch's).
        restarts: train this many nets (weight seeds ``seed, seed+1, …``, same data) and keep
            the one with the lowest final training loss: small nets have many local minima.
        seed: seeds the data, the weights and the mini-batch order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = "paraboloid"
    task: Literal["regression", "surface", "classification"] = "regression"
    hidden: tuple[int, ...] = (6,)
    activation: ActivationName = "relu"
    domain: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
    n_train: int = 1000
    n_test: int = 500
    noise: float = 0.0
    optimizer: Literal["adam", "sgd", "lbfgs"] = "adam"
    lr: float | None = None
    batch_size: int | None = None
    steps: int = 2000
    lbfgs_polish: int = 0
    snapshot_every: int | None = None
    eval_every: int | None = None
    early_stop: int | None = None
    init: InitName = "default"
    restarts: int = 1
    seed: int = 0

    def __init__(self, **data: Any):
        super().__init__(**data)
        self._check_target()

    @field_validator("hidden", mode="before")
    @classmethod
    def _hidden_text(cls, v):
        if isinstance(v, int) and not isinstance(v, bool):
            return (v,)
        if isinstance(v, str):
            try:
                return tuple(int(p) for p in v.replace(" ", "").split(",") if p)
            except ValueError:
                raise ValueError(f"must be comma-separated integers like 16,16, got {v!r}") from None
        return v

    @field_validator("hidden")
    @classmethod
    def _hidden(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v:
            raise ValueError("needs at least one hidden layer, got []")
        if any(w <= 0 for w in v):
            raise ValueError(f"every hidden size must be >= 1, got {list(v)}")
        if len(v) > MAX_DEPTH or any(w > MAX_UNITS for w in v):
            raise ValueError(f"at most {MAX_DEPTH} layers of at most {MAX_UNITS} units, got {list(v)}")
        return v

    @field_validator("domain", mode="before")
    @classmethod
    def _domain(cls, v):
        if isinstance(v, str):
            parts = [p for p in v.replace(" ", "").split(",") if p]
            try:
                v = tuple(float(p) for p in parts)
            except ValueError:
                raise ValueError(f"must be four numbers x0,x1,y0,y1, got {v!r}") from None
        try:
            return check_extent(v)
        except SpecError as exc:
            raise ValueError(str(exc).removeprefix("domain ")) from None

    @field_validator("n_train", "n_test")
    @classmethod
    def _points(cls, v: int) -> int:
        if v < 1:
            raise ValueError(f"the data set must have at least 1 point, got {v}")
        if v > MAX_POINTS:
            raise ValueError(f"at most {MAX_POINTS} points, got {v}")
        return v

    @field_validator("steps")
    @classmethod
    def _steps(cls, v: int) -> int:
        if not 0 <= v <= MAX_STEPS:
            raise ValueError(f"must be in 0..{MAX_STEPS}, got {v}")
        return v

    @field_validator("lbfgs_polish", "seed")
    @classmethod
    def _non_negative(cls, v: int) -> int:
        if not 0 <= v <= MAX_STEPS:
            raise ValueError(f"must be in 0..{MAX_STEPS}, got {v}")
        return v

    @field_validator("restarts")
    @classmethod
    def _restarts(cls, v: int) -> int:
        if not 1 <= v <= 64:
            raise ValueError(f"must be in 1..64, got {v}")
        return v

    @field_validator("batch_size", "snapshot_every", "eval_every", "early_stop")
    @classmethod
    def _positive_or_none(cls, v: int | None) -> int | None:
        if v is not None and v < 1:
            raise ValueError(f"must be >= 1 (or unset), got {v}")
        return v

    @field_validator("noise")
    @classmethod
    def _noise(cls, v: float) -> float:
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"must be a finite number >= 0, got {v}")
        return v

    @field_validator("lr")
    @classmethod
    def _lr(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and v > 0):
            raise ValueError(f"must be a positive number, got {v}")
        return v

    def _check_target(self) -> None:
        """Checks that need two fields; raised outside pydantic so the message stays ours."""
        if self.task == "classification":
            if self.target.strip().lower() not in DATASETS:
                raise SpecError(f"target for task 'classification' must be one of "
                                f"{', '.join(DATASETS)}, got {self.target!r}")
        else:
            get_target(self.target)  # ExpressionError with the reason if the expression is bad
        if self.total_steps < 1:
            raise SpecError("steps + lbfgs_polish must be >= 1, got 0")

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    @property
    def total_steps(self) -> int:
        return self.steps + self.lbfgs_polish

    @property
    def inputs(self) -> int:
        return 3 if self.task == "surface" else 2
