"""Typed values from text: the one parser of comma lists, for the CLI, the lab and config files.

``parse_list("16,16,16", int, what="--widths", low=1)`` → ``[16, 16, 16]``; every failure is one
:class:`~neuromosaic.errors.SpecError` line naming ``what``, the bad text and what is allowed.
Numbers are finite (no NaN or inf); integers are written as integers (``1e3`` and ``2.5`` are
refused, so a typo never becomes a silent rounding).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from .errors import SpecError

__all__ = ["json_depth", "load_json", "parse_float", "parse_int", "parse_list"]


def parse_int(text: Any, *, what: str, low: int | None = None, high: int | None = None) -> int:
    """One integer in ``[low, high]`` from text or a number (bools and fractions are refused)."""
    if isinstance(text, bool):
        raise SpecError(f"{what} must be an integer, got {text!r}")
    if isinstance(text, int):
        value = text
    elif isinstance(text, float) and text.is_integer():
        value = int(text)
    else:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise SpecError(f"{what} must be an integer, got {text!r}") from None
    _check_range(value, what, low, high, strict_low=False)
    return value


def parse_float(text: Any, *, what: str, low: float | None = None, high: float | None = None,
                strict_low: bool = False) -> float:
    """One finite number in ``[low, high]`` (``(low, high]`` with ``strict_low``)."""
    if isinstance(text, bool):
        raise SpecError(f"{what} must be a number, got {text!r}")
    try:
        value = float(str(text).strip()) if isinstance(text, str) else float(text)
    except (TypeError, ValueError, OverflowError):
        raise SpecError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise SpecError(f"{what} must be a finite number, got {text!r}")
    _check_range(value, what, low, high, strict_low=strict_low)
    return value


def _check_range(value, what, low, high, *, strict_low: bool) -> None:
    if low is not None and (value <= low if strict_low else value < low):
        rule = f"> {low:g}" if strict_low else f">= {low:g}"
        if high is not None:
            rule = f"in {'(' if strict_low else '['}{low:g}, {high:g}]"
        raise SpecError(f"{what} must be {rule}, got {value:g}")
    if high is not None and value > high:
        rule = f"<= {high:g}" if low is None else f"in {'(' if strict_low else '['}{low:g}, {high:g}]"
        raise SpecError(f"{what} must be {rule}, got {value:g}")


def parse_list(text: str | Sequence, kind: Callable = float, *, what: str,
               low: float | None = None, high: float | None = None, strict_low: bool = False,
               min_items: int = 1, max_items: int | None = None) -> list:
    """A comma-separated list (or a sequence) of ``kind`` (``int``, ``float`` or ``str``).

    Arguments:
        text: ``"1,2,4"`` (spaces allowed), or a list/tuple of values.
        kind: ``int``, ``float``, or ``str`` (items stripped, none empty).
        what: the name shown in errors (``--widths`` on the CLI, ``widths`` in the lab).
        low, high, strict_low: the allowed range of each number.
        min_items, max_items: how many items may be given (``min_items=0`` allows ``""``).

    Returns the values as a list. An empty item (``"1,,2"``) is refused.
    """
    if isinstance(text, str):
        raw = text.strip()
        items = [] if raw == "" else [p.strip() for p in raw.split(",")]
        if any(p == "" for p in items):
            raise SpecError(f"{what} has an empty item in {text!r}; give comma-separated values "
                            f"like {_example(kind)}")
    elif isinstance(text, (list, tuple)):
        items = list(text)
    else:
        raise SpecError(f"{what} must be comma-separated values like {_example(kind)}, got {text!r}")
    if len(items) < min_items:
        raise SpecError(f"{what} must name at least {min_items} value{'s' * (min_items > 1)}, "
                        f"got {text!r}")
    if max_items is not None and len(items) > max_items:
        raise SpecError(f"{what} may name at most {max_items} values, got {len(items)}")
    if kind is int:
        return [parse_int(v, what=f"every {what} value", low=low, high=high) for v in items]
    if kind is float:
        return [parse_float(v, what=f"every {what} value", low=low, high=high, strict_low=strict_low)
                for v in items]
    out = [str(v).strip() for v in items]
    if any(not v for v in out):
        raise SpecError(f"{what} has an empty item in {text!r}")
    return out


def _example(kind) -> str:
    return {int: "16,16,16", float: "0.5,1,2"}.get(kind, "a,b")


#: JSON nested deeper than this is refused (Python's parser recurses, once per level)
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def json_depth(text: str | bytes) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text (brackets inside strings do not count),
    found without parsing it."""
    import numpy as np

    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    codes = np.frombuffer(_JSON_STRING.sub(b'""', data), dtype=np.uint8)
    step = np.isin(codes, (91, 123)).astype(np.int32) - np.isin(codes, (93, 125)).astype(np.int32)
    return int(step.cumsum().max()) if step.size else 0


def load_json(text: str | bytes, *, what: str, max_depth: int = MAX_JSON_DEPTH):
    """``json.loads(text)``, refusing text nested deeper than ``max_depth`` (one ``SpecError``
    line, never a ``RecursionError``) or that is not JSON."""
    import json

    if json_depth(text) > max_depth:
        raise SpecError(f"{what} is nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SpecError(f"{what} is not valid JSON ({type(exc).__name__})") from None
