"""The bounds and explain commands, as a user runs them (small sizes)."""

import pytest
from PIL import Image

from neuromosaic.cli.app import main


def test_bounds_prints_every_bound_with_its_source(capsys):
    assert main(["bounds", "--n0", "2", "--widths", "16,16,16"]) == 0
    out = capsys.readouterr().out
    assert "2,571,353" in out  # Serra et al.'s upper bound for 2 → 16,16,16
    assert "Serra, Tjandraatmadja & Ramalingam 2018, Theorem 1" in out
    for name in ("zaslavsky", "serra_lower", "montufar_lower", "pascanu_lower"):
        assert name in out


def test_bounds_json_and_maxout(capsys):
    assert main(["bounds", "--n0", "2", "--widths", "4", "--rank", "3", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"maxout_upper (one layer, k=3)"' in out and '"value": "11"' in out


@pytest.mark.parametrize("argv, text", [
    (["bounds", "--n0", "0", "--widths", "16"], "n0"),
    (["bounds", "--n0", "2", "--widths", "16,0"], "width"),
    (["bounds", "--n0", "2", "--widths", "a,b"], "comma-separated"),
    (["explain", "phase", "-o", "x.png", "--activation", "swish"], "unknown activation"),
    (["explain", "trajectory", "-o", "x.png", "--sigma-w", "1,0"], "--sigma-w"),
    (["explain", "trajectory", "-o", "x.png", "--sigma-w", "-1"], "--sigma-w"),
    (["explain", "trajectory", "-o", "x.png", "--sigma-b", "-0.5"], "sigma_b"),
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
    assert main(["explain", "density", "-o", str(out), "--depths", "1,2", "--widths", "8,12",
                 "--samples", "1"]) == 0
    assert Image.open(out).size[0] > 400 and "fitted c" in capsys.readouterr().out
    out = tmp_path / "stats.png"
    assert main(["explain", "stats", "-o", str(out), "--inits", "default,normal:1", "--depth", "3",
                 "--seeds", "1", "--size", "12"]) == 0
    assert Image.open(out).size[0] > 300


def test_explain_phase_without_thumbnails(tmp_path, capsys):
    out = tmp_path / "phase.png"
    assert main(["explain", "phase", "-o", str(out), "--thumb", "0"]) == 0
    text = capsys.readouterr().out
    assert "default: sigma_w = 0.5774" in text and "chi1 = 0.315 (ordered)" in text
    assert "sigma_w = 1.0000" in text
    assert Image.open(out).size[0] > 600


def test_explain_trajectory_small(tmp_path, capsys):
    out = tmp_path / "t.png"
    assert main(["explain", "trajectory", "-o", str(out), "--activations", "relu",
                 "--sigma-w", "1,2", "--width", "30", "--depth", "6", "--samples", "1"]) == 0
    assert "relu" in capsys.readouterr().out and out.exists()


def test_explain_constructions_counts_match_formulas(tmp_path, capsys):
    out = tmp_path / "c.png"
    assert main(["explain", "constructions", "-o", str(out), "--sawtooth", "6", "--p", "2",
                 "--depth", "2", "--last-width", "3"]) == 0
    text = capsys.readouterr().out
    assert "sawtooth depth  6:      64 pieces (2^k = 64)" in text
    assert ": 28 regions in the unit square" in text and "= 28)" in text
    assert out.exists()


def test_bounds_of_a_huge_net_print_without_overflow(capsys):
    assert main(["bounds", "--n0", "3", "--widths", "1000000,1000000,1000000", "--json"]) == 0
    out = capsys.readouterr().out
    assert "9.7049e+903089" in out  # 2^(3·10^6): beyond float and beyond str()'s 4300 digits
    assert main(["bounds", "--n0", "2", "--widths", "10000000"]) == 2
    assert "at most 1000000 units" in capsys.readouterr().err


@pytest.mark.parametrize("argv, text", [
    (["explain", "constructions", "-o", "x.png", "--p", "100", "--depth", "4"], "at most 200,000"),
    (["explain", "trajectory", "-o", "x.png", "--width", "100000"], "caps width"),
    (["explain", "density", "-o", "x.png", "--widths", "2000", "--depths", "8"], "max_regions"),
    (["explain", "stats", "-o", "x.png", "--width", "5000"], "--width"),
])
def test_oversized_requests_are_refused_up_front(argv, text, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert text in capsys.readouterr().err
