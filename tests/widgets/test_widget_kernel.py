"""The widgets' kernel side without a browser: the front end is the lab's own files, each route
answers what the lab's endpoint answers, and the Python state equals the library's result."""

from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pytest
import torch
from torch import nn

pytest.importorskip("anywidget", reason="anywidget is not installed (pip install -e '.[notebook]')")

import neuromosaic as nm  # noqa: E402
from neuromosaic.errors import NeuromosaicError, SpecError  # noqa: E402
from neuromosaic.io.png import read_png_metadata  # noqa: E402
from neuromosaic.painting import PaintConfig, render_config  # noqa: E402
from neuromosaic.widgets import Canvas, Fit, Paint, Regions  # noqa: E402
from neuromosaic.widgets.esm import lab_modules, widget_esm  # noqa: E402

warnings.filterwarnings("ignore", message=".*install `httpx2`.*")


def answer(widget, method, url, body=None):
    status, content_type, data = widget.answer(method, url, None if body is None else json.dumps(body))
    return status, (json.loads(data) if content_type == "application/json" else data)


def test_the_widgets_load_the_files_the_lab_serves():
    from fastapi.testclient import TestClient

    from neuromosaic.lab import create_app

    sources = lab_modules()
    assert {"ui.js", "paint.js", "canvas.js", "regions.js", "fit.js", "regiondraw.js", "colors.js"} <= set(sources)
    esm = widget_esm()
    with TestClient(create_app(), base_url="http://127.0.0.1") as client:
        for name, text in sources.items():
            served = client.get(f"/static/{name}")
            assert served.status_code == 200 and served.text == text, name
            assert json.dumps(text) in esm, name  # embedded unchanged: no bundler, no build step
        assert json.dumps(client.get("/static/style.css").text) in esm
    assert Paint()._esm == esm == Regions()._esm  # one front end for every widget


def test_messages_carry_requests_and_binary_answers():
    w = Paint(PaintConfig(layers=2, width=4))
    sent = []
    w.send = lambda content, buffers=None: sent.append((content, buffers))
    w._on_message(w, {"kind": "request", "id": "v:1", "method": "GET",
                      "url": "/api/paint.png?size=16&layers=2&width=4", "body": None}, [])
    (content, buffers), = sent
    assert content == {"kind": "response", "id": "v:1", "status": 200, "type": "image/png"}
    assert read_png_metadata(buffers[0])["config"]["size"] == [16, 16]
    w._on_message(w, {"kind": "request", "id": "v:2", "method": "GET", "url": "/etc/passwd"}, [])
    assert sent[-1][0]["status"] == 404


def test_paint_preview_is_the_library_picture_and_value_is_the_panel_state():
    w = Paint(nm.NetSpec(inputs=2, widths=[6, 6], outputs=1, activation="sin", seed=4))
    assert w.value.inputs == "xy" and w.value.color == "gray" and w.value.widths == (6, 6)
    assert w.value.size == (512, 512)  # the panel's download size
    status, png = answer(w, "GET", "/api/paint.png?size=48x32&inputs=xy&color=gray&widths=6,6"
                                   "&activation=sin&seed=4&fast=true")
    assert status == 200 and w.image.shape == (32, 48, 1)
    np.testing.assert_array_equal(w.image, render_config(w.image_config))
    assert w.image_config.net_spec() == w.value.net_spec()  # the preview paints the value's net
    w.query = "layers=3&width=5&seed=9"  # what the page sends when its controls move
    assert (w.value.layers, w.value.width, w.value.seed) == (3, 5, 9)
    assert sum(p.numel() for p in w.net.parameters()) == w.value.net_spec().num_params


def test_paint_errors_are_the_labs_one_line_answers():
    w = Paint()
    status, body = answer(w, "GET", "/api/paint.png?layers=lots")
    assert status == 422 and body["detail"].startswith("layers:") and w.error == body["detail"]
    status, body = answer(w, "GET", "/api/paint.png?size=4096")
    assert status == 413 and "cap" in body["detail"]
    assert answer(w, "GET", "/api/paint/options")[0] == 200 and w.error == ""
    with pytest.raises(SpecError, match="no control for cmap"):
        Paint(PaintConfig(cmap="magma"))


def test_canvas_value_is_the_view_with_the_shared_range():
    w = Canvas(PaintConfig(seed=2, out_activation="identity", center=(0.25, -0.5), scale=0.125))
    assert dict(p.split("=") for p in w.query.split("&"))["span"] == "0.125"
    view = w.value
    assert view.center == (0.25, -0.5) and view.scale == 0.125 and view.range is not None
    status, body = answer(w, "GET", "/api/paint/range?seed=2&out_activation=identity&size=256")
    assert status == 200 and tuple(body["range"]) == pytest.approx(view.range)
    with pytest.raises(SpecError, match="equal widths"):
        Canvas(PaintConfig(widths=(4, 8)))


