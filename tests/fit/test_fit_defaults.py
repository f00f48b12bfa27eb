"""The seed's experiments with the seed's own words: the task's recipe fills what is unset, the
runs reach the documented results, and a run that ends no better than a constant says so."""

import json

import numpy as np
import pytest
import torch

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.errors import SpecError
from neuromosaic.fitting import FitConfig, Trainer
from neuromosaic.fitting.config import TASK_DEFAULTS
from neuromosaic.fitting.train import result_of

SEED_F = "x1**2 + x2**2 + 3"


@pytest.mark.parametrize("task,target", [("regression", SEED_F), ("surface", SEED_F),
                                         ("classification", "spiral")])
def test_unset_fields_take_the_tasks_recipe_and_given_ones_win(task, target):
    cfg = FitConfig(target=target, task=task)
    recipe = TASK_DEFAULTS[task]
    for key in ("activation", "init", "steps", "lbfgs_polish", "restarts"):
        assert getattr(cfg, key) == recipe[key], key
    assert cfg.learning_rate == recipe["adam_lr"]
    assert FitConfig(target=target, task=task, steps=30).total_steps == 30  # given steps: no polish
    given = FitConfig(target=target, task=task, activation="sigmoid", init="xavier", steps=10,
                      lbfgs_polish=0, restarts=2, lr=0.2)
    assert (given.activation, given.init, given.steps, given.lbfgs_polish, given.restarts,
            given.learning_rate) == ("sigmoid", "xavier", 10, 0, 2, 0.2)
    assert FitConfig(target=target, task=task, optimizer="lbfgs").learning_rate == 1.0
    assert FitConfig(**cfg.model_dump()) == cfg  # a dumped config rebuilds the same run


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_the_seeds_words_fit_the_paraboloid_below_0_05(seed):
    """``fit --target "x1**2 + x2**2 + 3" --hidden 6 --activation relu``, nothing more."""
    res = nm.fit(SEED_F, hidden=[6], activation="relu", seed=seed)
    assert res.test_rmse < 0.05, (seed, res.test_rmse)
    assert not res.degenerate and res.baseline > 5 * res.test_rmse
    x, y = res.data["x_test"].double(), res.data["y_test"].double()
    assert torch.allclose(y, x[:, 0] ** 2 + x[:, 1] ** 2 + 3, atol=1e-5)  # the seed's f, no noise


@pytest.mark.slow
@pytest.mark.parametrize("hidden,least", [(4, 0.85), (6, 0.9)])
def test_the_surface_task_by_default(hidden, least):
    """Seed 000's classifier: on / off the surface, no flags but the width."""
    res = nm.fit(SEED_F, task="surface", hidden=[hidden], seed=0)
    assert res.test_accuracy >= least, res.test_accuracy
    share = float(res.data["y_test"].mean())
    assert res.baseline == pytest.approx(max(share, 1 - share))
    assert 0.55 < res.baseline < 0.65 and not res.degenerate


def _constant(trainer: Trainer, value: float) -> None:
    """Make the trainer's net answer ``value`` everywhere."""
    with torch.no_grad():
        last = trainer.net[-2] if isinstance(trainer.net[-1], torch.nn.Identity) else trainer.net[-1]
        last.weight.zero_()
        last.bias.fill_(value)


def test_a_constant_classifier_is_called_degenerate():
    trainer = Trainer(FitConfig(target=SEED_F, task="surface", hidden=[3], steps=1))
    _constant(trainer, 5.0)  # "on the surface" everywhere
    res = result_of(trainer)
    on = float(trainer.y_test.mean())
    assert res.test_accuracy == pytest.approx(on) and res.baseline == pytest.approx(max(on, 1 - on))
    assert res.degenerate and "no better than a constant" in res.verdict


def test_a_constant_regression_is_called_degenerate_and_a_good_one_is_not():
    trainer = Trainer(FitConfig(target=SEED_F, hidden=[3], steps=1, restarts=1))
    _constant(trainer, float(trainer.y_train.mean()))
    res = result_of(trainer)
    y = trainer.y_test.double()
    want = float(torch.sqrt(torch.mean((y - trainer.y_train.double().mean()) ** 2)))
    assert res.baseline == pytest.approx(want, rel=1e-5)
    assert res.test_rmse == pytest.approx(want, rel=1e-5) and res.degenerate
    trained = Trainer(FitConfig(target=SEED_F, hidden=[6], steps=600, restarts=1))
    trained.step(600)
    good = result_of(trained)
    assert good.test_rmse < 0.5 * good.baseline and not good.degenerate and good.verdict is None


def test_the_cli_warns_in_one_line_when_the_run_is_degenerate(tmp_path, capsys):
    # one ReLU unit, one step of a tiny rate: the classifier answers one class everywhere
    js = tmp_path / "f.json"
    code = main(["fit", "--task", "surface", "--hidden", "1", "--activation", "relu", "--steps", "1",
                 "--lr", "1e-6", "--restarts", "1", "-o", str(tmp_path / "f.png"), "--json", str(js),
                 "--quiet"])
    assert code == 0
    err = capsys.readouterr().err.strip().splitlines()
    data = json.loads(js.read_text())
    assert data["degenerate"] is True and 0.55 < data["baseline"] < 0.65
    assert err == [line for line in err if line.startswith("warning: the classifier is no better")]
    assert len(err) == 1


def test_the_surface_figure_shows_every_training_point_by_class():
    import matplotlib

    matplotlib.use("Agg")
    res = nm.fit(SEED_F, task="surface", hidden=[3], steps=20, restarts=1, n_train=300, seed=0)
    fig = res.plot()
    ax3d = fig.axes[0]
    points = {c.get_label(): np.asarray(c._offsets3d).T for c in ax3d.collections
              if c.get_label() in ("on the surface", "above", "below")}
    x, y = res.data["x_train"].double().numpy(), res.data["y_train"].numpy()
    f = x[:, 0] ** 2 + x[:, 1] ** 2 + 3
    assert len(points["on the surface"]) == int((y == 1).sum())
    assert len(points["above"]) == int(((y == 0) & (x[:, 2] > f)).sum())
    assert len(points["below"]) == int(((y == 0) & (x[:, 2] < f)).sum())
    assert sum(len(p) for p in points.values()) == 300
    above = points["above"]
    assert (above[:, 2] - (above[:, 0] ** 2 + above[:, 1] ** 2 + 3)).min() >= 0.25 - 1e-5  # the gap
    titles = [a.get_title() for a in fig.axes]
    assert any("section x2 = " in t and "mid" not in t for t in titles)
    assert any(f"a constant classifier: {res.baseline:.3f}" in t for t in titles)


def test_widths_is_hiddens_other_name_in_python_and_the_lab():
    assert FitConfig(widths=[5, 5]) == FitConfig(hidden=[5, 5])
    assert FitConfig.model_validate({"widths": [3], "task": "surface"}).activation == "tanh"
    with pytest.raises(SpecError, match="not both"):
        FitConfig(widths=[5], hidden=[3])
    res = nm.fit(widths=[4], steps=5, restarts=1, n_train=50, n_test=20)
    assert res.spec.widths == (4,)
    from fastapi.testclient import TestClient

    from neuromosaic.lab import create_app

    with TestClient(create_app(), base_url="http://127.0.0.1") as c:
        r = c.post("/api/fit", json={"widths": [4], "steps": 5, "restarts": 1, "n_train": 50, "n_test": 20})
    assert r.status_code == 200, r.text
    assert r.json()["metrics"]["test_loss"] == pytest.approx(res.history["test_loss"][-1], rel=1e-5)
