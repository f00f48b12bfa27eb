"""Live training over the WebSocket, and POST /api/fit, give what the library's Trainer gives."""

import pytest

import neuromosaic as nm
from neuromosaic.fitting import FitConfig, Trainer

CONFIG = {"target": "x1**2 + x2**2 + 3", "hidden": [8, 8], "steps": 400, "n_train": 200, "n_test": 100,
          "eval_every": 5}


def frames_until(ws, predicate, limit=500):
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == "error":
            raise AssertionError(msg["detail"])
        if msg["type"] == "frame" and predicate(msg):
            return msg
    raise AssertionError("no such frame")


def test_step_play_pause_reset_follow_the_trainer(client):
    reference = Trainer(FitConfig(**CONFIG))
    with client.websocket_connect("/api/fit/ws") as ws:
        ws.send_json({"type": "config", "config": CONFIG})
        data = ws.receive_json()
        assert data["type"] == "data" and len(data["x"]) == 200
        first = ws.receive_json()
        assert first["metrics"]["step"] == 0
        assert first["metrics"]["test_loss"] == pytest.approx(reference.metrics()["test_loss"], rel=1e-6)
        assert first["regions"]["count"] >= 1 and len(first["grid"]["values"]) == 48 * 48

        ws.send_json({"type": "step", "n": 10})
        stepped = frames_until(ws, lambda f: True)
        assert stepped["metrics"]["step"] == 10
        assert stepped["metrics"]["test_loss"] == pytest.approx(reference.step(10)["test_loss"], rel=1e-5)

        ws.send_json({"type": "speed", "steps": 20})
        ws.send_json({"type": "play"})
        late = frames_until(ws, lambda f: f["metrics"]["step"] >= 200)
        ws.send_json({"type": "pause"})
        assert late["metrics"]["test_loss"] < 0.5 * first["metrics"]["test_loss"]  # it learns
        assert late["history"]["step"][0] == 0 and late["history"]["step"][-1] <= late["metrics"]["step"]

        ws.send_json({"type": "reset"})  # back to step 0 with the same initialisation
        again = frames_until(ws, lambda f: f["metrics"]["step"] == 0)
        assert again["metrics"]["test_loss"] == first["metrics"]["test_loss"]
        assert again["grid"]["values"] == first["grid"]["values"]


@pytest.mark.parametrize("message, words", [
    ({"type": "config", "config": {"hidden": [0]}}, "hidden"),
    ({"type": "config", "config": {"target": "__import__('os')"}}, "unknown function"),
    ({"type": "config", "config": {"steps": 10**6}}, "cap"),
    ({"type": "config", "config": {"hidden": [600]}}, "cap"),
    ({"type": "config", "config": "x"}, "config"),
    ({"type": "bogus"}, "unknown message type"),
    ({"type": "play"}, "send a config"),
    ({"type": "speed", "steps": 0}, "steps"),
])
def test_bad_messages_get_one_line_errors(client, message, words):
    with client.websocket_connect("/api/fit/ws") as ws:
        ws.send_json(message)
        reply = ws.receive_json()
        assert reply["type"] == "error" and words in reply["detail"] and "\n" not in reply["detail"]


def test_not_json_is_an_error_not_a_crash(client):
    with client.websocket_connect("/api/fit/ws") as ws:
        ws.send_text("{not json")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"type": "config", "config": {"hidden": [4], "steps": 10, "n_train": 50, "n_test": 20}})
        assert ws.receive_json()["type"] == "data"


def test_post_fit_is_nm_fit_with_its_restarts(client):
    body = {**CONFIG, "steps": 60, "restarts": 3}
    r = client.post("/api/fit", json=body)
    assert r.status_code == 200
    res = nm.fit(**body)
    got = r.json()
    total = FitConfig(**body).total_steps
    assert got["metrics"]["step"] == total and got["metrics"]["done"]
    assert got["metrics"]["test_loss"] == pytest.approx(res.history["test_loss"][-1], rel=1e-5)
    assert got["metrics"]["baseline"] == pytest.approx(res.baseline, rel=1e-6)
    # the best of three restarts, not the first run alone
    runs = [Trainer(FitConfig(**body), restart=k) for k in range(3)]
    for t in runs:
        t.step(total)
    best = min(runs, key=lambda t: t.history["train_loss"][-1])
    assert got["metrics"]["train_loss"] == pytest.approx(best.history["train_loss"][-1], rel=1e-5)


def test_a_paint_and_a_fit_at_once_give_the_bytes_they_give_alone(client):
    """The lab's pool runs both together; torch's thread count has one owner (neuromosaic.threads)."""
    from concurrent.futures import ThreadPoolExecutor

    body = {**CONFIG, "steps": 150, "restarts": 2}
    params = {"size": 96, "seed": 3, "layers": 6, "width": 16}
    alone_fit = client.post("/api/fit", json=body).json()
    alone_paint = client.get("/api/paint.png", params=params).content
    with ThreadPoolExecutor(4) as pool:
        fits = [pool.submit(client.post, "/api/fit", json=body) for _ in range(2)]
        paints = [pool.submit(client.get, "/api/paint.png", params=params) for _ in range(2)]
        for f in fits:
            assert f.result().json() == alone_fit
        for p in paints:
            assert p.result().content == alone_paint


@pytest.mark.parametrize("body, status", [
    ({"hidden": [0]}, 422), ({"task": "classification", "target": "paraboloid"}, 422),
    ({"steps": 10**6}, 413), ({"n_train": 100000}, 413), ({"lr": -1}, 422),
])
def test_post_fit_bad_input(client, body, status):
    r = client.post("/api/fit", json=body)
    assert r.status_code == status and "\n" not in r.json()["detail"]


def test_a_timed_out_fit_stops_and_frees_its_thread(make_client):
    """One pool thread, a clock that passes the 2 s limit at the 40th reading: a long POST
    /api/fit stops itself at the check point after the deadline, answers 503, and the next
    request is served by the freed thread."""
    from lab_helpers import StepClock

    clock = StepClock(0.05)
    with make_client(clock=clock, time_limit=2.0, threads=1) as c:
        r = c.post("/api/fit", json={**CONFIG, "hidden": [4], "steps": 200_000, "lbfgs_polish": 0, "eval_every": 1000})
        assert r.status_code == 503 and "time limit" in r.json()["detail"]
        assert clock.reads == 41
        small = c.post("/api/fit", json={**CONFIG, "steps": 5})
        assert small.status_code == 200
