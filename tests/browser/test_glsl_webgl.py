"""The painter's shader (``nm.to_glsl``) drawn by WebGL2 in headless chromium, against ``nm.paint``.

SwiftShader's software WebGL2 is enough: float32 on any GPU is not bit-equal to the CPU, so a
pixel agrees when every channel is within 2/255, and a picture when ≥ 99.9 % of its pixels do.
The shader is drawn by the lab's own ``static/webgl.js`` (loaded into a blank page), so the test
covers the code the Paint and canvas panels run. Skipped with a reason where chromium or WebGL2
is missing.
"""

import base64
import time

import numpy as np
import pytest
import torch
from browser_helpers import recording_page
from torch import nn

import neuromosaic as nm
from neuromosaic.lab.app import STATIC
from neuromosaic.painting.glsl import Shader
from neuromosaic.painting.recipes import RECIPES

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
WEBGL_ARGS = ["--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
              "--no-first-run", "--disable-background-networking", "--disable-component-update",
              "--disable-sync"]
TOLERANCE = 2  # 8-bit levels a channel may differ by
AGREE = 0.999  # share of pixels within the tolerance

LOAD = """async (source) => {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  window.webgl = await import(url);
  return window.webgl.gpuPainter() !== null;
}"""

DRAW = """([shader, width, height]) => {
  const painter = window.webgl.gpuPainter();
  painter.draw(window.webgl.decodeShader(shader), width, height);
  const px = painter.pixels();
  let text = "";
  for (let i = 0; i < px.length; i += 32768) text += String.fromCharCode(...px.subarray(i, i + 32768));
  return btoa(text);
}"""

FRAMES = """([shader, side, frames]) => {
  const painter = window.webgl.gpuPainter(), s = window.webgl.decodeShader(shader);
  const one = new Uint8Array(4), gl = painter.gl;
  painter.draw(s, side, side);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, one);  // compiled, uploaded, drawn once
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    painter.draw(s, side, side, { u_scale: 1 + i / 100 });
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, one);  // wait for the frame
  }
  return frames / ((performance.now() - t0) / 1000);
}"""


@pytest.fixture(scope="module")
def gl_browser(playwright_instance):
    """A chromium with SwiftShader's WebGL, from the session's one Playwright (tests/conftest.py:
    a second ``sync_playwright()`` beside it would not start)."""
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=WEBGL_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def gl_page(gl_browser):
    """A blank page with the lab's webgl.js loaded as ``window.webgl``."""
    page = gl_browser.new_page()
    page.goto("about:blank")
    if not page.evaluate(LOAD, (STATIC / "webgl.js").read_text(encoding="utf-8")):
        pytest.skip("this chromium has no WebGL2 (not even SwiftShader's)")
    yield page
    page.close()


@pytest.fixture
def lab_page(gl_page, gl_browser, lab_url):
    """A fresh page of the lab (in the WebGL2 browser) that records errors and requests."""
    context, page = recording_page(gl_browser, 1100, 800)
    yield page
    context.close()


def shader_json(shader: Shader) -> dict:
    """The JSON the lab's /api/paint/glsl sends for ``shader``."""
    w, h = shader.texture_size
    data = base64.b64encode(shader.weights.astype("<f4").tobytes()).decode()
    return {"source": shader.source, "uniforms": shader.uniforms,
            "texture": {"width": w, "height": h, "data": data}}


def gpu_image(page, shader, width: int, height: int) -> np.ndarray:
    """`(H, W, 4)` uint8 of ``shader`` drawn by WebGL2, row 0 at the top."""
    raw = base64.b64decode(page.evaluate(DRAW, [shader_json(shader), width, height]))
    return np.frombuffer(raw, np.uint8).reshape(height, width, 4)[::-1]


def agreement(gpu: np.ndarray, cpu: np.ndarray) -> tuple[float, int, float]:
    """(share of pixels within TOLERANCE in every channel, the largest difference, share equal)."""
    if cpu.shape[2] == 1:
        assert (gpu[..., 0] == gpu[..., 1]).all() and (gpu[..., 0] == gpu[..., 2]).all()
    diff = np.abs(gpu[..., :cpu.shape[2]].astype(int) - cpu.astype(int)).max(axis=2)
    return float((diff <= TOLERANCE).mean()), int(diff.max()), float((diff == 0).mean())


def compare(page, net, size, **options):
    """Draw ``net`` with WebGL2 and with ``nm.paint`` at ``size`` and measure the agreement."""
    w, h = (size, size) if isinstance(size, int) else size
    paint_opts = {k: v for k, v in options.items() if k != "storage"}
    cpu = nm.paint(net, (w, h), workers=1, device="cpu", **paint_opts)
    gpu = gpu_image(page, nm.to_glsl(net, size=(w, h), **options), w, h)
    assert (gpu[..., 3] == 255).all()
    return agreement(gpu, cpu)


