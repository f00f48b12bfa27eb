"""Regions past one machine: the largest partition through a Dask LocalCluster, streamed to Parquet.

A random ReLU MLP 2 → [W] * D → 1 (``NetSpec``, weights and biases N(0, S²)) is cut over
[-R, R]² by ``nm.linear_regions(..., client=Client(LocalCluster(2 workers × 1 thread)),
out=FILE.parquet)``. A thread samples the resident memory of every worker process (and of this
one, which writes the file) every 0.2 s; the peaks are reported. Afterwards the file is read back
chunk by chunk with ``Regions.open``: the areas must sum to the square's (relative 1e-9) and no
two rows may share a pattern; ``plot()`` rasterises it (timed). ``--compare`` also cuts the net in
memory in this process and compares every row by pattern (small nets only).

Usage: python benchmarks/regions_scale.py [--width 64] [--depth 24] [--radius 32] [--sigma 0.18]
       [--workers 2] [--memory-limit 2GB] [--tiles NX,NY] [--keep FILE] [--compare]
The defaults cut about 0.9 million regions in about half a minute; the run recorded in
benchmarks/RESULTS.md used --depth 84 (10.9 million regions, 5.5 min on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


class Sampler(threading.Thread):
    """Peak RSS of some processes, sampled every ``period`` seconds."""

    def __init__(self, pids: dict[str, int], period: float = 0.2):
        super().__init__(daemon=True)
        import psutil

        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak = dict.fromkeys(pids, 0)
        self.period = period
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for name, proc in self.procs.items():
                try:
                    self.peak[name] = max(self.peak[name], proc.memory_info().rss)
                except Exception:  # noqa: BLE001 - a worker that went away keeps its peak
                    pass
            self.stop.wait(self.period)


def check_file(path: Path, extent) -> dict:
    """Read the file back in chunks: the area sum, duplicate patterns, the raster's time."""
    from neuromosaic.regions import Regions
    from neuromosaic.regions.patterns import pattern_hash

    f = Regions.open(path)
    total, hashes = 0.0, []
    start = time.perf_counter()
    for chunk in f.chunks(polygons=False):
        total += float(np.sum(chunk.areas))
        hashes.append(pattern_hash(chunk.patterns))
    read_s = time.perf_counter() - start
    distinct = len(np.unique(np.concatenate(hashes))) if hashes else 0
    s0, s1, t0, t1 = extent
    start = time.perf_counter()
    image = f.image(1024)
    plot_s = time.perf_counter() - start
    return {"count": f.count, "merged": f.merged, "tiles": len(f.tiles),
            "area_error": abs(total - (s1 - s0) * (t1 - t0)) / ((s1 - s0) * (t1 - t0)),
            "distinct_hashes": distinct, "read_s": read_s, "plot_s": plot_s,
            "image": image.shape}


def compare(spec, extent, path: Path) -> str:
    """Every row of the file against the in-memory cut, by pattern."""
    import neuromosaic as nm
    from neuromosaic.regions import Regions

    mem = nm.linear_regions(spec, domain=extent)
    f = Regions.open(path)
    index = {bytes(p): i for i, p in enumerate(mem.patterns)}
    rows = np.array([index[bytes(p)] for p in f.patterns()])
    same = (f.count == mem.count and len(set(rows.tolist())) == mem.count
            and np.array_equal(f.areas(), mem.areas[rows])
            and np.array_equal(f.affine()[0], mem.grads[rows]))
    return "equal" if same else "DIFFERENT"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--depth", type=int, default=24)
    ap.add_argument("--radius", type=float, default=32.0)
    ap.add_argument("--sigma", type=float, default=0.18, help="weights and biases N(0, S²)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB", help="each Dask worker's memory limit")
    ap.add_argument("--tiles", default=None, help="NX,NY: a grid of tiles (default: planned)")
    ap.add_argument("--keep", type=Path, default=None, help="write the .parquet here and keep it")
    ap.add_argument("--compare", action="store_true", help="also cut in memory and compare")
    args = ap.parse_args()

    import distributed

    import neuromosaic as nm
    from neuromosaic.spec import NetSpec

    spec = NetSpec(inputs=2, widths=[args.width] * args.depth, outputs=1, activation="relu",
                   out_activation="identity", init=f"normal:{args.sigma:g}", seed=args.seed)
    R = args.radius
    extent = (-R, R, -R, R)
    tiles = tuple(int(v) for v in args.tiles.split(",")) if args.tiles else None
    tmp = tempfile.TemporaryDirectory(prefix="regions_scale.")
    path = args.keep or Path(tmp.name) / "regions.parquet"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; python {platform.python_version()}")
    print(f"net: 2 -> [{args.width}] * {args.depth} -> 1 relu, normal:{args.sigma:g}, seed "
          f"{args.seed}; domain [-{R:g}, {R:g}]²; {args.workers} Dask workers × 1 thread, "
          f"memory limit {args.memory_limit} each")
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  memory_limit=args.memory_limit, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = {f"worker {i}": pid for i, pid in enumerate(sorted(client.run(os.getpid).values()))}
        base = {name: 0 for name in pids}
        sampler = Sampler({**pids, "client": os.getpid()})
        for name, proc in sampler.procs.items():
            if name in base:
                base[name] = proc.memory_info().rss
        sampler.start()
        last = [0.0]

        def progress(done, total, written):
            now = time.perf_counter()
            if now - last[0] > 10 or done == total:
                last[0] = now
                print(f"  {done / total:6.1%} of the tiles, {written:,} regions written",
                      flush=True)

        start = time.perf_counter()
        out = nm.linear_regions(spec, domain=extent, client=client, out=path, tiles=tiles,
                                progress=progress)
        seconds = time.perf_counter() - start
        sampler.stop.set()
        sampler.join()
    size = path.stat().st_size
    checked = check_file(path, extent)
    print()
    print("| regions | tiles | joined across borders | seconds | regions/s | file MB | "
          "peak RSS per worker MB | worker RSS at start MB | client peak RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    workers = [sampler.peak[n] / 2**20 for n in pids]
    print(f"| {out.count:,} | {checked['tiles']} | {checked['merged']:,} | {seconds:.1f} | "
          f"{out.count / seconds:,.0f} | {size / 1e6:,.0f} | "
          f"{', '.join(f'{w:,.0f}' for w in workers)} | "
          f"{', '.join(f'{base[n] / 2**20:,.0f}' for n in pids)} | "
          f"{sampler.peak['client'] / 2**20:,.0f} |")
    print()
    print(f"read back in chunks: {checked['read_s']:.1f} s; area sum relative error "
          f"{checked['area_error']:.1e}; distinct pattern hashes {checked['distinct_hashes']:,} "
          f"of {checked['count']:,} rows; plot (1024² raster) {checked['plot_s']:.1f} s")
    ok = checked["area_error"] < 1e-9 and checked["distinct_hashes"] == checked["count"]
    if args.compare:
        verdict = compare(spec, extent, path)
        print(f"in-memory cut, row by row by pattern: {verdict}")
        ok &= verdict == "equal"
    tmp.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
