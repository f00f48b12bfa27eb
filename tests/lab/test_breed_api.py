"""The Breed panel's endpoints are thin shells: the library's pictures and lineages, its errors."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from neuromosaic.io.png import read_png_metadata
from neuromosaic.lineage import MAX_STEPS
from neuromosaic.painting import PaintConfig, config_from_metadata, png_bytes, render_config

ROOT = {"seed": 3, "layers": 3, "width": 8}


def decode(b64: str) -> bytes:
    return base64.b64decode(b64)


def pixels(body: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))


def test_children_are_the_librarys_mutations(client):
    r = client.post("/api/breed", json={"paint": ROOT, "lineage": "m0.4s1", "strength": 0.5, "base": 20, "side": 24})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["lineage"] == "m0.4s1" and body["steps"] == 1 and len(body["children"]) == 9
    parent = PaintConfig(size=48, **ROOT, lineage="m0.4s1")
    assert np.array_equal(pixels(decode(body["parent"])), render_config(parent))
    seeds = [c["seed"] for c in body["children"]]
    assert seeds == list(range(20, 29))
    for child in body["children"][:3]:
        assert child["lineage"] == f"m0.4s1_m0.5s{child['seed']}"
        cfg = PaintConfig(size=24, **ROOT, lineage=child["lineage"])
        png = decode(child["png"])
        assert np.array_equal(pixels(png), render_config(cfg))
        assert config_from_metadata(read_png_metadata(png)) == cfg.replace(z=cfg.latent())  # its own lineage
    first, second = (pixels(decode(c["png"])) for c in body["children"][:2])
    assert not np.array_equal(first, second)


def test_strength_zero_children_are_the_picture(client):
    r = client.post("/api/breed", json={"paint": ROOT, "strength": 0, "side": 16}).json()
    root = render_config(PaintConfig(size=16, **ROOT))
    assert all(np.array_equal(pixels(decode(c["png"])), root) for c in r["children"])


def test_cross_shares_the_common_steps(client):
    r = client.post("/api/breed/cross", json={"a": "m0.3s1_m0.3s2", "b": "m0.3s1_m0.3s5", "seed": 4})
    assert r.status_code == 200 and r.json() == {"lineage": "m0.3s1_m0.3s2_c4f1(m0.3s5)", "steps": 4}


def test_paint_png_paints_a_lineage_at_full_size(client):
    r = client.get("/api/paint.png", params={**ROOT, "size": 40, "lineage": "m0.3s1_c2(m0.3s9)", "download": "true"})
    assert r.status_code == 200
    cfg = PaintConfig(size=40, **ROOT, lineage="m0.3s1_c2(m0.3s9)")
    assert r.content == png_bytes(render_config(cfg), cfg)


def _many(n: int) -> str:
    return "_".join(f"m0.1s{i}" for i in range(n))


@pytest.mark.parametrize("body, field", [
    ({"strength": -1}, "strength"), ({"strength": 11}, "strength"), ({"strength": "x"}, "strength"),
    ({"lineage": "zz"}, "lineage"), ({"lineage": "m0.3s1_c1f5()"}, "from"), ({"base": -1}, "base"),
    ({"side": 0}, "side"), ({"bogus": 1}, "bogus"), ({"paint": {"layers": -1}}, "layers"),
    ({"paint": {"init": "gauss"}}, "init"),
])
def test_bad_breed_input_is_422_with_one_line(client, body, field):
    r = client.post("/api/breed", json={"paint": ROOT, "side": 8, **body})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and field in detail


@pytest.mark.parametrize("body, what", [
    ({"side": 1000}, "side"), ({"lineage": _many(MAX_STEPS + 1)}, "steps"),
    ({"lineage": "c1(" * 12 + ")" * 12}, "nest"), ({"lineage": "m0.1s1_" * 3000}, "characters"),
    ({"paint": {"layers": 200, "width": 400}}, "hidden units"),
])
def test_over_the_caps_is_413(client, body, what):
    r = client.post("/api/breed", json={"paint": ROOT, "side": 8, **body})
    assert r.status_code == 413 and what in r.json()["detail"]


def test_children_past_the_step_cap_are_413(client):
    r = client.post("/api/breed", json={"paint": ROOT, "side": 8, "lineage": _many(MAX_STEPS)})
    assert r.status_code == 413 and "steps" in r.json()["detail"]


def test_preview_pixels_count_against_the_lab_caps(make_client):
    with make_client(max_pixels=64 * 64) as c:
        r = c.post("/api/breed", json={"paint": ROOT, "side": 32})  # 9·32² + 64² pixels
    assert r.status_code == 413 and "preview pixels" in r.json()["detail"]


def test_cross_and_paint_lineage_errors(client):
    r = client.post("/api/breed/cross", json={"a": _many(MAX_STEPS), "b": "m0.2s1", "seed": 1})
    assert r.status_code == 413
    r = client.post("/api/breed/cross", json={"a": "m0.3s1", "b": "((", "seed": 1})
    assert r.status_code == 422 and "lineage" in r.json()["detail"]
    r = client.get("/api/paint.png", params={"size": 8, "lineage": _many(MAX_STEPS + 1)})
    assert r.status_code == 413
    r = client.get("/api/paint.png", params={"size": 8, "lineage": "m0.3"})
    assert r.status_code == 422 and "lineage" in r.json()["detail"]
