"""A rich progress bar for long work, as a ``progress`` callback, drawn the way the place suits:

- a terminal: a transient bar on stderr (rich's live display, erased when the work ends);
- a Jupyter kernel (JupyterLab, Notebook, VS Code, Colab): rich's Jupyter display, an HTML bar
  in the cell's output that stays there when the work ends — never terminal escape codes;
- anywhere else (a pipe, a CI log, ``!neuromosaic …`` in a cell): no bar at all, even when
  ``FORCE_COLOR`` would make rich draw one with escape codes.

The callback takes what every long call of the library reports: ``(done, total)`` (painting,
videos, the theory's sweeps), ``(done, total, faces)`` (``linear_regions``) or ``nm.fit``'s metrics
dict. In a notebook::

    from neuromosaic.cli.progress import progress_bar
    with progress_bar("painting") as bar:
        image = nm.paint(net, size=4096, progress=bar)
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def progress_console() -> Console | None:
    """The console a bar is drawn on here (see the module docstring), or ``None`` for no bar."""
    console = Console(stderr=True)
    if console.is_jupyter:
        # rich draws a live display in Jupyter through an ipywidgets Output; without it, no bar
        return console if importlib.util.find_spec("ipywidgets") is not None else None
    stream = sys.stderr
    if console.is_terminal and hasattr(stream, "isatty") and stream.isatty():
        return console
    return None


@contextlib.contextmanager
def live_progress(*columns, enabled: bool = True) -> Iterator[Progress | None]:
    """A started :class:`rich.progress.Progress` on :func:`progress_console` (transient in a
    terminal, kept in a notebook), or ``None`` when disabled or no bar suits the place."""
    console = progress_console() if enabled else None
    if console is None:
        yield None
        return
    with Progress(*columns, console=console, transient=not console.is_jupyter) as bar:
        yield bar
        if console.is_jupyter:  # rich's Jupyter display keeps its last refresh: make it the end
            bar.refresh()


@contextlib.contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator:
    """Yield a callback ``(done, total)`` that drives a bar (a no-op when disabled or where no
    bar suits the place); it also takes ``(done, total, faces)`` and ``nm.fit``'s metrics dict."""
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn(), TimeRemainingColumn())
    with live_progress(*columns, enabled=enabled) as bar:
        if bar is None:
            yield lambda *args, **kwargs: None
            return
        task = bar.add_task(description, total=None)

        def update(done, total=None, *_more) -> None:
            if isinstance(done, dict):  # nm.fit(progress=…): the trainer's metrics
                done, total = done.get("step", 0), done.get("total_steps")
            bar.update(task, completed=done, total=total or None)

        yield update
