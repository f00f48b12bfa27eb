"""The project's error tree.

Every error a user can cause is a :class:`NeuromosaicError` (a ``ValueError``) whose message
is one line naming the bad value and what is allowed. The CLI prints it and exits with code 2;
the lab answers HTTP 422.
"""

from __future__ import annotations


class NeuromosaicError(ValueError):
    """Base class of every user-facing error in neuromosaic.

    ``field``: the name of the model field the message starts with (``"n_train: must be …"``),
    when the error comes from validating a model; the CLI shows it as its option
    (``--n-train: must be …``), the lab as the field name.
    """

    field: str | None = None


class SpecError(NeuromosaicError):
    """A network or render description has a bad value (a width of 0, an unknown activation…)."""


class InputError(NeuromosaicError):
    """A file or argument given by the user cannot be used (not a PNG, missing keys, bad shape…)."""


class OutputError(NeuromosaicError):
    """An output file cannot be written (missing or read-only directory…)."""


class TooLargeError(NeuromosaicError):
    """A request is over a size cap (pixels, regions, memory)."""


class NotPiecewiseLinearError(NeuromosaicError):
    """A module that is not piecewise linear was given to the exact region engine."""


class ExpressionError(NeuromosaicError):
    """A target expression is not allowed by the safe parser."""


def field_error(cls: type[NeuromosaicError], field: str, message: str) -> NeuromosaicError:
    """``cls("field: message")`` that knows its field: the CLI shows it as ``--field: message``,
    the lab as ``field: message`` (so neither speaks the other's syntax)."""
    error = cls(f"{field}: {message}")
    error.field = field
    return error


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` folded onto one line."""
    return " ".join(str(exc).split())
