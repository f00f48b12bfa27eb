"""Each experiment's row holds what the library computes, and the issue's figures come out of a
sweep: a one-layer count equals Zaslavsky's bound, mean field puts the article's inits in their
phases, a ReLU circle grows by sigma_w/sqrt(2) per layer."""

import math

import pytest
import torch

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.sweeps import EXPERIMENTS, build_grid, run_sweep


def _rows(tmp_path, experiment, grid, fixed=None):
    data = {"experiment": experiment, "output": f"{experiment}.csv", "grid": grid,
            "fixed": fixed or {}}
    result = run_sweep(build_grid(data, base_dir=tmp_path))
    assert result.failed == 0, [r["error"] for r in result.rows]
    return result.rows


def test_regions_one_layer_reaches_zaslavsky_and_deeper_stays_under_serra(tmp_path):
    rows = _rows(tmp_path, "regions", {"seed": [0, 1, 2]},
                 {"widths": [12], "domain": [-1e4, 1e4, -1e4, 1e4]})
    assert [r["count"] for r in rows] == [79, 79, 79]  # 1 + 12 + 66
    assert all(r["first_layer"] == r["serra_upper"] == 79 for r in rows)
    (tmp_path / "deep").mkdir()
    deep = _rows(tmp_path / "deep", "regions", {"depth": [1, 2, 3], "seed": [0, 1]}, {"width": 8})
    for r in deep:
        assert 1 <= r["count"] <= r["serra_upper"]
        assert r["count"] == nm.linear_regions(
            nm.NetSpec(inputs=2, widths=[8] * r["depth"], outputs=1, activation="relu",
                       out_activation="identity", init="default", seed=r["seed"]).build(),
            domain=(-1, 1, -1, 1)).count


def test_meanfield_puts_the_articles_inits_in_their_phases(tmp_path):
    rows = _rows(tmp_path, "meanfield", {"init": ["default", "normal:1", "uniform:100"]})
    chi = {r["init"]: r["chi1"] for r in rows}
    assert chi["default"] == pytest.approx(0.315, rel=0.01)
    assert chi["normal:1"] == pytest.approx(2.38, rel=0.01)
    assert chi["uniform:100"] == pytest.approx(123, rel=0.01)
    assert [r["phase"] for r in rows] == ["ordered", "chaotic", "chaotic"]
    assert rows[0]["sigma_w_used"] == pytest.approx(math.sqrt(1 / 3))
    (tmp_path / "edge").mkdir()
    edge = _rows(tmp_path / "edge", "meanfield", {"sigma_w": [1.0]})
    assert edge[0]["critical_sigma_w"] == pytest.approx(1.0, abs=1e-3)


def test_trajectory_relu_growth_is_sigma_over_sqrt2(tmp_path):
    rows = _rows(tmp_path, "trajectory", {"sigma_w": [1.0, 2.0]},
                 {"activation": "relu", "width": 100, "depth": 6, "points": 128})
    for r in rows:
        assert r["growth_predicted"] == pytest.approx(r["sigma_w"] / math.sqrt(2))
        assert r["growth_measured"] == pytest.approx(r["growth_predicted"], rel=0.05)


def test_fit_row_is_nm_fit(tmp_path):
    rows = _rows(tmp_path, "fit", {"hidden": [[2], [6]]}, {"steps": 60, "n_train": 200,
                                                          "n_test": 100})
    old = torch.get_num_threads()
    torch.set_num_threads(1)  # as the sweep runs it (and a tiny net is faster so)
    try:
        results = [nm.fit("paraboloid", hidden=r["hidden"], steps=60, n_train=200, n_test=100)
                   for r in rows]
    finally:
        torch.set_num_threads(old)
    for r, res in zip(rows, results, strict=True):
        assert r["test_rmse"] == pytest.approx(res.test_rmse, rel=1e-5)
        assert r["num_params"] == res.spec.num_params and r["steps_run"] == 60


def test_experiment_parameters_are_checked_before_running(write_grid, capsys):
    for text, needle in (
        ('experiment = "regions"\n[grid]\nactivation = ["relu", "tanh"]\n',
         "grid.activation: must be piecewise linear"),
        ('experiment = "meanfield"\n[grid]\nsigma_w = [1.0, -2.0]\n', "grid.sigma_w"),
        ('experiment = "fit"\n[grid]\noptimizer = ["adam", "newton"]\n', "grid.optimizer"),
        ('experiment = "trajectory"\n[grid]\nwidth = [0]\n', "grid.width: must be >= 1"),
    ):
        assert main(["sweep", str(write_grid(text)), "--dry-run"]) == 2
        err = capsys.readouterr().err
        assert needle in err and err.count("\n") == 1, err


def test_every_experiment_runs_with_its_defaults_named():
    assert set(EXPERIMENTS) == {"paint", "bounds", "regions", "fit", "meanfield", "trajectory"}
    for exp in EXPERIMENTS.values():
        exp.params.model_validate({})
        assert exp.summary and exp.measures


def test_regions_cells_draw_their_partition(tmp_path):
    data = {"experiment": "regions", "output": "r.csv", "figures": "figs",
            "grid": {"seed": [0, 1]}, "fixed": {"depth": 1, "width": 3}}
    rows = run_sweep(build_grid(data, base_dir=tmp_path)).rows
    for r in rows:
        assert (tmp_path / r["figure"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_example_grids_are_valid():
    from pathlib import Path

    from neuromosaic.sweeps import load_grid

    examples = sorted((Path(__file__).parents[2] / "examples").glob("sweep_*.toml"))
    assert len(examples) >= 5
    for path in examples:
        grid = load_grid(path)
        assert grid.cells and grid.output.parts[-3:-1] == ("examples", "out")  # beside the grid file
