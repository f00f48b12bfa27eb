"""Run a grid's cells in this process, in a local process pool, or on a Dask cluster.

Each finished cell is written at once, atomically, as ``<output>.cells/<key>.json`` (and its
figure, if any, into the figures folder), so an interrupted sweep loses at most the cells in
flight, and running it again computes only the cells without a file. The table is assembled from
the cell files at the end (see :mod:`neuromosaic.sweeps.table`).

Workers never write files: they return the measurements (and figure bytes) to this process,
which writes them. So a Dask cluster needs no shared file system.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import InputError, NeuromosaicError, one_line
from ..io.atomic import (
    atomic_write_bytes,
    atomic_write_text,
    check_folder,
    check_writable,
    make_folder,
)
from .experiments import EXPERIMENTS
from .grid import Cell, Grid
from .table import write_table
from .timed import run_local_timed

DASK_SCHEMES = ("tcp", "tls", "ws", "wss")
CONNECT_TIMEOUT_S = 5.0  # an unreachable scheduler is reported after this long
MAX_CONNECT_TIMEOUT_S = 3600.0


def run_cell(experiment: str, params: dict[str, Any], want_figure: bool,
             threads: int | None = None) -> dict[str, Any]:
    """Run one cell (this is what a worker executes) and return its record.

    Arguments:
        experiment: a key of ``EXPERIMENTS``.
        params: the cell's parameters (``Cell.params``).
        want_figure: whether to also return the figure's bytes.
        threads: the CPU threads the cell may use for its own parallelism (paint's row
            chunks, the region engine's tiles): 1 in pool and Dask workers, so that N workers
            do not each start a pool of all cores; ``None`` (in this process): all cores.

    Torch's intra-op threads are 1 during the cell: the nets of a sweep are small, and on a
    busy machine a multi-threaded small matmul spins (a 200-step fit took 7-14 s with 2 threads
    and 0.3 s with 1 on the 2-core build machine).

    Returns ``{"values": {...}, "seconds": float, "error": str | None, "figure_bytes": bytes |
    None}``. An exception raised by the experiment becomes ``error`` (one line), not a crash:
    a failed cell is a row of the table.
    """
    from ..threads import one_torch_thread

    exp = EXPERIMENTS[experiment]
    start = time.perf_counter()
    values: dict[str, Any] = {}
    figure = None
    error = None
    try:
        with one_torch_thread():
            outcome = exp.run(exp.params.model_validate(params), figure=want_figure, threads=threads)
        values, figure = {k: _plain(v) for k, v in outcome.values.items()}, outcome.figure
    except NeuromosaicError as exc:
        error = one_line(exc)
    except Exception as exc:  # noqa: BLE001 - any failure of one cell is recorded in its row
        error = f"{type(exc).__name__}: {one_line(exc)}"
    return {"values": values, "seconds": time.perf_counter() - start, "error": error,
            "figure_bytes": figure}


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds (for JSON and the table)."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", None) == 0 else value


@dataclass
class SweepResult:
    """What :func:`run_sweep` did.

    Attributes:
        rows: one dict per cell in grid order (cells not finished are absent).
        table: the table's path.
        computed: cells run now; skipped: cells found done; failed: rows with an ``error``;
        lost: cells whose worker died or could not run them (no file written: a re-run retries
            them), with ``lost_messages`` saying why.
    """

    rows: list[dict[str, Any]]
    table: Path
    computed: int = 0
    skipped: int = 0
    failed: int = 0
    lost: int = 0
    lost_messages: list[str] = field(default_factory=list)


def check_dask_address(address: str) -> str:
    """Return ``address`` if it looks like ``tcp://HOST:PORT`` (``HOST:PORT`` means tcp), else
    raise ``InputError``."""
    given = address
    address = address.strip()
    if "://" not in address:
        address = f"tcp://{address}"
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in DASK_SCHEMES or not parts.hostname or port is None:
        raise InputError(f"--dask must look like tcp://HOST:PORT (schemes: "
                         f"{', '.join(DASK_SCHEMES)}), got {given!r}")
    return address


def _figure_name(cell: Cell, experiment: str, ext: str) -> str:
    label = "_".join(f"{k}={v}" for k, v in cell.axes.items())
    label = re.sub(r"[^A-Za-z0-9=.,_-]+", "-", label)[:120]
    return f"{experiment}-{label}-{cell.key[:8]}{ext}"


def _load_done(grid: Grid, retry_failed: bool) -> dict[str, dict[str, Any]]:
    """Cell records already on disk for this grid's cells (unreadable files count as not done)."""
    done = {}
    want_figures = grid.figures is not None and grid.experiment.makes_figure
    try:  # one listing of the folder, not one failed open per cell
        present = set(os.listdir(grid.cells_dir))
    except (FileNotFoundError, NotADirectoryError):
        return done
    for cell in grid.cells:
        if f"{cell.key}.json" not in present:
            continue
        path = grid.cells_dir / f"{cell.key}.json"
        try:
            record = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        if not isinstance(record, dict) or record.get("cell") != cell.key:
            continue
        if retry_failed and record.get("error"):
            continue
        if want_figures and not record.get("error") and not record.get("figure"):
            continue  # done before figures were asked for: run again to draw it
        done[cell.key] = record
    return done


def count_done(grid: Grid, *, retry_failed: bool = False) -> int:
    """How many of ``grid``'s cells already have a result file (what a run would skip)."""
    return len(_load_done(grid, retry_failed))


def _save(grid: Grid, cell: Cell, result: dict[str, Any]) -> dict[str, Any]:
    """Write the cell's figure then its record (the record last: its presence means done)."""
    record = {"cell": cell.key, "experiment": grid.experiment.name, "params": cell.params,
              "values": result["values"], "seconds": result["seconds"], "error": result["error"],
              "figure": None}
    if result.get("figure_bytes") is not None and grid.figures is not None:
        name = _figure_name(cell, grid.experiment.name, grid.experiment.figure_ext)
        atomic_write_bytes(grid.figures / name, result["figure_bytes"])
        # relative to the table, so the results folder can be moved as a whole
        record["figure"] = os.path.relpath(grid.figures / name, grid.output.parent)
    atomic_write_text(grid.cells_dir / f"{cell.key}.json",
                      json.dumps(record, sort_keys=True, allow_nan=True) + "\n")
    return record


def _run_local(grid: Grid, todo: list[Cell], workers: int, want_figure: bool
               ) -> Iterator[tuple[Cell, dict[str, Any] | None, str | None]]:
    """Yield ``(cell, result, None)`` as cells finish, or ``(cell, None, why)`` if lost."""
    name = grid.experiment.name
    workers = min(workers, len(todo))
    if workers <= 1:
        for cell in todo:
            yield cell, run_cell(name, cell.params, want_figure), None
        return
    # spawn, not fork: a forked child of a process whose OpenMP pool already ran can deadlock.
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_cell, name, c.params, want_figure, 1): c for c in todo}
        try:
            for fut in as_completed(futures):
                try:
                    yield futures[fut], fut.result(), None
                except Exception as exc:  # noqa: BLE001 - a dead worker loses its cell only
                    yield futures[fut], None, f"{type(exc).__name__}: {one_line(exc)}"
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def connect_dask(address: str, timeout: float = CONNECT_TIMEOUT_S):
    """A ``distributed.Client`` on the scheduler at ``address`` with at least one worker, or an
    ``InputError`` within about ``timeout`` seconds (a bad address, nothing listening, no worker).
    """
    address = check_dask_address(address)
    try:
        from distributed import Client
    except ImportError:
        raise InputError("--dask needs dask.distributed: pip install 'neuromosaic[sweep]'") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                         f"({one_line(exc)}); start one with `dask scheduler` and give its "
                         f"address") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        client.close()
        raise InputError(f"the Dask scheduler at {address} has no workers after {timeout:g} s; "
                         f"start some with `dask worker {address}`") from None
    return client


