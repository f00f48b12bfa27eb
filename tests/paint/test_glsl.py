"""``nm.to_glsl``: the shader's text, its weight layout and its rules (the pixels themselves are
compared with ``nm.paint`` in a browser: tests/browser/test_glsl_webgl.py).

Every source is checked by ``glslangValidator`` (Debian's glslang-tools) where it is installed.
"""

import shutil
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm
from neuromosaic.errors import SpecError, TooLargeError
from neuromosaic.layers import Maxout
from neuromosaic.painting.glsl import INLINE_TEXELS, MAX_TEXTURE_SIDE
from neuromosaic.painting.recipes import RECIPES
from neuromosaic.painting.render import picture_range

VALIDATOR = shutil.which("glslangValidator")
# Shadertoy's own wrapper around mainImage, so its code is checked as Shadertoy compiles it
SHADERTOY_HEAD = "#version 300 es\nprecision highp float;\nuniform vec3 iResolution;\nuniform float iTime;\n"
SHADERTOY_TAIL = "out vec4 shadertoyColor;\nvoid main() { mainImage(shadertoyColor, gl_FragCoord.xy); }\n"


def validate(source: str, tmp_path, shadertoy: bool = False) -> None:
    """glslangValidator compiles ``source`` as a GLSL ES 3.00 fragment shader (or skips)."""
    if VALIDATOR is None:
        pytest.skip("glslangValidator is absent (apt-get install glslang-tools; .ci/run installs it)")
    path = tmp_path / "shader.frag"
    path.write_text(SHADERTOY_HEAD + source + SHADERTOY_TAIL if shadertoy else source)
    done = subprocess.run([VALIDATOR, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]


def net_of(recipe: str, seed: int = 0) -> nn.Module:
    return RECIPES[recipe].config(seed=seed).net_spec().build()


def small(activation="tanh", *, inputs=3, outputs=3, out_activation="sigmoid", **fields) -> nn.Module:
    return nm.NetSpec(inputs=inputs, widths=[8, 8], outputs=outputs, activation=activation,
                      out_activation=out_activation, init="normal:1", **fields).build()


CASES = {
    "depth-8 inline": lambda: (net_of("depth-8"), {"inputs": "xy"}),
    "depth-8 texture": lambda: (net_of("depth-8"), {"inputs": "xy", "storage": "texture"}),
    "pollock": lambda: (net_of("pollock"), {"inputs": "xy"}),
    "halving": lambda: (net_of("halving"), {"inputs": "xy"}),
    "xyrz": lambda: (small(inputs=3 + 8), {}),
    "xyrz texture": lambda: (small(inputs=3 + 5), {"storage": "texture"}),
    "hsv": lambda: (small(), {"color": "hsv"}),
    "gray": lambda: (small(outputs=1), {}),
    "cmap": lambda: (small(outputs=1), {"cmap": "viridis"}),
    "raw coords": lambda: (small(), {"raw_coords": True, "scale": 0.01}),
    "unbounded": lambda: (small(out_activation="identity"), {}),
    **{act: (lambda a=act: (small(a), {})) for act in
       ("relu", "leaky_relu", "prelu", "abs", "hardtanh", "sin", "gaussian", "elu", "softplus",
        "gelu", "identity", "sigmoid")},
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_source_compiles(case, tmp_path):
    net, options = CASES[case]()
    shader = nm.to_glsl(net, **options)
    assert shader.source.startswith("#version 300 es\n")
    assert ("uniform highp sampler2D u_weights" in shader.source) == (shader.storage == "texture")
    validate(shader.source, tmp_path)
    validate(shader.annotated(["a note"]), tmp_path)  # the CLI's file: comments after #version


@pytest.mark.parametrize("case", ["depth-8 inline", "xyrz", "cmap", "hsv"])
def test_the_shadertoy_source_compiles(case, tmp_path):
    net, options = CASES[case]()
    shader = nm.to_glsl(net, **options, shadertoy=True)
    assert "void mainImage(out vec4 fragColor, in vec2 fragCoord)" in shader.source
    assert "#version" not in shader.source and "uniform" not in shader.source
    assert shader.uniforms == {} and shader.storage == "inline"
    validate(shader.source, tmp_path, shadertoy=True)


def test_the_texture_holds_each_layer_where_the_shader_reads_it():
    """Row per unit, texel 0 its bias, texels 1… its weights 4 at a time; each layer's rows
    start at 4 × the 4-groups of units before it; the latent's columns after the coordinates."""
    net = small("relu", inputs=3 + 6, bias="all")
    shader = nm.to_glsl(net, z=np.zeros(6), storage="texture")
    tex = shader.weights
    linears = [m for m in net if isinstance(m, nn.Linear)]
    row = 0
    for i, layer in enumerate(linears):
        W = layer.weight.detach().numpy()
        b = layer.bias.detach().numpy()
        n_out, n_in = W.shape
        block = tex[row:row + n_out]
        np.testing.assert_array_equal(block[:, 0, 0], b.astype(np.float32))
        if i == 0:  # x, y, r in texel 1; z in texels 2, 3 (6 entries, padded to 8)
            np.testing.assert_array_equal(block[:, 1, :3], W[:, :3].astype(np.float32))
            np.testing.assert_array_equal(block[:, 2:4].reshape(n_out, 8)[:, :6], W[:, 3:].astype(np.float32))
        else:
            flat = block[:, 1:].reshape(n_out, -1)
            np.testing.assert_array_equal(flat[:, :n_in], W.astype(np.float32))
            assert not flat[:, n_in:].any()
        row += 4 * -(-n_out // 4)
    assert tex.shape[0] == row


def test_z_is_a_uniform_its_default_paints_the_given_z():
    z = [0.5, -0.25, 0.125]
    shader = nm.to_glsl(small(inputs=3 + 3), z=z)
    assert shader.uniforms["u_z"] == [*z, 0.0]
    assert len(shader.uniforms["u_walk"]) == 4 and shader.uniforms["u_time"] == 0.0
    drawn = nm.to_glsl(small(inputs=3 + 3), seed=7).uniforms["u_z"][:3]
    assert np.allclose(drawn, np.random.default_rng([7, 1]).uniform(-1, 1, 3))  # as paint draws it


def test_a_long_latent_is_folded_into_the_bias():
    shader = nm.to_glsl(small(inputs=3 + 200), seed=1)
    assert "u_z" not in shader.uniforms and "uniform vec4 u_z" not in shader.source


def test_the_output_range_follows_paints_rules():
    assert nm.to_glsl(small()).uniforms["u_range"] == [0.0, 1.0]
    assert nm.to_glsl(small(out_activation="tanh")).uniforms["u_range"] == [-1.0, 1.0]
    assert nm.to_glsl(small(), range=(-2, 3)).uniforms["u_range"] == [-2.0, 3.0]
    net = small(out_activation="identity")
    view = {"scale": 2.0, "center": (0.5, 0.0)}
    expected = list(picture_range(net, (64, 32), **view))
    assert nm.to_glsl(net, size=(64, 32), **view).uniforms["u_range"] == pytest.approx(expected)


def test_the_storage_rule():
    assert nm.to_glsl(net_of("depth-8"), inputs="xy").storage == "inline"
    assert nm.to_glsl(net_of("wide-8x32"), inputs="xy").storage == "inline"
    assert nm.to_glsl(net_of("pollock"), inputs="xy").storage == "texture"  # 34,180 > INLINE_TEXELS
    assert INLINE_TEXELS == 4096
    wide = nm.NetSpec(inputs=2, widths=[64] * 9, outputs=3).build()  # 8 × 64: the most in the code
    assert nm.to_glsl(wide, shadertoy=True).storage == "inline"
    with pytest.raises(TooLargeError, match="texture"):
        nm.to_glsl(net_of("pollock"), inputs="xy", shadertoy=True)
    with pytest.raises(SpecError, match="Shadertoy"):
        nm.to_glsl(small(), shadertoy=True, storage="texture")
    with pytest.raises(SpecError, match="storage"):
        nm.to_glsl(small(), storage="ubo")


def test_a_texture_shader_depends_on_the_architecture_only():
    """The lab compiles a texture shader once per architecture: a new seed is a new texture."""
    a, b = (nm.to_glsl(small(seed=s), storage="texture") for s in (1, 2))
    assert a.source == b.source and not np.array_equal(a.weights, b.weights)


def test_nets_it_cannot_draw_are_refused_with_one_line():
    with pytest.raises(SpecError, match="nn.Sequential of Linear"):
        nm.to_glsl(nn.Sequential(Maxout(2, 4), nn.Linear(4, 3)), inputs="xy")
    with pytest.raises(SpecError, match="nn.Sequential of Linear"):
        nm.to_glsl(nn.Sequential(nn.Linear(3, 4), nn.PReLU(4), nn.Linear(4, 3)))
    with pytest.raises(SpecError, match="outputs"):
        nm.to_glsl(nn.Sequential(nn.Linear(3, 2)))
    with pytest.raises(SpecError, match="cmap"):
        nm.to_glsl(small(), cmap="viridis")
    with pytest.raises(SpecError):
        nm.to_glsl(small(), inputs="xyz")
    with torch.no_grad():
        net = small()
        net[0].weight[0, 0] = float("inf")
    with pytest.raises(SpecError, match="finite"):
        nm.to_glsl(net)


def test_a_net_past_the_texture_side_is_too_large():
    net = nn.Sequential(nn.Linear(2, MAX_TEXTURE_SIDE + 4), nn.Tanh(), nn.Linear(MAX_TEXTURE_SIDE + 4, 3))
    with pytest.raises(TooLargeError, match="texture"):
        nm.to_glsl(net, storage="texture")
