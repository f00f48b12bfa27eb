"""Training a small network on a 2-D target, step by step (for live UIs) or to the end (``fit``).

``Trainer(config)`` owns the data, the net and the optimiser; ``.step(n)`` advances ``n``
optimiser steps and returns the latest metrics, so the lab can draw the surface while it
forms. ``fit(...)`` runs a Trainer to the end and returns a :class:`FitResult`.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import InputError, one_line
from ..spec import NetSpec
from .config import FitConfig
from .targets import Target, get_target, make_dataset, regression_data, surface_data

DTYPE = torch.float32


@contextlib.contextmanager
def single_thread():
    """Run torch on one thread inside the block (then restore the caller's setting).

    The nets here are tiny (a few thousand weights): splitting each matrix product over threads
    costs more than it saves, and on a busy machine it can be many times slower.
    """
    from ..threads import one_torch_thread

    with one_torch_thread():
        yield


class Trainer:
    """A training run that can be advanced a few steps at a time.

    Arguments:
        config: a :class:`FitConfig` (or a dict of its fields).
        restart: which restart this is; the weights are drawn with seed ``config.seed + restart``
            (the data and the mini-batch order keep ``config.seed``).

    Attributes:
        net: the ``nn.Sequential`` being trained (float32).
        spec: the :class:`NetSpec` it was built from.
        history: ``{"step": [...], "train_loss": [...], "test_loss": [...], "test_rmse"|
            "test_accuracy": [...]}``, recorded every ``eval_every`` steps.
        snapshots: ``[(step, state_dict), …]``, every ``snapshot_every`` steps.
        target: ``f(x1, x2)`` for regression and surface tasks, ``None`` for data sets.
        x_train `(N, d)`, y_train `(N,)`, x_test, y_test: the data (``d`` = 2, or 3 for surface).
    """

    def __init__(self, config: FitConfig | dict[str, Any], *, restart: int = 0,
                 start: nn.Module | None = None):
        self.config = config if isinstance(config, FitConfig) else FitConfig(**config)
        cfg = self.config
        # the weights to start from (a net of the config's architecture), else the init's draw
        self._start = None if start is None else {k: v.detach().to(DTYPE).clone()
                                                   for k, v in start.state_dict().items()}
        self.classifier = cfg.task != "regression"
        # classes of a classifier (2: one logit and binary cross-entropy; C > 2: C logits and
        # cross-entropy); 0 for regression
        self.classes = cfg.classes
        self.target: Target | None = None if cfg.task == "classification" else get_target(cfg.target)
        self._make_data()
        outputs = self.classes if self.classes > 2 else 1
        self.spec = NetSpec(inputs=cfg.inputs, widths=cfg.hidden, outputs=outputs, activation=cfg.activation,
                            out_activation="identity", init=cfg.init, seed=cfg.seed + restart)
        self.eval_every = cfg.eval_every or max(1, cfg.total_steps // 200)
        self.snapshot_every = cfg.snapshot_every or max(1, cfg.total_steps // 40)
        self.reset()

    # -- data -------------------------------------------------------------------------------
    def _make_data(self) -> None:
        cfg = self.config
        if cfg.task == "classification":
            x, y = make_dataset(cfg.target, cfg.n_train + cfg.n_test, cfg.noise, cfg.seed)
        elif cfg.task == "surface":
            x, y = surface_data(self.target, cfg.n_train + cfg.n_test, domain=cfg.domain,
                                noise=cfg.noise, seed=cfg.seed)
        else:
            x, y = regression_data(self.target, cfg.n_train + cfg.n_test, domain=cfg.domain,
                                   noise=cfg.noise, seed=cfg.seed)
        # Shuffle once (the surface set is ordered by label), then split train / test.
        order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(cfg.seed + 7))
        x, y = x[order].to(DTYPE), y[order].to(DTYPE)
        self.x_train, self.y_train = x[: cfg.n_train], y[: cfg.n_train]
        self.x_test, self.y_test = x[cfg.n_train:], y[cfg.n_train:]
        if not torch.isfinite(self.y_train).all():
            raise InputError("the training targets are not finite")

    # -- state ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to step 0 with the same initial weights and the same mini-batch order."""
        cfg = self.config
        self.net = self.spec.build(dtype=DTYPE)
        if self._start is not None:
            try:
                self.net.load_state_dict(self._start)
            except RuntimeError as exc:
                raise InputError(f"the starting net is not a {self.spec.inputs} → {list(self.spec.widths)} → "
                                 f"{self.spec.outputs} {self.spec.activation} net: "
                                 f"{one_line(exc)[:200]}") from None
        elif not self.classifier:
            # Start the output at the mean target (a constant such as the paraboloid's +3
            # would otherwise take hundreds of steps to learn). The net stays a plain Sequential.
            with torch.no_grad():
                self.net[-2].bias.add_(self.y_train.mean())
        self.step_count = 0
        self.stopped_early = False
        self._best = math.inf
        self._best_step = 0
        self._batch_gen = torch.Generator().manual_seed(cfg.seed + 11)
        self._order = torch.empty(0, dtype=torch.long)
        self._optimizer = self._make_optimizer(cfg.optimizer)
        self._polishing = False
        self.history: dict[str, list[float]] = {"step": [], "train_loss": [], "test_loss": [],
                                                self.metric_name: []}
        self.snapshots: list[tuple[int, dict[str, torch.Tensor]]] = []
        self._record()

    @property
    def metric_name(self) -> str:
        return "test_accuracy" if self.classifier else "test_rmse"

    @property
    def done(self) -> bool:
        return self.stopped_early or self.step_count >= self.config.total_steps

    def _make_optimizer(self, name: str) -> torch.optim.Optimizer:
        params = self.net.parameters()
        lr = self.config.learning_rate if name == self.config.optimizer else 1.0
        if name == "adam":
            return torch.optim.Adam(params, lr=lr)
        if name == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=0.9)
        return torch.optim.LBFGS(params, lr=lr, max_iter=1, max_eval=25, history_size=50,
                                 line_search_fn="strong_wolfe")

    def _loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.classes > 2:
            return nn.functional.cross_entropy(out, y.long())
        out = out.reshape(-1)
        if self.classifier:
            return nn.functional.binary_cross_entropy_with_logits(out, y)
        return nn.functional.mse_loss(out, y)

    # -- training ---------------------------------------------------------------------------
    def step(self, n: int = 1) -> dict[str, float]:
        """Advance up to ``n`` optimiser steps (fewer at the end); return the latest metrics."""
        with single_thread():
            self._steps(n)
        return self.metrics()

    def _steps(self, n: int) -> None:
        for _ in range(max(0, int(n))):
            if self.done:
                break
            if not self._polishing and self.step_count >= self.config.steps:
                self._polishing = True
                self._optimizer = self._make_optimizer("lbfgs")
            self._one_step()
            self.step_count += 1
            if self.step_count % self.eval_every == 0 or self.done:
                self._record()
            elif self.step_count % self.snapshot_every == 0:
                self._snapshot()

    def _one_step(self) -> None:
        optimizer = self._optimizer
        if isinstance(optimizer, torch.optim.LBFGS):
            x, y = self.x_train, self.y_train  # L-BFGS needs the same function at every call

            def closure():
                optimizer.zero_grad()
                loss = self._loss(self.net(x), y)
                loss.backward()
                return loss

            optimizer.step(closure)
            return
        x, y = self._batch()
        optimizer.zero_grad()
        loss = self._loss(self.net(x), y)
        loss.backward()
        optimizer.step()

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        size = self.config.batch_size
        n = self.x_train.shape[0]
        if size is None or size >= n:
            return self.x_train, self.y_train
        if self._order.numel() < size:  # a new epoch: a fresh permutation
            self._order = torch.randperm(n, generator=self._batch_gen)
        index, self._order = self._order[:size], self._order[size:]
        return self.x_train[index], self.y_train[index]

    def _record(self) -> None:
        with torch.no_grad():
            train = float(self._loss(self.net(self.x_train), self.y_train))
            out = self.net(self.x_test)
            test = float(self._loss(out, self.y_test))
            if self.classifier:
                metric = float((predicted_class(out) == self.y_test).to(DTYPE).mean())
            else:
                metric = math.sqrt(test)
        for key, value in (("step", self.step_count), ("train_loss", train), ("test_loss", test),
                           (self.metric_name, metric)):
            self.history[key].append(value)
        self._snapshot()
        patience = self.config.early_stop
        if patience is not None and math.isfinite(test):
            if test < self._best * (1 - 1e-3):
                self._best, self._best_step = test, self.step_count
            elif self.step_count - self._best_step >= patience:
                self.stopped_early = True

    def _snapshot(self) -> None:
        due = self.step_count % self.snapshot_every == 0 or self.done
        if due and (not self.snapshots or self.snapshots[-1][0] != self.step_count):
            state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
            self.snapshots.append((self.step_count, state))

    def metrics(self) -> dict[str, float]:
        """The latest record: ``step, train_loss, test_loss, test_rmse|test_accuracy, done``."""
        out = {key: values[-1] for key, values in self.history.items()}
        out["step"] = self.step_count
        out["total_steps"] = self.config.total_steps
        out["done"] = self.done
        return out

    # -- looking at the net -----------------------------------------------------------------
    def predict_grid(self, n: int = 64, net: nn.Module | None = None) -> np.ndarray:
        """The net on an ``n × n`` grid over the domain: `(n, n)`, row ``i`` at ``y_i``.

        Regression: the net's output. Classification: the probability of class 1 (with more
        than two classes: the predicted class, 0 … C − 1).
        Surface task: the probability that the point ``(x1, x2, f(x1, x2))`` is on the surface.
        """
        return predict_grid(net or self.net, self.config, self.target, n)