def _run_dask(grid: Grid, todo: list[Cell], client, want_figure: bool
              ) -> Iterator[tuple[Cell, dict[str, Any] | None, str | None]]:
    from distributed import as_completed as dask_completed

    name = grid.experiment.name
    futures = {client.submit(run_cell, name, c.params, want_figure, 1,
                             key=f"neuromosaic-{name}-{c.key}", pure=False): c for c in todo}
    try:
        for fut in dask_completed(list(futures), loop=client.loop):
            try:
                yield futures[fut], fut.result(), None
            except Exception as exc:  # noqa: BLE001 - a killed worker loses its cell only
                yield futures[fut], None, f"{type(exc).__name__}: {one_line(exc)}"
    finally:
        client.cancel(list(futures))


def run_sweep(grid: Grid, *, workers: int = 1, dask: str | None = None,
              retry_failed: bool = False, connect_timeout: float = CONNECT_TIMEOUT_S,
              cell_timeout: float | None = None,
              on_progress: Callable[[int, int, str], None] | None = None,
              clock: Callable[[], float] | None = None) -> SweepResult:
    """Run every cell of ``grid`` not already done and write the results table.

    Arguments:
        grid: from :func:`~neuromosaic.sweeps.grid.load_grid`.
        workers: processes on this machine; ``1`` runs the cells in this process.
        dask: a scheduler address ``tcp://HOST:PORT``; the cells then run on its workers
            (``workers`` is ignored).
        retry_failed: run again the cells whose row has an ``error``.
        connect_timeout: seconds to wait for the scheduler (and for its first worker).
        cell_timeout: seconds a cell may take; each cell then runs in a worker process (even with
            ``workers=1``) that is killed and replaced when its cell runs over, and the cell's
            row has ``error`` "timed out after … s". Local workers only.
        on_progress: called as ``on_progress(done, total, label)`` after each cell (and once
            at the start with the cells already done).
        clock: what ``cell_timeout`` is measured with (default ``time.monotonic``; tests).

    Returns a :class:`SweepResult`. Raises ``InputError`` for a bad or unreachable scheduler and
    ``OutputError`` when the table's folder cannot be written.
    """
    if workers < 1:
        raise InputError(f"--workers must be >= 1, got {workers}")
    if not 0 < connect_timeout <= MAX_CONNECT_TIMEOUT_S:
        raise InputError(f"--connect-timeout must be in (0, {MAX_CONNECT_TIMEOUT_S}] seconds, "
                         f"got {connect_timeout}")
    if cell_timeout is not None:
        if not (cell_timeout > 0 and math.isfinite(cell_timeout)):
            raise InputError(f"--cell-timeout must be a positive number of seconds, got {cell_timeout}")
        if dask is not None:
            raise InputError("--cell-timeout stops local worker processes; it cannot stop a task "
                             "running on a Dask cluster (drop one of --cell-timeout and --dask)")
    for folder in (grid.output.parent, grid.figures):
        if folder is not None:
            check_folder(folder)
    if grid.output.exists() or grid.output.is_symlink():  # a FIFO or device, refused up front
        check_writable(grid.output)
    client = connect_dask(dask, connect_timeout) if dask is not None else None
    try:
        return _sweep(grid, workers, client, retry_failed, on_progress, cell_timeout, clock)
    finally:
        if client is not None:
            client.close()


