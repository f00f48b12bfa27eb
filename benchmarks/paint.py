"""Paint speed: neuromosaic's fused kernel against the article's renderer and torch.compile.

All in one run, each case in a fresh subprocess (its peak RSS is its own). The net is the
article's: ``Linear(2, 16)`` with a bias, 8 × ``Linear(16, 16, bias=False)``, each followed by
tanh, ``Linear(16, 3, bias=False)`` and a sigmoid; normal(0, 1) weights; inputs x, y.

- ``article``: a faithful copy of the article's renderer (github.com/paraschopra/abstract-art-
  neural-network): coordinates in a Python double loop, one float32 tensor of all pixels through
  the ``nn.Sequential``, autograd left on.
- ``torch.compile``: what a user who knows torch would write: the same net under
  ``torch.compile`` (inductor, C++ codegen), inference mode, all pixels as one tensor on torch's
  threads; compiled (and run once) before the timing.
- ``exact`` / ``fast``: ``nm.paint`` (``fast=True``: the rational tanh, ≤ 4e-7 off).
- ``FMA peak``: a tight loop of independent float32 vector multiply-adds (LLVM IR, compiled
  for this CPU), one thread per core: the machine's multiply-add rate; the kernel's share of it counts
  only the nets' multiply-adds (2,128 a pixel), not the activations.

Every line says the SIMD level NumPy, Numba and torch run at. ``--avx2`` runs every case with
``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" NUMBA_CPU_NAME=haswell
ATEN_CPU_CAPABILITY=avx2`` (the AVX2 case on an AVX-512 machine).
Usage: python benchmarks/paint.py [--quick] [--avx2] [--busy-only]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

AVX2_ENV = {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR", "NUMBA_CPU_NAME": "haswell",
            "ATEN_CPU_CAPABILITY": "avx2"}
MACS_PER_PIXEL = 2 * 16 + 8 * 16 * 16 + 16 * 3  # the article net's multiply-adds

SIMD = r"""
import contextlib, io, json, re
import numpy as np, torch, numba, llvmlite.binding as llvm
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    np.show_runtime()
m = re.search(r"'found': \[([^\]]*)\]", buf.getvalue())
found = re.findall(r"'([A-Z0-9_]+)'", m.group(1)) if m else []
print(json.dumps({"numpy": found[-1] if found else "baseline",
                  "numba": numba.config.CPU_NAME or llvm.get_host_cpu_name(),
                  "torch": torch.backends.cpu.get_cpu_capability()}))
"""

CASE = r"""
import json, os, resource, sys, time
import numpy as np, torch
import neuromosaic as nm
from neuromosaic.painting.render import paint, pixel_axes
mode, size = sys.argv[1], int(sys.argv[2])
net = nm.NetSpec(inputs=2, widths=[16] * 9, outputs=3, activation="tanh", init="normal:1",
                 bias="first", seed=0).build()
if mode == "compile":
    xs, ys = pixel_axes(size, size)
    coords = torch.tensor(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2), dtype=torch.float32)
    fn = torch.compile(net)
    with torch.inference_mode():
        fn(coords)  # compile (and the first run) before the timing
elif mode in ("exact", "fast"):
    paint(net, 64, inputs="xy", fast=(mode == "fast"))  # load the kernel from Numba's cache
elif mode.startswith("cuda"):
    paint(net, 64, inputs="xy", device="cuda")  # CUDA's context, once
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
if mode == "article":
    x = np.arange(0, size, 1); y = np.arange(0, size, 1)
    colors = np.zeros((size, size, 2))
    for i in x:
        for j in y:
            colors[i][j] = np.array([float(i) / size - 0.5, float(j) / size - 0.5])
    colors = colors.reshape(size * size, 2)
    img = net(torch.tensor(colors).type(torch.FloatTensor)).detach().numpy()
    img = (img.reshape(size, size, 3) * 255).astype(np.uint8)