def grid(domain, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(X, Y)`` `(n, n)` float64 meshgrid over ``domain``, row ``i`` at ``y_i``."""
    x0, x1, y0, y1 = domain
    xs = torch.linspace(x0, x1, n, dtype=torch.float64)
    ys = torch.linspace(y0, y1, n, dtype=torch.float64)
    return torch.meshgrid(xs, ys, indexing="xy")


def predict_grid(net: nn.Module, config: FitConfig, target: Target | None, n: int = 64,
                 z: float | None = None) -> np.ndarray:
    """See :meth:`Trainer.predict_grid`; ``z`` evaluates a surface classifier on the slice
    ``z = c`` instead of on the surface."""
    if not 2 <= int(n) <= 4096:
        raise InputError(f"grid size must be in 2..4096, got {n}")
    gx, gy = grid(config.domain, int(n))
    cols = [gx.reshape(-1), gy.reshape(-1)]
    if config.task == "surface":
        cols.append(torch.full_like(cols[0], z) if z is not None else target(gx, gy).reshape(-1))
    dtype = next(net.parameters()).dtype  # the caller may have cast the net (e.g. to float64)
    with torch.no_grad():
        out = net(torch.stack(cols, dim=1).to(dtype))
    if config.classes > 2:  # the predicted class
        return out.argmax(dim=1).reshape(gx.shape).double().numpy()
    out = out.reshape(gx.shape).double()
    if config.task != "regression":
        out = torch.sigmoid(out)
    return out.numpy()


@dataclass
class FitResult:
    """What :func:`fit` returns.

    Attributes:
        net: the trained ``nn.Sequential``; spec: its :class:`NetSpec`.
        history: dict of lists (``step, train_loss, test_loss, test_rmse | test_accuracy``).
        test_rmse: RMSE on the test set (classifiers: of the probability against the label).
        test_accuracy: for classifiers, the share of test points on the right side; else None.
        snapshots: ``[(step, state_dict), …]``.
        target: ``f(x1, x2)`` (``None`` for a data set); config: the :class:`FitConfig`.
        baseline: what a constant predicts on the test set: for classifiers the majority
            share (the accuracy of always answering the commoner class), for regression the
            RMSE of the training mean (the target's standard deviation about it).
        degenerate: the run ended no better than that constant (a classifier that answers one
            class everywhere, or accuracy <= baseline; a regression RMSE >= baseline): a local
            minimum or too small a net. The CLI says so, the figure's title shows it.
    """

    net: nn.Module
    spec: NetSpec
    config: FitConfig
    history: dict[str, list[float]]
    test_rmse: float
    test_accuracy: float | None
    snapshots: list[tuple[int, dict[str, torch.Tensor]]]
    target: Target | None
    data: dict[str, torch.Tensor] = field(repr=False)
    stopped_early: bool = False
    baseline: float = math.nan
    degenerate: bool = False

    @property
    def verdict(self) -> str | None:
        """One line saying how a degenerate run ended (``None`` when it did not)."""
        if not self.degenerate:
            return None
        if self.test_accuracy is not None:
            return (f"the classifier is no better than a constant: test accuracy "
                    f"{self.test_accuracy:.3f}, majority share {self.baseline:.3f}")
        return (f"the fit is no better than a constant: test RMSE {self.test_rmse:.4g}, "
                f"the training mean's {self.baseline:.4g}")

    def predict_grid(self, n: int = 64, *, step: int | None = None, z: float | None = None) -> np.ndarray:
        """The net (or its snapshot at ``step``) on an ``n × n`` grid; see Trainer.predict_grid."""
        return predict_grid(self.net_at(step), self.config, self.target, n, z=z)

    def net_at(self, step: int | None) -> nn.Module:
        """The trained net, or a copy holding the snapshot at ``step``."""
        if step is None:
            return self.net
        states = dict(self.snapshots)
        if step not in states:
            raise InputError(f"no snapshot at step {step}; have {sorted(states)}")
        net = copy.deepcopy(self.net)
        net.load_state_dict(states[step])
        return net

    def _repr_html_(self) -> str:
        """Jupyter: the fit figure beside the metric, its baseline and the run's size."""
        from ..display import fit_html

        return fit_html(self)

    def _repr_png_(self) -> bytes:
        from ..display import fit_png

        return fit_png(self)

    def plot(self, **kwargs):
        """The summary figure (see ``neuromosaic.figures.fit.plot_fit``)."""
        from ..figures.fit import plot_fit  # drawing lives in figures/

        return plot_fit(self, **kwargs)


def fit(target: str = "paraboloid", *, progress: Callable[[dict], None] | None = None,
        start: nn.Module | None = None, **options: Any) -> FitResult:
    """Train a small network on a 2-D target and return a :class:`FitResult`.

    Arguments:
        target: an expression in ``x1, x2`` (``"x1**2 + x2**2 + 3"``), a named target, or a
            data set name with ``task="classification"``.
        progress: called with the metrics dict after every chunk of steps.
        start: a net of this architecture to start from (e.g. ``nm.load("net.safetensors")``)
            instead of the init's draw; every restart then starts there, so ``restarts``
            defaults to 1.
        **options: every other field of :class:`FitConfig` (``task, hidden, activation,
            domain, n_train, n_test, noise, optimizer, lr, batch_size, steps, lbfgs_polish,
            snapshot_every, eval_every, early_stop, init, seed``).

    Example::

        res = nm.fit("x1**2 + x2**2 + 3", hidden=[6], activation="relu", seed=0)
        res.test_rmse, res.history["test_loss"][-1], res.plot()
    """
    if start is not None and options.get("restarts") is None:
        options["restarts"] = 1
    config = FitConfig(target=target, **options)
    best: Trainer | None = None
    for restart in range(config.restarts):
        trainer = Trainer(config, restart=restart, start=start)
        chunk = progress_chunk(config, trainer.eval_every)
        while not trainer.done:
            metrics = trainer.step(chunk)
            if progress is not None:
                progress({**metrics, "restart": restart})
        if best is None or trainer.history["train_loss"][-1] < best.history["train_loss"][-1]:
            best = trainer
    return result_of(best)


def progress_chunk(config: FitConfig, eval_every: int) -> int:
    """Steps between two progress calls (a lab's cancel points): at most ``eval_every`` and 200,
    and about 2·10⁸ multiply-adds of training (a few tenths of a second on one core)."""
    batch = min(config.batch_size or config.n_train, config.n_train)
    macs = batch * config.param_count  # one forward pass; backward and the test set add a few
    return int(max(1, min(eval_every, 200, 2e8 // macs)))


def predicted_class(logits: torch.Tensor) -> torch.Tensor:
    """The class a classifier answers, as a float (``DTYPE``) vector: one logit → ``logit > 0``,
    ``C`` logits → their argmax."""
    if logits.ndim == 2 and logits.shape[1] > 1:
        return logits.argmax(dim=1).to(DTYPE)
    return (logits.reshape(-1) > 0).to(DTYPE)


def result_of(trainer: Trainer) -> FitResult:
    """A :class:`FitResult` from a trainer's current state."""
    with torch.no_grad():
        logits = trainer.net(trainer.x_test)
        out = logits.reshape(-1)
    accuracy = None
    y = trainer.y_test
    if trainer.classifier:
        if trainer.classes > 2:  # RMSE of the class probabilities against the one-hot labels
            prob = torch.softmax(logits, dim=1)
            onehot = nn.functional.one_hot(y.long(), trainer.classes).to(prob.dtype)
            rmse = float(torch.sqrt(torch.mean(((prob - onehot) ** 2).sum(dim=1))))
        else:
            rmse = float(torch.sqrt(torch.mean((torch.sigmoid(out) - y) ** 2)))
        predicted = predicted_class(logits)
        accuracy = float((predicted == y).to(DTYPE).mean())
        baseline = float(torch.bincount(y.long()).max()) / len(y)  # the majority share
        constant = bool((predicted == predicted[0]).all())
        degenerate = constant or accuracy <= baseline
    else:
        rmse = float(torch.sqrt(torch.mean((out - y) ** 2)))
        baseline = float(torch.sqrt(torch.mean((y - trainer.y_train.mean()) ** 2)))
        degenerate = rmse >= baseline
    data = {"x_train": trainer.x_train, "y_train": trainer.y_train,
            "x_test": trainer.x_test, "y_test": trainer.y_test}
    return FitResult(net=trainer.net, spec=trainer.spec, config=trainer.config,
                     history={k: list(v) for k, v in trainer.history.items()}, test_rmse=rmse,
                     test_accuracy=accuracy, snapshots=list(trainer.snapshots), target=trainer.target,
                     data=data, stopped_early=trainer.stopped_early, baseline=baseline,
                     degenerate=degenerate)
