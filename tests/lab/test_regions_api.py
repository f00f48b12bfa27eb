"""The regions endpoint answers what ``nm.linear_regions`` computes, and its maps are the net's."""

import base64
import io

import numpy as np
import pytest
import torch

from neuromosaic.io.weights import load_npz_net
from neuromosaic.regions import linear_regions
from neuromosaic.spec import NetSpec
from neuromosaic.theory.bounds import serra_upper


def npz_bytes(**arrays) -> str:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return base64.b64encode(buf.getvalue()).decode()


def test_count_polygons_and_maps_match_the_library_and_the_net(client):
    body = {"arch": [2, 12, 12, 1], "seed": 3, "init": "kaiming", "domain": [-1, 2, -1, 1]}
    r = client.post("/api/regions", json=body)
    assert r.status_code == 200
    data = r.json()
    net = NetSpec(inputs=2, widths=[12, 12], outputs=1, activation="relu", out_activation="identity", init="kaiming",
                  seed=3).build(dtype=torch.float64)
    assert data["count"] == linear_regions(net, domain=(-1, 2, -1, 1)).count
    assert data["count"] <= serra_upper(2, [12, 12])
    assert len(data["polygons"]) == len(data["patterns"]) == data["count"]
    areas = [abs(_shoelace(np.reshape(p, (-1, 2)))) for p in data["polygons"]]
    assert sum(areas) == pytest.approx(3 * 2, rel=1e-6)  # the regions tile the domain
    # each region's affine map is the net at a point inside it
    for i in range(0, data["count"], max(1, data["count"] // 25)):
        centre = np.reshape(data["polygons"][i], (-1, 2)).mean(axis=0)
        with torch.no_grad():
            value = net(torch.tensor(centre[None, :])).item()
        assert np.dot(data["grads"][i], centre) + data["offsets"][i] == pytest.approx(value, abs=1e-5)


def _shoelace(P: np.ndarray) -> float:
    x, y = P[:, 0], P[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def test_uploaded_npz_is_cut_like_the_library(client):
    rng = np.random.default_rng(0)
    arrays = dict(W0=rng.normal(size=(10, 2)), b0=rng.normal(size=10), W1=rng.normal(size=(1, 10)), b1=np.zeros(1))
    weights = npz_bytes(**arrays)
    r = client.post("/api/regions", json={"weights": weights})
    assert r.status_code == 200
    net = load_npz_net(base64.b64decode(weights))
    assert r.json()["count"] == linear_regions(net, domain=(-1, 1, -1, 1)).count
    assert r.json()["widths"] == [10]


@pytest.mark.parametrize("body, status, words", [
    ({"arch": [2, 8, 1], "activation": "tanh"}, 422, "not piecewise linear"),
    ({"arch": [3, 8, 1]}, 422, "arch"),
    ({"arch": [2, 0, 1]}, 422, "width"),
    ({"arch": [2, 8, 1], "init": "nope"}, 422, "init"),
    ({"domain": [1, 0, 0, 1]}, 422, "domain"),
    ({"weights": "***"}, 422, "base64"),
    ({"arch": [2, 400, 400, 1]}, 413, "units (hidden and outputs)"),
    ({"widths": [4], "out_dim": 1000000000}, 413, "units (hidden and outputs)"),
    ({"widths": [4], "arch": [2, 4, 1]}, 422, "not both"),
    ({"bogus": 1}, 422, "bogus"),
])
def test_bad_requests(client, body, status, words):
    r = client.post("/api/regions", json=body)
    assert r.status_code == status
    assert words in r.json()["detail"] and "\n" not in r.json()["detail"]


def test_pickled_npz_is_refused(client):
    weights = npz_bytes(W0=np.array([{"evil": 1}], dtype=object), b0=np.zeros(1))
    r = client.post("/api/regions", json={"weights": weights})
    assert r.status_code == 422 and "pickle" in r.json()["detail"]


def test_region_and_upload_caps(make_client):
    with make_client(max_regions=10) as c:
        r = c.post("/api/regions", json={"arch": [2, 16, 16, 1]})
        assert r.status_code == 413 and "max_regions" in r.json()["detail"]
    with make_client(max_upload_bytes=2000) as c:
        big = npz_bytes(W0=np.zeros((100, 2)), b0=np.zeros(100), W1=np.zeros((1, 100)), b1=np.zeros(1))
        r = c.post("/api/regions", json={"weights": big})
        assert r.status_code == 413 and "cap" in r.json()["detail"]


def test_a_timed_out_cut_stops_and_frees_its_thread(make_client):
    """One pool thread, a clock that passes the 1 s limit at the 20th reading: the cut of 200
    layers (400 check points) stops itself at the check point after the deadline, answers 503,
    and the next request is served by the same, freed thread."""
    from lab_helpers import StepClock

    clock = StepClock(0.05)
    with make_client(clock=clock, time_limit=1.0, threads=1, max_region_units=20_000) as c:
        deep = {"widths": [64] * 200, "seed": 0, "domain": [-3, 3, -3, 3]}
        r = c.post("/api/regions", json=deep)
        assert r.status_code == 503 and "time limit" in r.json()["detail"]
        # one reading to set the deadline, then one per check point: it stopped at the 21st
        assert clock.reads == 21
        small = c.post("/api/regions", json={"widths": [4], "seed": 0})
        assert small.status_code == 200 and small.json()["count"] >= 1
