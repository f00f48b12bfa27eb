"""`neuromosaic sweep` as a user runs it."""

from neuromosaic.cli.app import main
from neuromosaic.sweeps import load_grid, read_table

GRID = """
experiment = "paint"
output = "busy.csv"
figures = "figs"
seeds = { start = 0, stop = 2 }
[fixed]
size = 8
width = 4
[grid]
layers = [1, 2]
"""


def test_sweep_writes_the_table_then_resumes(write_grid, tmp_path, capsys):
    path = write_grid(GRID)
    assert main(["sweep", str(path), "--dry-run"]) == 0
    assert "4 cells over seed, layers; 0 done, 4 to run" in capsys.readouterr().out
    assert main(["sweep", str(path), "-j", "1"]) == 0
    assert "busy.csv: 4 rows (4 computed, 0 already done, 0 with an error)" in \
        capsys.readouterr().err
    rows = read_table(tmp_path / "busy.csv")
    assert [(r["seed"], r["layers"]) for r in rows] == [("0", "1"), ("0", "2"), ("1", "1"),
                                                        ("1", "2")]
    assert all((tmp_path / r["figure"]).is_file() and r["error"] == "" for r in rows)
    assert main(["sweep", str(path), "-j", "1"]) == 0
    assert "(0 computed, 4 already done" in capsys.readouterr().err


def test_output_option_overrides_the_file_and_picks_parquet(write_grid, tmp_path, capsys):
    path = write_grid(GRID)
    out = tmp_path / "new" / "deeper" / "elsewhere.parquet"  # folders are made
    assert main(["sweep", str(path), "-j", "1", "-o", str(out)]) == 0
    rows = read_table(out)
    assert len(rows) == 4 and rows[0]["size"] == [8, 8] and isinstance(rows[0]["seconds"], float)
    assert load_grid(path, output=out).cells_dir.is_dir()


def test_bad_options_are_one_line(write_grid, tmp_path, capsys):
    path = write_grid(GRID)
    (tmp_path / "file").write_text("not a folder")
    for args, needle in ((["-j", "0"], "--workers must be >= 1, got 0"),
                         (["-o", str(tmp_path / "file" / "t.csv")], "is not a directory"),
                         (["-o", str(tmp_path / "t.json")], ".parquet or .csv"),
                         (["--connect-timeout", "0", "--dask", "tcp://127.0.0.1:1"],
                          "--connect-timeout must be in (0, 3600"),
                         (["--cell-timeout", "0"], "--cell-timeout must be a positive number"),
                         (["--cell-timeout", "nan"], "--cell-timeout': must be a finite number"),
                         (["--connect-timeout", "inf", "--dask", "tcp://127.0.0.1:1"], "--connect-timeout': must be a finite number"),
                         (["--cell-timeout", "5", "--dask", "tcp://127.0.0.1:1"],
                          "cannot stop a task running on a Dask cluster")):
        assert main(["sweep", str(path), *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and needle in err, err


def test_help_has_an_example(capsys):
    assert main(["sweep", "--help"]) == 0
    assert "Example: neuromosaic sweep" in capsys.readouterr().out


def test_summary_is_mean_and_std_over_seeds(write_grid, capsys):
    from neuromosaic.sweeps.table import format_summary, summarize

    rows = [{"layers": 1, "seed": s, "busy": b, "error": None} for s, b in ((0, 1.0), (1, 3.0))]
    rows += [{"layers": 2, "seed": 0, "busy": 5.0, "error": None},
             {"layers": 2, "seed": 1, "busy": None, "error": "failed"}]
    summary = summarize(rows, ["layers"], ["busy"])
    assert summary[0] == {"layers": 1, "n": 2, "busy": (2.0, 2**0.5)}
    assert summary[1]["n"] == 1 and summary[1]["busy"][0] == 5.0  # the failed row is left out
    text = format_summary(summary)
    assert text.splitlines()[2] == "| 1 | 2 | 2 ± 1.4 |" and text.splitlines()[3] == "| 2 | 1 | 5 |"

    assert main(["sweep", str(write_grid(GRID)), "-j", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| layers | n | num_params |") and out[2].startswith("| 1 | 2 |")
