"""Posters: a picture too big for memory, painted tile by tile at several resolutions.

A poster's full level is the picture ``nm.paint`` gives at that size, cut into square tiles;
each tile is a pixel window of it (``paint(..., window=…)``), so the tiles put together are that
picture byte for byte, and memory holds a few tiles, never the picture. The pyramid halves the
size level by level (rounding up) until a level fits in one tile; each level is painted at its
own resolution — a CPPN has none, so a reduced level is the same view painted with fewer pixels,
not a downsampled copy. Every tile of every level maps outputs to colours with one range (the
picture's, :func:`poster_config`), so the levels agree.

A tile is a small picklable job (:class:`TileJob`): :func:`tile_stream` runs the jobs on local
threads or on a Dask cluster, a bounded number at a time, and yields the encoded tiles in file
order; :func:`write_poster` hands that stream to :func:`neuromosaic.io.tiff.write_pyramid`.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SpecError
from ..tasks import client_threads, dask_submitter, ordered
from .config import PaintConfig, config_range

TILE = 512  # 768 KiB of RGB a tile: viewers' usual size, and 1/16 of the fused kernel's chunks
MIN_TILE, MAX_TILE = 16, 4096  # TIFF tile sides are multiples of 16
MAX_IN_FLIGHT = 256  # tiles rendered ahead of the writer, at most (× 768 KiB each, before zlib)


def check_tile(tile: int) -> int:
    """``tile`` if it is a multiple of 16 in 16..4096 (``SpecError`` otherwise)."""
    if isinstance(tile, bool) or not isinstance(tile, (int, np.integer)) or not (
            MIN_TILE <= tile <= MAX_TILE and tile % 16 == 0):
        raise SpecError(f"tile must be a multiple of 16 between {MIN_TILE} and {MAX_TILE}, got {tile!r}")
    return int(tile)


def pyramid(width: int, height: int, tile: int = TILE) -> list[tuple[int, int]]:
    """The levels' ``(W, H)``: the full size, then each halved (rounding up) until a level fits
    in one ``tile`` × ``tile`` tile. ``pyramid(300, 200, 64)`` → 300×200, 150×100, 75×50, 38×25."""
    levels = [(width, height)]
    while max(levels[-1]) > tile:
        w, h = levels[-1]
        levels.append(((w + 1) // 2, (h + 1) // 2))
    return levels


def tile_windows(width: int, height: int, tile: int = TILE) -> list[tuple[int, int, int, int]]:
    """The tiles of a ``width`` × ``height`` level as pixel windows ``(x0, y0, w, h)``, in a
    TIFF's order (row by row); the last column and row are cut at the picture's edge."""
    return [(x, y, min(tile, width - x), min(tile, height - y))
            for y in range(0, height, tile) for x in range(0, width, tile)]


def poster_config(cfg: PaintConfig) -> PaintConfig:
    """``cfg`` with the range every tile maps outputs from made explicit when its output is
    unbounded (:func:`~.config.config_range`, once for the whole picture), so tiles and levels
    agree and ``paint --from`` the poster paints the same bytes; ``cfg`` itself when bounded.

    An unbounded output with raw coordinates would need the whole picture for its range
    (:func:`~.render.picture_range`): that asks for ``range`` (``SpecError``)."""
    if cfg.range is not None:
        return cfg
    from .render import output_bounds, resolve_device

    net = build_net(cfg, resolve_device(cfg.device))
    if output_bounds(net) is not None:
        return cfg
    if cfg.raw_coords:
        raise SpecError(f"a poster of an unbounded output ({cfg.out_activation}) with raw "
                        "coordinates needs range=(lo, hi): its range would take the whole picture")
    return cfg.replace(range=config_range(cfg, net=net))


@dataclass(frozen=True)
class TileJob:
    """One tile to paint: everything a worker needs, small and picklable.

    Attributes:
        config: the :class:`PaintConfig` as JSON (the same text for every tile, so a worker
            builds the net once: :func:`_net_for`).
        size: `(W, H)` of the level the tile belongs to.
        window: `(x0, y0, w, h)`: the tile's pixels in that level.
        tile: the tile side; the encoded tile is padded to ``tile`` × ``tile``.
    """

    config: str
    size: tuple[int, int]
    window: tuple[int, int, int, int]
    tile: int


def poster_jobs(cfg: PaintConfig, tile: int = TILE) -> Iterator[TileJob]:
    """Every tile of every level of ``cfg``'s poster in file order: the full level's tiles row
    by row, then each reduced level's. ``cfg`` should come from :func:`poster_config`."""
    text = cfg.model_dump_json()
    for size in pyramid(*cfg.size, tile):
        for window in tile_windows(*size, tile):
            yield TileJob(text, size, window, tile)


_BUILDING = threading.Lock()


