"""The options every command shares, spelled once: one vocabulary for the whole CLI.

A net is ``--widths W1,W2,…`` (hidden widths) with ``--activation``, ``--init``, ``--seed``;
``--in-dim`` / ``--out-dim`` where a command needs them; ``--weights PATH`` reads a saved net;
``--json PATH`` writes the numbers (``-`` for stdout); ``--quiet`` silences progress bars and the
"wrote …" lines. Older spellings (``--layers/--width``, ``--arch``, ``--sizes``, ``--n0``) still
work for one release, each with a one-line deprecation note on stderr (:func:`deprecated`).

Nothing here imports torch: ``neuromosaic --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import SpecError
from ..values import parse_list

#: hidden widths: how many layers and units a command may be asked for (the memory caps of each
#: command come on top; see the README's "Limits and errors")
MAX_WIDTH = 65536
MAX_LAYERS = 1024

Widths = Annotated[str | None, typer.Option(
    "--widths", help="Hidden widths W1,W2,… of the net, e.g. 16,16,16.")]
Activation = Annotated[str | None, typer.Option(
    "--activation", help="Hidden activation: relu, leaky_relu, prelu, abs, hardtanh, identity, "
                         "tanh, sigmoid, sin, gaussian, softplus, elu, gelu.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no 'wrote …' lines.")]
JsonOut = Annotated[Path | None, typer.Option(
    "--json", help="Also write the numbers as JSON to this file ('-' for stdout).")]
InDim = Annotated[int | None, typer.Option("--in-dim", min=1, help="Inputs of the net.")]
OutDim = Annotated[int | None, typer.Option("--out-dim", min=1, help="Outputs of the net.")]
Weights = Annotated[Path | None, typer.Option(
    "--weights", help="A net saved by neuromosaic (.safetensors) or an .npz with W0, b0, W1, b1, …")]

# the old spellings, hidden from --help
Layers = Annotated[int | None, typer.Option("--layers", hidden=True, help="Deprecated: use --widths.")]
Width = Annotated[int | None, typer.Option("--width", hidden=True, help="Deprecated: use --widths.")]
Arch = Annotated[str | None, typer.Option("--arch", hidden=True, help="Deprecated: use --in-dim/--widths/--out-dim.")]
Sizes = Annotated[str | None, typer.Option("--sizes", hidden=True, help="Deprecated: use --in-dim/--widths/--out-dim.")]


NOTES: list[str] = []  # deprecation notes of the running command, printed when it succeeds


def deprecated(old: str, new: str) -> None:
    """One line on stderr when the command ends well: ``old`` still works for this release;
    ``new`` is the spelling. (A command that fails prints its one error line alone.)"""
    NOTES.append(f"note: {old} is deprecated and goes in 0.3.0; use {new}")


def parse_widths(text: str, *, what: str = "--widths", allow_empty: bool = False) -> list[int]:
    """``"16,16"`` → ``[16, 16]`` (each width in 1..MAX_WIDTH, at most MAX_LAYERS layers).
    With ``allow_empty``, ``none`` means no hidden layer (an empty text is always refused)."""
    if allow_empty and text.strip().lower() == "none":
        return []
    if not text.strip():
        hint = "; 'none' for no hidden layer" if allow_empty else ""
        raise SpecError(f"{what} must name at least one width like 16,16{hint}, got ''")
    return parse_list(text, int, what=what, low=1, high=MAX_WIDTH, max_items=MAX_LAYERS)


def resolve_widths(widths: str | None, *, layers: int | None = None, width: int | None = None,
                   default: list[int] | None = None, allow_empty: bool = False) -> list[int] | None:
    """The hidden widths from ``--widths``, or the deprecated ``--layers N --width W`` (with a
    note), or ``default`` when neither is given."""
    if widths is not None and (layers is not None or width is not None):
        raise SpecError("give --widths, or the deprecated --layers/--width, not both")
    if widths is not None:
        return parse_widths(widths, allow_empty=allow_empty)
    if layers is not None or width is not None:
        deprecated("--layers/--width", "--widths W1,W2,…")
        base = default or [16] * 8
        n = layers if layers is not None else len(base)
        w = width if width is not None else (base[0] if base else 16)
        if n < 0 or n > MAX_LAYERS or not 1 <= w <= MAX_WIDTH:
            raise SpecError(f"--layers must be in 0..{MAX_LAYERS} and --width in 1..{MAX_WIDTH}, "
                            f"got {n} and {w}")
        return [w] * n
    return default


def resolve_sizes(sizes: str, old: str, *, in_dim: int | None, widths: str | None,
                  out_dim: int | None) -> tuple[int, list[int], int]:
    """``(in_dim, widths, out_dim)`` from a deprecated ``--arch``/``--sizes`` list
    ``n0,n1,…,nL`` (with a note); refuses a mix with the new options."""
    if widths is not None or in_dim is not None or out_dim is not None:
        raise SpecError(f"give {old}, or --in-dim/--widths/--out-dim, not both")
    deprecated(old, "--in-dim N --widths W1,W2,… --out-dim M")
    values = parse_list(sizes, int, what=old, low=1, high=MAX_WIDTH, min_items=2,
                        max_items=MAX_LAYERS + 2)
    return values[0], values[1:-1], values[-1]


def write_json(path: Path | None, data: Any, *, quiet: bool = False) -> None:
    """Write ``data`` as JSON to ``path`` atomically, or to stdout for ``-``; nothing for None."""
    if path is None:
        return
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        return
    from ..io.atomic import atomic_write_text

    atomic_write_text(path, text)
    wrote(path, quiet=quiet)


def check_json_path(path: Path | None) -> None:
    """Refuse an unwritable ``--json`` path before any work."""
    if path is not None and str(path) != "-":
        from ..io.atomic import check_writable

        check_writable(path)


def wrote(path: Path, what: str = "", *, quiet: bool = False) -> None:
    """The "wrote PATH (what)" line on stderr, unless ``quiet``."""
    if not quiet:
        print(f"wrote {path}{f' ({what})' if what else ''}", file=sys.stderr)


def check_net_path(path: Path | None, what: str = "--save") -> None:
    """Refuse, before any work, a net output that is not ``.safetensors``/``.npz`` or cannot be
    written (``nm.save`` writes either)."""
    if path is None:
        return
    if path.suffix.lower() not in (".safetensors", ".npz"):
        raise SpecError(f"{what} must be a .safetensors (or .npz) file, got {str(path)!r}")
    from ..io.atomic import check_writable

    check_writable(path)


def check_png(path: Path | None, what: str = "-o") -> None:
    """Refuse, before any work, an output that is not a ``.png`` or cannot be written."""
    if path is None:
        return
    if path.suffix.lower() != ".png":
        raise SpecError(f"{what} must be a .png file, got {str(path)!r}")
    from ..io.atomic import check_writable

    check_writable(path)


def finite_float(text: str) -> float:
    """The parser of every float option: a finite number (``nan``, ``inf`` and overflowing
    text like ``1e999`` are refused with one line naming the option)."""
    import math

    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {text!r}")
    return value
