"""Tiles: cut a plane rectangle as several sub-rectangles, in worker processes or on a Dask cluster.

Tiles bound the memory (each worker holds one tile's mesh at a time) and use every core without
nested thread pools (each worker limits BLAS to one thread). A region cut by a tile border appears
once per tile it touches; since the set of points with one activation pattern is convex (an
intersection of half-planes), the pieces with equal patterns are one region, and they are merged
(see :mod:`.result`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

from ..memory import check_fits
from ..tasks import client_threads, dask_submitter, ordered
from .cutter import Cutter, load_kernel
from .program import Program, is_cutting

# a tile's vertex state should stay around this size (bytes), so that 2 workers stay well under 1 GB
TILE_STATE_BYTES = 160 * 1024 * 1024
# up to this estimated state, one tile in this process is faster than forked tiles (with the
# compiled kernel the cut is cheap; forking, sending the tiles back and merging are not)
SINGLE_TILE_STATE_BYTES = 400 * 1024 * 1024
# programs cutting with at most this many units make at most a few thousand regions: one tile
ONE_TILE_UNITS = 128
# what a finished region costs in the result (vertices, a face row, its pattern, its map):
# measured ~250 B on the reference nets; the check before a cut allows for 400
RESULT_BYTES_PER_REGION = 400


class _Density:
    """Where the regions crowd: the activation patterns on a ``G x G`` grid of cell corners; the
    number of pattern bits that differ between two neighbouring corners is (about) the number of
    hyperplanes crossed between them. A sub-rectangle with ``k`` crossings across and ``m`` up
    holds about ``k * m`` regions (a line-like arrangement)."""

    def __init__(self, program: Program, A, c, rect, G: int = 64):
        s0, s1, t0, t1 = rect
        self.rect, self.G = rect, G
        s, t = np.linspace(s0, s1, G + 1), np.linspace(t0, t1, G + 1)
        st = np.stack(np.meshgrid(s, t), axis=-1).reshape(-1, 2)  # row j = t[j]
        # in chunks: a chunk's activations stay near 64 MB however wide the net
        step = max(1, (8 << 20) // max(1, program.state_width()))
        codes = np.concatenate([program.encode_patterns(program.forward(x, record=True)[1], len(x))
                                for x in np.array_split(st @ A.T + c, -(-len(st) // step))])
        codes = codes.reshape(G + 1, G + 1, -1)
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


def plan_tiles(program: Program, A, c, rect, workers: int, *, in_memory: bool = True
               ) -> list[tuple[float, float, float, float]]:
    """Cut ``rect`` into tiles whose estimated vertex state stays near ``TILE_STATE_BYTES``: a
    quadtree, since regions crowd where the hyperplanes do (near the origin for random nets).
    Returns the tiles, the most crowded first (so that the workers finish together).

    ``in_memory``: the joined result will be held in this process, so its estimated size is
    checked against the free memory first (``TooLargeError``); a partition streamed to disk
    (:mod:`.stream`) holds one tile's rows at a time and skips that check."""
    if not any(is_cutting(s) for s in program.steps) or program.cut_units <= ONE_TILE_UNITS:
        return [rect]
    density = _Density(program, A, c, rect)
    est = density.estimate(rect)
    if in_memory:
        check_fits(f"about {est:,.0f} regions (estimated from a 65 × 65 grid of patterns)",
                   int(est * RESULT_BYTES_PER_REGION), share=2)
    per_region = program.state_width() * 8 * 2.5  # bytes of vertex state per region
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
    program, A, c, rect, backend, max_regions, queue, index = args
    progress = None
    if queue is not None:
        def progress(done, total, nf):
            queue.put((index, done, total, nf))
    with one_blas_thread():
        return cut_tile(program, A, c, rect, backend, max_regions, progress)


