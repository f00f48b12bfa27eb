"""nm.paint paints any net: 1 or 3 outputs, any output activation, a colormap, raw outputs; and
the CLI paints a saved net (--weights) and saves the one it paints (--save).

The references are computed here, independently: the pixel coordinates from the documented
convention (the shorter side spans [−0.5, 0.5] at pixel centres), the net evaluated with torch
in float64, the range of an unbounded output as the min and max over the image's own pixels
(what the documented 64 × 64 pre-pass sees for an image up to 64²)."""

import io
import json

import matplotlib
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.errors import NeuromosaicError, SpecError
from neuromosaic.layers import Sin
from neuromosaic.painting import PaintConfig
from neuromosaic.painting.render import output_bounds, paint


def coords(width: int, height: int) -> np.ndarray:
    """`(H, W, 2)` float64 (x, y) of every pixel centre, normalised coordinates."""
    side = min(width, height)
    xs = ((np.arange(width) + 0.5) - width / 2) / side
    ys = ((np.arange(height) + 0.5) - height / 2) / side
    return np.stack(np.meshgrid(xs, ys), axis=-1)


def direct(net: nn.Module, width: int, height: int) -> np.ndarray:
    """`(H, W, C)` float64: the net evaluated with torch on every pixel's (x, y)."""
    net64 = _copy64(net)
    with torch.no_grad():
        out = net64(torch.as_tensor(coords(width, height).reshape(-1, 2)))
    return out.numpy().reshape(height, width, -1)


def _copy64(net: nn.Module) -> nn.Module:
    import copy

    return copy.deepcopy(net).double().eval()


def relu_net(outputs: int = 1, seed: int = 0, last: nn.Module | None = None,
             centred: bool = True) -> nn.Sequential:
    """A ReLU net with an identity output (or ``last``); ``centred``: its output's last bias
    shifted so that the median over the picture is 0 (about half the pixels negative)."""
    torch.manual_seed(seed)
    layers = [nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, outputs)]
    for m in layers:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=2.0 / m.in_features ** 0.5)
            nn.init.normal_(m.bias, std=0.5)
    net = nn.Sequential(*layers)
    if centred:
        with torch.no_grad():
            v = net(torch.as_tensor(coords(32, 32).reshape(-1, 2), dtype=torch.float32))
            layers[-1].bias.sub_(v.median(dim=0).values)
    return nn.Sequential(*layers, *([last] if last is not None else []))


