"""The lab in a real browser: clean load, nothing leaves localhost, every panel works."""

import base64
import io
from urllib.parse import urlparse

import httpx
import numpy as np
import pytest
from PIL import Image

from neuromosaic.io.png import read_png_metadata

pytestmark = pytest.mark.browser

def _train(page):
    page.click("#fit-play")
    page.wait_for_function("() => Number(document.querySelector('#fit-stats').dataset.step) >= 600", timeout=60_000)
    page.click("#fit-play")


def _hover(page):
    page.wait_for_selector("#regions-3d .svg-container", timeout=60_000)
    box = page.locator("#regions-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)


def _plotted(selector):
    return lambda page: page.wait_for_selector(f"{selector} .svg-container", timeout=60_000)


PANELS = {  # panel → (URL state, selector that appears when it has drawn, what to do before the screenshot)
    "paint": ("#paint?seed=3", "#paint-image[data-query]", None),
    "canvas": ("#canvas?x=0.1&y=-0.05&span=0.6", "#canvas-view[data-ready=true]", None),
    "regions": ("#regions?widths=16,16,16&seed=1&three_d=true", "#regions-count[data-count]", _hover),
    "fit": ("#fit?task=classification&target=spiral&layers=3&units=12&speed=20", "#fit-stats[data-step]", _train),
    "towers": ("#towers?n=10&steepness=300", "#towers-status[data-sup-error]", _plotted("#towers-3d")),
    "explain": ("#explain", "#explain-numbers[data-phase]", _plotted("#explain-phase")),
    "digits": ("#digits?epochs=3", "#digits-count[data-count]", None),
}


def only_local(requests: list[str], base: str) -> list[str]:
    host = urlparse(base).netloc
    return [u for u in requests if not (u.startswith(("data:", "blob:")) or urlparse(u).netloc == host)]


def test_every_panel_loads_clean_and_stays_local(page, lab_url, screenshot):
    for name, (state, ready, action) in PANELS.items():
        page.goto(f"{lab_url}/{state}")
        page.wait_for_selector(ready, timeout=60_000)
        if action is not None:
            action(page)
        page.wait_for_timeout(700)  # let plotly finish drawing before the screenshot
        screenshot(page, name)
    assert page.errors == []
    assert only_local(page.requests, lab_url) == []
    assert any("/vendor/plotly.min.js" in u for u in page.requests)  # served by the lab itself


def image_bytes(page) -> bytes:
    return page.locator("#paint-image").screenshot()


def test_moving_a_paint_slider_changes_the_image(page, lab_url):
    page.goto(f"{lab_url}/#paint")
    page.wait_for_selector("#paint-image[data-query]")
    before_query, before = page.get_attribute("#paint-image", "data-query"), image_bytes(page)
    slider = page.locator("input[name=layers]")
    slider.focus()
    for _ in range(3):
        slider.press("ArrowRight")
    page.wait_for_function("q => document.querySelector('#paint-image').dataset.query !== q "
                           "&& document.querySelector('#paint-image').dataset.query.includes('layers=11')",
                           arg=before_query)
    assert "layers=11" in page.url  # the state is in the URL
    after = image_bytes(page)
    a = np.asarray(Image.open(io.BytesIO(before)).convert("RGB"), dtype=int)
    b = np.asarray(Image.open(io.BytesIO(after)).convert("RGB"), dtype=int)
    assert np.abs(a - b).mean() > 5


def new_param(url: str, name: str, default: str = "") -> str:
    return dict(p.split("=") for p in url.split("?", 1)[1].split("&")).get(name, default)


def new_seed(url: str) -> str:
    return new_param(url, "seed", "0")


def test_url_state_random_seed_and_download(page, lab_url):
    page.goto(f"{lab_url}/#paint?seed=7&layers=3&color=gray")
    page.wait_for_selector("#paint-image[data-query]")
    assert page.input_value("input[name=layers]") == "3"
    assert "seed=7" in page.get_attribute("#paint-image", "data-query")
    page.click("#paint-random")
    page.wait_for_function("() => new URLSearchParams(document.querySelector('#paint-image').dataset.query)"
                           ".get('seed') !== '7'")
    assert new_seed(page.url) != "7"
    href = page.get_attribute("#paint-download", "href")
    r = httpx.get(lab_url + href)
    meta = read_png_metadata(r.content)
    assert r.status_code == 200 and meta["config"]["layers"] == 3 and meta["config"]["color"] == "gray"
    assert meta["config"]["size"] == [512, 512]  # the full size, not the preview


def test_regions_panel_shows_the_api_count(page, lab_url):
    page.goto(f"{lab_url}/#regions?widths=12,12&seed=4&init=kaiming")
    count = int(page.get_attribute("#regions-count[data-count]", "data-count", timeout=30_000))
    api = httpx.post(f"{lab_url}/api/regions",
                     json={"arch": [2, 12, 12, 1], "seed": 4, "init": "kaiming", "activation": "relu"}).json()
    assert count == api["count"]
    box = page.locator("#regions-canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "layer 1:" in page.inner_text("#regions-hover") and "output =" in page.inner_text("#regions-hover")


def test_regions_panel_cuts_an_uploaded_npz(page, lab_url, tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "net.npz"
    np.savez(path, W0=rng.normal(size=(9, 2)), b0=rng.normal(size=9), W1=rng.normal(size=(1, 9)), b1=np.zeros(1))
    page.goto(f"{lab_url}/#regions")
    page.wait_for_selector("#regions-count[data-count]")
    page.set_input_files("#regions-upload", str(path))
    page.wait_for_function("() => document.querySelector('#regions-status').textContent.includes('net.npz')")
    with open(path, "rb") as f:
        api = httpx.post(f"{lab_url}/api/regions", json={"weights": base64.b64encode(f.read()).decode()}).json()
    assert int(page.get_attribute("#regions-count", "data-count")) == api["count"]


def test_fit_test_loss_drops_after_play(page, lab_url):
    page.goto(f"{lab_url}/#fit?layers=2&units=8&speed=20")
    page.wait_for_selector("#fit-stats[data-step='0']", timeout=30_000)
    first = float(page.get_attribute("#fit-stats", "data-test-loss"))
    page.click("#fit-play")
    page.wait_for_function("() => Number(document.querySelector('#fit-stats').dataset.step) >= 300", timeout=60_000)
    page.click("#fit-play")  # pause
    assert float(page.get_attribute("#fit-stats", "data-test-loss")) < 0.5 * first
    page.click("#fit-reset")
    page.wait_for_selector("#fit-stats[data-step='0']")
    assert float(page.get_attribute("#fit-stats", "data-test-loss")) == first  # the same initialisation


def test_canvas_zooms_and_repaints(page, lab_url):
    page.goto(f"{lab_url}/#canvas")
    page.wait_for_selector("#canvas-view[data-ready=true]", timeout=30_000)
    box = page.locator("#canvas-view").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(6):
        page.mouse.wheel(0, -400)  # zoom in
        page.wait_for_timeout(50)
    page.wait_for_function("() => location.hash.includes('span=')")
    span = float(dict(p.split("=") for p in page.url.split("?")[1].split("&"))["span"])
    assert span < 0.1
    page.wait_for_selector("#canvas-view[data-ready=true]", timeout=30_000)
    assert page.errors == []


def test_explain_point_moves_to_a_click_and_reads_the_phase(page, lab_url):
    page.goto(f"{lab_url}/#explain")
    page.wait_for_selector("#explain-numbers[data-phase=chaotic]", timeout=60_000)  # sigma_w = 4
    page.wait_for_selector("#explain-phase .nsewdrag", timeout=60_000)
    box = page.locator("#explain-phase .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.9)  # small sigma_w
    page.wait_for_selector("#explain-numbers[data-phase=ordered]", timeout=30_000)
    assert float(new_param(page.url, "sigma_w")) < 1  # the point, and the URL, moved


def test_digits_panel_shows_the_image_at_a_clicked_point(page, lab_url):
    """The plane through three test images: the panel's count is the API's, the image shown at
    the first mark is that test image, and a click elsewhere shows the image the plane holds
    there with the class the net predicts."""
    page.goto(f"{lab_url}/#digits?epochs=3&through=0,3,4")
    count = int(page.get_attribute("#digits-count[data-count]", "data-count", timeout=60_000))
    api = httpx.post(f"{lab_url}/api/digits", json={"model": "mlp", "epochs": 3, "through": [0, 3, 4]},
                     timeout=60).json()
    assert count == api["regions"]["count"]
    first = np.array([float(v) for v in page.get_attribute("#digits-image", "data-pixels").split(",")])
    np.testing.assert_allclose(first, api["images"][0]["pixels"], atol=2e-3)
    before = page.get_attribute("#digits-image", "data-pixels")
    box = page.locator("#digits-canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.wait_for_function("p => document.querySelector('#digits-image').dataset.pixels !== p", arg=before)
    mid = np.array([float(v) for v in page.get_attribute("#digits-image", "data-pixels").split(",")])
    plane = api["plane"]
    s0, s1, t0, t1 = plane["extent"]
    s, t = (s0 + s1) / 2, (t0 + t1) / 2
    want = np.clip(np.array(plane["origin"]) + s * np.array(plane["u"]) + t * np.array(plane["v"]), 0, 1)
    np.testing.assert_allclose(mid, want, atol=0.02)  # a click lands within a pixel of the centre
    assert page.get_attribute("#digits-image", "data-predicted") in [str(k) for k in range(10)]
