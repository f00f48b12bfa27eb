"""The fused paint kernel and its vectorisable activations, against float64 references."""

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm
from neuromosaic.layers import Abs, Gaussian, Sin
from neuromosaic.painting import RECIPES, render
from neuromosaic.painting.color import to_uint8, to_unit
from neuromosaic.painting.kernel import plan
from neuromosaic.painting.render import paint, pixel_axes
from neuromosaic.painting.vmath import APPLY, SIN_LIMIT
from neuromosaic.painting.vmath import ulps as _ulps

F32 = np.float32


def _inputs(n: int = 10_000_000) -> np.ndarray:
    """``n`` float32 values with uniformly random bits (every exponent, both signs, as often),
    plus a dense sweep of [−20, 20] and the edge values."""
    bits = np.random.default_rng(20261202).integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    x = bits.view(F32)
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 0.625, -0.625, 9.01, 9.5, 87.0, -87.0,
                      88.7, -88.7, SIN_LIMIT, -SIN_LIMIT, np.finfo(F32).max, np.finfo(F32).tiny,
                      np.finfo(F32).smallest_subnormal], F32)
    return np.concatenate([x, np.linspace(-20, 20, 400_001, dtype=F32), edges])


def _apply(name: str, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    APPLY[name](x, out)
    return out


REFS = {  # name: (float64 reference, the domain of the bound, the bound in ulp)
    "tanh": (np.tanh, lambda x: x == x, 1.0),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x: x >= -87, 1.0),
    "gaussian": (lambda x: np.exp(-x * x), lambda x: x * x < 87, 1.0),
    "sin": (np.sin, lambda x: np.abs(x) <= SIN_LIMIT, 1.0),
    "tanh_fast": (np.tanh, lambda x: np.abs(x) > 1e-3, 7.0),
    "sigmoid_fast": (lambda x: 1 / (1 + np.exp(-x)), lambda x: x >= -87, 2.5),
}


@pytest.mark.parametrize("name", sorted(REFS))
def test_activation_is_within_its_ulp_bound_over_every_exponent(name):
    ref_fn, domain, bound = REFS[name]
    x = _inputs()
    with np.errstate(invalid="ignore"):
        x = x[domain(x.astype(np.float64)) | np.isnan(x)]
    got = _apply(name, x)
    with np.errstate(all="ignore"):
        ref = ref_fn(x.astype(np.float64))
    nan = np.isnan(x)
    assert np.isnan(got[nan]).all()
    err = _ulps(got[~nan], ref[~nan])
    assert err.max() <= bound, (name, x[~nan][err.argmax()], err.max())


def test_tanh_limits_and_signs():
    x = np.array([np.inf, -np.inf, 30.0, -30.0, 0.0, -0.0, 1e-30], F32)
    got = _apply("tanh", x)
    assert got.tolist()[:4] == [1.0, -1.0, 1.0, -1.0]
    assert np.signbit(got[5]) and got[4] == 0 and got[6] == F32(1e-30)


def test_sigmoid_below_its_range_is_zero_and_far_above_is_one():
    got = _apply("sigmoid", np.array([-200.0, -90.0, 200.0, 0.0], F32))
    assert got.tolist() == [0.0, 0.0, 1.0, 0.5]


def test_fast_tanh_is_within_its_absolute_bound():
    """``--fast``'s rational tanh: ≤ 4.1e-7 from tanh everywhere (docs/painting.md)."""
    x = _inputs()
    x = x[~np.isnan(x)]
    got = _apply("tanh_fast", x).astype(np.float64)
    assert np.abs(got - np.tanh(x.astype(np.float64))).max() <= 4.1e-7


# -- the kernel -------------------------------------------------------------------------------
def _reference_u8(net: nn.Module, size: int, **view) -> np.ndarray:
    """The picture in float64 throughout: coordinates, the net, the colour mapping."""
    xs, ys = pixel_axes(size, size, **view)
    xx, yy = np.meshgrid(xs, ys)
    coords = torch.tensor(np.stack([xx, yy], -1).reshape(-1, 2), dtype=torch.float64)
    with torch.no_grad():
        out = net.double()(coords)
    net.float()
    return to_uint8(to_unit(out, 0.0, 1.0), "rgb").numpy().reshape(size, size, 3)


def _torch_u8(net: nn.Module, size: int) -> np.ndarray:
    """torch's own float32 forward pass of the picture."""
    xs, ys = pixel_axes(size, size)
    xx, yy = np.meshgrid(xs, ys)
    coords = torch.tensor(np.stack([xx, yy], -1).reshape(-1, 2), dtype=torch.float32)
    with torch.no_grad():
        out = net(coords)
    return to_uint8(to_unit(out, 0.0, 1.0), "rgb").numpy().reshape(size, size, 3)


@pytest.mark.parametrize("recipe", ["pollock", "depth-16", "uniform3", "normal"])
def test_kernel_pixels_are_as_exact_as_torch_float32(recipe):
    """Against a float64 render: every pixel within 1 level, and as many pixels equal as
    torch's own float32 forward pass gets. The kernel does torch's arithmetic in torch's
    order (a GEMM's fused multiply-adds from 0, then the bias), so the two differ only where
    a tanh rounds differently; the share may then differ either way by a few pixels in 10⁵
    (measured on 21 gallery nets: 99.8445 % against 99.8447 % on average), hence the 1e-4."""
    cfg = RECIPES[recipe].config(size=256)
    net = cfg.net_spec().build()
    assert plan(net, "xy", np.zeros(0)) is not None
    ref = _reference_u8(net, 256).astype(int)
    ours = paint(net, 256, inputs="xy").astype(int)
    theirs = _torch_u8(net, 256).astype(int)
    assert np.abs(ours - ref).max() <= 1
    assert (ours == ref).mean() >= (theirs == ref).mean() - 1e-4, ((ours == ref).mean(),
                                                                  (theirs == ref).mean())


