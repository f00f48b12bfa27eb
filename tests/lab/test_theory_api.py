"""Towers and Explain: the endpoints return the library's numbers."""

import numpy as np
import pytest
import torch

from neuromosaic.fitting import towers
from neuromosaic.fitting.train import grid
from neuromosaic.theory import meanfield


def test_towers_are_the_library_net_and_converge_with_steepness(client):
    body = {"target": "x1**2 + x2**2", "n": 6, "steepness": 50, "grid": 20}
    r = client.post("/api/towers", json=body)
    assert r.status_code == 200
    net = towers.build("x1**2 + x2**2", 6, steepness=50)
    gx, gy = grid((0, 1, 0, 1), 20)
    with torch.no_grad():
        expected = net(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)).reshape(20, 20).numpy()
    assert np.allclose(r.json()["towers"], expected, atol=1e-6)
    assert np.allclose(r.json()["target"], (gx**2 + gy**2).numpy(), atol=1e-6)
    steep = client.post("/api/towers", json={**body, "steepness": 5000}).json()["sup_error"]
    # steep towers approach the centre-valued staircase, whose sup error is h(2 - h/2) (h = 1/n)
    assert steep < r.json()["sup_error"]
    assert steep == pytest.approx(towers.limit_sup_error(6), rel=0.15)


@pytest.mark.parametrize("body, status", [
    ({"n": 0}, 422), ({"sides": 2}, 422), ({"layers": 3}, 422), ({"steepness": -1}, 422),
    ({"target": "open('f')"}, 422), ({"grid": 1}, 422), ({"n": 1000}, 413), ({"n": 60, "sides": 60}, 413),
])
def test_towers_bad_input(client, body, status):
    r = client.post("/api/towers", json=body)
    assert r.status_code == status and "\n" not in r.json()["detail"]


def test_explain_point_is_meanfield(client):
    r = client.get("/api/explain/point", params={"activation": "tanh", "sigma_w": 2.0, "sigma_b": 0.3})
    assert r.status_code == 200
    mf = meanfield.analyse("tanh", sigma_w=2.0, sigma_b=0.3)
    assert r.json()["chi1"] == pytest.approx(mf.chi1) and r.json()["q_star"] == pytest.approx(mf.q_star)
    assert r.json()["phase"] == "chaotic"
    # relu at sigma_w = sqrt(2), sigma_b = 0 sits on the edge of chaos (He initialisation)
    edge = client.get("/api/explain/point", params={"activation": "relu", "sigma_w": 2**0.5}).json()
    assert edge["chi1"] == pytest.approx(1.0, abs=1e-6)


def test_explain_phase_diagram_has_its_edge_where_chi1_is_one(client):
    d = client.get("/api/explain/phase", params={"activation": "tanh"}).json()
    chi = np.array(d["chi1"], dtype=float)
    assert chi.shape == (len(d["sigma_b"]), len(d["sigma_w"]))
    row = 0  # sigma_b = 0: tanh's edge is at sigma_w = 1
    assert d["sigma_b"][row] == 0 and d["critical_sigma_w"][row] == pytest.approx(1.0, abs=1e-3)
    below = np.array(d["sigma_w"]) < 0.9
    assert (chi[row, below] < 1).all() and (chi[row, np.array(d["sigma_w"]) > 1.1] > 1).all()


@pytest.mark.parametrize("params", [{"sigma_w": -1}, {"sigma_w": "nan"}, {"activation": "foo"}, {"sigma_b": "x"}])
def test_explain_bad_input(client, params):
    r = client.get("/api/explain/point", params=params)
    assert r.status_code == 422 and "\n" not in r.json()["detail"]
