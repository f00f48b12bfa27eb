"""Grid files: expansion into cells, cell identity, and every bad file as one clear line."""

import pytest

from neuromosaic.cli.app import main
from neuromosaic.errors import NeuromosaicError
from neuromosaic.sweeps import build_grid, cell_key, load_grid

PAINT = """
experiment = "paint"
output = "out.csv"
seeds = [0, 1, 2]
[fixed]
size = 16
[grid]
layers = [1, 2, 4, 8]
"""


def test_cells_are_the_cartesian_product_in_order(write_grid):
    grid = load_grid(write_grid(PAINT))
    assert len(grid.cells) == 3 * 4
    assert grid.axes == ("seed", "layers")
    # the last axis varies fastest
    assert [c.axes for c in grid.cells[:5]] == [
        {"seed": 0, "layers": 1}, {"seed": 0, "layers": 2}, {"seed": 0, "layers": 4},
        {"seed": 0, "layers": 8}, {"seed": 1, "layers": 1}]
    assert all(c.params["size"] == [16, 16] for c in grid.cells)
    assert len({c.key for c in grid.cells}) == 12
    assert grid.output.name == "out.csv" and grid.output.parent == grid.cells_dir.parent


def test_range_axes_follow_python_range():
    data = {"experiment": "bounds", "output": "b.csv",
            "grid": {"width": {"start": 2, "stop": 11, "step": 3}, "depth": {"start": 1, "stop": 3}}}
    grid = build_grid(data)
    assert [c.axes["width"] for c in grid.cells[::2]] == [2, 5, 8]
    assert [c.axes["depth"] for c in grid.cells[:2]] == [1, 2]
    assert len(grid.cells) == len(range(2, 11, 3)) * len(range(1, 3))


def test_cell_key_is_the_computation_not_the_spelling():
    # Setting a parameter to its default does not change the cell, so its result is reused.
    a = build_grid({"experiment": "paint", "grid": {"seed": [0]}, "fixed": {"size": 8}})
    b = build_grid({"experiment": "paint", "grid": {"seed": [0]},
                    "fixed": {"size": "8x8", "layers": 8, "init": "normal:1"}})
    assert a.cells[0].key == b.cells[0].key == cell_key("paint", a.cells[0].params)
    c = build_grid({"experiment": "paint", "grid": {"seed": [0]}, "fixed": {"size": 9}})
    assert c.cells[0].key != a.cells[0].key


def test_relative_paths_are_taken_from_the_grid_file(write_grid, tmp_path):
    text = PAINT.replace('output = "out.csv"', 'output = "out.parquet"\nfigures = "figs"')
    grid = load_grid(write_grid(text))
    assert grid.output == tmp_path / "out.parquet"
    assert grid.figures == tmp_path / "figs"
    assert grid.cells_dir == tmp_path / "out.parquet.cells"


BAD = [
    # (grid text, what the one line must name)
    ('experiment = "paint"\ncolour = 1\n[grid]\nseed = [0]\n', ["colour", "unknown"]),
    ('experiment = "paint"\n[fixed]\ndepht = 3\n[grid]\nseed = [0]\n', ["fixed.depht", "layers"]),
    ('experiment = "paint"\n[grid]\nsead = [0, 1]\n', ["grid.sead", "not a parameter"]),
    ('experiment = "paint"\n[grid]\nlayers = ["many"]\n', ["grid.layers", "'many'"]),
    ('experiment = "paint"\n[fixed]\nsize = "big"\n[grid]\nseed = [0]\n', ["fixed.size", "'big'"]),
    ('experiment = "paint"\n[grid]\nlayers = 3\n', ["grid.layers", "3"]),
    ('experiment = "paint"\n[grid]\nlayers = []\n', ["grid.layers", "empty"]),
    ('experiment = "paint"\nseeds = {start = 4, stop = 4}\n', ["seeds", "empty"]),
    ('experiment = "paint"\n[fixed]\nsize = 8\n', ["empty grid"]),
    ('experiment = "paint"\n[grid]\n', ["empty grid"]),
    ('experiment = "painting"\n[grid]\nseed = [0]\n', ["'painting'", "paint"]),
    ('output = "x.csv"\n[grid]\nseed = [0]\n', ["experiment", "required"]),
    ('experiment = "paint"\noutput = "x.xlsx"\n[grid]\nseed = [0]\n', ["x.xlsx", ".parquet"]),
    ('experiment = "paint"\n[grid]\nseed = [1, 1]\n', ["grid.seed", "twice"]),
    ('experiment = "paint"\nseeds = [0]\n[grid]\nseed = [1]\n', ["seeds", "grid.seed"]),
    ('experiment = "paint"\n[fixed]\nseed = 0\n[grid]\nseed = [1]\n', ["'seed'", "both"]),
    ('experiment = "paint"\n[grid]\nlayers = [300]\n', ["grid.layers", "300"]),
    ('experiment = "paint"\n[grid\nseed = [0]\n', ["not valid TOML"]),
    ('experiment = "paint"\nseeds = "0..3"\n', ["seeds", "'0..3'", "list"]),
    ('experiment = "bounds"\nfigures = "f"\n[grid]\nn0 = [1, 2]\n', ["figures", "draws no figure"]),
    ('experiment = "paint"\n[grid]\nseed = {stop = 3, stride = 1}\n', ["grid.seed", "'stride'"]),
    ('experiment = "fit"\n[grid]\ntarget = ["x1**2", "open(1)"]\n',
     ["cell {'target': 'open(1)'}", "unknown function 'open'"]),
]


@pytest.mark.parametrize(("text", "names"), BAD)
def test_bad_grid_file_is_one_line_exit_2(write_grid, capsys, text, names):
    path = write_grid(text)
    assert main(["sweep", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: grid.toml") and err.count("\n") == 1, err
    for name in names:
        assert name in err, err
    assert "Traceback" not in err


def test_too_many_cells_is_refused():
    with pytest.raises(NeuromosaicError) as info:
        build_grid({"experiment": "bounds", "grid": {"width": {"stop": 1000},
                                                     "n0": {"start": 1, "stop": 1000}}})
    assert "999000 cells" in str(info.value)


def test_missing_grid_file(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_grid_file_writes_only_beside_itself(tmp_path):
    """A grid someone sends you cannot write outside its own folder (../, absolute paths); the
    user's own -o can."""
    from neuromosaic.errors import InputError
    from neuromosaic.sweeps import build_grid

    base = {"experiment": "bounds", "grid": {"width": [4]}}
    for key, value in (("output", "../t.csv"), ("output", "/tmp/t.csv"), ("output", "a/../../t.csv"),
                       ("figures", "../figs")):
        with pytest.raises(InputError, match="leaves the grid file's folder"):
            build_grid({**base, key: value}, base_dir=tmp_path, source="g.toml")
    inside = build_grid({**base, "output": "sub/t.csv"}, base_dir=tmp_path, source="g.toml")
    assert inside.output == tmp_path / "sub" / "t.csv"
    mine = build_grid(base, base_dir=tmp_path, source="g.toml", output=tmp_path.parent / "t.csv")
    assert mine.output == tmp_path.parent / "t.csv"
