"""A partition streamed to Parquet: the tiles cut on a Dask cluster (or local processes), one row
per region written as the tiles arrive, in bounded memory.

A worker cuts its tile (:func:`.tiles.cut_tile`) and reduces the mesh to rows (:func:`tile_rows`),
so only rows travel back. A region that touches no inner tile border lies in its tile alone (the
set of points with one pattern is convex: a region reaching into another tile crosses the border
between them), so its row is final there and is written at once. The faces of the other regions
— those touching an inner border, and the rare ones whose pattern another face of the tile shares
(a max tournament's pieces) — are kept with their vertices and joined at the end exactly as
:meth:`.result.Regions.from_tiles` joins whole tiles (equal patterns are one region: areas
summed, the hull of the pieces, the map of the largest face); they are the file's last rows. So
memory holds a few tiles' rows and the border faces (about the tiles' perimeters), never the
partition, and every row equals the in-memory result's row of that pattern.

Rows are written in tile order (the tiles of :func:`.tiles.plan_tiles`, or ``tiles=``) whatever
finishes first, and the file holds no time or random id, so the same inputs write the same
bytes, on a cluster or not. The format: :mod:`.store`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import SpecError, TooLargeError, field_error
from .frame import Frame, Normalised
from .patterns import group_rows
from .store import RegionsFile, Rows, RowWriter, arrow
from .tiles import cut_tile, tile_tasks

PARQUET_SUFFIX = ".parquet"
#: faces flattened into polygon rows at a time (bounds the `(n, D, 2)` temporaries)
POLYGON_CHUNK = 1 << 16


def check_out(out, what: str = "out") -> Path:
    """``out`` as a writable ``.parquet`` path (``SpecError``/``OutputError`` otherwise, naming
    the argument ``what``), checked before any cutting."""
    from ..io.atomic import check_writable

    if isinstance(out, bool) or not isinstance(out, (str, os.PathLike)):
        raise SpecError(f"{what} must be a path ending in {PARQUET_SUFFIX}, got {out!r}")
    path = Path(out)
    if path.suffix.lower() != PARQUET_SUFFIX:
        raise SpecError(f"{what} must be a {PARQUET_SUFFIX} file, got {str(path)!r}")
    arrow()
    return check_writable(path)


def check_client(client):
    """``client`` if it is a ``distributed.Client`` (``SpecError`` otherwise)."""
    try:
        from distributed import Client
    except ImportError:
        Client = None  # noqa: N806 - then nothing given can be a client
    if Client is None or not isinstance(client, Client):
        hint = (" (connect to a scheduler with neuromosaic.sweeps.connect_dask('tcp://HOST:PORT'))"
                if isinstance(client, str) else "")
        raise SpecError(f"client must be a dask.distributed.Client{hint}, got {client!r}")
    return client


def tile_rows(program, A, c, rect, backend: str, max_regions, plane, extent, folded: bool) -> dict:
    """Cut one tile and reduce it to rows: what a worker sends back.

    Returns ``{"rows": Rows, "border": part}``: the rows of the regions inside the
    tile (plane coordinates) and, as a tile part :meth:`.result.Regions.from_tiles` takes (the
    cut's coordinates), the faces of the regions that may go on in another tile."""
    part = cut_tile(program, A, c, rect, backend, max_regions, None)
    frame = Frame.of(extent)
    return split_tile(part, program, plane, frame, Normalised(program, A, c, folded))


def border_faces(P: np.ndarray, F: np.ndarray, rect) -> np.ndarray:
    """`(nf,)` bool: the faces with a vertex on a side of ``rect`` inside the cut's square (an
    inner tile border). A vertex on a side has the side's coordinate exactly: it was split off
    an edge whose two ends have it (see :func:`.geometry.border_pairs`)."""
    out = np.zeros(len(F), bool)
    for axis, value, inner in ((0, rect[0], rect[0] > -1.0), (0, rect[1], rect[1] < 1.0),
                               (1, rect[2], rect[2] > -1.0), (1, rect[3], rect[3] < 1.0)):
        if inner and len(F):
            out |= (P[F, axis] == value).any(axis=1)  # padding repeats vertex 0: no mask needed
    return out


def split_tile(part: dict, program, plane, frame: Frame, cut) -> dict:
    """Split a cut tile (:func:`.tiles.cut_tile`) into final rows and border faces (see the
    module's docstring)."""
    from .result import Regions

    P, Y, F, deg, codes = part["P"], part["Y"], part["F"], part["deg"], part["codes"]
    keep = border_faces(P, F, part["rect"])
    if len(codes):
        _, inv = group_rows(codes)
        keep |= np.bincount(inv)[inv] > 1  # a pattern of several faces: joined with the border
    final = ~keep
    Ff = F[final]
    reg = Regions(None, program, plane, P, Y, Ff, deg[final], codes[final],
                  np.zeros(len(Ff), np.int64), [part["rect"]], frame=frame, cut=cut)
    grads, offsets = reg.affine
    coords, ends = face_polygons(P, Ff, deg[final], frame)
    rows = Rows(reg.patterns, reg.areas, grads, offsets, coords, ends,
                np.zeros(reg.count, np.int32))
    Fk = F[keep]
    used, inv = np.unique(Fk, return_inverse=True)
    border = dict(rect=part["rect"], P=P[used], Y=Y[used], F=inv.reshape(Fk.shape),
                  deg=deg[keep], codes=codes[keep])
    return {"rows": rows, "border": border}


def face_polygons(P: np.ndarray, F: np.ndarray, deg: np.ndarray, frame: Frame):
    """Each face's polygon in plane coordinates (as :attr:`Regions.polygons` gives a one-face
    region's), flat: ``(coords (m,), ends (nf,))``, face ``i``'s ``s, t`` pairs ending at
    ``ends[i]``."""
    parts = []
    for lo in range(0, len(F), POLYGON_CHUNK):
        Fc, dc = F[lo:lo + POLYGON_CHUNK], deg[lo:lo + POLYGON_CHUNK]
        real = np.arange(F.shape[1])[None, :] < dc[:, None]
        parts.append(frame.to_plane(P[Fc][real]).ravel())
    coords = np.concatenate(parts) if parts else np.zeros(0)
    return coords, np.cumsum(2 * deg.astype(np.int64))


def merged_rows(regions) -> Rows:
    """The rows of a :class:`~.result.Regions` joined from the tiles' border faces; each region's
    tile is the first it was cut in."""
    grads, offsets = regions.affine
    polys = regions.polygons
    sizes = np.fromiter((p.size for p in polys), np.int64, count=len(polys))
    coords = np.concatenate([p.ravel() for p in polys]) if polys else np.zeros(0)
    mesh = regions.cut_mesh
    _, first = np.unique(mesh.face_region, return_index=True)  # faces come in tile order
    return Rows(regions.patterns, regions.areas, grads, offsets, coords, np.cumsum(sizes),
                mesh.face_tile[first].astype(np.int32))


def describe_net(net, program) -> dict:
    """What the file says about the net: a NetSpec's fields, else the module's text (and always
    the hidden widths)."""
    from ..spec import NetSpec

    out = {"hidden_widths": list(program.hidden_widths)}
    if isinstance(net, NetSpec):
        out["spec"] = net.model_dump(mode="json")
    else:
        out["module"] = repr(net)
    return out


def stream_regions(out: Path, net, program, plane, cut: Normalised, frame: Frame, rects, *,
                   client=None, workers: int = 1, backend: str = "numba",
                   max_regions: int | None = None,
                   progress: Callable[[int, int, int], None] | None = None) -> RegionsFile:
    """Cut ``rects`` (the cut's coordinates) and write the partition to ``out`` (a temp file
    beside it, renamed at the end: a failure leaves no file and replaces none); returns the
    :class:`~.store.RegionsFile`. ``progress(done, total, regions_written)`` after each tile,
    ``done``/``total`` counted in steps as :func:`.partition.linear_regions` does."""
    from ..io.atomic import atomic_writer
    from .result import Regions

    n_steps = max(1, len(cut.program.steps))
    args = [(cut.A, cut.c, r, backend, max_regions, plane, frame.extent, cut.folded) for r in rects]
    borders = []

    def over(count: int) -> None:
        if max_regions is not None and count > max_regions:
            raise field_error(TooLargeError, "max_regions", f"more than {max_regions:,} regions "
                              f"({count:,} so far); stopped: raise the limit or shrink the domain")

    with atomic_writer(out) as tmp:
        writer = RowWriter(tmp, program.pattern_bytes, program.out_dim)
        try:
            tiles = tile_tasks(tile_rows, cut.program, args, client=client, workers=workers,
                               backend=backend)
            for index, result in enumerate(tiles):
                rows = result["rows"]
                rows.tiles[:] = index
                writer.write(rows)
                borders.append(result["border"])
                over(writer.count)
                if progress is not None:
                    progress((index + 1) * n_steps, len(rects) * n_steps, writer.count)
            joined = Regions.from_tiles(net, program, plane, borders, frame=frame, cut=cut)
            del borders
            merged = joined.count
            writer.write(merged_rows(joined))
            over(writer.count)
            writer.close(_metadata(net, program, plane, frame, rects, merged))
        except BaseException:
            writer.abort()
            raise
    return RegionsFile(out)


def _metadata(net, program, plane, frame: Frame, rects, merged: int) -> dict:
    return {"merged": merged,
            "plane": dict(origin=plane.origin.tolist(), u=plane.u.tolist(), v=plane.v.tolist(),
                          extent=list(plane.extent)),
            "layout": [dict(lay) for lay in program.layout()],
            "pattern_bytes": program.pattern_bytes, "in_dim": plane.in_dim,
            "out_dim": program.out_dim,
            "tiles": [list(frame.rect_to_plane(r)) for r in rects],
            "net": describe_net(net, program)}
