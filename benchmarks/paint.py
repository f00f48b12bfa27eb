"""Paint speed: neuromosaic's renderer against a faithful copy of the article's, in one run.

The article's renderer (github.com/paraschopra/abstract-art-neural-network): coordinates built in
a Python double loop, one float32 tensor of all pixels through the nn.Sequential, autograd left
on. Ours: vectorised coordinates, fixed-size row chunks on single-threaded worker threads,
inference mode, in-place activations; ``--fast`` folds tanh into a sigmoid.

Each case runs in a fresh subprocess so its peak RSS is its own. Prints a markdown table.
Usage: python benchmarks/paint.py [--quick]
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time

CASE = r"""
import json, resource, sys, time
import numpy as np, torch
import neuromosaic as nm
from neuromosaic.painting.render import paint
mode, size, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3]
net = nm.NetSpec(inputs=2, widths=[16] * 8, outputs=3, activation="tanh", init="normal:1", seed=0).build()
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
elif mode == "torch-threads":  # vectorised, but one big tensor on torch's own OpenMP pool
    from neuromosaic.painting.render import pixel_axes
    xs, ys = pixel_axes(size, size)
    coords = torch.tensor(np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2), dtype=torch.float32)
    with torch.inference_mode():
        img = (net(coords).reshape(size, size, 3) * 255).round().to(torch.uint8).numpy()
else:
    img = paint(net, size, inputs="xy", fast=(mode == "fast"))
sec = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": sec, "peak_mb": peak / 1024, "base_mb": base / 1024}))
"""


def run_case(mode: str, size: int, extra: str = "-", hog: bool = False) -> dict:
    hog_proc = None
    if hog:  # another process keeps one core busy
        hog_proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
    try:
        out = subprocess.run([sys.executable, "-c", CASE, mode, str(size), extra],
                             capture_output=True, text=True, check=True)
    finally:
        if hog_proc:
            hog_proc.kill()
            hog_proc.wait()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    quick = "--quick" in sys.argv
    if "--busy-only" in sys.argv:
        return busy_table()
    sizes = [512, 2048] if quick else [512, 2048, 4096]
    article_sizes = {512, 2048}  # at 4096² the article's autograd graph alone needs ~18 GB
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}, "
          f"torch {__import__('torch').__version__}")
    print(f"command: python benchmarks/paint.py{' --quick' if quick else ''}\n")
    print("| size | renderer | seconds | Mpx/s | × article | peak RSS MB (Δ over import) |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        mpx = size * size / 1e6
        ref = run_case("article", size) if size in article_sizes else None
        rows = [("article", ref)] if ref else []
        rows += [("exact", run_case("exact", size)), ("fast", run_case("fast", size))]
        for name, r in rows:
            ratio = f"{ref['seconds'] / r['seconds']:.1f}×" if ref else "—"
            print(f"| {size}² | {name} | {r['seconds']:.3f} | {mpx / r['seconds']:.2f} | {ratio} | "
                  f"{r['peak_mb']:.0f} ({r['peak_mb'] - r['base_mb']:+.0f}) |", flush=True)
    big = run_case("fast", 8192)
    print(f"| 8192² | fast | {big['seconds']:.3f} | {67.1 / big['seconds']:.2f} | — | "
          f"{big['peak_mb']:.0f} ({big['peak_mb'] - big['base_mb']:+.0f}) |")
    busy_table()


def busy_table() -> None:
    print("\nBusy machine (another process spins on one core), 2048²:\n")
    print("| renderer | seconds idle | seconds busy | slowdown |")
    print("|---|---|---|---|")
    for label, mode, extra in [("ours: 1-thread workers over chunks", "exact", "-"),
                               ("one tensor on torch's OpenMP threads", "torch-threads", "-")]:
        idle, busy = run_case(mode, 2048, extra), run_case(mode, 2048, extra, hog=True)
        print(f"| {label} | {idle['seconds']:.3f} | {busy['seconds']:.3f} | "
              f"{busy['seconds'] / idle['seconds']:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
