"""The four widgets in a real JupyterLab, driven by Playwright in Debian's chromium: each draws,
a moved control changes the picture, and the kernel-side value equals the library's result
(pixels, region counts, the trained net's loss). Skipped with a reason when JupyterLab,
anywidget, Playwright or chromium is missing. With NEUROMOSAIC_DOCS_IMG=docs/img the widgets'
screenshots are also written there, for the README."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from neuromosaic.io.png import read_png_metadata

pytest.importorskip("jupyterlab", reason="jupyterlab is not installed (pip install -e '.[dev]')")
pytest.importorskip("anywidget", reason="anywidget is not installed (pip install -e '.[notebook]')")
pytest.importorskip("ipykernel", reason="ipykernel is not installed")
nbformat = pytest.importorskip("nbformat")
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

from widget_jupyterlab import ARGS, CHROMIUM, JupyterLab, kernel_json  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
WAIT = 90_000  # ms: generous, the machine may be busy; nothing here is timed

CELLS = [
    "import neuromosaic as nm\nfrom neuromosaic import widgets\nfrom neuromosaic.painting import render_config\n"
    "p = widgets.Paint(nm.PaintConfig(layers=4, width=12, seed=3))\np",
    "r = widgets.Regions(nm.NetSpec(inputs=2, widths=[16, 16], outputs=1, activation='relu',\n"
    "                               out_activation='identity', init='default', seed=4), (-1, 1, -1, 1))\nr",
    "f = widgets.Fit('paraboloid', hidden=(8, 8), speed=20, steps=2000)\nf",
    "c = widgets.Canvas(nm.PaintConfig(seed=1, layers=6))\nc",
]


def save_screenshot(locator, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"widget_{name}.png"
    locator.screenshot(path=str(path))
    docs = os.environ.get("NEUROMOSAIC_DOCS_IMG")
    if docs:  # full colour (a painting's gradients band in 256), unless that is over ~300 KB
        from PIL import Image

        out = Path(docs) / path.name
        image = Image.open(path).convert("RGB")
        image.save(out, optimize=True)
        if out.stat().st_size > 300_000:
            image.quantize(colors=256).save(out, optimize=True)


def pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebooks")
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, root / "widgets.ipynb")
    server = JupyterLab(root)
    try:
        server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def page(lab, playwright_instance):
    # the session's one Playwright (tests/conftest.py): a second one would not start
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    context = browser.new_context(viewport={"width": 1600, "height": 1500})
    pg = context.new_page()
    pg.errors, pg.requests = [], []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.goto(lab.url("lab/tree/widgets.ipynb?reset"))
    pg.wait_for_function("() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session"
                         "?.kernel?.status === 'idle'", timeout=WAIT)
    pg.evaluate("async () => { const app = window.jupyterapp;"  # the widgets get the room
                " if (!app.shell.leftCollapsed) await app.commands.execute('application:toggle-left-area');"
                " await app.commands.execute('notebook:run-all-cells'); }")
    yield pg
    context.close()
    browser.close()


@pytest.fixture(scope="module")
def kernel(lab, page):
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id",
                           timeout=WAIT)
    kernel_id = page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.id")
    client = lab.kernel(kernel_id)
    yield client
    client.stop_channels()


def cell(page, i: int):
    return page.locator(".jp-CodeCell").nth(i)


def check_paint_widget_repaints_in_the_kernel(page, kernel):
    paint = cell(page, 0)
    image = paint.locator("#paint-image[data-query]")
    image.wait_for(timeout=WAIT)
    before = pixels(image.screenshot())
    slider = paint.locator("input[name=layers]")
    slider.focus()
    for _ in range(3):
        slider.press("ArrowRight")  # 4 → 7 hidden layers
    page.wait_for_function("img => img.dataset.query.includes('layers=7')", arg=image.element_handle(),
                           timeout=WAIT)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert np.abs(pixels(image.screenshot()) - before).mean() > 5  # the picture changed
    # the page shows the kernel's picture, and the kernel's picture is the library's
    shown = image.evaluate("""img => { const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight; const g = c.getContext('2d');
        g.drawImage(img, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
        let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i] + 2 * d[i + 1] + 3 * d[i + 2];
        return [c.width, c.height, s]; }""")
    state = kernel_json(kernel, """{
        "layers": p.value.layers, "shown_layers": p.image_config.layers, "size": list(p.image.shape),
        "checksum": int((p.image[..., :3].astype(int) * [1, 2, 3]).sum()),
        "library": bool((p.image == render_config(p.image_config)).all())}""")
    assert state["layers"] == state["shown_layers"] == 7
    assert state["library"]
    assert [shown[1], shown[0], 3] == state["size"] and shown[2] == state["checksum"]
    save_screenshot(paint.locator(".jp-OutputArea-output"), "paint")
    with page.expect_download(timeout=WAIT) as download:  # the full-size PNG, from the kernel
        paint.locator("#paint-download").click()
    meta = read_png_metadata(Path(download.value.path()).read_bytes())
    assert meta["config"]["layers"] == 7 and meta["config"]["size"] == [512, 512]
    kernel_json(kernel, 'setattr(p, "query", "layers=2&width=12&seed=5")')  # Python moves the controls
    page.wait_for_function("img => new URLSearchParams(img.dataset.query).get('seed') === '5'",
                           arg=image.element_handle(), timeout=WAIT)
    assert paint.locator("input[name=layers]").input_value() == "2"


def check_regions_widget_counts_as_the_library(page, kernel):
    regions = cell(page, 1)
    count = regions.locator("#regions-count[data-count]")
    count.wait_for(timeout=WAIT)
    first = int(count.get_attribute("data-count"))
    state = kernel_json(kernel, '{"count": r.regions.count, "request": str(r.value), "query": r.query}')
    assert first == state["count"], (state, regions.locator("#regions-status").inner_text())
    canvas = regions.locator("#regions-canvas")
    before = pixels(canvas.screenshot())
    seed = regions.locator("input[name=seed]")
    seed.fill("9")
    seed.dispatch_event("change")
    state = None
    for _ in range(300):  # until the kernel has cut the new net and the page shows its count
        state = kernel_json(kernel, '{"seed": r.value.get("seed"), "count": r.regions.count, '
                                    '"library": nm.linear_regions(r.net, domain=r.domain).count}')
        if state["seed"] == 9 and count.get_attribute("data-count") == str(state["count"]):
            break
        page.wait_for_timeout(200)
    assert state["seed"] == 9 and state["count"] == state["library"]
    assert int(count.get_attribute("data-count")) == state["count"]
    assert np.abs(pixels(canvas.screenshot()) - before).mean() > 1  # another partition
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    hover = regions.locator("#regions-hover")
    assert "layer 1:" in hover.inner_text() and "output =" in hover.inner_text()
    regions.locator("input[name=three_d]").check()  # plotly.js comes from the kernel
    regions.locator("#regions-3d .svg-container").wait_for(timeout=WAIT)
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    page.wait_for_timeout(500)
    save_screenshot(regions.locator(".jp-OutputArea-output"), "regions")


def check_fit_widget_trains_in_the_kernel(page, kernel):
    fit = cell(page, 2)
    stats = fit.locator("#fit-stats")
    fit.locator("#fit-stats[data-step='0']").wait_for(timeout=WAIT)
    first = float(stats.get_attribute("data-test-loss"))
    fit.locator("#fit-play").click()
    page.wait_for_function("s => Number(s.dataset.step) >= 300", arg=stats.element_handle(), timeout=WAIT)
    fit.locator("#fit-play").click()  # pause
    state = None
    for _ in range(300):  # the kernel stops after the frame it is training; the page shows that one
        state = kernel_json(kernel, '{"playing": f.playing, "metrics": f.metrics}')
        if not state["playing"] and stats.get_attribute("data-step") == str(state["metrics"]["step"]):
            break
        page.wait_for_timeout(200)
    assert not state["playing"] and stats.get_attribute("data-step") == str(state["metrics"]["step"])
    assert float(stats.get_attribute("data-test-loss")) == state["metrics"]["test_loss"] < 0.5 * first
    shown = int(re.search(r"(\d+) linear regions", stats.inner_text()).group(1))
    trained = kernel_json(kernel, '{"regions": f.regions.count, "steps": f.result.history["step"][-1], '
                                  '"library": nm.linear_regions(f.net, domain=f.value.domain).count}')
    assert shown == trained["regions"] == trained["library"]
    save_screenshot(fit.locator(".jp-OutputArea-output"), "fit")
    fit.locator("#fit-reset").click()
    fit.locator("#fit-stats[data-step='0']").wait_for(timeout=WAIT)
    assert float(stats.get_attribute("data-test-loss")) == first  # the same initial weights


def check_canvas_widget_zooms_with_tiles_from_the_kernel(page, kernel):
    canvas = cell(page, 3)
    view = canvas.locator("#canvas-view[data-ready=true]")
    view.wait_for(timeout=WAIT)
    before = pixels(view.screenshot())
    canvas.get_by_role("button", name="Zoom in").click()
    page.wait_for_function("s => s.textContent.includes('spans 0.500')",
                           arg=canvas.locator("#canvas-status").element_handle(), timeout=WAIT)
    view.wait_for(timeout=WAIT)
    page.wait_for_timeout(300)
    assert np.abs(pixels(view.screenshot()) - before).mean() > 5
    state = kernel_json(kernel, '{"scale": c.value.scale, "tile_scale": c.image_config.scale, '
                                '"library": bool((c.image == render_config(c.image_config)).all())}')
    assert state["scale"] == 0.5 and state["tile_scale"] <= 0.5 and state["library"]
    save_screenshot(canvas.locator(".jp-OutputArea-output"), "canvas")


def test_the_four_widgets_in_jupyterlab(page, kernel, lab):
    """One JupyterLab, one notebook, the four widgets in turn (one test, so that pytest-xdist
    never starts a second JupyterLab for the same notebook)."""
    check_paint_widget_repaints_in_the_kernel(page, kernel)
    check_regions_widget_counts_as_the_library(page, kernel)
    check_fit_widget_trains_in_the_kernel(page, kernel)
    check_canvas_widget_zooms_with_tiles_from_the_kernel(page, kernel)
    assert page.errors == []
    host = f"127.0.0.1:{lab.port}"  # nothing left the machine
    assert [u for u in page.requests if not (u.startswith(("data:", "blob:")) or urlparse(u).netloc == host)] == []
