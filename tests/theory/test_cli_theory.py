"""The bounds and explain commands, as a user runs them (small sizes)."""

import json

import pytest
from PIL import Image

from neuromosaic.cli.app import main


def test_bounds_prints_every_bound_with_its_source(capsys):
    from neuromosaic.theory.bounds import bounds_table

    assert main(["bounds", "--in-dim", "2", "--widths", "16,16,16"]) == 0
    out = capsys.readouterr().out
    assert "2,571,353" in out  # Serra et al.'s upper bound for 2 → 16,16,16
    assert "Serra, Tjandraatmadja & Ramalingam 2018, Theorem 1" in out
    for row in bounds_table(2, [16, 16, 16]):  # one table, the same labels everywhere
        assert row.label in out
    assert "first layer alone" in out and "some net with these widths has at least" in out


def test_bounds_json_and_maxout(capsys, tmp_path):
    assert main(["bounds", "--in-dim", "2", "--widths", "4", "--rank", "3", "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {b["name"]: b for b in data["bounds"]}
    # one maxout layer of 4 units of rank 3: min(Zaslavsky(3²·4, 2), 3⁴) = min(667, 81)
    assert rows["maxout_upper"]["value"] == 81 and rows["maxout_upper"]["kind"] == "upper"
    path = tmp_path / "b.json"
    assert main(["bounds", "--widths", "4", "--rank", "3", "--json", str(path), "--quiet"]) == 0
    assert json.loads(path.read_text()) == data


def test_bounds_deprecated_n0_gives_the_same_table(capsys):
    assert main(["bounds", "--n0", "3", "--widths", "8,8"]) == 0
    old = capsys.readouterr()
    assert main(["bounds", "--in-dim", "3", "--widths", "8,8"]) == 0
    assert capsys.readouterr().out == old.out and old.err.count("--n0 is deprecated") == 1


@pytest.mark.parametrize("argv, text", [
    (["bounds", "--in-dim", "0", "--widths", "16"], "--in-dim"),
    (["bounds", "--widths", "16,0"], "--widths"),
    (["bounds", "--widths", "a,b"], "must be an integer"),
    (["bounds", "--widths", "60000", "--in-dim", "100000"], "--in-dim must be an integer in 1..1024"),
    (["explain", "phase", "-o", "x.png", "--activation", "swish"], "unknown activation"),
    (["explain", "trajectory", "-o", "x.png", "--sweep-sigma-w", "1,0"], "--sweep-sigma-w"),
    (["explain", "trajectory", "-o", "x.png", "--sweep-sigma-w", "-1"], "--sweep-sigma-w"),
    (["explain", "trajectory", "-o", "x.png", "--sigma-b", "-0.5"], "sigma-b"),
    (["explain", "trajectory", "-o", "x.png", "--widths", "30,20,30,30,30,30"], "repeat one width"),
    (["explain", "density", "-o", "x.txt"], ".png"),
    (["explain", "stats", "-o", "x.png", "--inits", "gauss"], "unknown init"),
])
def test_bad_input_is_one_line_exit_2(argv, text, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and text in err and "\n" not in err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_explain_density_and_stats_write_pngs(tmp_path, capsys):
    out = tmp_path / "density.png"
    js = tmp_path / "density.json"
    assert main(["explain", "density", "-o", str(out), "--sweep-depths", "1,2", "--sweep-widths", "8,12",
                 "--samples", "1", "--json", str(js)]) == 0
    assert Image.open(out).size[0] > 400 and "fitted c" in capsys.readouterr().out
    data = json.loads(js.read_text())
    assert data["depth"] == [1, 1, 2, 2] and data["width"] == [8, 12, 8, 12]
    out = tmp_path / "stats.png"
    assert main(["explain", "stats", "-o", str(out), "--inits", "default,normal:1", "--widths", "16,16,16",
                 "--seeds", "1", "--size", "12"]) == 0
    assert Image.open(out).size[0] > 300


def test_explain_density_old_spellings_are_the_sweep_lists(tmp_path, capsys):
    out = tmp_path / "d.png"
    assert main(["explain", "density", "-o", str(out), "--depths", "1", "--widths", "8",
                 "--samples", "1"]) == 0
    text = capsys.readouterr()
    assert "--depths is deprecated" in text.err and "--widths is deprecated" in text.err
    assert "depth 1 width   8" in text.out


def test_explain_phase_without_thumbnails(tmp_path, capsys):
    out = tmp_path / "phase.png"
    assert main(["explain", "phase", "-o", str(out), "--thumb", "0"]) == 0
    text = capsys.readouterr().out
    assert "default: sigma_w = 0.5774" in text and "chi1 = 0.315 (ordered)" in text
    assert "sigma_w = 1.0000" in text
    assert Image.open(out).size[0] > 600


def test_explain_trajectory_small(tmp_path, capsys):
    out = tmp_path / "t.png"
    assert main(["explain", "trajectory", "-o", str(out), "--sweep-activations", "relu",
                 "--sweep-sigma-w", "1,2", "--widths", "30,30,30,30,30,30", "--samples", "1"]) == 0
    new = capsys.readouterr().out
    assert "relu" in new and out.exists()
    assert main(["explain", "trajectory", "-o", str(out), "--activations", "relu",
                 "--sigma-w", "1,2", "--width", "30", "--depth", "6", "--samples", "1"]) == 0
    old = capsys.readouterr()
    assert old.out == new and old.err.count("deprecated") == 3


def test_explain_constructions_counts_match_formulas(tmp_path, capsys):
    out = tmp_path / "c.png"
    assert main(["explain", "constructions", "-o", str(out), "--sawtooth", "6", "--p", "2",
                 "--depth", "2", "--last-width", "3"]) == 0
    text = capsys.readouterr().out
    assert "sawtooth depth  6:      64 pieces (2^k = 64)" in text
    assert ": 28 regions in the unit square" in text and "= 28)" in text
    assert out.exists()


def test_bounds_of_a_huge_net_print_without_overflow(capsys):
    assert main(["bounds", "--in-dim", "3", "--widths", "30000,30000,30000"]) == 0
    out = capsys.readouterr().out
    assert "5.0074e+27092" in out  # 2^90000: beyond float and beyond str()'s 4300 digits
    assert main(["bounds", "--widths", "60000,60000"]) == 2
    assert "at most 100,000 units" in capsys.readouterr().err


@pytest.mark.parametrize("argv, text", [
    (["explain", "constructions", "-o", "x.png", "--p", "100", "--depth", "4"], "at most 200,000"),
    (["explain", "trajectory", "-o", "x.png", "--widths", ",".join(["9000"] * 6)], "caps width"),
    (["explain", "trajectory", "-o", "x.png", "--widths", ",".join(["6000"] * 12)], "multiply-adds"),
    (["explain", "density", "-o", "x.png", "--sweep-widths", "200", "--sweep-depths", "40"], "at most 2,000,000"),
    (["explain", "stats", "-o", "x.png", "--widths", "5000"], "--widths"),
])
def test_oversized_requests_are_refused_up_front(argv, text, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert text in capsys.readouterr().err
