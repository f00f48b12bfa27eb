"""The fit, towers and gradcheck commands: files written, one-line errors with exit code 2."""

import numpy as np
import pytest
from PIL import Image

from neuromosaic.cli.app import main


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_fit_writes_the_figure_and_an_animation(tmp_path, capsys):
    png, gif = tmp_path / "fit.png", tmp_path / "train.gif"
    code, out, err = run(capsys, "fit", "--target", "x1**2 + x2**2 + 3", "--hidden", "4", "--steps", "40",
                         "--n-train", "200", "--n-test", "50", "-o", str(png), "--animate", str(gif),
                         "--frames", "4", "--quiet")
    assert code == 0, err
    assert "test RMSE" in out and "linear regions" in out
    assert Image.open(png).size[0] > 600
    with Image.open(gif) as im:
        assert im.n_frames >= 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.png", "train.gif"]  # no temp files


def test_fit_surface_task_and_classification(tmp_path, capsys):
    for args in (("--task", "surface", "--activation", "tanh"),
                 ("--task", "classification", "--target", "xor")):
        code, out, err = run(capsys, "fit", *args, "--steps", "20", "--n-train", "100", "--n-test", "20",
                             "-o", str(tmp_path / "f.png"), "--quiet")
        assert code == 0, err
        assert "test accuracy" in out


@pytest.mark.parametrize("args, words", [
    (("--target", "x1.__class__"), "attribute access"),
    (("--target", "__import__('os')"), "unknown function '__import__'"),
    (("--target", "eval('1')"), "unknown function 'eval'"),
    (("--target", "lambda: 0"), "lambda"),
    (("--target", "[x for x in x1]"), "comprehension"),
    (("--target", "x1**99999"), "exponent"),
    (("--target", "-(" * 45 + "x1" + ")" * 45), "nested deeper"),
    (("--target", "nope + 1"), "unknown name 'nope'"),
    (("--target", "log(x1)"), "not finite on the domain"),
    (("--hidden", "0"), "every --widths value must be in [1, 65536]"),
    (("--hidden", "4,-1"), "every --widths value must be in [1, 65536]"),
    (("--n-train", "0"), "at least 1 point"),
    (("--domain", "1,0,0,1"), "x0 < x1"),
    (("--optimizer", "magic"), "optimizer"),
])
def test_fit_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, words):
    out = tmp_path / "f.png"
    code, _, err = run(capsys, "fit", *args, "--steps", "1", "-o", str(out), "--quiet")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], err
    assert not out.exists()


def test_fit_bad_output_paths(tmp_path, capsys):
    code, _, err = run(capsys, "fit", "-o", str(tmp_path / "f.jpg"), "--steps", "1")
    assert code == 2 and ".png" in err
    code, _, err = run(capsys, "fit", "-o", str(tmp_path / "f.png"), "--animate", str(tmp_path / "a.avi"))
    assert code == 2 and ".gif or .mp4" in err
    code, _, err = run(capsys, "fit", "-o", str(tmp_path / "missing" / "f.png"))
    assert code == 2 and "does not exist" in err


def test_towers_command_and_table(tmp_path, capsys):
    code, out, err = run(capsys, "towers", "--target", "x1**2 + x2**2", "--n", "4", "-o",
                         str(tmp_path / "t.png"), "--table")
    assert code == 0, err
    rows = [line for line in out.splitlines() if line.startswith("| 16 | 10000 |")]
    error, limit = (float(v) for v in rows[0].strip("|").split("|")[2:4])
    assert error < limit and error == pytest.approx(limit, rel=0.05)
    code, _, err = run(capsys, "towers", "--single", "--sides", "3,8", "--layers", "1", "-o",
                       str(tmp_path / "s.png"))
    assert code == 0, err
    assert np.asarray(Image.open(tmp_path / "s.png")).shape[1] > 500