elif mode == "compile":
    with torch.inference_mode():
        img = (fn(coords).reshape(size, size, 3) * 255).round().to(torch.uint8).numpy()
elif mode == "torch-threads":  # vectorised, one big tensor on torch's own OpenMP pool
    xs, ys = pixel_axes(size, size)
    coords = torch.tensor(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2), dtype=torch.float32)
    with torch.inference_mode():
        img = (net(coords).reshape(size, size, 3) * 255).round().to(torch.uint8).numpy()
elif mode.startswith("cuda"):
    img = paint(net, size, inputs="xy", fast=mode.endswith("fast"), device="cuda")
else:
    img = paint(net, size, inputs="xy", fast=(mode == "fast"))
sec = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": sec, "peak_mb": peak / 1024, "base_mb": base / 1024}))
"""

PEAK = r"""
import ctypes, json, os, time
from concurrent.futures import ThreadPoolExecutor
import llvmlite.binding as llvm
# a loop of independent vector FMAs (llvm.fma on <L x float>, 12 chains: enough in flight to
# cover the latency), compiled by LLVM for this CPU (or NUMBA_CPU_NAME), one thread per core;
# at 8 lanes and, where the CPU has AVX-512, 16 (the larger rate counts)
llvm.initialize_native_target(); llvm.initialize_native_asmprinter()
cpu = os.environ.get("NUMBA_CPU_NAME") or llvm.get_host_cpu_name()
feats = "" if os.environ.get("NUMBA_CPU_NAME") else llvm.get_host_cpu_features().flatten()
CHAINS = 12

def compile_peak(lanes):
    v = f"<{lanes} x float>"
    phis = "\n".join(f"  %a{i} = phi {v} [ %x, %entry ], [ %n{i}, %loop ]" for i in range(CHAINS))
    fmas = "\n".join(f"  %n{i} = call {v} @llvm.fma.v{lanes}f32({v} %a{i}, {v} %m, {v} %c)"
                     for i in range(CHAINS))
    sums = "\n".join(f"  %s{i} = fadd {v} %{'n0' if i == 1 else f's{i - 1}'}, %n{i}"
                     for i in range(1, CHAINS))
    ir = f'''
declare {v} @llvm.fma.v{lanes}f32({v}, {v}, {v})
define float @peak(i64 %reps) {{
entry:
  %x = insertelement {v} zeroinitializer, float 1.0, i32 0
  %m = insertelement {v} zeroinitializer, float 0.5, i32 0
  %c = insertelement {v} zeroinitializer, float 0.25, i32 0
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
{phis}
{fmas}
  %i1 = add i64 %i, 1
  %done = icmp eq i64 %i1, %reps
  br i1 %done, label %exit, label %loop
exit:
{sums}
  %r = extractelement {v} %s{CHAINS - 1}, i32 0
  ret float %r
}}
'''
    mod = llvm.parse_assembly(ir)
    tm = llvm.Target.from_default_triple().create_target_machine(cpu=cpu, features=feats, opt=2)
    ee = llvm.create_mcjit_compiler(mod, tm)
    ee.finalize_object()
    fn = ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_int64)(ee.get_function_address("peak"))
    return ee, fn

threads = os.cpu_count() or 1
best = 0.0
for lanes in ([8, 16] if "+avx512f" in feats else [8]):
    ee, fn = compile_peak(lanes)
    fn(100)
    reps = 20_000_000 // lanes
    for _ in range(3):
        t = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(fn, [reps] * threads))
        best = max(best, threads * reps * CHAINS * lanes / (time.perf_counter() - t) / 1e9)
