"""The paint, gallery and animate commands, as a user runs them."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from neuromosaic.cli.app import main
from neuromosaic.io.png import read_png_metadata
from neuromosaic.painting import RECIPES
from neuromosaic.painting.animate import catmull_rom_loop


def run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_paint_from_reproduces_the_same_bytes(tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    code, _, err = run(["paint", "-o", a, "--size", "64x48", "--seed", "7", "--inputs", "xyrz",
                        "--z-dim", "3", "--activation", "sin", "--color", "hsv"], capsys)
    assert code == 0, err
    assert run(["paint", "--from", a, "-o", b], capsys)[0] == 0
    assert a.read_bytes() == b.read_bytes()
    meta = read_png_metadata(a)
    assert meta["config"]["seed"] == 7 and len(meta["config"]["z"]) == 3
    assert meta["spec"]["inputs"] == 6 and "version" in meta


def test_from_with_overrides_changes_one_field(tmp_path, capsys):
    a, big, other = tmp_path / "a.png", tmp_path / "big.png", tmp_path / "other.png"
    run(["paint", "-o", a, "--size", "32", "--seed", "3"], capsys)
    assert run(["paint", "--from", a, "--size", "96", "-o", big], capsys)[0] == 0
    small = np.asarray(Image.open(a)).astype(int)
    large = np.asarray(Image.open(big)).astype(int)
    assert large.shape == (96, 96, 3)
    assert np.abs(large[1::3, 1::3] - small).max() <= 1  # the same picture, 3× the pixels
    run(["paint", "--from", a, "--seed", "4", "-o", other], capsys)
    assert read_png_metadata(other)["config"]["seed"] == 4
    assert read_png_metadata(other)["config"]["size"] == [32, 32]


def test_every_recipe_paints(tmp_path, capsys):
    out = tmp_path / "r.png"
    for name in RECIPES:
        code, _, err = run(["paint", "--recipe", name, "--size", "24", "-o", out], capsys)
        assert code == 0, (name, err)
    # a recipe's own fields survive, and --widths overrides its widths
    run(["paint", "--recipe", "halving", "--widths", "7,7", "--size", "8", "-o", out], capsys)
    cfg = read_png_metadata(out)["config"]
    assert cfg["widths"] == [7, 7] and cfg["inputs"] == "xy" and cfg["bias"] == "first"
    # the deprecated --layers/--width still work, with one note: --layers 2 keeps the width
    code, _, err = run(["paint", "--recipe", "pollock", "--layers", "2", "--size", "8", "-o", out], capsys)
    assert code == 0 and err.count("--layers/--width is deprecated") == 1
    assert read_png_metadata(out)["config"]["widths"] == [128, 128]


def test_gallery_writes_every_picture_and_a_contact_sheet(tmp_path, capsys):
    code, out, err = run(["gallery", "-o", tmp_path / "g", "--size", "16", "--fast"], capsys)
    assert code == 0, err
    html = (tmp_path / "g" / "index.html").read_text()
    pngs = sorted(p.name for p in (tmp_path / "g").glob("*.png"))
    assert len(pngs) == sum(len(r.seeds) for r in RECIPES.values())
    assert all(f'src="{p}"' in html for p in pngs)
    assert all(r.caption.split(":")[0][:20].replace("'", "&#x27;") in html for r in RECIPES.values())
    assert "index.html" in out


def test_walk_loops_seamlessly():
    keys = np.random.default_rng(0).uniform(-1, 1, (4, 5))
    np.testing.assert_allclose(catmull_rom_loop(keys, 0.0), keys[0])
    np.testing.assert_allclose(catmull_rom_loop(keys, 4.0), keys[0])
    np.testing.assert_allclose(catmull_rom_loop(keys, 2.0), keys[2])
    eps = 1e-6  # C¹: the velocity just before the loop closes equals the one just after
    v_end = (catmull_rom_loop(keys, 4.0) - catmull_rom_loop(keys, 4.0 - eps)) / eps
    v_start = (catmull_rom_loop(keys, eps) - catmull_rom_loop(keys, 0.0)) / eps
    np.testing.assert_allclose(v_end, v_start, atol=1e-4)


@pytest.mark.parametrize("suffix,mode", [(".gif", "walk"), (".gif", "morph"), (".mp4", "zoom")])
def test_animate_writes_frames(tmp_path, capsys, suffix, mode):
    out = tmp_path / f"anim{suffix}"
    code, _, err = run(["animate", "-o", out, "--mode", mode, "--frames", "6", "--size", "32",
                        "--keyframes", "3"], capsys)
    assert code == 0, err
    if suffix == ".gif":
        with Image.open(out) as im:
            assert im.n_frames == 6 and im.info.get("loop") == 0
    else:
        assert out.stat().st_size > 1000 and out.read_bytes()[4:8] == b"ftyp"


def _no_partial_files(directory):
    return not [p for p in os.listdir(directory) if p.startswith(".")]


@pytest.mark.parametrize("args,needle", [
    (["--size", "0"], "size"),
    (["--size", "-5"], "size"),
    (["--size", "big"], "big"),
    (["--size", "100000"], "size"),
    (["--activation", "swish3"], "swish3"),
    (["--out-activation", "nope"], "nope"),
    (["--init", "cauchy:2"], "cauchy"),
    (["--init", "uniform:x"], "uniform:x"),
    (["--color", "cmyk"], "cmyk"),
    (["--widths", "16,0,8"], "width"),
    (["--widths", "a,b"], "'a'"),
    (["--widths", ""], "'none' for no hidden layer"),
    (["--inputs", "xyz"], "xyz"),
    (["--center", "1"], "center"),
    (["--scale", "-1"], "scale"),
    (["--device", "tpu"], "tpu"),
    (["--recipe", "monet"], "monet"),
    (["--layers", "many"], "layers"),
    (["--bias", "some"], "bias"),
])
def test_bad_values_exit_2_with_one_line(tmp_path, capsys, args, needle):
    out = tmp_path / "x.png"
    code, _, err = run(["paint", "-o", out, *args], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], err
    assert not out.exists() and _no_partial_files(tmp_path)


def test_bad_from_files(tmp_path, capsys):
    plain = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(plain)
    jpeg = tmp_path / "photo.jpg"
    Image.new("RGB", (4, 4)).save(jpeg)
    text = tmp_path / "notes.png"
    text.write_text("hello")
    for bad, needle in [(plain, "no 'neuromosaic' chunk"), (jpeg, "not a PNG"),
                        (text, "not a PNG"), (tmp_path / "missing.png", "does not exist")]:
        code, _, err = run(["paint", "--from", bad, "-o", tmp_path / "o.png"], capsys)
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "o.png").exists()


def test_bad_output_paths(tmp_path, capsys):
    code, _, err = run(["paint", "-o", tmp_path / "missing" / "a.png", "--size", "8"], capsys)
    assert code == 2 and "does not exist" in err
    code, _, err = run(["paint", "-o", tmp_path / "a.jpg", "--size", "8"], capsys)
    assert code == 2 and ".png" in err
    if os.path.isdir("/proc"):  # a directory nobody can write in, root included
        code, _, err = run(["paint", "-o", "/proc/neuromosaic-test.png", "--size", "8"], capsys)
        assert code == 2 and "/proc" in err and len(err.strip().splitlines()) == 1
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        code, _, err = run(["paint", "-o", ro / "a.png", "--size", "8"], capsys)
        assert code == 2 and "not writable" in err


def test_python_dash_m_and_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "neuromosaic", "paint", "-o", "/nonexistent/a.png"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error:")