GALLERY = [("normal", 0, 128), ("normal", 1, 128), ("normal", 2, 128), ("normal", 3, 128),
           ("uniform3", 0, 128), ("depth-0", 0, 128), ("depth-1", 0, 128), ("depth-8", 0, 128),
           ("depth-16", 0, 128), ("wide-8x32", 0, 128), ("mondrian", 0, 128), ("grey-goo", 0, 128),
           ("uniform100", 0, 128), ("uniform100-raw", 0, 128), ("halving", 0, 96),
           ("pollock", 0, 64)]


@pytest.mark.parametrize(("recipe", "seed", "size"), GALLERY, ids=[f"{r}-{s}" for r, s, _ in GALLERY])
@pytest.mark.parametrize("storage", ["auto", "texture"])
def test_the_gallerys_nets_agree_with_paint(gl_page, recipe, seed, size, storage):
    """Every recipe of the gallery (Neuro-Pollock, 8 × 128, the largest: a texture either way)."""
    cfg = RECIPES[recipe].config(seed=seed)
    net = cfg.net_spec().build()
    share, worst, equal = compare(gl_page, net, size, inputs=cfg.inputs, scale=cfg.scale,
                                  center=cfg.center, raw_coords=cfg.raw_coords, storage=storage)
    print(f"{recipe} seed {seed} {size}² ({storage}): {share:.4%} within {TOLERANCE}/255, "
          f"{equal:.4%} equal, worst {worst}/255")
    assert share >= AGREE


def small_net(activation="tanh", *, inputs=3, outputs=3, out_activation="sigmoid", seed=0, **fields):
    return nm.NetSpec(inputs=inputs, widths=[12] * 4, outputs=outputs, activation=activation,
                      out_activation=out_activation, init="normal:1", seed=seed, **fields).build()


OPTIONS = {
    "xyrz-latent": lambda: (small_net(inputs=3 + 8), {"z": np.linspace(-1, 1, 8)}),
    "xyrz-from-seed": lambda: (small_net(inputs=3 + 5), {"seed": 4}),
    "xyrz-folded": lambda: (small_net(inputs=3 + 200), {"seed": 2}),  # past Z_UNIFORM_MAX
    "hsv": lambda: (small_net(), {"color": "hsv"}),
    "gray": lambda: (small_net(outputs=1), {}),
    "cmap": lambda: (small_net(outputs=1), {"cmap": "viridis"}),
    "tanh-out": lambda: (small_net(out_activation="tanh"), {}),
    "unbounded-range": lambda: (small_net(out_activation="identity"), {"range": (-3.0, 2.0)}),
    "non-square-pan": lambda: (small_net(), {"scale": 2.5, "center": (0.3, -0.2)}),
    "bias-none": lambda: (small_net(bias="none"), {}),
    "bias-first-xy": lambda: (small_net(bias="first", inputs=2), {}),
    "xyrz-texture": lambda: (small_net(inputs=3 + 6), {"storage": "texture"}),
    "cmap-texture": lambda: (small_net(outputs=1), {"cmap": "magma", "storage": "texture"}),
}
ACTIVATIONS = ["relu", "leaky_relu", "prelu", "abs", "hardtanh", "sin", "gaussian", "sigmoid",
               "elu", "softplus", "gelu", "identity"]


@pytest.mark.parametrize("case", list(OPTIONS))
def test_every_option_agrees_with_paint(gl_page, case):
    net, options = OPTIONS[case]()
    size = (160, 96) if case == "non-square-pan" else 96
    share, worst, equal = compare(gl_page, net, size, **options)
    print(f"{case}: {share:.4%} within {TOLERANCE}/255, {equal:.4%} equal, worst {worst}/255")
    assert share >= AGREE


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_agrees_with_paint(gl_page, activation):
    share, worst, equal = compare(gl_page, small_net(activation), 64)
    print(f"{activation}: {share:.4%} within {TOLERANCE}/255, {equal:.4%} equal, worst {worst}/255")
    assert share >= AGREE


def test_gelu_tanh_and_relu6_agree_with_paint(gl_page):
    net = nn.Sequential(nn.Linear(3, 12), nn.GELU(approximate="tanh"), nn.Linear(12, 12), nn.ReLU6(),
                        nn.Linear(12, 3), nn.Sigmoid())
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 1.5, generator=torch.Generator().manual_seed(p.numel()))
    share, _, _ = compare(gl_page, net, 64)
    assert share >= AGREE


def test_the_latent_walk_moves_with_time_and_starts_at_the_painting(gl_page):
    net = small_net(inputs=3 + 4)
    shader = nm.to_glsl(net, z=[0.1, -0.2, 0.3, 0.5], size=64)
    still = gpu_image(gl_page, shader, 64, 64)
    later = shader.uniforms | {"u_time": 2.0}  # a quarter of the loop: z = u_walk
    moved = gpu_image(gl_page, Shader(shader.source, shader.weights, later, shader.storage), 64, 64)
    walked = nm.paint(net, 64, z=shader.uniforms["u_walk"], workers=1, device="cpu")
    assert np.abs(still.astype(int) - moved.astype(int)).mean() > 1
    assert agreement(moved, walked)[0] >= AGREE


