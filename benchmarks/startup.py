"""Benchmark: how long commands take to start (issue 11: ``--help`` under 0.5 s, ``bounds`` under
1 s, both without importing torch), beside ``python -c "import torch"`` measured in the same run,
and what the first region cut of a fresh process costs over a warm one. Prints markdown.

Run: .venv/bin/python benchmarks/startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
FIRST_CUT = """
import json, sys, time
import torch
from torch import nn
import neuromosaic as nm
torch.manual_seed(0)
layers, d = [], 2
for w in json.loads(sys.argv[1]):
    layers += [nn.Linear(d, w), nn.ReLU()]
    d = w
net = nn.Sequential(*layers, nn.Linear(d, 1)).double()
a = time.perf_counter(); nm.linear_regions(net, domain=(-1, 1, -1, 1)); b = time.perf_counter()
c = time.perf_counter(); nm.linear_regions(net, domain=(-1, 1, -1, 1)); d = time.perf_counter()
print(json.dumps({"first": b - a, "warm": d - c}))
"""


def wall(argv: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    cli = str(BIN / "neuromosaic")
    rows = [
        ("python -c 'import torch' (baseline)", [sys.executable, "-c", "import torch"]),
        ("neuromosaic --help", [cli, "--help"]),
        ("neuromosaic bounds --in-dim 2 --widths 16,16,16", [cli, "bounds", "--in-dim", "2", "--widths", "16,16,16"]),
    ]
    print("| command | median wall s | vs import torch |\n|---|---|---|")
    base = None
    for name, argv in rows:
        s = wall(argv, args.repeats)
        base = base or s
        print(f"| {name} | {s:.3f} | {s / base:.2f} |")
    print("\n| first linear_regions of a fresh process ([-1, 1]²) | backend (auto) | first | warm "
          "| first − warm |\n|---|---|---|---|---|")
    for widths in ([16, 16], [32, 32, 32]):
        cuts = [json.loads(subprocess.run([sys.executable, "-c", FIRST_CUT, json.dumps(widths)],
                                          capture_output=True, text=True, check=True).stdout)
                for _ in range(args.repeats)]
        first = statistics.median(c["first"] for c in cuts)
        warm = statistics.median(c["warm"] for c in cuts)
        backend = "numpy" if sum(widths) <= 32 else "numba (the kernel loads)"
        print(f"| {widths} | {backend} | {first:.3f} s | {warm * 1000:.2f} ms | {first - warm:.3f} s |")


if __name__ == "__main__":
    main()
