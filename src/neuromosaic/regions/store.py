"""A partition on disk: one Parquet row per region, written in row groups, read back lazily.

Columns (plane coordinates, as :class:`~.result.Regions` reports them):

- ``region`` int64: the row's index (0 … count − 1);
- ``pattern`` fixed-size binary: the activation pattern bytes (see ``layout`` in the metadata);
- ``area`` float64;
- ``grads`` fixed-size list of ``2 * out_dim`` float64 and ``offsets`` of ``out_dim``: the affine
  map, output ``k`` is ``grads[2k:2k+2] · (s, t) + offsets[k]``;
- ``polygon`` list of float64: the polygon, flat ``[s0, t0, s1, t1, …]``, counter-clockwise;
- ``tile`` int32: the tile the region was cut in (its first tile for a region cut by a border).

The file's key-value metadata ``neuromosaic`` holds, as JSON, what reopening needs: ``count``,
``merged`` (the last rows are the regions joined across tile borders), the plane, the pattern
``layout``, ``in_dim``/``out_dim``, the tiles (plane coordinates) and the net's description. No
time or random id is written: the same partition gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError, SpecError

FORMAT = "neuromosaic.regions"
VERSION = 1
METADATA_KEY = b"neuromosaic"
#: rows per row group (and per chunk read): ~13 MB of a typical net's rows, so the writer buffers
#: and the reader decodes a bounded amount whatever the partition's size
ROW_GROUP = 1 << 16
#: ``RegionsFile.plot``'s raster: pixels on the longer side
PLOT_RESOLUTION = 1024


def arrow():
    """``(pyarrow, pyarrow.parquet)``, or ``InputError`` naming the extra that installs them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("writing or reading regions as Parquet needs pyarrow: "
                         "pip install 'neuromosaic[sweep]'") from None
    return pa, pq


def region_schema(pattern_bytes: int, out_dim: int):
    """The Arrow schema of a regions file (see the module's docstring)."""
    pa, _ = arrow()
    return pa.schema([
        pa.field("region", pa.int64(), nullable=False),
        pa.field("pattern", pa.binary(pattern_bytes), nullable=False),
        pa.field("area", pa.float64(), nullable=False),
        pa.field("grads", pa.list_(pa.float64(), 2 * out_dim), nullable=False),
        pa.field("offsets", pa.list_(pa.float64(), out_dim), nullable=False),
        pa.field("polygon", pa.list_(pa.float64()), nullable=False),
        pa.field("tile", pa.int32(), nullable=False),
    ])


@dataclass
class Rows:
    """Region rows as plain arrays (what a worker sends back for a tile).

    Attributes:
        patterns: `(n, nbytes)` uint8; areas `(n,)`; grads `(n, out_dim, 2)`; offsets
            `(n, out_dim)` (plane coordinates).
        coords: `(m,)` every polygon's flat ``s, t`` coordinates one after another;
            ``ends``: `(n,)` where each polygon's coordinates end in ``coords``.
        tiles: `(n,)` int32.
    """

    patterns: np.ndarray
    areas: np.ndarray
    grads: np.ndarray
    offsets: np.ndarray
    coords: np.ndarray
    ends: np.ndarray
    tiles: np.ndarray

    def __len__(self) -> int:
        return len(self.areas)


