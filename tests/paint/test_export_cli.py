"""``neuromosaic export --glsl``: the shader file a user gets, and the one-line errors."""

import numpy as np

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.painting import RECIPES


def run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_recipe_exports_as_the_librarys_shader(tmp_path, capsys):
    out = tmp_path / "art.frag"
    code, _, err = run(["export", "--glsl", "-o", out, "--recipe", "depth-8", "--seed", "3"], capsys)
    assert code == 0, err
    assert f"wrote {out}" in err and "weights in the code" in err
    text = out.read_text()
    assert text.startswith("#version 300 es\n// u_resolution = 512, 512\n")
    net = RECIPES["depth-8"].config(seed=3).net_spec().build()
    assert text.endswith(nm.to_glsl(net, inputs="xy").source.split("\n", 1)[1])  # + the notes
    assert not (tmp_path / "art.weights.f32").exists()


def test_a_big_net_writes_its_weight_texture_beside_the_shader(tmp_path, capsys):
    out = tmp_path / "pollock.frag"
    code, _, err = run(["export", "--glsl", "-o", out, "--recipe", "pollock"], capsys)
    assert code == 0, err
    net = RECIPES["pollock"].config().net_spec().build()
    shader = nm.to_glsl(net, inputs="xy")
    w, h = shader.texture_size
    assert f"RGBA32F texture of {w}×{h} texels from pollock.weights.f32" in out.read_text()
    texels = np.fromfile(tmp_path / "pollock.weights.f32", "<f4").reshape(h, w, 4)
    np.testing.assert_array_equal(texels, shader.weights)


def test_shadertoy_and_options(tmp_path, capsys):
    out = tmp_path / "toy.glsl"
    code, _, err = run(["export", "--glsl", "--shadertoy", "-o", out, "--widths", "8,8",
                        "--inputs", "xyrz", "--z-dim", "4", "--cmap", "magma", "--seed", "2"], capsys)
    assert code == 0, err
    text = out.read_text()
    assert "mainImage" in text and "const vec4 u_z[1]" in text and "CMAP[256]" in text


def test_a_saved_net_exports(tmp_path, capsys):
    net = nm.NetSpec(inputs=2, widths=[6], outputs=1, activation="sin").build()
    nm.save(tmp_path / "net.safetensors", net)
    out = tmp_path / "net.frag"
    code, _, err = run(["export", "--glsl", "--weights", tmp_path / "net.safetensors", "-o", out,
                        "--range", "-2,2"], capsys)
    assert code == 0, err
    assert "u_range = -2, 2" in out.read_text()


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "x.frag"
    for argv, words in [([], "--glsl"), (["--glsl", "--storage", "ubo"], "--storage"),
                        (["--glsl", "--shadertoy", "--storage", "texture"], "Shadertoy"),
                        (["--glsl", "--activation", "nope"], "activation"),
                        (["--glsl", "--widths", "8", "--color", "gray", "--cmap", "nope"], "cmap")]:
        code, _, err = run(["export", "-o", out, *argv], capsys)
        assert code == 2 and err.startswith("error:") and words in err and err.count("\n") == 1, (argv, err)
    code, _, err = run(["export", "--glsl", "-o", tmp_path / "missing" / "x.frag"], capsys)
    assert code == 2 and "does not exist" in err
    assert not out.exists()