@pytest.mark.parametrize("args, words", [
    (("--n", "0"), "n must be an integer >= 1"),
    (("--sides", "2"), "every --sides value must be in [3, 1024]"),
    (("--sides", "3,x"), "every --sides value must be an integer"),
    (("--layers", "3"), "layers must be 1 or 2"),
    (("--target", "os.system"), "attribute access"),
])
def test_towers_bad_input(tmp_path, capsys, args, words):
    code, _, err = run(capsys, "towers", *args, "-o", str(tmp_path / "t.png"))
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_gradcheck_prints_a_passing_table(capsys):
    code, out, _ = run(capsys, "gradcheck", "--in-dim", "2", "--widths", "6,5", "--out-dim", "3",
                       "--activation", "sigmoid", "--loss", "cross_entropy")
    assert code == 0
    lines = out.strip().splitlines()
    assert [line.split()[0] for line in lines[1:7]] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert lines[-1].startswith("ok:")
    for line in lines[1:7]:
        assert float(line.split()[2]) < 1e-7 and float(line.split()[3]) < 1e-10


def test_gradcheck_bad_input(capsys):
    code, _, err = run(capsys, "gradcheck", "--activation", "softsign")
    assert code == 2 and "unknown activation 'softsign'" in err
    code, _, err = run(capsys, "gradcheck", "--widths", "0")
    assert code == 2 and "every --widths value must be in [1, 65536]" in err
    code, _, err = run(capsys, "gradcheck", "--widths", "20000,20000")
    assert code == 2 and "at most 20,000" in err and err.count("\n") == 1


def test_gradcheck_deprecated_sizes_is_the_same_net(capsys):
    code, old, err = run(capsys, "gradcheck", "--sizes", "2,6,5,3")
    assert code == 0 and err.count("--sizes is deprecated") == 1
    code, new, _ = run(capsys, "gradcheck", "--in-dim", "2", "--widths", "6,5", "--out-dim", "3")
    assert code == 0 and new == old


def test_fit_saves_a_net_that_regions_and_load_read_back_and_fit_starts_from(tmp_path, capsys):
    import json

    import torch

    import neuromosaic as nm
    from neuromosaic.fitting import FitConfig, Trainer

    net_path, fit_json, reg_json = tmp_path / "net.safetensors", tmp_path / "f.json", tmp_path / "r.json"
    assert main(["fit", "--hidden", "5", "--steps", "30", "--restarts", "1", "-o", str(tmp_path / "f.png"),
                 "--save", str(net_path), "--json", str(fit_json), "--quiet"]) == 0
    loaded = nm.load(net_path)
    # the saved net is the trained one: its test RMSE recomputed from the file is the fit's
    cfg = FitConfig(hidden=[5], steps=30, restarts=1)
    t = Trainer(cfg)
    with torch.no_grad():
        rmse = float(torch.sqrt(torch.mean((loaded(t.x_test).reshape(-1) - t.y_test) ** 2)))
    assert rmse == pytest.approx(json.loads(fit_json.read_text())["test_rmse"], rel=1e-5)
    assert main(["regions", "--weights", str(net_path), "--domain", "-1,1,-1,1", "--json", str(reg_json),
                 "--quiet"]) == 0
    assert json.loads(reg_json.read_text())["count"] == json.loads(fit_json.read_text())["regions"]
    # a starting point: step 0 of the trainer is the saved net, output for output
    start = Trainer(cfg, start=loaded)
    with torch.no_grad():
        torch.testing.assert_close(start.net(t.x_test), loaded(t.x_test))
    assert main(["fit", "--hidden", "5", "--steps", "5", "--weights", str(net_path), "-o",
                 str(tmp_path / "g.png"), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["fit", "--hidden", "6", "--steps", "5", "--weights", str(net_path), "-o",
                 str(tmp_path / "h.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "starting net is not a 2 → [6] → 1" in err
    assert main(["fit", "--steps", "5", "--save", str(tmp_path / "n.txt"), "-o", str(tmp_path / "i.png")]) == 2
    assert not (tmp_path / "i.png").exists()
