"""POST /api/paint/from-file: the config a dropped PNG or poster carries, for the infinite canvas."""

import pytest

from neuromosaic.painting import PaintConfig, config_from_metadata, png_bytes, render_config
from neuromosaic.painting.poster import write_poster

URL = "/api/paint/from-file"
OCTETS = {"Content-Type": "application/octet-stream"}


def post(client, body):
    return client.post(URL, content=body, headers=OCTETS)


def test_a_posters_head_opens_its_picture_on_the_canvas(client, tmp_path):
    cfg = PaintConfig(size=(96, 64), widths=(8, 8, 8), activation="sin", seed=12, scale=0.5,
                      center=(0.25, -1.5), init="uniform:3")
    path = tmp_path / "p.tif"
    write_poster(path, cfg, tile=32)
    r = post(client, path.read_bytes()[:1 << 20])
    assert r.status_code == 200, r.text
    body = r.json()
    assert PaintConfig(**body["config"]) == cfg.replace(z=cfg.latent())
    assert body["canvas"] == {"layers": "3", "width": "8", "activation": "sin",
                              "out_activation": "sigmoid", "init": "uniform:3", "inputs": "xyr",
                              "color": "rgb", "seed": "12", "x": "0.25", "y": "-1.5", "span": "0.5"}


def test_a_png_opens_too_with_what_the_canvas_may_not_show(client):
    cfg = PaintConfig(size=16, widths=(8, 4), color="gray", cmap="viridis", seed=3,
                      out_activation="identity", range=(-2.0, 2.0))
    body = post(client, png_bytes(render_config(cfg), cfg)).json()
    assert config_from_metadata({"kind": "paint", "config": body["config"]}) == cfg
    assert body["canvas"]["widths"] == "8,4" and "layers" not in body["canvas"]
    assert body["canvas"]["cmap"] == "viridis" and body["canvas"]["range"] == "-2.0,2.0"


@pytest.mark.parametrize("body, words", [
    (b"", "the body is empty"),
    (b"hello, not a picture", "not a PNG image"),
    (b"II*\x00\x08\x00\x00\x00\x00\x00", "entries"),
    (b"MM\x00*\x00\x00\x00\x08", "cut short"),
])
def test_a_file_without_our_config_is_a_one_line_422(client, body, words):
    r = post(client, body)
    assert r.status_code == 422 and words in r.json()["detail"], r.text
    assert "\n" not in r.json()["detail"]


def test_more_than_the_head_is_a_one_line_413(client):
    r = post(client, b"\x89PNG\r\n\x1a\n" + bytes(1 << 20))
    assert r.status_code == 413 and "first 1,048,576 bytes" in r.json()["detail"]


def test_a_picture_of_a_saved_net_is_refused(client):
    from neuromosaic.io.png import encode_png

    png = encode_png(render_config(PaintConfig(size=8)), {"kind": "paint-weights", "weights": "n"})
    r = post(client, png)
    assert r.status_code == 422 and "saved net" in r.json()["detail"]
