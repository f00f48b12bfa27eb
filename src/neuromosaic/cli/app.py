"""The typer app and its entry point.

Every command module exposes ``register(app)``. ``main()`` runs the app so that every user error
(a :class:`~neuromosaic.errors.NeuromosaicError`, a bad option) becomes one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

try:  # typer >= 0.26 vendors click as typer._click
    from typer._click import exceptions as click_exc
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exc

from ..errors import NeuromosaicError, one_line

app = typer.Typer(
    name="neuromosaic",
    help="See and measure what a neural network does to its input space.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

#: model fields whose CLI option has another name
_OPTION_OF_FIELD = {"hidden": "widths", "n0": "in-dim"}


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"neuromosaic {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """See and measure what a neural network does to its input space."""


def cli_message(exc: NeuromosaicError) -> str:
    """The error's line as the CLI says it: a leading model field (``n_train: …``) becomes its
    option (``--n-train: …``)."""
    text = one_line(exc)
    field = getattr(exc, "field", None)
    if field and text.startswith(f"{field}:"):
        option = _OPTION_OF_FIELD.get(field, field.replace("_", "-"))
        text = f"--{option}:{text[len(field) + 1:]}"
    return text


def _register_commands() -> None:
    from . import export, fit, lab, paint, regions, sweep, theory

    for module in (fit, lab, paint, export, regions, sweep, theory):
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the exit code."""
    from .options import NOTES

    NOTES.clear()
    try:
        app(args=argv, standalone_mode=False, prog_name="neuromosaic")
        code = 0
        for note in dict.fromkeys(NOTES):  # each once, in order
            print(note, file=sys.stderr)
    except NeuromosaicError as exc:
        print(f"error: {cli_message(exc)}", file=sys.stderr)
        code = 2
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        code = 130
    except click_exc.ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # a bare command: show its help as is
            print(exc.format_message(), file=sys.stderr)
            return _exit(2, argv)
        print(f"error: {one_line(exc.format_message()).replace('Value error, ', '')}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    return _exit(code, argv)


def _exit(code: int, argv: list[str] | None) -> int:
    if argv is None:
        sys.exit(code)
    return code
