"""The article's claims about CPPN pictures, and the renderer's own truths."""

import colorsys

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm
from neuromosaic.errors import SpecError
from neuromosaic.painting import RECIPES, PaintConfig, render_config
from neuromosaic.painting.color import hsv_to_rgb
from neuromosaic.painting.render import compile_steps, paint, pixel_axes, run_steps


def _float_image(cfg: PaintConfig) -> np.ndarray:
    net = cfg.net_spec().build()
    return paint(net, cfg.size, inputs=cfg.inputs, scale=cfg.scale, output="float")


def _busyness(img: np.ndarray) -> float:
    """Mean absolute difference between horizontally and vertically neighbouring pixels."""
    return float(np.abs(np.diff(img, axis=0)).mean() + np.abs(np.diff(img, axis=1)).mean()) / 2


@pytest.mark.parametrize("seed", range(10))
def test_grey_goo_from_default_init(seed):
    """P1: with PyTorch's default init every pixel of 8×16 tanh is the same grey."""
    img = _float_image(PaintConfig(size=128, init="default", inputs="xy", seed=seed))
    assert img.std(axis=(0, 1)).max() < 1e-3
    assert abs(img.mean() - 0.5) < 0.1  # sigmoid(≈0) = 0.5: grey, not black or white


@pytest.mark.parametrize("seed", range(10))
def test_normal_init_paints_colour(seed):
    img = _float_image(PaintConfig(size=128, init="normal:1", inputs="xy", seed=seed))
    assert img.std(axis=(0, 1)).mean() > 0.2


def test_deeper_is_busier_and_depth_beats_width():
    """P6: busyness grows with depth 0 → 1 → 8 → 16 (width 16), and 16×16 beats 8×32."""
    def busy(**fields):
        return np.mean([_busyness(_float_image(PaintConfig(size=128, inputs="xy", init="normal:1",
                                                           seed=s, **fields))) for s in range(5)])

    depths = [busy(layers=d) for d in (0, 1, 8, 16)]
    assert depths == sorted(depths) and depths[0] < depths[-1] / 10, depths
    assert busy(layers=16, width=16) > busy(layers=8, width=32)


def test_bigger_render_is_the_same_picture():
    """Pixel centres of a 3× render at (3i+1, 3j+1) are the 1× render's pixel centres."""
    cfg = PaintConfig(size=64, seed=4)
    small = render_config(cfg).astype(int)
    big = render_config(cfg.replace(size=192)).astype(int)
    diff = np.abs(big[1::3, 1::3] - small)
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99


def test_non_square_is_centred_not_stretched():
    cfg = PaintConfig(size=(96, 48), seed=2)
    wide = render_config(cfg).astype(int)
    square = render_config(cfg.replace(size=48)).astype(int)
    assert wide.shape == (48, 96, 3)
    diff = np.abs(wide[:, 24:72] - square)
    assert diff.max() <= 1 and (diff == 0).mean() > 0.99


def test_pixel_axes_conventions():
    xs, ys = pixel_axes(4, 4)
    np.testing.assert_allclose(xs, [-0.375, -0.125, 0.125, 0.375])
    xs, ys = pixel_axes(3, 2, raw_coords=True, scale=2.0, center=(1.0, 0.0))
    np.testing.assert_allclose(xs, [1, 3, 5])
    np.testing.assert_allclose(ys, [0, 2])


@pytest.fixture(params=[True, False], ids=["folded", "numpy-tanh"])
def folding(request, monkeypatch):
    """Run a test with the fast mode's folded sigmoid forced on, then off (exact tanh)."""
    from neuromosaic.painting import render

    monkeypatch.setattr(render, "_folding_pays", lambda device: request.param)
    return request.param


def test_tanh_paths_are_within_1e6_of_tanh(folding):
    """The folded sigmoid 2σ(2a) − 1, and the exact path's tanh, against float64 tanh for one
    unit over a wide dense range."""
    lin = nn.Linear(1, 1)
    with torch.no_grad():
        lin.weight.fill_(1.0)
        lin.bias.zero_()
    a = torch.linspace(-20, 20, 400_001).unsqueeze(1)
    for fast in (True, False):
        steps = compile_steps(nn.Sequential(lin, nn.Tanh()), fast=fast, device="cpu")
        got = run_steps(steps, a).double()
        assert (got - torch.tanh(a.double())).abs().max().item() < 1e-6


@pytest.mark.parametrize("recipe, bound", [("normal", 1), ("depth-16", 2), ("uniform100", 1),
                                           ("pollock", 1), ("halving", 1)])
