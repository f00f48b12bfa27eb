"""``linear_regions``: the public entry point; splits the plane into tiles run in worker processes.

Tiles bound the memory (each worker holds one tile's mesh at a time) and use both cores without
nested thread pools (each worker limits BLAS to one thread). A region cut by a tile border appears
once per tile it touches; since the set of points with one activation pattern is convex (an
intersection of half-planes), the pieces with equal patterns are one region, and they are merged
(see :mod:`.result`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable

import numpy as np

from ..errors import SpecError, TooLargeError
from ..plane import Plane, check_extent
from .engine import Cutter, cut_units
from .modules import Elementwise, MaxGroups, Program, compile_net

# a tile's vertex state should stay around this size (bytes), so that 2 workers stay well under 1 GB
TILE_STATE_BYTES = 160 * 1024 * 1024
# up to this estimated state, one tile in this process is faster than forked tiles (with the
# compiled kernel the cut is cheap; forking, sending the tiles back and merging are not)
SINGLE_TILE_STATE_BYTES = 400 * 1024 * 1024


def _workers() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


class _Density:
    """Where the regions crowd: the activation patterns on a ``G x G`` grid of cell corners; the
    number of pattern bits that differ between two neighbouring corners is (about) the number of
    hyperplanes crossed between them. A sub-rectangle with ``k`` crossings across and ``m`` up
    holds about ``k * m`` regions (a line-like arrangement)."""

    def __init__(self, program: Program, A, c, rect, G: int = 64):
        from .engine import encode_patterns

        s0, s1, t0, t1 = rect
        self.rect, self.G = rect, G
        s, t = np.linspace(s0, s1, G + 1), np.linspace(t0, t1, G + 1)
        st = np.stack(np.meshgrid(s, t), axis=-1).reshape(-1, 2)  # row j = t[j]
        _, pre = program.forward(st @ A.T + c, record=True)
        codes = encode_patterns(program, pre, len(st)).reshape(G + 1, G + 1, -1)
        ones = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).sum(1)
        self.across = ones[codes[:, 1:] ^ codes[:, :-1]].sum(-1)  # (G+1, G): along s
        self.up = ones[codes[1:] ^ codes[:-1]].sum(-1)  # (G, G+1): along t

    def estimate(self, rect) -> float:
        s0, s1, t0, t1 = self.rect
        G = self.G
        i0, i1 = (round((v - s0) / (s1 - s0) * G) for v in rect[:2])
        j0, j1 = (round((v - t0) / (t1 - t0) * G) for v in rect[2:])
        i1, j1 = max(i1, i0 + 1), max(j1, j0 + 1)
        k = self.across[j0:j1 + 1, i0:i1].sum(1).mean()
        m = self.up[j0:j1, i0:i1 + 1].sum(0).mean()
        return float((k + 1) * (m + 1))


def _state_width(program: Program) -> int:
    from .engine import _live_after

    live, widest = program.in_dim, program.in_dim
    stack = 0
    for step in program.steps:
        name = type(step).__name__
        if name == "Push":
            stack += live
        elif name == "Pop":
            stack -= live
        live = _live_after(step, live)
        extra = step.groups.shape[0] if isinstance(step, MaxGroups) else 0
        widest = max(widest, live + stack + extra)
    return widest


def plan_tiles(program: Program, A, c, rect, workers: int) -> list[tuple[float, float, float, float]]:
    """Cut ``rect`` into tiles whose estimated vertex state stays near ``TILE_STATE_BYTES``: a
    quadtree, since regions crowd where the hyperplanes do (near the origin for random nets).
    Returns the tiles, the most crowded first (so that the workers finish together)."""
    cutting = [s for s in program.steps if isinstance(s, (Elementwise, MaxGroups))]
    if not cutting or cut_units(program) <= 128:  # at most a few thousand regions: one tile
        return [rect]
    density = _Density(program, A, c, rect)
    est = density.estimate(rect)
    per_region = _state_width(program) * 8 * 2.5  # bytes of vertex state per region
    if est * per_region <= SINGLE_TILE_STATE_BYTES:
        return [rect]
    per_tile = TILE_STATE_BYTES / per_region
    tiles = [(est, rect)]
    for _ in range(6):
        big = [(e, r) for e, r in tiles if e > per_tile]
        if not big and len(tiles) >= 2 * workers:
            break
        if not big:  # enough memory, too few tiles to keep the workers busy: split the largest
            big = [max(tiles)]
        keep = [t for t in tiles if t not in big]
        for _e, r in big:
            for q in _quarters(r):
                keep.append((density.estimate(q), q))
        tiles = keep
    tiles.sort(key=lambda t: -t[0])
    return [r for _e, r in tiles]


def _quarters(rect):
    s0, s1, t0, t1 = rect
    sm, tm = 0.5 * (s0 + s1), 0.5 * (t0 + t1)
    return [(s0, sm, t0, tm), (sm, s1, t0, tm), (s0, sm, tm, t1), (sm, s1, tm, t1)]


try:  # made at import, not on the first cut: importing and scanning the libraries takes ~45 ms
    from threadpoolctl import ThreadpoolController

    _CONTROLLER = ThreadpoolController()
except ImportError:  # optional: without it BLAS keeps its own threads
    _CONTROLLER = None


def one_blas_thread():
    """A context in which BLAS uses one thread: the engine's matrix products are many and small,
    and a threaded BLAS beside a second worker (or other processes) mostly waits on itself."""
    if _CONTROLLER is None:
        return contextlib.nullcontext()
    return _CONTROLLER.limit(limits=1)


def _run_tile(args):
    program, A, c, rect, max_regions, queue, index = args
    progress = None
    if queue is not None:
        def progress(done, total, nf):
            queue.put((index, done, total, nf))
    with one_blas_thread():
        return _cut_tile(program, A, c, rect, max_regions, progress)


def run_tiles(program: Program, A, c, rects, *, max_regions=None,
              progress: Callable | None = None, workers: int = 1) -> list[dict]:
    """Cut each tile (in ``workers`` processes when more than one tile); results in tile order."""
    n_steps = len(program.steps)
    if len(rects) == 1 or workers == 1:
        out = []
        for i, r in enumerate(rects):
            cb = None
            if progress is not None:
                def cb(done, total, nf, i=i):
                    progress(i * n_steps + done, len(rects) * n_steps, nf)
            out.append(_cut_tile(program, A, c, r, max_regions, cb))
        return out
    import multiprocessing as mp

    from .engine import load_kernel

    load_kernel()  # once, here, not in every forked worker
    ctx = mp.get_context("fork")
    done_steps = [0] * len(rects)
    results: list = [None] * len(rects)
    with contextlib.ExitStack() as stack:
        queue = stack.enter_context(ctx.Manager()).Queue() if progress is not None else None
        pool = stack.enter_context(ctx.Pool(workers))
        jobs = [pool.apply_async(_run_tile, ((program, A, c, r, max_regions, queue, i),))
                for i, r in enumerate(rects)]
        pending = set(range(len(rects)))
        while pending:
            for i in list(pending):
                if jobs[i].ready():
                    results[i] = jobs[i].get()  # re-raises a worker's error (TooLargeError…)
                    pending.discard(i)
            if queue is not None:
                while not queue.empty():
                    idx, done, _total, nf = queue.get()
                    done_steps[idx] = done
                    progress(sum(done_steps), len(rects) * n_steps, nf)
            if pending:
                jobs[next(iter(pending))].wait(0.05)
    return results


def _cut_tile(program, A, c, rect, max_regions, cb) -> dict:
    mesh = Cutter(program, A, c, rect, max_regions=max_regions, progress=cb).run()
    nf, nv = mesh.nf, mesh.nv
    return dict(rect=rect, P=mesh.P[:nv].copy(), Y=mesh.X[:nv, :program.out_dim].copy(),
                F=mesh.F[:nf].copy(), deg=mesh.deg[:nf].copy(), codes=mesh.codes[:nf].copy())


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


def grid_tiles(rect, nx: int, ny: int) -> list[tuple[float, float, float, float]]:
    """``nx`` by ``ny`` equal tiles of ``rect``."""
    s0, s1, t0, t1 = rect
    xs = [s0 + (s1 - s0) * i / nx for i in range(nx)] + [s1]
    ys = [t0 + (t1 - t0) * j / ny for j in range(ny)] + [t1]
    return [(xs[i], xs[i + 1], ys[j], ys[j + 1]) for j in range(ny) for i in range(nx)]


def _resolve_plane(net, domain, plane) -> Plane:
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
                   input_shape: tuple[int, ...] | None = None):
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

    Returns a :class:`~neuromosaic.regions.result.Regions`. All arithmetic is float64.
    """
    from .result import Regions

    plane = _resolve_plane(net, domain, plane)
    program = compile_net(net, plane.in_dim, input_shape=input_shape)
    if max_regions is not None and (not isinstance(max_regions, (int, np.integer)) or max_regions < 1):
        raise SpecError(f"max_regions must be a positive integer, got {max_regions!r}")
    A, c = plane.affine()
    workers = _workers() if workers is None else max(1, int(workers))
    progress = _adapt_progress(progress)
    start = time.perf_counter()
    if tiles is None:
        rects = plan_tiles(program, A, c, plane.extent, workers)
    else:
        nx, ny = (int(v) for v in tiles)
        if nx < 1 or ny < 1:
            raise SpecError(f"tiles must be two positive integers, got {tiles!r}")
        rects = grid_tiles(plane.extent, nx, ny)
    # tiles in worker processes limit BLAS to one thread each (see _run_tile); in this process
    # the matrix products may use every core
    parts = run_tiles(program, A, c, rects, max_regions=max_regions, progress=progress,
                      workers=min(workers, len(rects)))
    regions = Regions.from_tiles(net, program, plane, parts)
    if max_regions is not None and regions.count > max_regions:
        raise TooLargeError(f"more than max_regions={max_regions} regions ({regions.count}); "
                            "raise --max-regions or shrink the domain")
    regions.seconds = time.perf_counter() - start
    return regions

