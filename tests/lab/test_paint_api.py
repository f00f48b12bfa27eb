"""The paint endpoint is a thin shell: same pixels and config as the library, same validation."""

import io

import numpy as np
import pytest
from PIL import Image

from neuromosaic.io.png import read_png_metadata
from neuromosaic.painting import PaintConfig, config_from_metadata, png_bytes, render_config


def pixels(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))


def test_preview_has_the_library_pixels_and_config(client):
    r = client.get("/api/paint.png", params={"size": "48x32", "seed": 5, "layers": 4, "width": 8,
                                            "init": "uniform:3", "scale": 0.5, "center": "0.1,-0.2"})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    cfg = PaintConfig(size="48x32", seed=5, layers=4, width=8, init="uniform:3", scale=0.5, center=(0.1, -0.2))
    assert np.array_equal(pixels(r.content), render_config(cfg))
    assert config_from_metadata(read_png_metadata(r.content)) == cfg.replace(z=cfg.latent())


def test_download_is_exactly_png_bytes_with_config(client):
    r = client.get("/api/paint.png", params={"size": 40, "seed": 2, "download": "true"})
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    cfg = PaintConfig(size=40, seed=2)
    assert r.content == png_bytes(render_config(cfg), cfg)


def test_canvas_tiles_tile_the_plane(client):
    """Two tiles (scale = tile width, centre = tile centre) side by side equal one painting of
    both: the infinite canvas has no seams."""
    S = 0.25
    common = {"seed": 1, "layers": 3, "width": 8, "init": "normal:1"}
    left = client.get("/api/paint.png", params={**common, "size": 32, "scale": S, "center": f"{-S / 2},0"})
    right = client.get("/api/paint.png", params={**common, "size": 32, "scale": S, "center": f"{S / 2},0"})
    whole = client.get("/api/paint.png", params={**common, "size": "64x32", "scale": S, "center": "0,0"})
    mosaic = np.concatenate([pixels(left.content), pixels(right.content)], axis=1).astype(int)
    assert np.abs(mosaic - pixels(whole.content).astype(int)).max() <= 1  # float32 rounding of the centres


def test_different_seeds_paint_different_pictures(client):
    a = client.get("/api/paint.png", params={"size": 32, "seed": 0})
    b = client.get("/api/paint.png", params={"size": 32, "seed": 1})
    assert not np.array_equal(pixels(a.content), pixels(b.content))


@pytest.mark.parametrize("params, field", [
    ({"layers": -1}, "layers"), ({"layers": "abc"}, "layers"), ({"activation": "nope"}, "activation"),
    ({"init": "gauss:2"}, "init"), ({"size": "0"}, "size"), ({"center": "a,b"}, "center"),
    ({"scale": "-1"}, "scale"), ({"color": "cmyk"}, "color"), ({"inputs": "xyz"}, "inputs"),
    ({"z": "1,x", "inputs": "xyrz"}, "z"), ({"bogus": "1"}, "bogus"), ({"widths": "8,0"}, "widths"),
])
def test_bad_value_is_422_with_one_line_naming_the_field(client, params, field):
    r = client.get("/api/paint.png", params=params)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and field in detail


@pytest.mark.parametrize("params, what", [
    ({"size": 4096}, "pixel"), ({"layers": 200, "width": 400}, "hidden units"),
    ({"size": 2048, "layers": 32, "width": 60}, "multiply-adds"),
])
def test_over_the_caps_is_413(client, params, what):
    r = client.get("/api/paint.png", params=params)
    assert r.status_code == 413 and what in r.json()["detail"]


def test_time_limit_answers_503_not_a_hang(make_client):
    with make_client(time_limit=0.001) as c:
        r = c.get("/api/paint.png", params={"size": 512, "layers": 16, "width": 64})
    assert r.status_code == 503 and "time limit" in r.json()["detail"]


def test_options_list_the_recipes_and_choices(client):
    opts = client.get("/api/paint/options").json()
    assert "tanh" in opts["activations"] and opts["colors"] == ["rgb", "gray", "hsv"]
    assert {r["name"] for r in opts["recipes"]} >= {"grey-goo", "mondrian"}


def test_a_timed_out_painting_stops_and_frees_its_thread(make_client):
    """One pool thread, a clock that passes the 2 s limit at the 40th reading: the painting
    (256 row chunks, a check point after each) stops itself, answers 503, and the next request is
    served by the freed thread."""
    from lab_helpers import StepClock

    clock = StepClock(0.05)
    with make_client(clock=clock, time_limit=2.0, threads=1, max_work=10**12) as c:
        r = c.get("/api/paint.png", params={"size": 2048, "layers": 32, "width": 64})
        assert r.status_code == 503 and "time limit" in r.json()["detail"]
        assert clock.reads == 41
        small = c.get("/api/paint.png", params={"size": 16})
        assert small.status_code == 200 and small.content[:4] == b"\x89PNG"