class RowWriter:
    """Writes :class:`Rows` to an open Parquet file in row groups of exactly ``ROW_GROUP`` rows
    (the last one shorter), numbering the regions as they come: rows are buffered until a row
    group is full, so the row groups depend on the rows alone, not on how they arrived."""

    def __init__(self, path: Path, pattern_bytes: int, out_dim: int):
        pa, pq = arrow()
        self._pa = pa
        self.schema = region_schema(pattern_bytes, out_dim)
        self.count = 0
        self._buffer: list = []
        self._buffered = 0
        # the pattern bytes and polygons do not repeat: no dictionaries; statistics only where a
        # reader may filter (index, area, tile); zstd: polygons of neighbours share digits
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd", use_dictionary=False,
                                        write_statistics=["region", "area", "tile"])

    def write(self, rows: Rows) -> None:
        n = len(rows)
        if n == 0:
            return
        pa = self._pa
        nbytes = rows.patterns.shape[1]
        starts = np.concatenate([[0], rows.ends[:-1]]).astype(np.int64)
        offsets = np.concatenate([starts, rows.ends[-1:]]).astype(np.int32)
        columns = [
            pa.array(np.arange(self.count, self.count + n, dtype=np.int64)),
            pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(nbytes), n, [None, pa.py_buffer(np.ascontiguousarray(rows.patterns, np.uint8))]),
            pa.array(np.asarray(rows.areas, np.float64)),
            pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(rows.grads, np.float64).ravel()),
                                              rows.grads.shape[1] * 2),
            pa.FixedSizeListArray.from_arrays(pa.array(np.ascontiguousarray(rows.offsets, np.float64).ravel()),
                                              rows.offsets.shape[1]),
            pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.asarray(rows.coords, np.float64))),
            pa.array(np.asarray(rows.tiles, np.int32)),
        ]
        self._buffer.append(pa.Table.from_arrays(columns, schema=self.schema))
        self._buffered += n
        self.count += n
        if self._buffered >= ROW_GROUP:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        if not self._buffered:
            return
        table = self._pa.concat_tables(self._buffer)
        full = len(table) if final else len(table) // ROW_GROUP * ROW_GROUP
        self._writer.write_table(table.slice(0, full), row_group_size=ROW_GROUP)
        rest = table.slice(full)
        self._buffer, self._buffered = ([rest], len(rest)) if len(rest) else ([], 0)

    def close(self, metadata: dict) -> None:
        """Write the last row group and the footer, with ``metadata`` (JSON) under
        ``neuromosaic``."""
        self._flush(final=True)
        text = json.dumps({"format": FORMAT, "version": VERSION, "count": self.count, **metadata},
                          sort_keys=True, separators=(",", ":"))
        self._writer.add_key_value_metadata({METADATA_KEY: text.encode("utf-8")})
        self._writer.close()

    def abort(self) -> None:
        """Close the file without finishing it (the caller deletes it)."""
        self._writer.close()


@dataclass(frozen=True)
class RegionsChunk:
    """Consecutive rows of a :class:`RegionsFile`: regions ``start … start + len - 1``.

    Attributes: ``patterns`` `(n, nbytes)` uint8, ``areas`` `(n,)`, ``grads`` `(n, out_dim, 2)`,
    ``offsets`` `(n, out_dim)`, ``polygons`` (a list of `(k, 2)`), ``tiles`` `(n,)`.
    """

    start: int
    patterns: np.ndarray
    areas: np.ndarray
    grads: np.ndarray
    offsets: np.ndarray
    polygons: list
    tiles: np.ndarray

    def __len__(self) -> int:
        return len(self.areas)