@pytest.mark.parametrize("recipe, bound", [("normal", 1), ("uniform3", 1), ("depth-16", 2)])
def test_fast_kernel_stays_within_its_bound_of_float64(recipe, bound):
    """``--fast``: a tanh ≤ 4.1e-7 off a unit; against a float64 render, 1 level on the article's
    9 tanh layers, 2 on the 17 of depth-16 (its errors grow with depth)."""
    cfg = RECIPES[recipe].config(size=128)
    net = cfg.net_spec().build()
    ref = _reference_u8(net, 128).astype(int)
    fast = paint(net, 128, inputs="xy", fast=True).astype(int)
    assert np.abs(fast - ref).max() <= bound


ACTS = [nn.Tanh(), nn.Sigmoid(), nn.ReLU(), nn.LeakyReLU(0.2), nn.PReLU(init=0.3), nn.Hardtanh(-0.5, 0.7),
        nn.ReLU6(), Abs(), Sin(), Gaussian(), nn.Identity()]


@pytest.mark.parametrize("act", ACTS, ids=lambda a: type(a).__name__)
@pytest.mark.parametrize("inputs", ["xy", "xyr", "xyrz"])
def test_every_kernel_activation_and_input_mode_is_the_forward_pass(act, inputs, monkeypatch):
    torch.manual_seed(3)
    d = {"xy": 2, "xyr": 3, "xyrz": 6}[inputs]
    net = nn.Sequential(nn.Linear(d, 7), act, nn.Linear(7, 5), type(act)() if not isinstance(
        act, (nn.LeakyReLU, nn.Hardtanh, nn.PReLU)) else act, nn.Linear(5, 3), nn.Sigmoid())
    for p in net.parameters():
        torch.nn.init.normal_(p, std=1.5)
    z = (0.3, -0.7, 0.9) if inputs == "xyrz" else None
    assert plan(net, inputs, np.zeros(3 if z else 0)) is not None
    ours = paint(net, (37, 21), inputs=inputs, z=z, output="raw", scale=3.0)
    monkeypatch.setattr(render, "_fused_plan", lambda *a: None)
    theirs = paint(net, (37, 21), inputs=inputs, z=z, output="raw", scale=3.0)
    np.testing.assert_allclose(ours, theirs, atol=2e-5, rtol=1e-5)


def test_sin_past_its_range_falls_back_to_the_library_sin():
    """Arguments up to 5000 > SIN_LIMIT: the tile takes the library sin, so the picture is
    sin of the same float32 arguments (a single product each: no rounding-order difference)."""
    net = nn.Sequential(nn.Linear(2, 1), Sin())
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1e4, 0.0]]))
        net[0].bias.zero_()
    xs, _ = pixel_axes(16, 16)
    ours = paint(net, 16, output="raw")[0, :, 0]
    np.testing.assert_allclose(ours, np.sin((np.float32(1e4) * xs.astype(F32)).astype(np.float64)),
                               atol=1.2e-7)


@pytest.mark.parametrize("net", [
    nn.Sequential(nn.Linear(2, 4), nn.ELU(), nn.Linear(4, 3)),
    nn.Sequential(nn.Linear(2, 4), nn.PReLU(4), nn.Linear(4, 3)),
    nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Tanh(), nn.Linear(4, 3)),
    nn.Sequential(nn.Tanh(), nn.Linear(2, 3)),
], ids=["elu", "prelu-per-unit", "two-activations", "activation-first"])
def test_other_nets_keep_the_torch_path(net):
    assert plan(net, "xy", np.zeros(0)) is None
    assert paint(net, 8).shape == (8, 8, 3)


def test_kernel_bytes_do_not_depend_on_workers_or_chunks():
    net = RECIPES["normal"].config().net_spec().build()
    a = paint(net, (300, 77), inputs="xy", workers=1, chunk_pixels=999)
    b = paint(net, (300, 77), inputs="xy", workers=2, chunk_pixels=16384)
    assert np.array_equal(a, b)


def test_non_finite_units_do_not_leak_into_padding(monkeypatch):
    """A unit at +inf in the buffer, times a zero-padded weight of a later layer, would be NaN:
    the buffer rows past each layer's width are zeroed, so the picture is torch's."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 5), nn.Sigmoid(), nn.Linear(5, 3))
    with torch.no_grad():
        net[0].bias[6] = float("inf")
    ours = paint(net, 8, output="raw")
    monkeypatch.setattr(render, "_fused_plan", lambda *a: None)
    theirs = paint(net, 8, output="raw")
    assert np.isfinite(theirs).all() and np.isfinite(ours).all()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_the_article_net_is_planned_with_its_bias_on_the_first_layer_only():
    net = nm.NetSpec(inputs=2, widths=[16] * 9, outputs=3, bias="first", init="normal:1").build()
    p = plan(net, "xy", np.zeros(0))
    assert p.dims.tolist() == [2] + [16] * 9 + [3]
    assert np.count_nonzero(p.b[1:]) == 0 and np.count_nonzero(p.b[0]) > 0