def _sweep(grid: Grid, workers: int, client, retry_failed: bool,
           on_progress: Callable[[int, int, str], None] | None,
           cell_timeout: float | None = None, clock=None) -> SweepResult:
    for folder in (grid.output.parent, grid.cells_dir, grid.figures):
        if folder is not None:
            make_folder(folder)

    done = _load_done(grid, retry_failed)
    todo = [c for c in grid.cells if c.key not in done]
    total = len(grid.cells)
    result = SweepResult(rows=[], table=grid.output, skipped=len(done))
    if on_progress:
        on_progress(len(done), total, "")
    want_figure = grid.figures is not None and grid.experiment.makes_figure
    if client is not None:
        stream = _run_dask(grid, todo, client, want_figure)
    elif cell_timeout is not None and todo:
        stream = run_local_timed(grid, todo, workers, want_figure, cell_timeout, clock=clock)
    else:
        stream = _run_local(grid, todo, workers, want_figure)
    try:
        for cell, cell_result, lost in stream:
            if cell_result is None:
                result.lost += 1
                result.lost_messages.append(lost or "unknown")
            else:
                done[cell.key] = _save(grid, cell, cell_result)
                result.computed += 1
            if on_progress:
                label = " ".join(f"{k}={v}" for k, v in cell.axes.items())
                on_progress(len(done) + result.lost, total, label)
    finally:
        # also on Ctrl-C: the table shows every cell finished so far
        records = [done[c.key] for c in grid.cells if c.key in done]
        result.rows = write_table(grid, records)
    result.failed = sum(1 for r in result.rows if r.get("error"))
    return result
