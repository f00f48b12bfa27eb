"""FitConfig: every option of a training run, validated once (shared by ``nm.fit``, the CLI,
the lab and sweeps)."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import ConfigDict, field_validator, model_validator

from ..errors import SpecError
from ..plane import check_extent
from ..spec import ActivationName, InitName, Validated
from .targets import DATASETS, get_target, num_classes

MAX_UNITS = 4096        # units in one hidden layer
MAX_DEPTH = 16          # hidden layers
MAX_POINTS = 1_000_000  # training or test points
MAX_STEPS = 1_000_000

DEFAULT_LR = {"adam": 0.01, "sgd": 0.05, "lbfgs": 1.0}

# What a field left unset (None) becomes, per task: the recipe that reaches the good result with
# no flags (docs/geometric-intuition.md, "Defaults", has the measurements behind each value).
# regression: 6 ReLUs on x1² + x2² + 3 reach test RMSE < 0.05 for seeds 0-4 (PyTorch's init, one
# run: 0.093, a cone); surface: tanh reaches 0.86 / 0.93-0.94 test accuracy with 4 / 6 units
# (seeds 0-2), where ReLU stays near the 0.60 of a constant classifier.
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "regression": {"activation": "relu", "init": "kaiming", "adam_lr": 0.05, "steps": 1500,
                   "lbfgs_polish": 200, "restarts": 4},
    "surface": {"activation": "tanh", "init": "xavier", "adam_lr": 0.02, "steps": 4000,
                "lbfgs_polish": 0, "restarts": 4},
    "classification": {"activation": "relu", "init": "default", "adam_lr": 0.01, "steps": 2000,
                       "lbfgs_polish": 0, "restarts": 1},
}


class FitConfig(Validated):
    """A training run.

    Arguments:
        target: an expression in ``x1, x2`` or a named target (``paraboloid`` …); for
            ``task="classification"`` a data set name (``circle xor gauss spiral moons``, and
            the 3-class ``spiral3 blobs3``, trained with C outputs and cross-entropy).
        task: ``regression`` (fit ``y = f(x1, x2)``), ``surface`` (the seed's experiment:
            classify points ``(x1, x2, z)`` as on/off the surface ``z = f``) or
            ``classification`` (a 2-D data set).
        hidden: hidden widths, e.g. ``(6,)`` or ``(64, 64)`` (``widths=`` is the same field).
        activation: hidden activation (see ``neuromosaic.spec.ACTIVATIONS``).
        domain: ``(x0, x1, y0, y1)`` where the points are drawn.
        n_train, n_test: points in the training set and the held-out test set.
        noise: N(0, noise²) added to regression targets; the jitter of data sets.
        optimizer: ``adam``, ``sgd`` or ``lbfgs``; ``lr`` defaults to the task's Adam rate
            (regression 0.05, surface 0.02, classification 0.01), SGD 0.05, L-BFGS 1.0.
        batch_size: ``None`` for full batch, else mini-batches drawn without replacement.
        steps: optimiser steps; ``lbfgs_polish`` more full-batch L-BFGS steps follow them
            (unset: the recipe's, 200 for regression, when ``steps`` is unset too; else 0).
        snapshot_every: keep a copy of the weights every this many steps (``None``: 40 in all).
        eval_every: record losses every this many steps (``None``: 200 records in all).
        early_stop: stop when the test loss has not improved by 0.1 % for this many steps.
        init: weight init of the net (``default`` is PyTorch's).
        restarts: train this many nets (weight seeds ``seed, seed+1, …``, same data) and keep
            the one with the lowest final training loss: small nets have many local minima.

    ``activation``, ``init``, ``steps``, ``lbfgs_polish`` and ``restarts`` left unset (None) take
    the task's recipe (:data:`TASK_DEFAULTS`): regression relu, kaiming, 1500 steps + 200 L-BFGS,
    4 restarts; surface tanh, xavier, Adam at 0.02, 4000 steps, 4 restarts; classification relu,
    PyTorch's init, 2000 steps, 1 run. A field given explicitly always wins.
        seed: seeds the data, the weights and the mini-batch order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = "paraboloid"
    task: Literal["regression", "surface", "classification"] = "regression"
    hidden: tuple[int, ...] = (6,)
    activation: ActivationName | None = None
    domain: tuple[float, float, float, float] = (-1.0, 1.0, -1.0, 1.0)
    n_train: int = 1000
    n_test: int = 500
    noise: float = 0.0
    optimizer: Literal["adam", "sgd", "lbfgs"] = "adam"
    lr: float | None = None
    batch_size: int | None = None
    steps: int | None = None
    lbfgs_polish: int | None = None
    snapshot_every: int | None = None
    eval_every: int | None = None
    early_stop: int | None = None
    init: InitName | None = None
    restarts: int | None = None
    seed: int = 0

    def __init__(self, **data: Any):
        super().__init__(**data)
        self._check_target()

    @model_validator(mode="before")
    @classmethod
    def _recipe(cls, data: Any) -> Any:
        """``widths`` is another name for ``hidden``; unset fields take the task's recipe."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "widths" in data:
            if data.get("hidden") is not None:
                raise ValueError("give hidden or widths (the same thing), not both")
            data["hidden"] = data.pop("widths")
        task = data.get("task") or "regression"
        if isinstance(task, str) and task in TASK_DEFAULTS:  # pydantic reports a bad task
            recipe = TASK_DEFAULTS[task]
            if data.get("lbfgs_polish") is None:  # the recipe's polish goes with its steps
                data["lbfgs_polish"] = recipe["lbfgs_polish"] if data.get("steps") is None else 0
            for key in ("activation", "init", "steps", "restarts"):
                if data.get(key) is None:
                    data[key] = recipe[key]
        return data

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
    def _steps(cls, v: int | None) -> int | None:
        if v is not None and not 0 <= v <= MAX_STEPS:
            raise ValueError(f"must be in 0..{MAX_STEPS}, got {v}")
        return v

    @field_validator("lbfgs_polish", "seed")
    @classmethod
    def _non_negative(cls, v: int | None) -> int | None:
        if v is not None and not 0 <= v <= MAX_STEPS:
            raise ValueError(f"must be in 0..{MAX_STEPS}, got {v}")
        return v

    @field_validator("restarts")
    @classmethod
    def _restarts(cls, v: int | None) -> int | None:
        if v is not None and not 1 <= v <= 64:
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
        from ..memory import check_fits

        check_fits(f"training [{', '.join(map(str, self.hidden))}] on {self.n_train:,} points",
                   self.training_bytes)

    @property
    def layer_sizes(self) -> list[int]:
        """``[inputs, *hidden, outputs]`` of the net trained."""
        return [self.inputs, *self.hidden, self.classes if self.classes > 2 else 1]

    @property
    def param_count(self) -> int:
        sizes = self.layer_sizes
        return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    @property
    def training_bytes(self) -> int:
        """What a training step holds at most (float32): weights with their gradients and Adam's
        two moments, each layer's pre- and post-activation and gradient for a batch, and the test
        set's forward pass one layer at a time."""
        sizes = self.layer_sizes
        params = self.param_count
        batch = min(self.batch_size or self.n_train, self.n_train)
        return 4 * (4 * params + 3 * batch * sum(sizes) + 2 * self.n_test * max(sizes))

    @property
    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        if self.optimizer == "adam":
            return TASK_DEFAULTS[self.task]["adam_lr"]
        return DEFAULT_LR[self.optimizer]

    @property
    def total_steps(self) -> int:
        return self.steps + self.lbfgs_polish

    @property
    def classes(self) -> int:
        """Classes of a classifier (the surface task has 2; ``spiral3``/``blobs3`` 3); 0 for
        regression."""
        if self.task == "regression":
            return 0
        return num_classes(self.target) if self.task == "classification" else 2

    @property
    def inputs(self) -> int:
        return 3 if self.task == "surface" else 2