@pytest.mark.parametrize(("storage", "frames"), [("inline", 3), ("texture", 1)])
def test_frame_rate_at_1024(gl_page, storage, frames):
    """The article's 8 × 16 net at 1024², its weights in the code (what a small net gets) or in a
    texture: a sanity figure for software WebGL (nothing asserted but that frames come)."""
    net = RECIPES["depth-8"].config().net_spec().build()
    shader = shader_json(nm.to_glsl(net, inputs="xy", size=1024, storage=storage))
    start = time.perf_counter()
    fps = gl_page.evaluate(FRAMES, [shader, 1024, frames])
    renderer = gl_page.evaluate("() => window.webgl.gpuPainter().renderer")
    print(f"\ndepth-8 (8 × 16, {storage}) at 1024²: {fps:.3g} frames/s on {renderer} "
          f"({time.perf_counter() - start:.1f} s in all)")
    assert fps > 0


SHOWN = """img => { const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight; const g = c.getContext('2d');
    g.drawImage(img, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
    let t = ''; for (let i = 0; i < d.length; i += 32768) t += String.fromCharCode(...d.subarray(i, i + 32768));
    return [c.width, c.height, btoa(t)]; }"""
CANVAS = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let t = ''; for (let i = 0; i < d.length; i += 32768) t += String.fromCharCode(...d.subarray(i, i + 32768));
    return [c.width, c.height, btoa(t)]; }"""


def rgba(answer) -> np.ndarray:
    w, h, data = answer
    return np.frombuffer(base64.b64decode(data), np.uint8).reshape(h, w, 4)


def test_the_paint_panel_draws_on_the_gpu_as_the_server_paints(lab_page, lab_url):
    from neuromosaic.lab.models import PaintQuery
    from neuromosaic.painting import render_config

    page = lab_page
    page.goto(f"{lab_url}/#paint?seed=3&layers=5&inputs=xyrz&z_dim=3")
    page.wait_for_selector("#paint-image[data-query]")
    assert page.get_attribute("#paint-image", "data-renderer") == "server"  # software WebGL: off
    page.check("#panel-paint input[name=gpu]")
    page.wait_for_selector("#paint-image[data-renderer=gpu]", timeout=60_000)
    assert "drawn by the GPU" in page.inner_text("#paint-status")
    query = dict(p.split("=") for p in page.get_attribute("#paint-image", "data-query").split("&"))
    cfg = PaintQuery(**{**query, "fast": "false"}).config()
    shown = rgba(page.locator("#paint-image").evaluate(SHOWN))
    share, worst, _ = agreement(shown, render_config(cfg))
    print(f"\nPaint panel on the GPU: {share:.4%} of pixels within {TOLERANCE}/255 (worst {worst})")
    assert share >= AGREE

    seen = len(page.requests)
    asked = [u for u in page.requests if "/api/paint/glsl" in u]
    slider = page.locator("#panel-paint input[name=scale]")  # the view: uniforms, no request
    slider.focus()
    slider.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#paint-image').dataset.query.includes('scale=')")
    page.locator("#panel-paint input[name=seed]").fill("4")  # a new net: a new shader
    page.locator("#panel-paint input[name=seed]").dispatch_event("change")
    page.wait_for_function("() => document.querySelector('#paint-image').dataset.query.includes('seed=4')")
    shaders = [u for u in page.requests if "/api/paint/glsl" in u]
    assert len(shaders) == len(asked) + 1 and "seed=4" in shaders[-1]
    assert not any("/api/paint.png" in u for u in page.requests[seen:])  # all drawn on the GPU

    page.uncheck("#panel-paint input[name=gpu]")  # the switch: back to the server
    page.wait_for_selector("#paint-image[data-renderer=server]", timeout=60_000)
    assert any("/api/paint.png" in u for u in page.requests)
    assert page.errors == []


def test_the_canvas_panel_draws_the_view_on_the_gpu(lab_page, lab_url):
    page = lab_page
    page.goto(f"{lab_url}/#canvas?x=0.1&y=-0.05&span=0.6&layers=4&seed=2")
    page.wait_for_selector("#canvas-view[data-ready=true]", timeout=60_000)
    page.check("#panel-canvas input[name=gpu]")
    page.wait_for_function("() => document.querySelector('#canvas-status').textContent.includes('GPU')"
                           " && document.querySelector('#canvas-view').dataset.ready === 'true'",
                           timeout=60_000)
    shown = rgba(page.locator("#canvas-view").evaluate(CANVAS))
    h, w = shown.shape[:2]
    net = nm.PaintConfig(layers=4, seed=2).net_spec().build()
    expected = nm.paint(net, (w, h), scale=0.6, center=(0.1, -0.05), workers=1, device="cpu")
    share, worst, _ = agreement(shown, expected)
    print(f"\ncanvas panel on the GPU ({w}×{h}): {share:.4%} within {TOLERANCE}/255 (worst {worst})")
    assert share >= AGREE
    assert page.errors == []
