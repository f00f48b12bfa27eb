"""Every --help default is the real default: the CLI's text against the library's models."""

import re

import pytest
import typer

from neuromosaic.cli.app import app, main
from neuromosaic.fitting import FitConfig
from neuromosaic.painting import PaintConfig


def _commands():
    root = typer.main.get_command(app)
    for name, cmd in root.commands.items():
        yield from (cmd.commands.items() if hasattr(cmd, "commands") else [(name, cmd)])


def _text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        if len(value) == 2 and value[0] == value[1] and all(isinstance(v, int) for v in value):
            return str(value[0])  # a square size: N
        return ",".join(_text(v) for v in value)
    return str(value)


def _stated(command) -> dict[str, str]:
    """param name → the default its help text states, "(default X)" or "; default X)"."""
    out = {}
    for p in command.params:
        m = re.search(r"[(;] ?default ([^;)]+)[;)]", getattr(p, "help", "") or "")
        if m:
            out[p.name] = m.group(1).strip()
    return out


@pytest.mark.parametrize("name", ["paint", "animate"])
def test_paint_help_states_paintconfigs_defaults(name):
    command = dict(_commands())[name]
    stated = _stated(command)
    fields = PaintConfig.model_fields
    expected = {k: _text(fields[k].default) for k in stated if k in fields}
    expected["widths"] = _text(PaintConfig().hidden)
    # the two flags say their default by its name: --raw-coords/--normalized-coords, --fast/--exact
    expected["raw_coords"] = {"false": "normalized", "true": "raw"}[expected.pop("raw_coords")] \
        if "raw_coords" in expected else None
    expected["fast"] = {"false": "exact", "true": "fast"}[expected.pop("fast")]
    expected = {k: v for k, v in expected.items() if v is not None}
    if name == "animate":
        expected["size"] = "256"
    assert {k: stated[k] for k in expected} == expected
    assert len(expected) >= 10


def test_fit_help_defaults_are_fitconfigs():
    """fit's options carry FitConfig's defaults: typer prints the signature's default, and that
    default must be the library's."""
    command = dict(_commands())["fit"]
    fields = FitConfig.model_fields
    checked = 0
    from neuromosaic.fitting.config import TASK_DEFAULTS

    for p in command.params:
        key = "hidden" if p.name == "hidden" else p.name
        if key not in fields or key == "domain":  # shared with towers: its help states both
            continue
        default = fields[key].default
        got = p.default
        if key == "hidden":
            got = tuple(int(v) for v in str(got).split(","))
        assert got == default, (key, got, default)  # unset on the CLI is unset in the library
        checked += 1
        if key in TASK_DEFAULTS["regression"]:  # the help states each task's recipe value
            for task in ("regression", "surface", "classification"):
                value = TASK_DEFAULTS[task][key]
                text = f"{value:g}" if isinstance(value, float) else str(value)
                assert text in p.help, (key, task, text)
    assert checked >= 14


def test_no_option_states_a_default_that_differs_from_its_signature():
    """Where an option has a real default (typer shows it as [default: X]), a "(default Y)" in
    its text must say the same."""
    for name, command in _commands():
        stated = _stated(command)
        for p in command.params:
            if p.name in stated and p.default is not None and not isinstance(p.default, bool):
                assert stated[p.name] == _text(p.default), (name, p.name)


def test_version_and_every_help_work(capsys):
    from neuromosaic import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"neuromosaic {__version__}"
    for name, _command in _commands():
        path = [name] if name in typer.main.get_command(app).commands else ["explain", name]
        assert main([*path, "--help"]) == 0, name
        text = capsys.readouterr().out
        assert "Usage:" in text and ("--quiet" in text or name in ("lab",)), name
