"""Local cells under a time limit (``sweep --cell-timeout``): one worker process per slot, killed
and replaced when its cell runs too long (Python cannot stop a thread, but it can kill a process).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from typing import Any

from .grid import Cell, Grid


def timed_worker(conn) -> None:
    """A worker process of :func:`run_local_timed`: says it is ready (its imports done), then
    runs the cells it is sent, one at a time, until it is sent None."""
    import torch  # noqa: F401 - the slow imports, before "ready", so they are not in a cell's time

    from ..painting import kernel  # noqa: F401 - the compiled paint kernel (Numba's cache)
    from ..regions.cutter import load_kernel

    load_kernel()  # and the region kernel

    conn.send("ready")
    while True:
        msg = conn.recv()
        if msg is None:
            return
        from .runner import run_cell

        conn.send(run_cell(*msg, 1))


def _timeout_record(seconds: float) -> dict[str, Any]:
    return {"values": {}, "seconds": seconds, "figure_bytes": None,
            "error": f"timed out after {seconds:g} s (--cell-timeout); stopped"}


def run_local_timed(grid: Grid, todo: list[Cell], workers: int, want_figure: bool,
                     timeout: float, *, clock: Callable[[], float] | None = None
                     ) -> Iterator[tuple[Cell, dict[str, Any] | None, str | None]]:
    """Like the runner's local pool, but every cell runs in a worker process that is killed (and
    replaced) when the cell takes more than ``timeout`` seconds of ``clock`` (default
    ``time.monotonic``); the cell becomes a row whose ``error`` says so (``--retry-failed`` runs
    it again)."""
    from multiprocessing.connection import wait

    now = clock or time.monotonic
    ctx = get_context("spawn")
    name = grid.experiment.name
    pending = list(todo)
    slots: list[dict[str, Any]] = []
    failed_starts = 0  # workers that died before they were ready (a broken install): give up at 3

    def start() -> dict[str, Any]:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=timed_worker, args=(child,), daemon=True)
        proc.start()
        child.close()
        return {"proc": proc, "conn": parent, "ready": False, "cell": None, "started": 0.0}

    def stop(slot: dict[str, Any]) -> None:
        slot["proc"].kill()
        slot["proc"].join()
        slot["conn"].close()

    try:
        slots = [start() for _ in range(min(workers, len(todo)))]
        while pending or any(s["cell"] is not None for s in slots):
            for s in slots:
                if s["ready"] and s["cell"] is None and pending:
                    s["cell"] = pending.pop(0)
                    s["conn"].send((name, s["cell"].params, want_figure))
                    s["started"] = now()
            busy = [s for s in slots if s["cell"] is not None]
            left = [s["started"] + timeout - now() for s in busy]
            wait([s["conn"] for s in slots] + [s["proc"].sentinel for s in slots],
                 timeout=max(0.0, min(left)) if left else None)
            for i, s in enumerate(slots):
                cell = s["cell"]
                if s["conn"].poll():
                    try:
                        msg = s["conn"].recv()
                    except (EOFError, OSError):
                        msg = None
                    if msg == "ready":
                        s["ready"] = True
                        continue
                    if msg is not None and cell is not None:
                        s["cell"] = None
                        yield cell, msg, None
                        continue
                if not s["proc"].is_alive():  # died (killed from outside, out of memory, …)
                    code = s["proc"].exitcode
                    stop(s)
                    if not s["ready"]:
                        failed_starts += 1
                        if failed_starts >= 3:
                            why = f"worker processes die as they start (exit code {code})"
                            for c in [x["cell"] for x in slots if x["cell"] is not None] + pending:
                                yield c, None, why
                            return
                    slots[i] = start()
                    if cell is not None:
                        yield cell, None, f"worker process died (exit code {code})"
                elif cell is not None and now() - s["started"] > timeout:
                    stop(s)
                    slots[i] = start()
                    yield cell, _timeout_record(timeout), None
    finally:
        for s in slots:
            stop(s)
