"""Exact linear regions: neuromosaic's engine against regioncam (Rust, float32) in one run.

Both cut the reference nets of shared/nets (random ReLU MLPs 2 → [w]*d → 1, PyTorch default init)
over [-R, R]². Each case runs in fresh processes, one per tool, which first load their library
(regioncam: `import regioncam`; neuromosaic: `import neuromosaic` and the compiled kernel, see
`neuromosaic.regions.cutter.load_kernel`), then time:

  cold  the first cut of the process (median over --cold fresh processes for cases under 0.1 s),
  warm  the best of up to 200 more cuts of the same net in that process (as many as fit in ~1 s;
        for cases under 0.1 s, the best over all those processes).

Peak memory is the largest sum of the resident sets of the process and its children, sampled
every 10 ms (shared pages counted in every process: an upper bound). Prints a markdown table with
the ratios (regioncam's time / ours: above 1 means we are faster).

Usage: python benchmarks/regions.py [--quick] [--full] [--verify] [--cold K]
  --quick   only the nets up to [64]*4
  --full    also regioncam on [256]*4 (about 70 s and 16 GB for R=10 on the issue's machine)
  --verify  also the proof of the partitions (benchmarks/verify.py)
  --cold K  fresh processes per small case (default 9: a first cut of 0.3 ms varies by ±30 %)
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
from pathlib import Path

from _proc import run_sampled  # benchmarks/_proc.py (the script's folder is on sys.path)

NETS = Path(os.environ.get("NEUROMOSAIC_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "nets"

CASE = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
tool, path, R, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
if tool == "neuromosaic":
    import neuromosaic as nm
    from neuromosaic.regions.cutter import load_kernel
    compiled = load_kernel() is not None
    from neuromosaic.io.weights import load_npz_net
    load_s = time.perf_counter() - t0
    net = load_npz_net(path)
    def cut():
        return nm.linear_regions(net, domain=(-R, R, -R, R))
else:
    import regioncam
    load_s = time.perf_counter() - t0
    from neuromosaic.io.weights import load_npz_weights
    layers, _ = load_npz_weights(path)
    layers = [(W.T.astype(np.float32), b.astype(np.float32)) for W, b in layers]
    def cut():
        rc = regioncam.Regioncam(size=R)
        for i, (W, b) in enumerate(layers):
            rc.linear(W, b)
            if i < len(layers) - 1:
                rc.relu()
        rc.num_faces
        return rc
t = time.perf_counter()
res = cut()
cold = time.perf_counter() - t
warm = []
if mode != "once":
    while len(warm) < 200 and sum(warm) + cold < 1.0:
        t = time.perf_counter()
        cut()
        warm.append(time.perf_counter() - t)
out = dict(seconds=cold, warm=min(warm) if warm else None, repeats=len(warm), load=load_s)
if tool == "neuromosaic":
    out.update(count=res.count, tiles=len(res.tiles), min_area=float(res.areas.min()), compiled=compiled)
else:
    out.update(count=res.num_faces)
print("RESULT" + json.dumps(out))
"""


def run_case(tool: str, net: str, R: float, mode: str = "warm") -> dict:
    res, err = run_sampled([sys.executable, "-c", CASE, tool, str(NETS / f"{net}.npz"), str(R), mode])
    if res is None:
        raise RuntimeError(f"{tool} {net} R={R} failed: {err.strip()[-500:]}")
    return res


def measure(tool: str, net: str, R: float, cold_runs: int) -> dict:
    """One fresh process (cold and warm); for cases under 0.1 s, ``cold_runs`` fresh processes:
    the median of their first cuts and the best of all their repeated cuts."""
    res = run_case(tool, net, R)
    if res["seconds"] < 0.1 and cold_runs > 1:
        more = [run_case(tool, net, R) for _ in range(cold_runs - 1)]
        res["seconds"] = statistics.median([res["seconds"]] + [m["seconds"] for m in more])
        res["warm"] = min(m["warm"] for m in [res, *more] if m["warm"] is not None)
    return res


def _ms(sec: float | None) -> str:
    if sec is None:
        return "–"
    return f"{sec * 1e3:.2f}" if sec < 0.1 else f"{sec * 1e3:,.0f}"


def main(argv: list[str]) -> int:
    quick, full, verify = "--quick" in argv, "--full" in argv, "--verify" in argv
    cold_runs = int(argv[argv.index("--cold") + 1]) if "--cold" in argv else 9
    nets = ["mlp_w16_d2_s0", "mlp_w32_d3_s0", "mlp_w64_d4_s0"]
    if not quick:
        nets += ["mlp_w128_d4_s0", "mlp_w256_d4_s0"]
    if not NETS.is_dir():
        print(f"shared nets not found at {NETS}", file=sys.stderr)
        return 1
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"python {platform.python_version()}\n")
    print("| net | R | neuromosaic regions | regioncam regions | neuromosaic cold ms | regioncam cold ms | "
          "cold speed-up | neuromosaic warm ms | regioncam warm ms | warm speed-up | neuromosaic peak MB | "
          "regioncam peak MB | tiles |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    loads = {}
    for net in nets:
        for R in (1.0, 10.0):
            ours = measure("neuromosaic", net, R, cold_runs)
            loads.setdefault("neuromosaic", ours["load"])
            theirs = None
            if "w256" not in net or full:
                theirs = measure("regioncam", net, R, cold_runs)
                loads.setdefault("regioncam", theirs["load"])
            rc_count = f"{theirs['count']:,}" if theirs else "(skipped; --full)"
            cold_ratio = f"{theirs['seconds'] / ours['seconds']:.2f}×" if theirs else "–"
            warm_ratio = (f"{theirs['warm'] / ours['warm']:.2f}×" if theirs and theirs["warm"] and ours["warm"]
                          else "–")
            print(f"| {net} | {R:g} | {ours['count']:,} | {rc_count} | {_ms(ours['seconds'])} | "
                  f"{_ms(theirs['seconds']) if theirs else '–'} | {cold_ratio} | {_ms(ours['warm'])} | "
                  f"{_ms(theirs['warm']) if theirs else '–'} | {warm_ratio} | {ours['peak_mb']:.0f} | "
                  f"{theirs['peak_mb']:.0f} | {ours['tiles']} |" if theirs else
                  f"| {net} | {R:g} | {ours['count']:,} | {rc_count} | {_ms(ours['seconds'])} | – | – | "
                  f"{_ms(ours['warm'])} | – | – | {ours['peak_mb']:.0f} | – | {ours['tiles']} |", flush=True)
    print(f"\nload (import, kernel; once per process, not timed above): neuromosaic "
          f"{loads.get('neuromosaic', float('nan')):.2f} s (torch, numba, compiled kernel "
          f"from the disk cache), regioncam {loads.get('regioncam', float('nan')):.3f} s")
    if verify:  # the proof has its own benchmark (one place): run it here too
        import runpy

        runpy.run_path(str(Path(__file__).with_name("verify.py")), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
