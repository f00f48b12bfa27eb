"""Running sweeps: resumable, each cell written atomically, failures recorded, same results
from a process pool, and the experiments' numbers equal the library's."""

import dataclasses
import json

import numpy as np
import pytest

from neuromosaic.painting import PaintConfig, render_config
from neuromosaic.sweeps import EXPERIMENTS, build_grid, image_stats, read_table, run_sweep
from neuromosaic.theory import bounds

SMALL_PAINT = {"experiment": "paint", "output": "t.csv", "seeds": [0, 1, 2],
               "fixed": {"size": 12, "width": 4}, "grid": {"layers": [1, 3]}}


@pytest.fixture
def counted(monkeypatch):
    """Wrap the paint experiment so that each computed cell is recorded (in this process)."""
    calls = []
    real = EXPERIMENTS["paint"]

    def run(cfg, *, figure, threads):
        calls.append((cfg.seed, cfg.layers))
        return real.run(cfg, figure=figure, threads=threads)

    monkeypatch.setitem(EXPERIMENTS, "paint", dataclasses.replace(real, run=run))
    return calls


def _grid(tmp_path, data=SMALL_PAINT, **changes):
    return build_grid({**data, **changes}, base_dir=tmp_path)


def _strip(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def test_rerun_computes_only_the_missing_cell(tmp_path, counted):
    grid = _grid(tmp_path)
    first = run_sweep(grid)
    assert (first.computed, first.skipped, first.failed) == (6, 0, 0)
    assert sorted(counted) == [(s, n) for s in range(3) for n in (1, 3)]
    files = sorted(grid.cells_dir.glob("*.json"))
    assert [f.stem for f in files] == sorted(c.key for c in grid.cells)
    stamps = {f.name: f.stat().st_mtime_ns for f in files}

    victim = grid.cells[3]  # seed 1, layers 3
    (grid.cells_dir / f"{victim.key}.json").unlink()
    counted.clear()
    again = run_sweep(grid)
    assert counted == [(1, 3)]
    assert (again.computed, again.skipped) == (1, 5)
    assert {f.name: f.stat().st_mtime_ns for f in grid.cells_dir.glob("*.json")
            if f.stem != victim.key} == {k: v for k, v in stamps.items()
                                          if k != f"{victim.key}.json"}
    assert _strip(again.rows) == _strip(first.rows)

    counted.clear()
    assert run_sweep(grid).computed == 0 and counted == []


def test_cell_files_are_complete_json_and_no_temp_files_remain(tmp_path):
    grid = _grid(tmp_path, figures="figs")
    result = run_sweep(grid)
    for cell in grid.cells:
        record = json.loads((grid.cells_dir / f"{cell.key}.json").read_text())
        assert record["cell"] == cell.key and record["params"] == cell.params
        assert record["error"] is None and record["seconds"] >= 0
        assert (tmp_path / record["figure"]).is_file()  # relative to the table
    leftovers = [p for p in tmp_path.rglob(".*")]
    assert leftovers == []
    assert len(result.rows) == 6 and len(list((tmp_path / "figs").glob("*.png"))) == 6


def test_a_corrupt_cell_file_is_recomputed(tmp_path, counted):
    grid = _grid(tmp_path)
    run_sweep(grid)
    (grid.cells_dir / f"{grid.cells[0].key}.json").write_text('{"cell": "trunc')
    counted.clear()
    assert run_sweep(grid).computed == 1 and counted == [(0, 1)]


def test_a_failing_cell_is_a_row_with_its_error(tmp_path, monkeypatch):
    real = EXPERIMENTS["paint"]

    def run(cfg, *, figure, threads):
        if cfg.seed == 1:
            raise RuntimeError("boom\non two lines")
        return real.run(cfg, figure=figure, threads=threads)

    monkeypatch.setitem(EXPERIMENTS, "paint", dataclasses.replace(real, run=run))
    grid = _grid(tmp_path)
    result = run_sweep(grid)
    assert result.failed == 2 and result.computed == 6
    errors = [r["error"] for r in result.rows]
    assert errors == [None, None, "RuntimeError: boom on two lines",
                      "RuntimeError: boom on two lines", None, None]
    assert run_sweep(grid).computed == 0  # failures count as done…
    monkeypatch.setitem(EXPERIMENTS, "paint", real)
    retried = run_sweep(grid, retry_failed=True)  # …unless asked to retry them
    assert retried.computed == 2 and retried.failed == 0


def test_interrupted_sweep_keeps_finished_cells(tmp_path, monkeypatch):
    real = EXPERIMENTS["paint"]
    seen = []

    def run(cfg, *, figure, threads):
        if len(seen) == 2:
            raise KeyboardInterrupt
        seen.append(cfg.seed)
        return real.run(cfg, figure=figure, threads=threads)

    monkeypatch.setitem(EXPERIMENTS, "paint", dataclasses.replace(real, run=run))
    grid = _grid(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(grid)
    assert len(list(grid.cells_dir.glob("*.json"))) == 2
    assert len(read_table(grid.output)) == 2  # the table shows what finished
    monkeypatch.setitem(EXPERIMENTS, "paint", real)
    assert run_sweep(grid).computed == 4


def test_paint_rows_measure_the_library_image(tmp_path):
    result = run_sweep(_grid(tmp_path))
    row = result.rows[3]
    assert (row["seed"], row["layers"]) == (1, 3)
    image = render_config(PaintConfig(size=12, width=4, layers=3, seed=1))
    for name, value in image_stats(image).items():
        assert row[name] == value
    assert row["num_params"] == PaintConfig(width=4, layers=3).net_spec().num_params


def test_process_pool_gives_the_same_rows(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    local = run_sweep(_grid(tmp_path / "a"))
    pooled = run_sweep(_grid(tmp_path / "b"), workers=2)
    assert pooled.computed == 6
    assert _strip(pooled.rows) == _strip(local.rows)


def test_default_init_paints_grey_and_depth_paints_busier(tmp_path):
    """The article's P1 and P6 through a sweep: PyTorch's default init gives a flat grey image;
    with normal(0, 1) weights, neighbouring pixels differ more the deeper the net (mean over
    seeds)."""
    data = {"experiment": "paint", "output": "claims.csv", "seeds": {"stop": 4},
            "fixed": {"size": 48}, "grid": {"init": ["default", "normal:1"],
                                             "layers": [1, 4, 8]}}
    rows = run_sweep(build_grid(data, base_dir=tmp_path)).rows

    def mean(key, **where):
        return np.mean([r[key] for r in rows if all(r[k] == v for k, v in where.items())])

    assert mean("spatial_std", init="default", layers=8) < 0.01
    # grey: sigmoid of about the last bias alone, |b| <= 1/sqrt(16), so within sigmoid(0.25) - 0.5
    assert abs(mean("mean", init="default", layers=8) - 0.5) < 0.063
    assert mean("spatial_std", init="normal:1", layers=8) > 0.2
    busy = [mean("neighbour_diff", init="normal:1", layers=n) for n in (1, 4, 8)]
    assert busy[0] < busy[1] < busy[2]


def test_bounds_rows_are_the_exact_bounds_and_parquet_keeps_them(tmp_path):
    data = {"experiment": "bounds", "output": "b.parquet",
            "grid": {"n0": [1, 2], "widths": [[12], [16, 16, 16], [100] * 8]}}
    result = run_sweep(build_grid(data, base_dir=tmp_path))
    by = {(r["n0"], tuple(r["widths"])): r for r in result.rows}
    assert by[(2, (12,))]["first_layer"] == 1 + 12 + 66
    assert by[(2, (12,))]["serra_upper"] == 79  # Serra's bound is Zaslavsky's for one layer
    assert by[(1, (16, 16, 16))]["serra_upper"] == by[(1, (16, 16, 16))]["serra_lower"]
    assert by[(2, (16, 16, 16))]["serra_upper"] == bounds.serra_upper(2, [16, 16, 16])
    huge = bounds.serra_upper(2, [100] * 8)
    assert huge > 2**63
    table = {(r["n0"], tuple(r["widths"])): r for r in read_table(tmp_path / "b.parquet")}
    assert table[(2, (100,) * 8)]["serra_upper"] == pytest.approx(float(huge))
    assert table[(2, (12,))]["serra_upper"] == 79
    record = json.loads(next(p for p in (tmp_path / "b.parquet.cells").iterdir()
                             if json.loads(p.read_text())["params"]["widths"] == [100] * 8
                             and json.loads(p.read_text())["params"]["n0"] == 2).read_text())
    assert record["values"]["serra_upper"] == huge  # the cell file keeps the exact integer


def test_progress_counts_every_cell_once(tmp_path):
    grid = _grid(tmp_path)
    seen = []
    run_sweep(grid, on_progress=lambda done, total, label: seen.append((done, total, label)))
    assert seen[0] == (0, 6, "")
    assert [d for d, _, _ in seen] == list(range(7)) and seen[-1][2] == "seed=2 layers=3"
    (grid.cells_dir / f"{grid.cells[0].key}.json").unlink()
    seen.clear()
    run_sweep(grid, on_progress=lambda done, total, label: seen.append((done, total, label)))
    assert seen == [(5, 6, ""), (6, 6, "seed=0 layers=1")]


SLOW_AND_FAST = {"experiment": "paint", "output": "t.csv", "seeds": [0],
                 "fixed": {"layers": 16, "width": 64},
                 "grid": {"size": [12, 3000]}}  # 3000² through 16 x 64: well over 2 s


def test_a_cell_over_the_timeout_is_stopped_and_recorded(tmp_path):
    """The limit is read from a clock the test controls, never raced against the machine's
    speed: frozen, every cell of the small grid finishes whatever it takes; then, from the moment
    the slow grid's first cell is done, every reading jumps 10 s: the 3000² cell (tens of seconds
    of real work) is stopped at its first check, recorded, and run again by --retry-failed."""
    res = run_sweep(_grid(tmp_path), cell_timeout=2.0, clock=lambda: 0.0)
    assert res.computed == 6 and res.failed == 0
    (tmp_path / "slow").mkdir()
    grid = _grid(tmp_path / "slow", SLOW_AND_FAST)
    state = {"done": 0, "t": 0.0}

    def progress(done, total, label):
        state["done"] = done

    def clock():
        if state["done"] >= 1:  # the 12² cell is done: time flies
            state["t"] += 10.0
        return state["t"]

    res = run_sweep(grid, workers=1, cell_timeout=2.0, on_progress=progress, clock=clock)
    by_size = {int(np.ravel(r["size"])[0]): r for r in res.rows}  # size is stored as (W, H)
    assert not by_size[12].get("error") and 0 <= by_size[12]["mean"] <= 1
    assert "timed out after 2 s" in by_size[3000]["error"]
    assert res.failed == 1 and res.lost == 0
    # a timed-out cell is done (a row); --retry-failed runs it again
    again = run_sweep(grid, workers=1, cell_timeout=2.0, retry_failed=True, clock=clock,
                      on_progress=lambda *a: state.update(done=1))  # time flies from the start
    assert again.computed == 1 and again.skipped == 1


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_cell_timeout_must_be_positive_and_finite(tmp_path, bad):
    from neuromosaic.errors import InputError

    with pytest.raises(InputError, match="--cell-timeout must be a positive number"):
        run_sweep(_grid(tmp_path), cell_timeout=bad)


def test_cell_timeout_is_refused_with_dask(tmp_path):
    from neuromosaic.errors import InputError

    with pytest.raises(InputError, match="cannot stop a task running on a Dask cluster"):
        run_sweep(_grid(tmp_path), dask="tcp://127.0.0.1:1", cell_timeout=5.0)


def test_workers_that_cannot_start_end_the_sweep_not_hang_it(tmp_path, monkeypatch):
    """With --cell-timeout, a worker process that dies before it is ready (a broken install)
    is restarted twice, then every cell is reported lost: no endless respawning."""
    import neuromosaic.sweeps.timed as timed

    monkeypatch.setattr(timed, "timed_worker", _die_at_start)
    res = run_sweep(_grid(tmp_path), workers=1, cell_timeout=5.0)
    assert res.computed == 0 and res.lost == 6
    assert "die as they start (exit code 3)" in res.lost_messages[0]


def _die_at_start(conn) -> None:
    import os

    os._exit(3)
