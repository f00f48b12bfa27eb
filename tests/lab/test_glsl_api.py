"""``GET /api/paint/glsl``: the lab's shader is the library's, for the same paint options."""

import base64

import numpy as np
import pytest

import neuromosaic as nm
from neuromosaic.painting import PaintConfig


def test_the_shader_is_to_glsls_with_its_texture(client):
    params = {"seed": 5, "layers": 3, "width": 8, "scale": 0.5, "center": "0.1,-0.2", "inputs": "xyrz",
              "z_dim": 3}
    r = client.get("/api/paint/glsl", params=params)
    assert r.status_code == 200 and "max-age" in r.headers["cache-control"]
    body = r.json()
    cfg = PaintConfig(seed=5, layers=3, width=8, scale=0.5, center=(0.1, -0.2), inputs="xyrz", z_dim=3,
                      size=256)
    shader = nm.to_glsl(cfg.net_spec().build(), inputs="xyrz", z=cfg.latent(), seed=5, size=256,
                        scale=0.5, center=(0.1, -0.2), storage="texture")
    assert body["source"] == shader.source and body["uniforms"] == shader.uniforms
    t = body["texture"]
    texels = np.frombuffer(base64.b64decode(t["data"]), "<f4").reshape(t["height"], t["width"], 4)
    np.testing.assert_array_equal(texels, shader.weights)
    assert body["fixed_range"] is True  # sigmoid


def test_an_unbounded_output_says_its_range_is_the_views(client):
    body = client.get("/api/paint/glsl", params={"out_activation": "identity", "layers": 2}).json()
    assert body["fixed_range"] is False
    assert client.get("/api/paint/glsl", params={"out_activation": "identity", "layers": 2,
                                                 "range": "-1,1"}).json()["fixed_range"] is True


@pytest.mark.parametrize("params", [{"layers": -1}, {"activation": "nope"}, {"center": "a,b"},
                                    {"bogus": "1"}, {"color": "gray", "cmap": "nope"}])
def test_bad_value_is_422(client, params):
    r = client.get("/api/paint/glsl", params=params)
    assert r.status_code == 422 and "\n" not in r.json()["detail"]


def test_over_the_caps_is_413(make_client):
    with make_client(max_units=64) as c:
        r = c.get("/api/paint/glsl", params={"layers": 8, "width": 16})
    assert r.status_code == 413


def test_the_canvas_asks_for_weights_in_the_code(client):
    body = client.get("/api/paint/glsl", params={"layers": 2, "storage": "auto"}).json()
    assert body["texture"] == {"width": 0, "height": 0, "data": ""}
    assert "u_weights" not in body["source"] and "dot(vec4(" in body["source"]
    assert client.get("/api/paint/glsl", params={"storage": "ubo"}).status_code == 422