def run_tiles(program: Program, A, c, rects, *, backend: str = "numba", max_regions=None,
              progress: Callable | None = None, workers: int = 1, client=None) -> list[dict]:
    """Cut each tile (in ``workers`` processes when more than one tile, or on the workers of a
    ``distributed.Client``); results in tile order. On a cluster ``progress`` is called once a
    tile, as each one arrives."""
    n_steps = len(program.steps)
    if client is not None:
        out = []
        args = [(A, c, r, backend, max_regions, None) for r in rects]
        for part in tile_tasks(cut_tile, program, args, client=client, backend=backend):
            out.append(part)
            if progress is not None:
                progress(len(out) * n_steps, len(rects) * n_steps, sum(len(p["F"]) for p in out))
        return out
    if len(rects) == 1 or workers == 1:
        out = []
        for i, r in enumerate(rects):
            cb = None
            if progress is not None:
                def cb(done, total, nf, i=i):
                    progress(i * n_steps + done, len(rects) * n_steps, nf)
            out.append(cut_tile(program, A, c, r, backend, max_regions, cb))
        return out
    import multiprocessing as mp

    if backend == "numba":
        load_kernel()  # once, here, not in every forked worker
    ctx = mp.get_context("fork")
    done_steps = [0] * len(rects)
    results: list = [None] * len(rects)
    with contextlib.ExitStack() as stack:
        queue = stack.enter_context(ctx.Manager()).Queue() if progress is not None else None
        pool = stack.enter_context(ctx.Pool(workers))
        jobs = [pool.apply_async(_run_tile, ((program, A, c, r, backend, max_regions, queue, i),))
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


def tile_tasks(task: Callable, program: Program, args: list[tuple], *, client=None, workers: int = 1,
               backend: str = "numba") -> Iterator:
    """``task(program, *a)`` for each ``a`` of ``args``, yielded in order, with BLAS on one thread:
    on the workers of a ``distributed.Client`` (the program sent to each once), in ``workers``
    forked local processes, or in this process (one worker, or one job). Two jobs a worker are
    in flight ahead of the consumer, so finished results wait in memory a few at a time."""
    if client is not None or (workers > 1 and len(args) > 1):
        # the torch module a program keeps for the checks stays here; workers need the steps only
        program = dataclasses.replace(program, reference=None)
    if client is not None:
        shipped = client.scatter(program, broadcast=True, hash=False)
        submit = dask_submitter(client, _one_thread, "regions")
        yield from ordered(((task, shipped, *a) for a in args), submit, 2 * client_threads(client))
        return
    if workers <= 1 or len(args) <= 1:
        for a in args:
            yield task(program, *a)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    if backend == "numba":
        load_kernel()  # once, here, not in every forked worker
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        try:
            yield from ordered(((task, program, *a) for a in args),
                               lambda job: pool.submit(_one_thread, *job), 2 * workers)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _one_thread(task: Callable, *args):
    with one_blas_thread():
        return task(*args)


def cut_tile(program, A, c, rect, backend, max_regions, cb) -> dict:
    """Cut one tile; its mesh as plain arrays (what a worker sends back)."""
    mesh = Cutter(program, A, c, rect, backend=backend, max_regions=max_regions, progress=cb).run()
    nf, nv = mesh.nf, mesh.nv
    return dict(rect=rect, P=mesh.P[:nv].copy(), Y=mesh.X[:nv, :program.out_dim].copy(),
                F=mesh.F[:nf].copy(), deg=mesh.deg[:nf].copy(), codes=mesh.codes[:nf].copy())


def grid_tiles(rect, nx: int, ny: int) -> list[tuple[float, float, float, float]]:
    """``nx`` by ``ny`` equal tiles of ``rect``."""
    s0, s1, t0, t1 = rect
    xs = [s0 + (s1 - s0) * i / nx for i in range(nx)] + [s1]
    ys = [t0 + (t1 - t0) * j / ny for j in range(ny)] + [t1]
    return [(xs[i], xs[i + 1], ys[j], ys[j + 1]) for j in range(ny) for i in range(nx)]
