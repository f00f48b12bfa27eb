"""Lab latency, measured against a running server over loopback (``neuromosaic lab`` in a subprocess).

For each figure of the issue, the same work is also timed in this process by calling the library
directly (one thread, as the server's workers run), so the table shows what the HTTP shell adds:
``ratio`` = server time / library time. Every loop is bounded and stops by itself.

Figures (issue 6): paint preview 256² p50 < 80 ms and p95 < 150 ms; regions of a [32]*3 net
< 300 ms; a training stream of >= 10 updates/s for a [8, 8] net; 16 concurrent clients for
60 s with zero errors (p95 reported).

Usage: python benchmarks/lab.py [--duration 60] [--clients 16] [--quick] [--busy]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time

import httpx
import numpy as np

PAINT = {"size": 256, "layers": 8, "width": 16, "init": "normal:1", "fast": "true"}
REGIONS = {"arch": [2, 32, 32, 32, 1], "init": "default"}
FIT = {"target": "paraboloid", "hidden": [8, 8], "steps": 100000, "n_train": 1000, "n_test": 500}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "neuromosaic", "lab", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/paint/options", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the lab server did not start within 60 s")


def pct(values, q) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - t)
    return out


# -- the library, in this process (the baselines) ----------------------------------------------
def library_paint(n: int) -> list[float]:
    from neuromosaic.lab.routes_paint import preview_png
    from neuromosaic.painting import PaintConfig, render_config

    def one(i):
        cfg = PaintConfig(size=256, layers=8, width=16, init="normal:1", fast=True, seed=i)
        preview_png(render_config(cfg, workers=1), cfg)

    one(0)
    return timed(one, n)


def library_regions(n: int) -> list[float]:
    import torch

    from neuromosaic.regions import linear_regions
    from neuromosaic.spec import NetSpec

    def one(i):
        net = NetSpec(inputs=2, widths=[32] * 3, outputs=1, activation="relu", out_activation="identity",
                      init="default", seed=i).build(dtype=torch.float64)
        reg = linear_regions(net, domain=(-1, 1, -1, 1), workers=1)
        _ = reg.affine, reg.polygons, reg.areas  # what the answer carries: derived on first use

    one(0)
    return timed(one, n)


def library_stream(seconds: float) -> float:
    from neuromosaic.fitting import FitConfig, Trainer
    from neuromosaic.lab.routes_fit import frame

    trainer = Trainer(FitConfig(**FIT))
    frames, t = 0, time.perf_counter()
    while time.perf_counter() - t < seconds:
        trainer.step(5)
        json.dumps(frame(trainer))
        frames += 1
    return frames / (time.perf_counter() - t)


# -- the server, over loopback -----------------------------------------------------------------
def server_paint(url: str, n: int) -> list[float]:
    with httpx.Client(base_url=url, timeout=30) as c:
        c.get("/api/paint.png", params=PAINT).raise_for_status()
        return timed(lambda i: c.get("/api/paint.png", params={**PAINT, "seed": 1000 + i}).raise_for_status(), n)


def server_regions(url: str, n: int) -> list[float]:
    with httpx.Client(base_url=url, timeout=30) as c:
        c.post("/api/regions", json=REGIONS).raise_for_status()
        return timed(lambda i: c.post("/api/regions", json={**REGIONS, "seed": i}).raise_for_status(), n)


def server_stream(url: str, seconds: float) -> float:
    from websockets.sync.client import connect

    with connect(url.replace("http", "ws") + "/api/fit/ws", max_size=None) as ws:
        ws.send(json.dumps({"type": "config", "config": FIT}))
        while json.loads(ws.recv())["type"] != "frame":
            pass
        ws.send(json.dumps({"type": "play"}))
        frames, t = 0, time.perf_counter()
        while time.perf_counter() - t < seconds:
            if json.loads(ws.recv(timeout=10))["type"] == "frame":
                frames += 1
        rate = frames / (time.perf_counter() - t)
        ws.send(json.dumps({"type": "pause"}))
    return rate


def concurrent_clients(url: str, clients: int, seconds: float) -> dict:
    """``clients`` threads, each looping paint previews (70 %), regions of a [16, 16] net (20 %) and
    mean-field points (10 %) until ``seconds`` have passed."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(k: int):
        rng = random.Random(k)
        with httpx.Client(base_url=url, timeout=60) as c:
            while time.monotonic() < stop:
                roll = rng.random()
                t = time.perf_counter()
                try:
                    if roll < 0.7:
                        r = c.get("/api/paint.png", params={**PAINT, "seed": rng.randrange(10**6)})
                    elif roll < 0.9:
                        r = c.post("/api/regions", json={"arch": [2, 16, 16, 1], "seed": rng.randrange(10**6)})
                    else:
                        r = c.get("/api/explain/point", params={"sigma_w": rng.uniform(0.5, 4), "sigma_b": 0.1})
                    ok = r.status_code == 200
                    problem = f"{r.status_code} {r.text[:80]}"
                except httpx.HTTPError as exc:
                    ok, problem = False, repr(exc)
                with lock:
                    latencies.append(time.perf_counter() - t)
                    if not ok:
                        errors.append(problem)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    return {"requests": len(latencies), "errors": len(errors), "first_error": errors[0] if errors else "",
            "p50": pct(latencies, 50), "p95": pct(latencies, 95), "rps": len(latencies) / wall}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of the concurrent-clients run")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and a 10 s concurrent run")
    ap.add_argument("--busy", action="store_true",
                    help="another process keeps one core busy (a spinning loop) for the whole run")
    args = ap.parse_args()
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        return run(args)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def run(args) -> int:
    if args.quick:
        args.duration = min(args.duration, 10.0)
    n_paint, n_regions, stream_s = (20, 6, 3.0) if args.quick else (80, 20, 8.0)

    import torch

    torch.set_num_threads(1)  # as the server's workers
    base_paint = library_paint(n_paint)
    base_regions = library_regions(n_regions)
    base_stream = library_stream(stream_s)

    proc, url = start_server()
    try:
        paint = server_paint(url, n_paint)
        regions = server_regions(url, n_regions)
        stream = server_stream(url, stream_s)
        load = concurrent_clients(url, args.clients, args.duration)
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"torch {torch.__version__}; server: uvicorn on 127.0.0.1, torch threads 1")
    print(f"command: python benchmarks/lab.py --duration {args.duration:g} --clients {args.clients}"
          f"{' --quick' if args.quick else ''}{' --busy' if args.busy else ''}"
          f"{' (another process spins on one core)' if args.busy else ''}\n")
    print("| figure | library in-process | server over loopback | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    rows = [
        ("paint preview 256² p50 (ms)", pct(base_paint, 50), pct(paint, 50), "< 80", pct(paint, 50) < 80),
        ("paint preview 256² p95 (ms)", pct(base_paint, 95), pct(paint, 95), "< 150", pct(paint, 95) < 150),
        ("regions [32]*3 p50 (ms)", pct(base_regions, 50), pct(regions, 50), "< 300", pct(regions, 50) < 300),
        ("regions [32]*3 p95 (ms)", pct(base_regions, 95), pct(regions, 95), "< 300", pct(regions, 95) < 300),
    ]
    for name, lib, srv, target, met in rows:
        print(f"| {name} | {lib:.1f} | {srv:.1f} | {srv / lib:.2f} | {target} | {'yes' if met else 'NO'} |")
    print(f"| training stream [8, 8] (updates/s) | {base_stream:.1f} | {stream:.1f} | "
          f"{stream / base_stream:.2f} | >= 10 | {'yes' if stream >= 10 else 'NO'} |")
    print(f"\n{args.clients} concurrent clients for {args.duration:g} s (70 % paint previews, 20 % regions "
          f"[16, 16], 10 % mean-field points):\n")
    print("| requests | requests/s | errors | p50 (ms) | p95 (ms) |")
    print("|---|---|---|---|---|")
    print(f"| {load['requests']} | {load['rps']:.1f} | {load['errors']} | {load['p50']:.0f} | {load['p95']:.0f} |")
    if load["errors"]:
        print(f"\nfirst error: {load['first_error']}")
    return 0 if load["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
