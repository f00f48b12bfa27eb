"""Training: the figures of the issue, the step-wise Trainer, bad configurations."""

import math

import numpy as np
import pytest
import torch

import neuromosaic as nm
from neuromosaic.errors import ExpressionError, InputError, NeuromosaicError, SpecError
from neuromosaic.fitting import FitConfig, Trainer


def test_six_relu_units_fit_the_paraboloid_below_0_05():
    # Six-unit ReLU nets have many poor local minima (RMSE 0.07–0.10 from most seeds), so the
    # best of four restarts (by *training* loss) is kept.
    res = nm.fit("x1**2 + x2**2 + 3", hidden=[6], activation="relu", init="kaiming", lr=0.05,
                 steps=1500, lbfgs_polish=200, restarts=4, seed=0)
    assert res.test_rmse < 0.05
    assert res.history["test_rmse"][-1] == pytest.approx(res.test_rmse, rel=1e-5)
    assert res.spec.widths == (6,) and res.spec.activation == "relu"


def test_64x64_relu_net_fits_the_paraboloid_below_0_005():
    res = nm.fit("paraboloid", hidden=[64, 64], steps=1000, lbfgs_polish=400, seed=0)
    assert res.test_rmse < 0.005
    # the held-out error is measured on points the net never saw
    x = res.data["x_test"]
    with torch.no_grad():
        direct = (res.net(x).reshape(-1) - (x[:, 0] ** 2 + x[:, 1] ** 2 + 3)).pow(2).mean().sqrt()
    assert float(direct) == pytest.approx(res.test_rmse, rel=1e-4)


def test_trainer_steps_reset_and_snapshots():
    cfg = FitConfig(target="saddle", hidden=[8], steps=60, snapshot_every=20, eval_every=10, seed=3)
    trainer = Trainer(cfg)
    first = trainer.step(25)
    assert first["step"] == 25 and not first["done"]
    trainer.step(100)
    assert trainer.done and trainer.step_count == 60
    assert trainer.history["step"] == list(range(0, 61, 10))
    assert [s for s, _ in trainer.snapshots] == [0, 20, 40, 60]
    assert trainer.history["train_loss"][-1] < trainer.history["train_loss"][0]
    end = {k: v.clone() for k, v in trainer.net.state_dict().items()}
    trainer.reset()
    assert trainer.step_count == 0 and trainer.history["step"] == [0]
    trainer.step(60)
    for key, value in trainer.net.state_dict().items():  # same init, same data: same weights
        torch.testing.assert_close(value, end[key], rtol=0, atol=0)
    grid = trainer.predict_grid(16)
    assert grid.shape == (16, 16) and np.isfinite(grid).all()


def test_fit_equals_the_trainer_and_snapshots_replay():
    res = nm.fit("gaussian", hidden=[5], steps=40, snapshot_every=10, restarts=1, seed=2)
    trainer = Trainer(res.config)
    trainer.step(40)
    np.testing.assert_allclose(res.predict_grid(8), trainer.predict_grid(8), rtol=0, atol=0)
    first = res.net_at(0)
    fresh = Trainer(res.config).net
    for a, b in zip(first.parameters(), fresh.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_minibatch_sgd_and_lbfgs_all_reduce_the_loss():
    for options in ({"optimizer": "sgd", "batch_size": 32, "lr": 0.05},
                    {"optimizer": "lbfgs"}, {"optimizer": "adam", "batch_size": 50}):
        res = nm.fit("saddle", hidden=[16], steps=150, n_train=200, seed=0, **options)
        losses = res.history["train_loss"]
        assert losses[-1] < 0.5 * losses[0], options


def test_classification_on_the_playground_circle():
    res = nm.fit("circle", task="classification", hidden=[8], activation="tanh", steps=300,
                 lr=0.03, n_train=400, n_test=200, seed=0)
    assert res.test_accuracy > 0.95
    grid = res.predict_grid(20)
    assert grid.min() >= 0 and grid.max() <= 1
    assert grid[10, 10] > 0.5 > grid[0, 0]  # inside the disc class 1, corners class 0


def test_surface_task_is_the_seeds_experiment():
    res = nm.fit("paraboloid", task="surface", hidden=[6], activation="tanh", steps=1500, lr=0.05,
                 init="default", restarts=1, n_train=1000, seed=0)
    assert res.spec.inputs == 3
    assert res.test_accuracy > 0.9  # 0.6 of the points are on the surface: "all on" scores 0.6
    on_surface = res.predict_grid(12)
    far_above = res.predict_grid(12, z=12.0)  # z = 12 is far above the surface (3 <= f <= 5)
    assert on_surface.mean() > far_above.mean() + 0.3


def test_early_stop_stops_before_the_end():
    res = nm.fit("saddle", hidden=[4], steps=5000, lr=0.05, eval_every=10, early_stop=100, seed=0)
    assert res.stopped_early and res.history["step"][-1] < 5000


@pytest.mark.parametrize("options, error, words", [
    ({"hidden": [0]}, SpecError, "every hidden size must be >= 1"),
    ({"hidden": [6, -2]}, SpecError, "every hidden size must be >= 1"),
    ({"hidden": "6,x"}, SpecError, "comma-separated integers"),
    ({"hidden": []}, SpecError, "at least one hidden layer"),
    ({"n_train": 0}, SpecError, "at least 1 point"),
    ({"n_test": 0}, SpecError, "at least 1 point"),
    ({"target": "x1.__class__"}, ExpressionError, "attribute access"),
    ({"target": "import_me(x1)"}, ExpressionError, "unknown function"),
    ({"target": "log(x1)"}, InputError, "not finite on the domain"),
    ({"target": "sqrt(x1 - 2)"}, InputError, "not finite on the domain"),
    ({"target": "spiral"}, ExpressionError, "data set of the classification task"),
    ({"target": "paraboloid", "task": "classification"}, SpecError, "must be one of circle"),
    ({"activation": "swish"}, SpecError, "unknown activation 'swish'"),
    ({"optimizer": "rmsprop"}, SpecError, "optimizer"),
    ({"lr": -1.0}, SpecError, "positive"),
    ({"domain": (1, -1, 0, 1)}, SpecError, "x0 < x1"),
    ({"noise": math.nan}, SpecError, "noise"),
    ({"steps": 0}, SpecError, "steps + lbfgs_polish must be >= 1"),
    ({"colour": "red"}, SpecError, "unknown field 'colour'"),
])
def test_bad_configurations_are_one_line_errors(options, error, words):
    options = {"target": "paraboloid", "steps": 1, **options}
    target = options.pop("target")
    with pytest.raises(error) as info:
        nm.fit(target, **options)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, NeuromosaicError)