def levels(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.round(255 * np.clip((v - lo) / (hi - lo), 0, 1))


def test_one_output_relu_net_paints_gray_over_its_own_range():
    net = relu_net()
    w, h = 48, 40
    img = paint(net, (w, h))
    assert img.dtype == np.uint8 and img.shape == (h, w, 1)
    v = direct(net, w, h)[..., 0]
    assert v.min() < 0 < v.max()  # the outputs go negative
    want = levels(v, v.min(), v.max())
    assert np.abs(img[..., 0].astype(int) - want).max() <= 1
    assert img.min() == 0 and img.max() == 255
    negative = v < 0
    assert negative.sum() > 20 and (img[..., 0][negative] > 0).mean() > 0.9  # not clipped to black
    floats = paint(net, (w, h), output="float")
    np.testing.assert_allclose(floats[..., 0], (v - v.min()) / (v.max() - v.min()), atol=1e-5)
    assert (floats[..., 0][negative] > 0).mean() > 0.9


def test_same_bytes_whatever_workers_and_chunks():
    """The range is found once, so chunks and workers use one mapping (a 100-wide picture: the
    pre-pass takes 64 of its columns)."""
    net = relu_net(seed=3)
    for output in ("uint8", "float"):
        a = paint(net, (100, 40), workers=1, output=output)
        b = paint(net, (100, 40), workers=2, output=output)
        c = paint(net, (100, 40), workers=2, chunk_pixels=1, output=output)  # a row a chunk
        d = paint(net, (100, 40), workers=1, chunk_pixels=250, output=output)
        assert a.tobytes() == b.tobytes() == c.tobytes() == d.tobytes()


def test_range_maps_exactly():
    net = relu_net(seed=1)
    lo, hi = -0.5, 2.0
    raw = paint(net, 32, output="raw")
    got = paint(net, 32, range=(lo, hi), output="float")
    np.testing.assert_allclose(got, np.clip((raw.astype(np.float64) - lo) / (hi - lo), 0, 1),
                               rtol=0, atol=1e-6)
    img = paint(net, 32, range=(lo, hi))
    assert np.array_equal(img, np.round(got * np.float32(255)).astype(np.uint8))
    assert np.abs(img.astype(int) - levels(direct(net, 32, 32), lo, hi)).max() <= 1
    # an explicit range wins over the output activation's own
    sig = relu_net(seed=1, last=nn.Sigmoid())
    np.testing.assert_allclose(paint(sig, 16, range=(0.25, 0.75), output="float"),
                               np.clip((paint(sig, 16, output="raw") - 0.25) / 0.5, 0, 1), atol=1e-6)


@pytest.mark.parametrize("outputs", [1, 2, 3])
def test_raw_is_the_torch_forward_pass(outputs):
    net = relu_net(outputs)
    raw = paint(net, (40, 24), output="raw")
    assert raw.dtype == np.float32 and raw.shape == (24, 40, outputs)
    np.testing.assert_allclose(raw, direct(net, 40, 24), rtol=0, atol=1e-5)


@pytest.mark.parametrize("last", [nn.Tanh(), Sin(), nn.Softsign(), nn.Hardtanh()],
                         ids=["tanh", "sin", "softsign", "hardtanh"])
def test_signed_outputs_map_half_v_plus_one(last):
    net = relu_net(outputs=3, seed=2, last=last)
    v = direct(net, 32, 32)
    np.testing.assert_allclose(paint(net, 32, output="float"), np.clip((v + 1) / 2, 0, 1),
                               rtol=0, atol=1e-5)


def test_bounds_of_the_output_activations():
    lin = nn.Linear(2, 1)
    assert output_bounds(nn.Sequential(lin, nn.Sigmoid())) == (0.0, 1.0)
    assert output_bounds(nn.Sequential(lin, nn.Tanh())) == (-1.0, 1.0)
    assert output_bounds(nn.Sequential(lin, nn.ReLU6())) == (0.0, 6.0)
    assert output_bounds(nn.Sequential(lin, nn.Hardtanh(-2.0, 3.0))) == (-2.0, 3.0)
    assert output_bounds(nn.Sequential(lin, nn.ReLU())) is None
    assert output_bounds(nn.Sequential(lin)) is None


def test_constant_output_is_mid_gray():
    net = nn.Sequential(nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.fill_(-3.0)
    assert np.all(paint(net, 8, output="float") == 0.5)
    assert np.all(paint(net, 8) == 128)


def test_cmap_is_matplotlibs_colormap():
    net = relu_net(seed=4)
    img = paint(net, 32, cmap="viridis")
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    floats = paint(net, 32, output="float")
    assert floats.shape == (32, 32, 1)
    ref = matplotlib.colormaps["viridis"](floats[..., 0], bytes=True)[..., :3]
    assert np.abs(img.astype(int) - ref).max() <= 1
    assert np.array_equal(paint(net, 32, cmap="viridis", color="gray"), img)


@pytest.mark.parametrize("net_outputs,kwargs,needles", [
    (1, {"color": "rgb"}, ["color 'rgb' needs 3 outputs", "the net gives 1", "color='gray'"]),
    (1, {"color": "hsv"}, ["color 'hsv'", "color='gray'"]),
    (3, {"color": "gray"}, ["color 'gray' needs 1 output", "color='rgb'"]),
    (3, {"cmap": "viridis"}, ["cmap", "gives 3"]),
    (1, {"cmap": "viridis", "color": "rgb"}, ["cmap", "'rgb'"]),
    (1, {"cmap": "no-such-map"}, ["no-such-map", "viridis", "magma"]),
    (2, {}, ["2 outputs", "output='raw'"]),
    (1, {"range": (1.0, 1.0)}, ["range", "lo < hi"]),
    (1, {"output": "bytes"}, ["'raw'", "bytes"]),
])
def test_mismatches_are_one_line_naming_the_fix(net_outputs, kwargs, needles):
    with pytest.raises(SpecError) as err:
        paint(relu_net(net_outputs), 8, **kwargs)
    text = str(err.value)
    assert "\n" not in text and all(n in text for n in needles), text


def test_a_module_without_linear_needs_inputs():
    class Field(nn.Module):
        def forward(self, x):
            return torch.sigmoid(x[:, :1] * 4 - x[:, 1:2])

    with pytest.raises(SpecError, match="inputs='xy'"):
        paint(Field(), 8)
    raw = paint(Field(), (20, 12), inputs="xy", output="raw")
    xy = coords(20, 12)
    np.testing.assert_allclose(raw[..., 0], 1 / (1 + np.exp(-(xy[..., 0] * 4 - xy[..., 1]))),
                               atol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.trace: users still have traced nets
def test_a_traced_net_paints_as_the_net():
    net = relu_net(seed=5)
    traced = torch.jit.trace(net, torch.zeros(4, 2))
    assert np.array_equal(paint(traced, 24), paint(net, 24))
    tanh_net = relu_net(seed=5, last=nn.Tanh())
    assert np.array_equal(paint(torch.jit.trace(tanh_net, torch.zeros(4, 2)), 24),
                          paint(tanh_net, 24))


# -- the CLI ---------------------------------------------------------------------------------
def run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


NET_ARGS = ["--inputs", "xy", "--widths", "8,8", "--activation", "relu", "--out-activation",
            "identity", "--color", "gray", "--seed", "5", "--size", "32"]


def test_cli_save_then_weights_round_trip(tmp_path, capsys):
    a, b, net_file = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "net.safetensors"
    code, _, err = run(["paint", *NET_ARGS, "--save", net_file, "-o", a], capsys)
    assert code == 0, err
    code, _, err = run(["paint", "--weights", net_file, "--size", "32", "-o", b], capsys)
    assert code == 0, err
    pa, pb = np.asarray(Image.open(a)), np.asarray(Image.open(b))
    assert pa.shape == (32, 32) and np.array_equal(pa, pb)
    # the pixels are the net's, mapped over its own range
    net = PaintConfig(inputs="xy", widths=(8, 8), activation="relu", out_activation="identity",
                      color="gray", seed=5).net_spec().build(dtype=torch.float64)
    v = direct(net, 32, 32)[..., 0]
    assert v.min() < 0 and np.abs(pa.astype(int) - levels(v, v.min(), v.max())).max() <= 1

    # regions reads the same net: its affine maps give the net's outputs inside its regions
    rj = tmp_path / "r.json"
    code, out, err = run(["regions", "--weights", net_file, "--widths", "8,8", "--json", rj, "-q"],
                         capsys)
    assert code == 0, err
    data = json.loads(rj.read_text())
    assert data["count"] > 1
    for i in range(0, data["count"], max(1, data["count"] // 5)):
        s, t = np.mean(np.asarray(data["polygons"][i]), axis=0)  # inside: regions are convex
        point = (np.asarray(data["plane"]["origin"]) + s * np.asarray(data["plane"]["u"])
                 + t * np.asarray(data["plane"]["v"]))
        with torch.no_grad():
            want = net(torch.as_tensor(point).reshape(1, 2)).item()
        got = float(np.dot(data["grads"][i][0], [s, t]) + data["offsets"][i][0])
        assert abs(got - want) < 1e-9

    # a 3-output CPPN paints rgb from its weights too, and the cmap/range options apply
    c, d = tmp_path / "c.png", tmp_path / "d.png"
    assert run(["paint", "--size", "24", "--seed", "2", "--save", net_file, "-o", c], capsys)[0] == 0
    assert run(["paint", "--weights", net_file, "--size", "24", "-o", d], capsys)[0] == 0
    assert np.array_equal(np.asarray(Image.open(c)), np.asarray(Image.open(d)))


def test_cli_cmap_and_range_and_from(tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    code, _, err = run(["paint", "--size", "16", "--cmap", "magma", "--range", "0.2,0.8", "-o", a],
                       capsys)
    assert code == 0, err
    img = np.asarray(Image.open(a))
    assert img.shape == (16, 16, 3)
    cfg = PaintConfig(size=16, color="gray")
    floats = paint(cfg.net_spec().build(), 16, inputs="xyr", range=(0.2, 0.8), output="float")
    ref = matplotlib.colormaps["magma"](floats[..., 0], bytes=True)[..., :3]
    assert np.abs(img.astype(int) - ref).max() <= 1
    assert run(["paint", "--from", a, "-o", b], capsys)[0] == 0  # --from keeps cmap and range
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("args,needle", [
    (["--range", "1,0"], "--range"),
    (["--range", "1"], "--range"),
    (["--cmap", "nope"], "--cmap must be a matplotlib colormap"),
    (["--save", "{tmp}/net.pt"], ".safetensors"),
    (["--save", "{tmp}/missing/net.safetensors"], "does not exist"),
    (["--weights", "{tmp}/none.safetensors"], "does not exist"),
    (["--weights", "{net}", "--color", "rgb"], "--color gray or --cmap"),
    (["--weights", "{net}", "--recipe", "normal"], "not both"),
    (["--from", "{png}"], "--weights"),
])
def test_cli_errors_are_one_line(tmp_path, capsys, args, needle):
    net_file, png = tmp_path / "net.safetensors", tmp_path / "w.png"
    assert run(["paint", *NET_ARGS, "--size", "8", "--save", net_file, "-o", tmp_path / "n.png"],
               capsys)[0] == 0
    assert run(["paint", "--weights", net_file, "--size", "8", "-o", png], capsys)[0] == 0
    out = tmp_path / "x.png"
    args = [a.format(tmp=tmp_path, net=net_file, png=png) for a in args]
    code, _, err = run(["paint", "-o", out, "--size", "8", *args], capsys)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and needle in lines[0], err
    assert not out.exists() and not (tmp_path / "net.pt").exists()


def test_paint_default_color_follows_the_outputs():
    assert nm.paint(relu_net(3), 8).shape == (8, 8, 3)
    assert nm.paint(relu_net(1), 8).shape == (8, 8, 1)


# -- one range for a whole picture: PaintConfig, the canvas's tiles, animations --------------

def _identity_cfg(**kw):
    from neuromosaic.painting import PaintConfig

    return PaintConfig(size=32, layers=3, width=8, out_activation="identity", color="gray", seed=4, **kw)


def test_config_range_is_the_raw_outputs_extent_or_none_when_bounded():
    from neuromosaic.painting import PaintConfig, render_config
    from neuromosaic.painting.config import config_range
    from neuromosaic.painting.render import paint

    assert config_range(PaintConfig(size=32)) is None  # sigmoid
    cfg = _identity_cfg()
    raw = paint(cfg.net_spec().build(), 32, color="gray", output="raw")
    assert config_range(cfg) == pytest.approx((float(raw.min()), float(raw.max())), rel=1e-6)
    # the picture painted with its own range given is the picture painted without it
    assert np.array_equal(render_config(cfg), render_config(cfg.replace(range=config_range(cfg))))


def test_cmap_and_range_are_config_fields_that_survive_a_png(tmp_path):
    from neuromosaic.io.png import read_png_metadata
    from neuromosaic.painting import PaintConfig, config_from_metadata, png_bytes, render_config

    cfg = PaintConfig(size=24, out_activation="identity", cmap="magma", range=(-1, 2), seed=1)
    assert cfg.color == "gray" and cfg.range == (-1.0, 2.0)
    img = render_config(cfg)
    assert img.shape == (24, 24, 3)
    back = config_from_metadata(read_png_metadata(png_bytes(img, cfg)))
    assert back == cfg and np.array_equal(render_config(back), img)
    with pytest.raises(NeuromosaicError, match="range"):
        PaintConfig(range=(2, 1))
    with pytest.raises(NeuromosaicError, match="cmap"):
        PaintConfig(cmap="no-such-map")


def test_canvas_tiles_with_the_lab_range_tile_the_plane_of_an_unbounded_net():
    """Two tiles (scale = tile width, centre = tile centre) with the range the lab gives for the
    base view equal one painting of both with that range: the canvas shows one picture."""
    import warnings

    warnings.filterwarnings("ignore", message=".*httpx.*")
    from fastapi.testclient import TestClient
    from PIL import Image

    from neuromosaic.lab import create_app
    from neuromosaic.painting import PaintConfig, render_config

    q = {"layers": 3, "width": 8, "out_activation": "identity", "color": "gray", "seed": 4, "size": 32}
    with TestClient(create_app(), base_url="http://127.0.0.1") as c:
        rng = c.get("/api/paint/range", params=q).json()["range"]
        assert c.get("/api/paint/range", params={**q, "out_activation": "sigmoid"}).json()["range"] is None

        def tile(cx):
            r = c.get("/api/paint.png", params={**q, "size": 16, "scale": 0.5, "center": f"{cx},0",
                                                 "range": f"{rng[0]},{rng[1]}"})
            assert r.status_code == 200, r.text
            return np.asarray(Image.open(io.BytesIO(r.content)).convert("L"))

        left, right = tile(-0.25), tile(0.25)
    whole = render_config(PaintConfig(size="32x16", layers=3, width=8, out_activation="identity",
                                      color="gray", seed=4, scale=0.5, range=tuple(rng)))[..., 0]
    assert np.array_equal(np.concatenate([left, right], axis=1), whole)
    assert rng == pytest.approx(list(_config_range(q)), rel=1e-6)


def _config_range(q):
    from neuromosaic.painting import PaintConfig
    from neuromosaic.painting.config import config_range

    return config_range(PaintConfig(**q))


def test_a_zoom_of_an_unbounded_net_maps_every_frame_with_the_first_frames_range():
    from neuromosaic.painting.animate import zoom
    from neuromosaic.painting.config import config_range
    from neuromosaic.painting.render import paint

    cfg = _identity_cfg()
    frames = list(zoom(cfg, frames=3, factor=0.1, workers=1))
    rng = config_range(cfg)
    net = cfg.net_spec().build()
    for k, frame in enumerate(frames):
        s = cfg.scale * 0.1 ** (k / 2)
        want = paint(net, 32, scale=s, color="gray", range=rng, inputs=cfg.inputs, workers=1)
        assert np.array_equal(frame, want), k
