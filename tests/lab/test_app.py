"""The page, its assets, security properties, the event loop staying free, and the CLI."""

import asyncio

import httpx
import pytest

from neuromosaic.cli.app import main
from neuromosaic.lab import create_app

# every route the app has; anything new must be checked for paths taken from the request
ROUTES = {"/", "/vendor/plotly.min.js", "/static", "/api/paint.png", "/api/paint/options", "/api/regions",
          "/api/fit/ws", "/api/fit/options", "/api/fit", "/api/towers", "/api/explain/phase",
          "/api/explain/point", "/openapi.json", "/api/paint/range", "/api/paint/glsl", "/api/paint/from-file",
          "/api/digits", "/api/breed",
          "/api/breed/cross"}


def test_page_and_local_plotly(client):
    page = client.get("/")
    assert page.status_code == 200 and '<script type="module" src="/static/main.js">' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the internet
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    for name in ("main.js", "ui.js", "paint.js", "canvas.js", "regions.js", "regiondraw.js", "fit.js",
                 "towers.js", "explain.js", "breed.js", "webgl.js", "style.css"):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200, name
        assert "https://" not in r.text and "http://" not in r.text, name
    assert "default-src 'self'" in page.headers["content-security-policy"]


def route_paths(routes) -> set:
    out = set()
    for r in routes:
        if getattr(r, "path", None) is not None:
            out.add(r.path)
        inner = getattr(r, "original_router", None)  # FastAPI keeps included routers as wrappers
        if inner is not None:
            out |= route_paths(inner.routes)
    return out


def test_no_route_takes_a_path(client):
    assert route_paths(create_app().routes) == ROUTES
    schema = client.get("/openapi.json").json()
    for path, ops in schema["paths"].items():
        assert "{" not in path, path  # no path parameters at all
        for op in ops.values():
            for p in op.get("parameters", []):
                assert p["name"] not in ("path", "file", "filename", "dir"), (path, p["name"])
    for probe in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fcompute.py", "/vendor/../app.py"):
        assert client.get(probe).status_code == 404, probe


def test_oversized_body_is_413(make_client):
    with make_client(max_upload_bytes=1000) as c:
        r = c.post("/api/regions", content=b"{" + b" " * 5000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413 and "cap" in r.json()["detail"]


def test_a_slow_request_does_not_block_a_fast_one(monkeypatch):
    """CPU work runs in the pool: while a painting is held in its worker thread (an event the
    test controls, not a race against the clock), the options still answer; then it finishes."""
    import threading

    from neuromosaic.lab import routes_paint

    release = threading.Event()
    real = routes_paint.render_config

    def held(*args, **kwargs):
        assert release.wait(30), "the fast request never answered while the painting was held"
        return real(*args, **kwargs)

    monkeypatch.setattr(routes_paint, "render_config", held)

    async def scenario():
        app = create_app()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            finished = []

            async def slow():
                r = await c.get("/api/paint.png", params={"size": 64})
                finished.append(("slow", r.status_code))

            async def fast():
                await asyncio.sleep(0)
                r = await c.get("/api/paint/options")
                finished.append(("fast", r.status_code))
                release.set()

            await asyncio.gather(slow(), fast())
        return finished

    assert asyncio.run(scenario()) == [("fast", 200), ("slow", 200)]


def test_cli_warns_when_binding_all_interfaces(monkeypatch, capsys):
    import uvicorn

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert main(["lab", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert calls == [{"host": "0.0.0.0", "port": 8123, "log_level": "warning"}]
    assert "warning" in capsys.readouterr().err
    assert main(["lab"]) == 0
    assert calls[-1]["host"] == "127.0.0.1" and calls[-1]["port"] == 8000  # loopback by default
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("args", [["lab", "--port", "0"], ["lab", "--port", "70000"], ["lab", "--port", "x"]])
def test_cli_bad_port_is_one_line_exit_2(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
