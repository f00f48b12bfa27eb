"""Long work shows a progress bar that suits the place: rich's Jupyter display (HTML in the
cell's output) in a notebook, nothing in a pipe or a log — never terminal escape codes there.
Jupyter is faked here: rich asks ``rich.console._is_jupyter()``, and IPython's ``display`` is
caught instead of sent to a front end."""

from __future__ import annotations

import pytest

from neuromosaic.cli.progress import progress_bar, progress_console
from neuromosaic.painting import PaintConfig, render_config

ESC = "\x1b["


@pytest.fixture
def notebook(monkeypatch):
    """Fake a Jupyter kernel for rich; the objects displayed in the cell's output, in order."""
    pytest.importorskip("ipywidgets", reason="rich's Jupyter display needs ipywidgets")
    display = pytest.importorskip("IPython.display")
    import rich.console

    shown = []
    monkeypatch.setattr(rich.console, "_is_jupyter", lambda: True)
    monkeypatch.setattr(display, "display", lambda *objs, **kw: shown.extend(objs))
    return shown


def html_of(obj) -> str:
    bundle = obj._repr_mimebundle_(include=None, exclude=None) if hasattr(obj, "_repr_mimebundle_") else {}
    return bundle.get("text/html", "") if isinstance(bundle, dict) else ""


def test_a_long_painting_in_a_notebook_draws_an_html_bar(notebook, capfd):
    cfg = PaintConfig(size=(96, 512), layers=2, width=4)
    with progress_bar("painting") as bar:
        image = render_config(cfg, workers=1, progress=bar)
    assert image.shape == (512, 96, 3)
    out, err = capfd.readouterr()
    assert ESC not in out and ESC not in err  # no terminal codes anywhere
    pages = [html_of(o) for o in notebook if "painting" in html_of(o)]
    assert pages and "100%" in pages[-1]  # the bar, ended
    assert "<pre" in pages[-1]  # rich's HTML rendering, not text with escape codes


def test_the_callback_takes_every_progress_form_of_the_library(notebook):
    with progress_bar("work") as bar:
        bar(1, 4)                                   # paint, videos, theory sweeps
        bar(2, 4, 17)                               # linear_regions: (done, total, faces)
        bar({"step": 4, "total_steps": 4, "train_loss": 0.1})  # nm.fit's metrics
    assert "100%" in [html_of(o) for o in notebook if "work" in html_of(o)][-1]


def test_no_bar_and_no_escape_codes_in_a_pipe(monkeypatch, capfd):
    monkeypatch.setenv("FORCE_COLOR", "1")  # would make rich draw a bar with escape codes
    assert progress_console() is None
    with progress_bar("painting") as bar:
        render_config(PaintConfig(size=32), progress=bar)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_disabled_bar_is_silent(notebook):
    with progress_bar("painting", enabled=False) as bar:
        bar(1, 2)
    assert notebook == []