def test_regions_of_a_notebook_net_are_the_librarys():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 7), nn.ReLU(), nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 1)).double()
    w = Regions(net, (-2, 2, -1, 1))
    assert w.upload["name"] and w.net is net and w.domain == (-2, 2, -1, 1)
    status, body = answer(w, "POST", "/api/regions", {"weights": w.upload["base64"], "domain": [-2, 2, -1, 1]})
    assert status == 200
    want = nm.linear_regions(net, domain=(-2, 2, -1, 1))
    assert body["count"] == w.regions.count == want.count
    assert w.net is net  # still the notebook's own object
    status, body = answer(w, "POST", "/api/regions", {"widths": [4], "seed": 3, "domain": [-1, 1, -1, 1]})
    assert status == 200 and w.net is not net and w.value["widths"] == [4]
    assert body["count"] == w.regions.count == nm.linear_regions(w.net, domain=(-1, 1, -1, 1)).count


def test_regions_from_a_spec_use_the_panels_controls():
    spec = nm.NetSpec(inputs=2, widths=[5, 5], outputs=1, activation="relu", out_activation="identity",
                      init="default", seed=7)
    w = Regions(spec)
    assert w.upload is None and "widths=5,5" in w.query and "seed=7" in w.query
    assert w.regions.count == nm.linear_regions(spec.build(dtype=torch.float64), domain=(-1, 1, -1, 1)).count
    with pytest.raises(SpecError, match="linear_regions"):
        Regions(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1), nn.Sigmoid()))


class FitPage:
    """The Fit panel's side of the socket: messages in, the widget's replies collected."""

    def __init__(self, widget):
        self.widget, self.replies = widget, []
        widget.send = lambda content, buffers=None: self.replies.append(json.loads(content["text"]))

    def __call__(self, **message):
        self.widget.on_socket(json.dumps(message))
        return self.replies[-1] if self.replies else None


CONFIG = {"target": "paraboloid", "task": "regression", "noise": 0, "activation": "relu", "hidden": [4, 4],
          "lr": 0.02, "batch_size": None, "steps": 300, "n_train": 120, "n_test": 100, "seed": 0}


def test_fit_trains_through_the_labs_protocol_and_gives_the_net_back():
    w = Fit(hidden=(4, 4), steps=300, n_train=120, lr=0.02)
    page = FitPage(w)
    assert w.value.n_test == CONFIG["n_test"] and w.metrics["step"] == 0  # ready before it is shown
    page(type="config", config=CONFIG)  # the page's first message: the same run, shown as it is
    assert [r["type"] for r in page.replies] == ["data", "frame"] and w.metrics["step"] == 0
    first = w.metrics["test_loss"]
    frame = page(type="step", n=50)
    assert frame["metrics"]["step"] == w.metrics["step"] == 50 and frame["metrics"]["test_loss"] < first
    assert frame["regions"]["count"] == w.regions.count == nm.linear_regions(w.net, domain=w.value.domain).count
    net = w.net
    page(type="step", n=10)
    assert not all(torch.equal(a, b) for a, b in zip(net.parameters(), w.net.parameters(), strict=True))
    assert w.result.history["step"][-1] == 60
    assert page(type="reset")["metrics"]["step"] == 0 and w.metrics["test_loss"] == first
    w.step(20)  # from Python: the page is sent the frame too
    assert w.metrics["step"] == page.replies[-1]["metrics"]["step"] == 20
    assert page(type="config", config={**CONFIG, "seed": 1})["metrics"]["step"] == 0  # a new run
    assert w.value.seed == 1
    assert "unknown message type" in page(type="jump")["detail"]
    assert "1.." in page(type="speed", steps=10**6)["detail"]


def test_fit_plays_in_the_background_until_paused_or_done():
    w = Fit(hidden=(4, 4), steps=300, n_train=120, lr=0.02)
    page = FitPage(w)
    page(type="config", config=CONFIG)
    page(type="speed", steps=100)
    page(type="play")
    for _ in range(600):  # no wall-clock assert: wait until training has ended by itself
        if not w.playing:
            break
        time.sleep(0.05)
    assert not w.playing and w.metrics["done"] and page.replies[-1]["metrics"]["step"] == 300
    page(type="reset")
    page(type="speed", steps=1)
    page(type="play")
    page(type="pause")  # returns once the frame being trained is sent: nothing comes after
    shown = len(page.replies)
    time.sleep(0.2)
    assert not w.playing and len(page.replies) == shown
    assert page.replies[-1]["metrics"]["step"] == w.metrics["step"]
    w.close()


def test_fit_refuses_what_the_panel_cannot_show():
    with pytest.raises(SpecError, match="equal widths"):
        Fit(hidden=(4, 8))
    with pytest.raises(NeuromosaicError):
        Fit(target="x1 +* 2")
