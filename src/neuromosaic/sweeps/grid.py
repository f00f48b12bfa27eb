"""The grid file: which experiment, its fixed parameters, the axes to sweep, where results go.

A grid file is TOML::

    experiment = "paint"             # a name from neuromosaic.sweeps.experiments.EXPERIMENTS
    output = "busyness.csv"          # results table: .parquet or .csv (relative to this file)
    figures = "busyness-figures"     # optional: one figure per cell (relative to this file)
    seeds = { start = 0, stop = 4 }  # optional shorthand for the axis ``seed``

    [fixed]                          # parameters every cell shares
    size = 64
    init = "normal:1"

    [grid]                           # axes: a list, or a range table {start, stop, step}
    depth = [1, 2, 4, 8]

The cells are the Cartesian product of the axes (in the order written, the last axis varying
fastest). Every cell's parameters are validated by the experiment's own pydantic model before
anything runs, so a typo or a wrong type is one line naming the key and the value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ..errors import InputError, TooLargeError
from ..spec import validation_message
from .experiments import EXPERIMENTS, Experiment

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (the `sweep` extra installs it)
    import tomli as tomllib

MAX_CELLS = 100_000  # a bigger grid is almost surely a typo (and its table would not fit a screen)
TABLE_SUFFIXES = (".parquet", ".csv")


class Range(BaseModel):
    """An integer axis written as a table: ``{ start = 0, stop = 8, step = 1 }`` (stop excluded,
    as Python's ``range``)."""

    model_config = ConfigDict(extra="forbid")
    start: int = 0
    stop: int
    step: int = 1

    @field_validator("step")
    @classmethod
    def _step(cls, v: int) -> int:
        if v == 0:
            raise ValueError("must not be 0, got 0")
        return v

    def values(self) -> list[int]:
        n = len(range(self.start, self.stop, self.step))  # O(1): nothing is built yet
        if n > MAX_CELLS:
            raise TooLargeError(f"the range {{ start = {self.start}, stop = {self.stop}, step = "
                                f"{self.step} }} has {n:,} values; at most {MAX_CELLS:,} cells")
        return list(range(self.start, self.stop, self.step))


class GridFile(BaseModel):
    """The raw contents of a grid file, before the cells are built (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    experiment: str
    output: str | None = None
    figures: str | None = None
    seeds: Any = None  # an axis: checked by _axis_values, which names it in its messages
    fixed: dict[str, Any] = {}
    grid: dict[str, Any] = {}


@dataclass(frozen=True)
class Cell:
    """One point of the grid.

    Attributes:
        key: 16 hex digits, the hash of the experiment name and the cell's full (validated,
            defaults filled in) parameters: the same computation always has the same key.
        params: every parameter of the experiment, JSON-ready (``model_dump(mode="json")``).
        axes: the swept parameters only (names the figure file and the progress line).
    """

    key: str
    params: dict[str, Any]
    axes: dict[str, Any]


@dataclass(frozen=True)
class Grid:
    """A validated grid: ``experiment`` to run on every one of ``cells``; the table goes to
    ``output`` and figures (if asked) into ``figures``."""

    experiment: Experiment
    cells: tuple[Cell, ...]
    output: Path
    figures: Path | None
    axes: tuple[str, ...]

    @property
    def cells_dir(self) -> Path:
        """Where the per-cell result files live: ``<output>.cells/``."""
        return self.output.with_name(self.output.name + ".cells")


def cell_key(experiment: str, params: dict[str, Any]) -> str:
    """The cell's identity: sha256 of its experiment and canonical-JSON parameters, 16 hex digits."""
    text = json.dumps({"experiment": experiment, "params": params}, sort_keys=True,
                      separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _where(name: str, fixed: dict[str, Any], axis_names: list[str], seeds_axis: bool) -> str:
    if name == "seed" and seeds_axis:
        return "seeds"
    if name in axis_names:
        return f"grid.{name}"
    if name in fixed:
        return f"fixed.{name}"
    return name


def _first_error(exc: ValidationError, known: list[str]) -> tuple[str, str]:
    """``(field, message)`` of a validation error. A model that wraps its own errors (as
    ``PaintConfig`` does) reports them at the model level as ``"field: message"``; unwrap it."""
    err = exc.errors()[0]
    if err.get("loc"):
        field = str(err["loc"][0])
        return field, validation_message(exc).removeprefix(f"{field}: ")
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    field, sep, rest = msg.partition(": ")
    if sep and field in known:
        return field, rest
    return "", msg


def _axis_values(where: str, values: Any) -> list[Any]:
    """The values of one axis: a list, or a range table ``{start, stop, step}``."""
    if isinstance(values, dict):
        try:
            out = Range(**values).values()
        except TooLargeError as exc:
            raise TooLargeError(f"{where}: {exc}") from None
        except ValidationError as exc:
            raise InputError(f"{where}: a range is {{ start = 0, stop = N, step = 1 }}; "
                             f"{validation_message(exc)}") from None
    elif isinstance(values, list):
        out = values
    else:
        raise InputError(f"{where}: an axis must be a list of values or a range "
                         f"{{ start = 0, stop = N }}, got {values!r}")
    if not out:
        raise InputError(f"{where}: empty grid axis ({values!r}); give at least one value")
    if len(out) > MAX_CELLS:
        raise TooLargeError(f"{where}: {len(out):,} values; at most {MAX_CELLS:,} cells")
    seen: set[str] = set()
    for v in out:  # one pass over canonical JSON (values may be lists or tables): O(n)
        key = json.dumps(v, sort_keys=True, default=str)
        if key in seen:
            raise InputError(f"{where}: value {v!r} appears twice; each cell must differ")
        seen.add(key)
    return out


def build_grid(data: dict[str, Any], *, base_dir: Path | str = ".", source: str = "grid",
               output: Path | str | None = None) -> Grid:
    """Validate a parsed grid file and expand its cells.

    Arguments:
        data: the parsed TOML (a dict).
        base_dir: relative ``output``/``figures`` paths are taken from here (the file's folder).
        source: the file name, to start every error message with.
        output: overrides the file's ``output`` (taken relative to the current directory).

    Raises ``InputError`` (one line naming the key and the value) for an unknown key, a wrong
    type, an unknown experiment, an empty grid, and ``TooLargeError`` past ``MAX_CELLS`` cells.
    """
    try:
        raw = GridFile(**data)
    except ValidationError as exc:
        raise InputError(f"{source}: {validation_message(exc)}") from None
    experiment = EXPERIMENTS.get(raw.experiment.strip().lower())
    if experiment is None:
        raise InputError(f"{source}: experiment: unknown {raw.experiment!r}; "
                         f"allowed: {', '.join(sorted(EXPERIMENTS))}")
    known = list(experiment.params.model_fields)
    axes: dict[str, list[Any]] = {}
    if raw.seeds is not None:
        if "seed" in raw.grid:
            raise InputError(f"{source}: seeds and grid.seed both given; keep one")
        axes["seed"] = _axis_values(f"{source}: seeds", raw.seeds)
    for name, values in raw.grid.items():
        axes[name] = _axis_values(f"{source}: grid.{name}", values)
    for table, names in (("grid", list(axes)), ("fixed", list(raw.fixed))):
        for name in names:
            if name not in known:
                where = "seeds" if (table == "grid" and name == "seed" and raw.seeds is not None) \
                    else f"{table}.{name}"
                raise InputError(f"{source}: {where}: not a parameter of experiment "
                                 f"{experiment.name!r}; allowed: {', '.join(known)}")
    both = sorted(set(axes) & set(raw.fixed))
    if both:
        raise InputError(f"{source}: {both[0]!r} is both in [fixed] and swept; keep one")
    if not axes:
        raise InputError(f"{source}: grid: empty grid, no axis to sweep; add e.g. "
                         f"[grid] seed = [0, 1, 2]")
    total = math.prod(len(v) for v in axes.values())
    if total > MAX_CELLS:
        raise TooLargeError(f"{source}: the grid has {total} cells; at most {MAX_CELLS} allowed")

    cells: list[Cell] = []
    names = list(axes)
    for combo in itertools.product(*(axes[n] for n in names)):
        point = dict(zip(names, combo, strict=True))
        try:
            model = experiment.params.model_validate({**raw.fixed, **point})
        except ValidationError as exc:
            field, msg = _first_error(exc, known)
            where = _where(field, raw.fixed, names, raw.seeds is not None) or f"cell {point}"
            raise InputError(f"{source}: {where}: {msg}") from None
        params = model.model_dump(mode="json")
        cells.append(Cell(key=cell_key(experiment.name, params), params=params, axes=point))

    base = Path(base_dir)
    if output is not None:  # the user's own path (the CLI's -o): anywhere they may write
        out = Path(os.path.normpath(output))
    else:
        out = _inside(base, raw.output or f"{Path(source).stem}.csv", f"{source}: output")
    if out.suffix.lower() not in TABLE_SUFFIXES:
        raise InputError(f"{source}: output: table must end in .parquet or .csv, got {str(out)!r}")
    figures = _inside(base, raw.figures, f"{source}: figures") if raw.figures else None
    if figures is not None and not experiment.makes_figure:
        drawing = ", ".join(sorted(e.name for e in EXPERIMENTS.values() if e.makes_figure))
        raise InputError(f"{source}: figures: experiment {experiment.name!r} draws no figure "
                         f"(these do: {drawing}); remove the key")
    return Grid(experiment=experiment, cells=tuple(cells), output=out, figures=figures,
                axes=tuple(names))


def _inside(base: Path, relative: str, what: str) -> Path:
    """``base / relative``, refusing a path that leaves ``base`` (``../``, an absolute path): a
    grid file someone sends you writes only beside itself."""
    path = Path(os.path.normpath(base / relative))
    if Path(relative).is_absolute() or not _within(path, Path(os.path.normpath(base))):
        raise InputError(f"{what}: {relative!r} leaves the grid file's folder; give a path inside "
                         "it (or the table with -o)")
    return path


def _within(path: Path, base: Path) -> bool:
    try:
        path.resolve().relative_to(base.resolve())
    except ValueError:
        return False
    return True


def load_grid(path: str | Path, *, output: str | Path | None = None) -> Grid:
    """Read and validate the grid file at ``path`` (TOML); see :func:`build_grid`."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(f"grid file {str(path)!r} does not exist") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read grid file {str(path)!r}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path.name}: not valid TOML: {exc}") from None
    return build_grid(data, base_dir=path.parent, source=path.name, output=output)