def test_fast_mode_moves_no_channel_by_more_than_its_bound(recipe, bound, folding):
    """The folded tanh's error (< 1e-6 a unit) grows with depth: at most 1 level on the
    article's 9 tanh layers, 2 on the 17 of depth-16."""
    cfg = RECIPES[recipe].config(size=96)
    exact = render_config(cfg).astype(int)
    fast = render_config(cfg.replace(fast=True)).astype(int)
    assert np.abs(exact - fast).max() <= bound


def test_exact_mode_is_the_torch_forward_pass():
    """The renderer's output equals ``net(coordinates)`` (up to float32 rounding)."""
    cfg = RECIPES["normal"].config(size=48)
    net = cfg.net_spec().build()
    got = paint(net, 48, inputs="xy", output="float")
    xs, ys = pixel_axes(48, 48)
    coords = torch.tensor(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2), dtype=torch.float32)
    with torch.no_grad():
        ref = net(coords).numpy().reshape(48, 48, 3)
    assert np.abs(got - ref).max() < 1e-4


def test_same_bytes_whatever_the_worker_count():
    net = nm.NetSpec(seed=9).build()
    a = paint(net, 80, workers=1, chunk_pixels=500)
    b = paint(net, 80, workers=2, chunk_pixels=500)
    assert np.array_equal(a, b)


def test_colour_modes():
    gray = render_config(PaintConfig(size=32, color="gray"))
    assert gray.shape == (32, 32, 1)
    hsv = render_config(PaintConfig(size=32, color="hsv"))
    assert hsv.shape == (32, 32, 3)
    rng = np.random.default_rng(0)
    v = rng.random((200, 3))
    ref = np.array([colorsys.hsv_to_rgb(*row) for row in v])
    np.testing.assert_allclose(hsv_to_rgb(torch.tensor(v)).numpy(), ref, atol=1e-12)


def test_latent_inputs_change_the_picture_and_zero_hidden_layers_work():
    cfg = PaintConfig(size=48, inputs="xyrz", z_dim=4, seed=1)
    a = render_config(cfg)
    b = render_config(cfg.replace(z=(0.9, -0.9, 0.5, 0.1)))
    assert not np.array_equal(a, b)
    assert render_config(PaintConfig(size=16, layers=0)).shape == (16, 16, 3)


def test_any_torch_module_can_paint():
    """A net that is not a plain Linear chain is called as is."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return torch.sigmoid(self.lin(x) * 5)

    img = paint(Net(), 16)
    assert img.dtype == np.uint8 and img.shape == (16, 16, 3) and img.std() > 0


@pytest.mark.parametrize("kwargs,needle", [
    ({"size": 0}, "size"), ({"size": "abc"}, "abc"), ({"size": "10x-3"}, "size"),
    ({"color": "cmyk"}, "cmyk"), ({"scale": 0.0}, "scale"), ({"inputs": "xyz"}, "xyz"),
    ({"device": "tpu"}, "tpu"),
])
def test_bad_render_values(kwargs, needle):
    net = nm.NetSpec().build()
    with pytest.raises(SpecError) as err:
        paint(net, **{"size": 8, **kwargs})
    assert needle in str(err.value)


def test_too_large_is_refused_before_allocating():
    with pytest.raises(nm.NeuromosaicError, match="size"):
        PaintConfig(size=70000)
    with pytest.raises(nm.NeuromosaicError, match="GiB"):
        paint(nm.NetSpec().build(), (65000, 65000))


def test_paint_result_shows_inline_in_a_notebook():
    img = nm.paint(nm.NetSpec().build(), 24)
    png = img._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and isinstance(img, np.ndarray) and img.dtype == np.uint8


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine")
@pytest.mark.parametrize("recipe", ["normal", "uniform3", "depth-16"])
def test_cuda_paints_what_the_cpu_paints(recipe):
    """The GPU render against the CPU's fused kernel: every pixel within 1 level, ≥ 99.9 % equal."""
    cfg = RECIPES[recipe].config(size=256)
    cpu = render_config(cfg.replace(device="cpu")).astype(int)
    for fast in (False, True):
        gpu = render_config(cfg.replace(device="cuda", fast=fast)).astype(int)
        assert np.abs(cpu - gpu).max() <= 1
        assert (cpu == gpu).mean() >= 0.999


def test_cuda_without_a_gpu_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SpecError, match="no CUDA GPU"):
        render_config(PaintConfig(size=8, device="cuda"))
