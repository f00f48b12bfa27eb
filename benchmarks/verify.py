"""Verify mode: how long the proof takes, after the cut, on the reference nets (issue 15's targets).

Each case runs in a fresh process: load neuromosaic and its kernels (the verify kernel is compiled
or loaded from Numba's cache on a tiny net first), cut the net over [-R, R]², then time
``Regions.verify()`` alone. Printed per case: regions, the cut's time, the proof's time, how many
regions were certified in float64 and how many fell back to exact rationals, peak memory of the
process, and the verdict. The same-run baseline: every region of a small case re-derived in exact
rationals (``verify(exact=True)``, the method before issue 15), against the float64 proof of the
same partition.

Usage: python benchmarks/verify.py [--big] [--avx2]
  --big   also [256]*8 over [-10, 10]² (1.09 M regions; about 5 minutes here)
  --avx2  run every case with the AVX2 code paths (NumPy, Numba and OpenBLAS told not to use
          AVX-512), as most users' CPUs have
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from _proc import run_sampled  # benchmarks/_proc.py (the script's folder is on sys.path)

NETS = Path(os.environ.get("NEUROMOSAIC_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "nets"
AVX2_ENV = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR", "NUMBA_CPU_NAME": "haswell",
            "OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"}

CASE = r"""
import json, sys, time
import numpy as np
import neuromosaic as nm
from neuromosaic.regions.verify import verify
src, R, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
verify(nm.linear_regions(nm.NetSpec(inputs=2, widths=[4], outputs=1, activation="relu", seed=0),
                         domain=(-1, 1, -1, 1)))  # load the kernels
if src.endswith(".npz"):
    from neuromosaic.io.weights import load_npz_net
    net = load_npz_net(src)
else:
    w, d = (int(v) for v in src.split("x"))
    net = nm.NetSpec(inputs=2, widths=[w] * d, outputs=1, activation="relu", out_activation="identity",
                     init="default", seed=0)
t = time.perf_counter()
reg = nm.linear_regions(net, domain=(-R, R, -R, R))
cut = time.perf_counter() - t
reg.cut_polygons, reg.cut_affine  # what the cut's own views cost is not the proof's
t = time.perf_counter()
rep = verify(reg, exact=(mode == "exact"))
secs = time.perf_counter() - t
from threadpoolctl import threadpool_info
blas = [(i.get("internal_api"), i.get("architecture")) for i in threadpool_info() if i.get("user_api") == "blas"]
import numba
print("RESULT" + json.dumps(dict(count=reg.count, cut=cut, verify=secs, ok=rep.ok, certified=rep.certified,
      fell_back=rep.fell_back, decisions=rep.decisions, exact_decisions=rep.exact_decisions,
      map_error=rep.map_error, area_bounds=rep.area_bounds, blas=blas,
      numba_cpu=numba.config.CPU_NAME or "host", failures=rep.failures[:2])))
"""


def run(src: str, R: float, mode: str, avx2: bool) -> dict:
    env = dict(os.environ, **(AVX2_ENV if avx2 else {}))
    res, err = run_sampled([sys.executable, "-c", CASE, src, str(R), mode], env=env, interval=0.05)
    if res is None:
        raise SystemExit(f"case {src} R={R} failed:\n{err[-2000:]}")
    return res


def main(argv: list[str]) -> None:
    big, avx2 = "--big" in argv, "--avx2" in argv
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores; {'AVX2 paths (' + ', '.join(f'{k}={v}' for k, v in AVX2_ENV.items()) + ')' if avx2 else 'native SIMD'}")
    cases = [(str(NETS / "mlp_w64_d4_s0.npz"), 10.0, "[64]*4"), (str(NETS / "mlp_w128_d4_s0.npz"), 10.0, "[128]*4"),
             (str(NETS / "mlp_w256_d4_s0.npz"), 10.0, "[256]*4")]
    if big:
        cases.append(("256x8", 10.0, "[256]*8 (NetSpec seed 0)"))
    print("\n| net | R | regions | cut s | verify s | certified in float64 | exact rationals | peak MB | verdict |")
    print("|---|---|---|---|---|---|---|---|---|")
    blas = numba_cpu = None
    for src, R, name in cases:
        r = run(src, R, "fast", avx2)
        blas, numba_cpu = r["blas"], r["numba_cpu"]
        print(f"| {name} | {R:g} | {r['count']:,} | {r['cut']:.2f} | {r['verify']:.2f} | {r['certified']:,} | "
              f"{r['fell_back']:,} | {r['peak_mb']:,.0f} | {'proved' if r['ok'] else 'FAILED: ' + '; '.join(r['failures'])} |",
              flush=True)
    print(f"\nBLAS: {blas}; Numba CPU: {numba_cpu}")
    print("\nSame-run baseline: every region in exact rationals (the method before issue 15) against the proof "
          "in float64, on [64]*4 over [-1, 1]²:\n")
    src = str(NETS / "mlp_w64_d4_s0.npz")
    slow, fast = run(src, 1.0, "exact", avx2), run(src, 1.0, "fast", avx2)
    print(f"| regions | exact rationals s | float64 proof s | ratio |\n|---|---|---|---|\n"
          f"| {fast['count']:,} | {slow['verify']:.1f} | {fast['verify']:.2f} | {slow['verify'] / fast['verify']:.0f}× |")
    assert slow["ok"] and fast["ok"] and slow["count"] == fast["count"]


if __name__ == "__main__":
    main(sys.argv[1:])
