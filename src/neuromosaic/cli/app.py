"""The typer app and its entry point.

Every command module exposes ``register(app)``. ``main()`` runs the app so that every user error
(a :class:`~neuromosaic.errors.NeuromosaicError`, a bad option) becomes one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import sys

import click
import typer

from ..errors import NeuromosaicError, one_line

app = typer.Typer(
    name="neuromosaic",
    help="See and measure what a neural network does to its input space.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _register_commands() -> None:
    from . import paint

    for module in (paint,):
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the exit code."""
    try:
        app(args=argv, standalone_mode=False, prog_name="neuromosaic")
        code = 0
    except NeuromosaicError as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        code = 2
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        code = 130
    except click.ClickException as exc:
        print(f"error: {one_line(exc.format_message())}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    if argv is None:
        sys.exit(code)
    return code
