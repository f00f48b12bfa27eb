"""``linear_regions``: the exact partition of a plane rectangle by a network (the public entry point).

It compiles the network (:mod:`.compile`), plans tiles (:mod:`.tiles`), cuts each one
(:mod:`.cutter`; in local processes or on a Dask cluster) and joins them into a
:class:`~.result.Regions`, or streams them to a Parquet file (:mod:`.stream`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from ..errors import SpecError, TooLargeError, field_error
from ..plane import Plane, check_extent
from .compile import compile_net
from .cutter import check_backend, resolve_backend
from .frame import UNIT, Frame, normalise
from .tiles import grid_tiles, plan_tiles, run_tiles


def _workers() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


def _adapt_progress(progress):
    """Accept ``progress(done, total)`` as well as ``progress(done, total, faces)``."""
    if progress is None:
        return None
    import inspect

    try:
        params = inspect.signature(progress).parameters.values()
    except (TypeError, ValueError):
        return progress
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params) or len(positional) >= 3:
        return progress
    return lambda done, total, faces: progress(done, total)


def resolve_plane(domain, plane) -> Plane:
    """The plane of a ``domain=(x0, x1, y0, y1)`` or a given ``plane`` (exactly one of them)."""
    if (domain is None) == (plane is None):
        raise SpecError("give exactly one of domain=(x0, x1, y0, y1) (2-input nets) or plane=nm.Plane(...)")
    if plane is not None:
        if not isinstance(plane, Plane):
            raise SpecError(f"plane must be a neuromosaic.Plane, got {type(plane).__name__}")
        return plane
    x0, x1, y0, y1 = check_extent(domain)
    return Plane.rect(x0, x1, y0, y1)


def linear_regions(net, domain=None, plane: Plane | None = None, *, max_regions: int | None = None,
                   progress: Callable[[int, int, int], None] | None = None,
                   tiles: tuple[int, int] | None = None, workers: int | None = None,
                   input_shape: tuple[int, ...] | None = None, backend: str = "auto",
                   client=None, out=None, merge: str = "pattern"):
    """The exact linear regions of a piecewise-linear network over a rectangle of a plane.

    Arguments:
        net: a ``torch.nn.Sequential`` (Linear, ReLU, LeakyReLU, PReLU, Hardtanh, Abs, Identity,
            Flatten/Unflatten, BatchNorm in eval mode, Conv1d/2d, AvgPool, MaxPool, Maxout,
            Residual) or a :class:`~neuromosaic.spec.NetSpec` with such activations.
        domain: ``(x0, x1, y0, y1)``, the input rectangle of a 2-input network.
        plane: a :class:`~neuromosaic.plane.Plane` (a rectangle in a 2-D slice of the input space);
            give exactly one of ``domain`` and ``plane``.
        max_regions: stop with :class:`~neuromosaic.errors.TooLargeError` past this many regions.
        progress: ``progress(done_steps, total_steps, faces_so_far)`` (or ``progress(done, total)``),
            called after every step (layer) of every tile.
        tiles: ``(nx, ny)``: a grid of equal tiles; default: one tile for small partitions, else
            a quadtree whose tiles keep a worker's mesh near ``TILE_STATE_BYTES``.
        workers: processes for the tiles (default: the usable cores).
        input_shape: the per-sample shape a conv net takes, e.g. ``(1, 8, 8)`` (default: guessed).
        backend: ``"numba"`` (the compiled cut kernel), ``"numpy"`` (the NumPy reference the
            tests compare it with; the same partition, the faces in another order) or ``"auto"``
            (the default: NumPy for a program of at most 32 units, which it cuts in a few ms,
            less than a fresh process takes to load the kernel; the kernel otherwise).
        client: a ``dask.distributed.Client``: the tiles are cut on its workers (each needs
            neuromosaic; the program is sent to each once) and ``workers`` is ignored; the
            default tiles are then planned for the cluster's threads. Nothing else changes: the
            same tiles give the same partition.
        out: a ``.parquet`` path: stream the partition to that file, one row per region, as the
            tiles finish (:mod:`.stream`): memory holds a few tiles' rows and the faces on tile
            borders, never the partition, and no estimate of the result's size is checked
            against the free memory. Returns a lazy :class:`~neuromosaic.regions.store.RegionsFile`
            (``Regions.open(out)`` reopens it) instead of a ``Regions``. Needs pyarrow
            (``neuromosaic[sweep]``).
        merge: ``"pattern"`` (the default: a region is a maximal connected set with one
            activation pattern) or ``"affine"``: connected unions of neighbouring regions whose
            affine maps are equal (to 1e-12 relative; ``Regions.affine_pieces(exact=True)`` decides
            them in exact rationals), the count some papers give; returns an
            :class:`~neuromosaic.regions.merge.AffinePieces` over the regions.

    Returns a :class:`~neuromosaic.regions.result.Regions` (a
    :class:`~neuromosaic.regions.store.RegionsFile` with ``out``; an
    :class:`~neuromosaic.regions.merge.AffinePieces` with ``merge="affine"``). All arithmetic is
    float64, in coordinates normalised to the rectangle (:mod:`.frame`: any size or position is
    cut as [-1, 1]² is); the results are in the plane's coordinates.
    """
    plane = resolve_plane(domain, plane)
    check_backend(backend)
    if merge not in ("pattern", "affine"):
        raise SpecError(f"merge must be 'pattern' or 'affine', got {merge!r}")
    if merge == "affine" and out is not None:
        raise SpecError("merge='affine' needs the partition in memory; drop out= (or merge the "
                        "streamed file's regions yourself)")
    program = compile_net(net, plane.in_dim, input_shape=input_shape)
    regions = cut_program(net, program, plane, max_regions=max_regions, progress=progress,
                          tiles=tiles, workers=workers, backend=backend, client=client, out=out)
    if merge == "affine":
        from .merge import AffinePieces

        return AffinePieces(regions)
    return regions


def cut_program(net, program, plane: Plane, *, max_regions=None, progress=None, tiles=None,
                workers=None, backend: str = "auto", client=None, out=None):
    """:func:`linear_regions` of a compiled ``program`` (``net`` is what the result keeps for
    its checks)."""
    from .result import Regions

    if max_regions is not None and (not isinstance(max_regions, (int, np.integer)) or max_regions < 1):
        raise SpecError(f"max_regions must be a positive integer, got {max_regions!r}")
    if out is not None:
        from .stream import check_out

        out = check_out(out)
    if client is not None:
        from .stream import check_client

        check_client(client)
    frame = Frame.of(plane.extent)
    cut = normalise(program, plane, frame)  # the cut runs over [-1, 1]² (see .frame)
    A, c = cut.A, cut.c
    workers = _workers() if workers is None else max(1, int(workers))
    if client is not None:
        from ..tasks import client_threads

        threads = client_threads(client)  # what the default tiles are planned for
    else:
        threads = workers
    progress = _adapt_progress(progress)
    start = time.perf_counter()
    if tiles is None:
        rects = plan_tiles(cut.program, A, c, UNIT, threads, in_memory=out is None)
    else:
        nx, ny = (int(v) for v in tiles)
        if nx < 1 or ny < 1:
            raise SpecError(f"tiles must be two positive integers, got {tiles!r}")
        rects = grid_tiles(UNIT, nx, ny)
    # tiles in worker processes limit BLAS to one thread each (see tiles.one_blas_thread); in
    # this process the matrix products may use every core
    backend = resolve_backend(backend, cut.program)
    if out is not None:
        from .stream import stream_regions

        result = stream_regions(out, net, program, plane, cut, frame, rects, client=client,
                                workers=min(workers, len(rects)), backend=backend,
                                max_regions=max_regions, progress=progress)
        result.seconds = time.perf_counter() - start
        return result
    parts = run_tiles(cut.program, A, c, rects, backend=backend, max_regions=max_regions,
                      progress=progress, workers=min(workers, len(rects)), client=client)
    regions = Regions.from_tiles(net, program, plane, parts, frame=frame, cut=cut)
    if max_regions is not None and regions.count > max_regions:
        raise field_error(TooLargeError, "max_regions", f"more than {max_regions:,} regions "
                          f"({regions.count:,}); stopped: raise the limit or shrink the domain")
    regions.seconds = time.perf_counter() - start
    return regions

