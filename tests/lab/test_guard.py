"""The lab's outer wall: hosts, origins, body caps, nesting, and security headers everywhere."""

import json

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from neuromosaic.lab import Limits, create_app
from neuromosaic.lab.guard import CSP

LOCAL = "http://127.0.0.1"


def _secure(r) -> bool:
    return r.headers.get("content-security-policy") == CSP and r.headers.get("x-content-type-options") == "nosniff"


@pytest.fixture(scope="module")
def lab():
    with TestClient(create_app(Limits(max_upload_bytes=4096), port=8000), base_url=LOCAL) as c:
        yield c


@pytest.mark.parametrize("host, status", [
    ("127.0.0.1:8000", 200), ("localhost:8000", 200), ("[::1]:8000", 200), ("127.0.0.1", 200),
    ("evil.example.com", 421), ("127.0.0.1:9999", 421), ("127.0.0.1.evil.example", 421), ("", 421),
])
def test_only_the_labs_own_host_names(lab, host, status):
    r = lab.get("/api/paint/options", headers={"host": host})
    assert r.status_code == status and _secure(r)
    if status == 421:
        assert "--allow-host" in r.json()["detail"]


def test_allow_host_names_another_host():
    with TestClient(create_app(allow_hosts=("lab.home",)), base_url="http://lab.home") as c:
        assert c.get("/api/paint/options").status_code == 200
        assert c.get("/api/paint/options", headers={"host": "other.home"}).status_code == 421


def test_a_websocket_from_another_sites_page_is_closed():
    app = create_app(allow_hosts=("testserver",))
    with TestClient(app) as c:
        with pytest.raises(WebSocketDisconnect):
            with c.websocket_connect("/api/fit/ws", headers={"origin": "http://evil.example.com"}) as ws:
                ws.receive_json()
        with c.websocket_connect("/api/fit/ws", headers={"origin": "http://testserver"}) as ws:
            ws.send_json({"type": "play"})
            assert ws.receive_json()["type"] == "error"  # talking: "send a config before 'play'"


def test_bodies_over_the_cap_are_413_chunked_or_not(lab):
    big = b'{"seed": 0, "pad": "' + b"x" * 5000 + b'"}'
    r = lab.post("/api/regions", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and _secure(r)

    def chunks():
        for _ in range(10):
            yield b"x" * 1000

    r = lab.post("/api/regions", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "cap of 4,096 bytes" in r.json()["detail"] and _secure(r)


def test_deeply_nested_json_is_422_not_400(lab):
    r = lab.post("/api/regions", content=b"[" * 1500 + b"]" * 1500,
                 headers={"content-type": "application/json"})
    assert r.status_code == 422 and "nested deeper than 64" in r.json()["detail"] and _secure(r)
    # brackets inside strings do not count
    r = lab.post("/api/regions", content=json.dumps({"widths": [4], "init": "[" * 100}),
                 headers={"content-type": "application/json"})
    assert r.status_code == 422 and "nested" not in r.json()["detail"]


def test_every_status_carries_the_security_headers(lab):
    for r in (lab.get("/"), lab.get("/nope"), lab.post("/api/regions", json={"widths": [0]}),
              lab.get("/api/paint.png", params={"size": 100000})):
        assert _secure(r), r.status_code


def test_past_the_queue_cap_a_request_is_503_with_retry_after():
    """The queue's cap, with an event the test controls holding the one computation."""
    import asyncio
    import threading

    from neuromosaic.lab.compute import Busy, Runner

    runner = Runner(Limits(max_queue=1, threads=1))
    release = threading.Event()

    async def scenario():
        first = asyncio.ensure_future(runner.run(release.wait))
        await asyncio.sleep(0)  # submitted
        assert runner.queued == 1
        with pytest.raises(Busy, match="busy"):
            await runner.run(lambda: 1)
        release.set()
        assert await first is True
        assert runner.queued == 0
        return await runner.run(lambda: 2)

    assert asyncio.run(scenario()) == 2
    runner.close()


def test_busy_is_answered_503_with_retry_after():
    with TestClient(create_app(Limits(max_queue=0)), base_url=LOCAL) as c:
        r = c.get("/api/paint.png", params={"size": 16})
        assert r.status_code == 503 and r.headers["retry-after"] == "1" and _secure(r)


def test_fit_sockets_are_capped_and_bad_frames_are_one_line_errors():
    with TestClient(create_app(Limits(max_fit_sockets=1), allow_hosts=("testserver",))) as c:
        with c.websocket_connect("/api/fit/ws") as first:
            with c.websocket_connect("/api/fit/ws") as second:
                reply = second.receive_json()
                assert reply["type"] == "error" and "live fits" in reply["detail"]
            first.send_bytes(b"\x00\x01")
            assert first.receive_json()["detail"] == "messages must be JSON text frames, got a binary frame"
            first.send_text("[" * 10_000)
            assert "nested deeper than 64" in first.receive_json()["detail"]
            first.send_text(" " * 70_000)
            assert "at most 65,536 bytes" in first.receive_json()["detail"]
            first.send_json({"type": "play"})
            assert "send a config" in first.receive_json()["detail"]  # still serving