print(json.dumps({"gfma": best, "threads": threads}))
"""


CUDA_CHECK = "import json, torch; print(json.dumps({'cuda': torch.cuda.is_available()}))"


def _env(avx2: bool) -> dict:
    env = dict(os.environ)
    if avx2:
        env.update(AVX2_ENV)
    return env


def _run(code: str, *args: str, avx2: bool = False, hog: bool = False) -> dict:
    hog_proc = None
    if hog:  # another process keeps one core busy
        hog_proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
    try:
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                             check=True, env=_env(avx2))
    finally:
        if hog_proc:
            hog_proc.kill()
            hog_proc.wait()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if "--busy-only" in sys.argv:
        return busy_table()
    quick = "--quick" in sys.argv
    avx2 = "--avx2" in sys.argv
    simd = _run(SIMD, avx2=avx2)
    level = f"NumPy {simd['numpy']}, Numba {simd['numba']}, torch {simd['torch']}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, "
          f"torch {__import__('torch').__version__}; SIMD: {level}")
    print(f"command: python benchmarks/paint.py{' --quick' if quick else ''}{' --avx2' if avx2 else ''}\n")
    peak = _run(PEAK, avx2=avx2)
    print(f"FMA peak ({peak['threads']} threads, float32): {peak['gfma']:.1f} G multiply-adds/s\n")
    print("| size | renderer | seconds | Mpx/s | × article | × torch.compile | share of FMA peak "
          "| peak RSS MB (Δ) | SIMD |")
    print("|---|---|---|---|---|---|---|---|---|")
    for size in ([512, 2048] if quick else [512, 2048, 4096]):
        mpx = size * size / 1e6
        ref = _run(CASE, "article", str(size), avx2=avx2) if size <= 2048 else None
        comp = _run(CASE, "compile", str(size), avx2=avx2)
        rows = ([("article", ref)] if ref else []) + [("torch.compile", comp)]
        rows += [("exact", _run(CASE, "exact", str(size), avx2=avx2)),
                 ("fast", _run(CASE, "fast", str(size), avx2=avx2))]
        for name, r in rows:
            art = f"{ref['seconds'] / r['seconds']:.1f}×" if ref else "—"
            tc = f"{comp['seconds'] / r['seconds']:.2f}×"
            share = mpx / r["seconds"] * 1e6 * MACS_PER_PIXEL / (peak["gfma"] * 1e9)
            print(f"| {size}² | {name} | {r['seconds']:.3f} | {mpx / r['seconds']:.2f} | {art} | {tc} | "
                  f"{share * 100:.0f} % | {r['peak_mb']:.0f} ({r['peak_mb'] - r['base_mb']:+.0f}) | "
                  f"{level} |", flush=True)
    if _run(CUDA_CHECK)["cuda"]:
        for mode in ("cuda", "cuda-fast"):
            r = _run(CASE, mode, "8192")
            print(f"| 8192² | {mode} | {r['seconds']:.3f} | {67.1 / r['seconds']:.2f} "
                  f"({67.1e-3 / r['seconds']:.2f} Gpix/s) | — | — | — | — | GPU |")
    else:
        print("\n(no CUDA GPU on this machine: the GPU rows are skipped)")
    if not quick:
        big = _run(CASE, "fast", "8192", avx2=avx2)
        print(f"| 8192² | fast | {big['seconds']:.3f} | {67.1 / big['seconds']:.2f} | — | — | — | "
              f"{big['peak_mb']:.0f} ({big['peak_mb'] - big['base_mb']:+.0f}) | {level} |")


def busy_table() -> None:
    print("\nBusy machine (another process spins on one core), 2048²:\n")
    print("| renderer | seconds idle | seconds busy | slowdown |")
    print("|---|---|---|---|")
    for label, mode in [("ours: the fused kernel on 1-thread workers over chunks", "exact"),
                        ("one tensor on torch's OpenMP threads", "torch-threads")]:
        idle, busy = _run(CASE, mode, "2048"), _run(CASE, mode, "2048", hog=True)
        print(f"| {label} | {idle['seconds']:.3f} | {busy['seconds']:.3f} | "
              f"{busy['seconds'] / idle['seconds']:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