class RegionsFile:
    """A partition streamed to Parquet (``linear_regions(..., out=PATH)``), read lazily: only the
    row groups an access needs are read, so a partition of any size opens at once and is read in
    bounded memory (:meth:`chunks`).

    The rows are the regions of :class:`~.result.Regions` in another order: tile by tile the
    regions that lie inside one tile, then (the last ``merged`` rows) the regions joined across
    tile borders; compare by pattern.

    Attributes:
        path: the file.
        count: number of regions; ``merged``: how many of them (the last rows) were joined
            across tile borders.
        plane: the :class:`~neuromosaic.plane.Plane`; ``layout``: the pattern bytes' layout
            (as :attr:`Regions.layout`); ``pattern_bytes``; ``in_dim``, ``out_dim``.
        tiles: the rectangles cut separately (plane coordinates).
        net: the description of the net that was cut (``{"spec": …}`` for a NetSpec).
        seconds: the time the cut and the writing took (when this object came from
            ``linear_regions``; NaN when opened).
    """

    def __init__(self, path):
        from ..plane import Plane

        _, pq = arrow()
        self.path = Path(path)
        try:
            self._file = pq.ParquetFile(self.path)
        except FileNotFoundError:
            raise InputError(f"regions file {str(self.path)!r} does not exist") from None
        except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            raise InputError(f"cannot read {str(self.path)!r} as Parquet: {' '.join(str(exc).split())}") from None
        raw = (self._file.metadata.metadata or {}).get(METADATA_KEY)
        try:
            meta = json.loads(raw) if raw is not None else None
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise InputError(f"{str(self.path)!r} is not a neuromosaic regions file (no "
                             f"'neuromosaic' metadata; write one with linear_regions(..., out=PATH))")
        if meta.get("version") != VERSION:
            raise InputError(f"{str(self.path)!r} is a regions file of version {meta.get('version')!r}; "
                             f"this neuromosaic reads version {VERSION}")
        self.meta = meta
        self.seconds = float("nan")
        self.count = int(meta["count"])
        self.merged = int(meta["merged"])
        p = meta["plane"]
        self.plane = Plane(p["origin"], p["u"], p["v"], p["extent"])
        self.layout = meta["layout"]
        self.pattern_bytes = int(meta["pattern_bytes"])
        self.in_dim, self.out_dim = int(meta["in_dim"]), int(meta["out_dim"])
        self.tiles = [tuple(t) for t in meta["tiles"]]
        self.net = meta["net"]
        sizes = [self._file.metadata.row_group(i).num_rows for i in range(self._file.num_row_groups)]
        self._starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        if int(self._starts[-1]) != self.count:
            raise InputError(f"{str(self.path)!r} holds {int(self._starts[-1]):,} rows, its metadata "
                             f"says {self.count:,} regions")

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return f"RegionsFile({str(self.path)!r}, count={self.count}, extent={list(self.plane.extent)})"

    # -- reading -------------------------------------------------------------------------------
    def _rows(self, index) -> tuple[np.ndarray | None, bool]:
        """``(rows, one)``: the row ids ``index`` selects (``None``: all), and whether it is one
        row (an int)."""
        if index is None:
            return None, False
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            i = int(index) + (self.count if index < 0 else 0)
            if not 0 <= i < self.count:
                raise InputError(f"region index {int(index)} is out of range for {self.count:,} regions")
            return np.array([i]), True
        if isinstance(index, slice):
            return np.arange(*index.indices(self.count), dtype=np.int64), False
        rows = np.asarray(index)
        if rows.ndim != 1 or not (rows.size == 0 or np.issubdtype(rows.dtype, np.integer)):
            raise SpecError(f"index must be an int, a slice or a 1-D array of ints, got {index!r}")
        rows = np.where(rows < 0, rows + self.count, rows).astype(np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= self.count):
            raise InputError(f"region indices must be in 0..{self.count - 1}, got {index!r}")
        return rows, False

    def _read(self, columns: list[str], index):
        """The table of ``columns`` at the rows ``index`` selects (only their row groups read)."""
        rows, one = self._rows(index)
        if rows is None:
            return self._file.read(columns=columns), one
        if rows.size == 0:
            return self._file.schema_arrow.empty_table().select(columns), one
        group_of = np.searchsorted(self._starts, rows, side="right") - 1
        groups = np.unique(group_of)
        table = self._file.read_row_groups(groups.tolist(), columns=columns)
        sizes = np.diff(self._starts)[groups]
        first = np.concatenate([[0], np.cumsum(sizes)[:-1]])  # each group's first row in the table
        pos = first[np.searchsorted(groups, group_of)] + rows - self._starts[group_of]
        if len(pos) == len(table) and (pos == np.arange(len(table))).all():
            return table, one
        return table.take(pos), one

    def patterns(self, index=None) -> np.ndarray:
        """Pattern bytes: `(nbytes,)` uint8 for an int ``index``, else `(n, nbytes)` (``None``: all
        regions; a slice; an array of indices)."""
        table, one = self._read(["pattern"], index)
        out = _patterns(table.column("pattern"), self.pattern_bytes)
        return out[0] if one else out

    def areas(self, index=None):
        """Areas (plane units): a float for an int ``index``, else `(n,)`."""
        table, one = self._read(["area"], index)
        out = table.column("area").to_numpy()
        return float(out[0]) if one else out

    def affine(self, index=None) -> tuple[np.ndarray, np.ndarray]:
        """``(grads, offsets)``: `(n, out_dim, 2)` and `(n, out_dim)` (an int ``index``: one
        region's `(out_dim, 2)` and `(out_dim,)`), as :attr:`Regions.affine`."""
        table, one = self._read(["grads", "offsets"], index)
        g, o = _maps(table, self.out_dim)
        return (g[0], o[0]) if one else (g, o)

    def polygons(self, index=None):
        """Polygons `(k, 2)` (plane coordinates, counter-clockwise): one for an int ``index``,
        else a list."""
        table, one = self._read(["polygon"], index)
        out = _polygons(table.column("polygon"))
        return out[0] if one else out

    def chunks(self, size: int = ROW_GROUP, *, polygons: bool = True) -> Iterator[RegionsChunk]:
        """Every region, ``size`` rows at a time (memory: one chunk), in file order; without
        ``polygons`` the chunks' ``polygons`` are empty and the polygon column is not read."""
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise SpecError(f"size must be a positive integer, got {size!r}")
        columns = ["pattern", "area", "grads", "offsets", "tile"] + (["polygon"] if polygons else [])
        start = 0
        for batch in self._file.iter_batches(batch_size=int(size), columns=columns):
            g, o = _maps(batch, self.out_dim)
            yield RegionsChunk(start, _patterns(batch.column("pattern"), self.pattern_bytes),
                               batch.column("area").to_numpy(), g, o,
                               _polygons(batch.column("polygon")) if polygons else [],
                               batch.column("tile").to_numpy())
            start += batch.num_rows

    # -- drawing -------------------------------------------------------------------------------
    def image(self, resolution: int = PLOT_RESOLUTION) -> np.ndarray:
        """The partition as `(H, W, 3)` uint8, ``resolution`` pixels on the longer side: each
        region filled with its pattern colour (the colour :meth:`Regions.plot` gives it), drawn
        chunk by chunk (:func:`neuromosaic.display.chunks_raster`; regions under a pixel are
        left to the dark edge colour)."""
        from ..display import chunks_raster
        from ..figures.regions import pattern_colors

        if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or not 16 <= resolution <= 16384:
            raise SpecError(f"resolution must be an integer in 16..16384, got {resolution!r}")
        chunks = ((c.polygons, pattern_colors(c.patterns)) for c in self.chunks())
        return chunks_raster(chunks, self.plane.extent, longest=int(resolution))

    def plot(self, ax=None, resolution: int = PLOT_RESOLUTION):
        """Draw the partition as one raster (:meth:`image`) on ``ax`` (a new figure if None);
        returns the ``AxesImage``. See :func:`neuromosaic.figures.regions.plot_regions_image`."""
        from ..figures.regions import plot_regions_image

        return plot_regions_image(self.image(resolution), self.plane.extent, self.count, ax=ax)


def _patterns(column, nbytes: int) -> np.ndarray:
    """`(n, nbytes)` uint8 of a fixed-size binary column (one copy, no Python objects)."""
    arr = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    n = len(arr)
    if n == 0 or nbytes == 0:
        return np.zeros((n, nbytes), np.uint8)
    data = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
    return data[arr.offset * nbytes:(arr.offset + n) * nbytes].reshape(n, nbytes).copy()


def _maps(table, out_dim: int) -> tuple[np.ndarray, np.ndarray]:
    def flat(name):
        col = table.column(name)
        col = col.combine_chunks() if hasattr(col, "combine_chunks") else col
        return col.flatten().to_numpy()

    n = table.num_rows
    return flat("grads").reshape(n, out_dim, 2), flat("offsets").reshape(n, out_dim)


def _polygons(column) -> list[np.ndarray]:
    arr = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if len(arr) == 0:
        return []
    offsets = arr.offsets.to_numpy()
    coords = arr.flatten().to_numpy().reshape(-1, 2)
    return np.split(coords, (offsets[1:-1] - offsets[0]) // 2)
