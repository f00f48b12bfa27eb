"""The results table: one row per cell, written as Parquet (pyarrow) or CSV, atomically.

Columns, in order: the swept parameters, the other parameters (every one, defaults included,
so a row says exactly what ran), the measured values, ``seconds`` (the cell's run time),
``error`` (empty unless the cell failed), ``figure`` (its path relative to the table, when
figures were asked for) and ``cell`` (the cell's key: its file is ``<output>.cells/<cell>.json``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..io.atomic import atomic_write_bytes, atomic_writer

if TYPE_CHECKING:
    from .grid import Grid


def record_row(record: dict[str, Any], params_order: list[str], measures: tuple[str, ...],
               with_figure: bool) -> dict[str, Any]:
    """Flatten a cell record (as written under ``<output>.cells/``) into a table row, with the
    parameters in ``params_order`` and the values named in ``measures`` first."""
    params, values = record["params"], record["values"]
    row = {k: params[k] for k in params_order if k in params}
    row.update(params)
    row.update({k: values[k] for k in measures if k in values})
    row.update(values)
    row.update({"seconds": record["seconds"], "error": record["error"]})
    if with_figure:
        row["figure"] = record.get("figure")
    row["cell"] = record["cell"]
    return row


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def write_table(grid: Grid, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Write the table of ``records`` (in grid order) to ``grid.output``; returns the rows."""
    exp = grid.experiment
    order = [*grid.axes, *(k for k in exp.params.model_fields if k not in grid.axes)]
    rows = [record_row(r, order, exp.measures, grid.figures is not None) for r in records]
    columns = _columns(rows)
    if not columns:  # nothing finished yet: the header alone
        columns = [*order, *exp.measures, "seconds", "error", "cell"]
    rows = [{c: row.get(c) for c in columns} for row in rows]
    if grid.output.suffix.lower() == ".parquet":
        _write_parquet(grid.output, rows, columns)
    else:
        _write_csv(grid.output, rows, columns)
    return rows


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else json.dumps(v) if isinstance(v, list | dict) else v
                         for v in (row[c] for c in columns)])
    atomic_write_bytes(path, buf.getvalue().encode("utf-8"))


def _write_parquet(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("a .parquet table needs pyarrow: pip install 'neuromosaic[sweep]' "
                         "(or name the output .csv)") from None
    if rows:
        rows = _parquet_numbers(rows, columns)
        table = pa.Table.from_pylist(rows)
    else:
        table = pa.table({c: pa.array([], pa.null()) for c in columns})
    with atomic_writer(path) as tmp:
        pq.write_table(table, tmp)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _parquet_numbers(rows: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """Parquet integers are int64 and a column has one type: a column that mixes integers with
    floats, or holds an integer past int64 (an exact bound like 2**300), is stored as floats
    there (the cell files and a CSV table keep the exact integers)."""
    to_float = set()
    for c in columns:
        values = [row[c] for row in rows]
        ints = [v for v in values if _is_int(v)]
        if ints and (any(isinstance(v, float) for v in values)
                     or any(abs(v) >= 2**63 for v in ints)):
            to_float.add(c)
    if not to_float:
        return rows
    return [{c: float(v) if c in to_float and _is_int(v) else v for c, v in row.items()}
            for row in rows]


def read_table(path: str | Path) -> list[dict[str, Any]]:
    """Read a table written by a sweep back as a list of row dicts (CSV cells come back as
    text; Parquet keeps the types)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def summarize(rows: list[dict[str, Any]], by: list[str], measures: list[str]
              ) -> list[dict[str, Any]]:
    """Mean and standard deviation of ``measures`` over the rows that share the values of ``by``
    (typically every axis but ``seed``), skipping failed rows and non-numbers.

    Returns one dict per group, in first-seen order: the ``by`` values, ``n`` (rows in the
    group) and for each measure ``(mean, std)`` (``std`` with ``n − 1``; ``nan`` when ``n = 1``).
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("error"):
            continue
        key = tuple(json.dumps(row.get(k), sort_keys=True) for k in by)
        groups.setdefault(key, []).append(row)
    out = []
    for members in groups.values():
        summary: dict[str, Any] = {k: members[0].get(k) for k in by}
        summary["n"] = len(members)
        for m in measures:
            xs = [float(r[m]) for r in members if _is_number(r.get(m))]
            if not xs:
                continue
            mean = sum(xs) / len(xs)
            std = (math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
                   if len(xs) > 1 else math.nan)
            summary[m] = (mean, std)
        out.append(summary)
    return out


def format_summary(summary: list[dict[str, Any]]) -> str:
    """A Markdown table of :func:`summarize`'s result (``mean ± std`` to 4 significant digits)."""
    if not summary:
        return "(no finished rows)"
    columns: dict[str, None] = {}
    for s in summary:
        columns.update(dict.fromkeys(s))

    def cell(v: Any) -> str:
        if isinstance(v, tuple):
            mean, std = v
            return f"{mean:.4g}" if math.isnan(std) else f"{mean:.4g} ± {std:.2g}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(s.get(c)) for c in columns) + " |" for s in summary]
    return "\n".join(lines)