def _net_for(config: str):
    """``(cfg, net, device)`` for a config's JSON, built once per process (a Dask worker
    paints thousands of tiles of one net). One thread builds at a time: ``NetSpec.build``
    seeds torch's global generator, so two builds at once would draw each other's weights."""
    with _BUILDING:
        return _cached_net(config)


@functools.lru_cache(maxsize=2)
def _cached_net(config: str):
    from .render import resolve_device

    cfg = PaintConfig.model_validate_json(config)
    device = resolve_device(cfg.device)
    return cfg, build_net(cfg, device).eval(), device


def build_net(cfg: PaintConfig, device):
    """The net ``cfg`` paints, on ``device`` (a bred config builds itself along its lineage)."""
    build = getattr(cfg, "build", None)
    return build(device=device) if build is not None else cfg.net_spec().build(device=device)


def render_tile(job: TileJob) -> np.ndarray:
    """The pixels of one tile, `(h, w, C)` uint8: ``job.window`` of ``nm.paint`` at
    ``job.size`` (one worker thread: tiles run side by side)."""
    from .render import paint

    cfg, net, device = _net_for(job.config)
    return np.asarray(paint(net, job.size, scale=cfg.scale, center=cfg.center,
                            raw_coords=cfg.raw_coords, inputs=cfg.inputs, z=cfg.latent(),
                            color=cfg.color, cmap=cfg.cmap, range=cfg.range, fast=cfg.fast,
                            device=device, workers=1, window=job.window))


def tile_bytes(job: TileJob) -> bytes:
    """One tile painted and encoded as the file stores it (:func:`~neuromosaic.io.tiff.encode_tile`):
    the task a thread or a Dask worker runs, so only compressed bytes travel back."""
    from ..io.tiff import encode_tile

    return encode_tile(render_tile(job), job.tile)


def tile_stream(jobs: Iterator[TileJob], *, client=None, workers: int | None = None
                ) -> Iterator[bytes]:
    """The encoded tiles of ``jobs`` in order: painted by ``workers`` local threads (default:
    one per core), or by the workers of a ``distributed.Client``; two tiles a thread are in
    flight (at most :data:`MAX_IN_FLIGHT`), so the writer never waits and memory stays bounded."""
    if client is not None:
        submit = dask_submitter(client, tile_bytes, "tile")
        yield from ordered(((job,) for job in jobs), submit,
                           min(MAX_IN_FLIGHT, 2 * client_threads(client)))
        return
    threads = max(1, workers or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="poster") as pool:
        try:
            yield from ordered(jobs, lambda job: pool.submit(tile_bytes, job),
                               min(MAX_IN_FLIGHT, 2 * threads))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def write_poster(path: str | Path, cfg: PaintConfig, *, tile: int = TILE, client=None,
                 workers: int | None = None, metadata: dict | None = None,
                 progress: Callable[[int, int], None] | None = None) -> PaintConfig:
    """Paint ``cfg`` as a tiled, pyramidal BigTIFF at ``path`` (temp file + rename: a failure
    leaves no file and replaces none), tile by tile in bounded memory.

    Arguments:
        path: the ``.tif`` to write.
        cfg: the picture; ``cfg.size`` is the full level's `(W, H)`, up to 65,536 a side.
        tile: the tile side, a multiple of 16 in 16..4096.
        client: a ``distributed.Client``: its workers paint the tiles (each needs neuromosaic);
            this process writes them in order. ``None``: ``workers`` local threads.
        metadata: the description's JSON (default :meth:`PaintConfig.metadata` of the config
            painted); a ``"poster"`` record (levels, tile) is added.
        progress: called as ``progress(done_pixels, total_pixels)`` over all levels.

    Returns:
        the config painted (:func:`poster_config`: with the range made explicit when the
        output is unbounded); the file's description carries it.
    """
    from ..io.tiff import write_pyramid

    tile = check_tile(tile)
    cfg = poster_config(cfg)
    levels = pyramid(*cfg.size, tile)
    meta = {**(metadata or {}), **cfg.metadata(),
            "poster": {"levels": [list(s) for s in levels], "tile": tile}}
    total = sum(w * h for w, h in levels)
    areas = (job.window[2] * job.window[3] for job in poster_jobs(cfg, tile))

    def counted(tiles: Iterator[bytes]) -> Iterator[bytes]:
        done = 0
        for data, area in zip(tiles, areas, strict=False):
            done += area
            if progress is not None:
                progress(done, total)
            yield data

    channels = 1 if cfg.color == "gray" and cfg.cmap is None else 3
    tiles = tile_stream(poster_jobs(cfg, tile), client=client, workers=workers)
    write_pyramid(path, counted(tiles), levels, tile=tile, channels=channels, description=meta)
    return cfg
