"""Benchmark: how far apart the lab's check points are (issue 12: a computation past its time
limit stops at its next check point, and those are at most ~0.5 s of work apart).

Each request runs through the lab's Runner with a clock that records every reading: the runner
reads it at the start and at every check point (the painter's row chunks, the region engine's
layers, nm.fit's progress). The table gives the longest gap between two readings, for the
largest request of each kind the lab's caps allow. Prints markdown.

Run: .venv/bin/python benchmarks/checkpoints.py
"""

from __future__ import annotations

import platform
import time
import warnings

warnings.filterwarnings("ignore", message=".*httpx.*")

from fastapi.testclient import TestClient  # noqa: E402

from neuromosaic.lab import Limits, create_app  # noqa: E402


class RecordingClock:
    def __init__(self):
        self.reads: list[float] = []

    def __call__(self) -> float:
        now = time.perf_counter()
        self.reads.append(now)
        return now

    def longest_gap(self) -> float:
        return max((b - a for a, b in zip(self.reads, self.reads[1:], strict=False)), default=0.0)


CASES = [
    ("paint 2048² (8 × 16 tanh, the caps' largest picture)", "get", "/api/paint.png",
     {"params": {"size": 2048, "layers": 8, "width": 16}}),
    ("regions [128, 128, 128] over [-4, 4]²", "post", "/api/regions",
     {"json": {"widths": [128, 128, 128], "domain": [-4, 4, -4, 4], "seed": 0}}),
    ("fit [64, 64] on 20,000 points, 600 steps", "post", "/api/fit",
     {"json": {"hidden": [64, 64], "n_train": 15000, "n_test": 5000, "steps": 600, "restarts": 1}}),
    ("fit [6], the regression recipe (4 restarts)", "post", "/api/fit", {"json": {"hidden": [6]}}),
]


def main() -> None:
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}\n")
    print("| request | status | seconds | check points | longest gap between check points (s) |")
    print("|---|---|---|---|---|")
    for name, method, path, kwargs in CASES:
        clock = RecordingClock()
        with TestClient(create_app(Limits(), clock=clock), base_url="http://127.0.0.1") as client:
            start = time.perf_counter()
            r = getattr(client, method)(path, **kwargs)
            seconds = time.perf_counter() - start
        print(f"| {name} | {r.status_code} | {seconds:.2f} | {len(clock.reads)} | {clock.longest_gap():.3f} |")


if __name__ == "__main__":
    main()
