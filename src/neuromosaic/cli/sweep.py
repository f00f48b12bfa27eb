"""``neuromosaic sweep GRID.toml``: run a grid of experiments into one table (see docs/sweeps.md)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from . import options as opt


@contextlib.contextmanager
def _cell_progress(enabled: bool) -> Iterator[Callable[[int, int, str], None]]:
    """A rich bar counting cells, showing the last finished cell's parameters (on stderr in a
    terminal, rich's Jupyter display in a notebook; see :mod:`.progress`)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from .progress import live_progress

    columns = (TextColumn("cells"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TimeRemainingColumn(), TextColumn("{task.description}"))
    with live_progress(*columns, enabled=enabled) as bar:
        if bar is None:
            yield lambda done, total, label: None
            return
        task = bar.add_task("", total=None)

        def update(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        yield update


def _usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def sweep_cmd(
    grid_file: Annotated[Path, typer.Argument(metavar="GRID.toml",
                                              help="The grid file (TOML; see docs/sweeps.md).")],
    workers: Annotated[int | None, typer.Option(
        "--workers", "-j", help="Local worker processes (default: all cores; 1 runs in this "
                                "process).")] = None,
    dask: Annotated[str | None, typer.Option(
        "--dask", help="Run the cells on a Dask cluster: the scheduler's tcp://HOST:PORT.")] = None,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Results table (.parquet or .csv); overrides the grid file's "
                               "`output`.")] = None,
    connect_timeout: Annotated[float, typer.Option(
        "--connect-timeout", parser=opt.finite_float, help="Seconds to wait for the Dask scheduler and its first "
                                  "worker, in (0, 3600].")] = 5.0,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Also run again the cells whose row has an error.")] = False,
    cell_timeout: Annotated[float | None, typer.Option(
        "--cell-timeout", parser=opt.finite_float, metavar="SECONDS",
        help="Stop a cell that runs longer (its worker process is killed and replaced); the "
             "cell's row says it timed out. Local workers only.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Validate the grid and say how many cells are done; run nothing.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no 'wrote …' line.")] = False,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", hidden=True,
                                                  help="Deprecated: use --quiet.")] = None,
    summary: Annotated[bool, typer.Option(
        "--summary/--no-summary", help="Print each measure's mean ± std over seeds, per "
                                       "combination of the other axes.")] = True,
) -> None:
    """Run a grid of experiments (paint, bounds, …) and write one row per cell to a table.

    Cells already done (a file under OUTPUT.cells/) are skipped, so re-running the same command
    after an interruption finishes the sweep. Experiments: see docs/sweeps.md.

    Example: neuromosaic sweep examples/sweep_depth.toml --workers 4
    """
    from ..sweeps import load_grid, run_sweep
    from ..sweeps.runner import check_dask_address, count_done
    from ..sweeps.table import format_summary, summarize

    if progress is not None:
        from .options import deprecated

        deprecated("--progress/--no-progress", "--quiet")
        quiet = quiet or not progress
    grid = load_grid(grid_file, output=output)
    if dask is not None:
        check_dask_address(dask)
    if dry_run:
        done = count_done(grid, retry_failed=retry_failed)
        print(f"{grid_file}: experiment {grid.experiment.name!r}, {len(grid.cells)} cells over "
              f"{', '.join(grid.axes)}; {done} done, {len(grid.cells) - done} to run; "
              f"table {grid.output}")
        return
    n_workers = workers if workers is not None else _usable_cores()
    with _cell_progress(not quiet) as update:
        result = run_sweep(grid, workers=n_workers, dask=dask, retry_failed=retry_failed,
                           connect_timeout=connect_timeout, cell_timeout=cell_timeout,
                           on_progress=update)
    if not quiet:
        print(f"wrote {result.table}: {len(result.rows)} rows ({result.computed} computed, "
              f"{result.skipped} already done, {result.failed} with an error)", file=sys.stderr)
    if summary:
        by = [a for a in grid.axes if a != "seed"]
        print(format_summary(summarize(result.rows, by, list(grid.experiment.measures))))
    if result.lost:
        print(f"error: {result.lost} cells did not run (first: {result.lost_messages[0]}); "
              f"run the same command again to retry them", file=sys.stderr)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("sweep", no_args_is_help=True)(sweep_cmd)
