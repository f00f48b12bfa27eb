"""Every float32 input through the painter's vectorisable activations, against float64.

For each of neuromosaic.painting.vmath's functions, all 2³² bit patterns (NaN excluded; the
function's stated domain only) in chunks of 2²⁴: the largest error in ulp (the float32 spacing at
the true value, the smaller one at a power of 2), the largest absolute error, and the share of
results that are the correctly rounded float32. Prints a markdown table.
Usage: python benchmarks/vmath.py [--functions tanh,tanh_fast,sigmoid (the default; also sin,
gaussian,sigmoid_fast)] [--chunks N (of 256; default all)]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from neuromosaic.painting.vmath import APPLY, SIN_LIMIT, ulps

F32 = np.float32


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


FUNCTIONS = {  # name: (float64 reference, the stated domain)
    "tanh": (np.tanh, lambda x: np.ones(x.shape, bool)),
    "sigmoid": (_sigmoid, lambda x: x >= -87),
    "sin": (np.sin, lambda x: np.abs(x) <= SIN_LIMIT),
    "gaussian": (lambda x: np.exp(-x * x), lambda x: x * x < 87),
    "tanh_fast": (np.tanh, lambda x: np.ones(x.shape, bool)),
    "sigmoid_fast": (_sigmoid, lambda x: x >= -87),
}


def sweep(name: str, chunks: int) -> dict:
    ref_fn, domain = FUNCTIONS[name]
    worst, worst_abs, worst_x = -1.0, 0.0, float("nan")
    correct = total = 0
    out = np.empty(1 << 24, F32)
    for c in range(chunks):
        bits = np.arange(c << 24, (c + 1) << 24, dtype=np.uint64).astype(np.uint32)
        x = bits.view(F32)
        with np.errstate(all="ignore"):
            x = x[~np.isnan(x)]
            x = x[domain(x.astype(np.float64))]
            if x.size == 0:
                continue
            got = out[:x.size]
            APPLY[name](x, got)
            ref = ref_fn(x.astype(np.float64))
        off = got != ref.astype(F32)  # the ulp arithmetic only where the result is not exact
        off &= ~(np.isnan(got) & np.isnan(ref))
        total += x.size
        correct += x.size - int(off.sum())
        if not off.any():
            continue
        err = ulps(got[off], ref[off])
        i = int(err.argmax())
        if err[i] > worst:
            worst, worst_x = float(err[i]), float(x[off][i])
        worst_abs = max(worst_abs, float(np.abs(got[off].astype(np.float64) - ref[off]).max()))
    return {"max_ulp": max(worst, 0.0), "at": worst_x, "max_abs": worst_abs, "correct": correct / max(total, 1),
            "inputs": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", default="tanh,tanh_fast,sigmoid")
    parser.add_argument("--chunks", type=int, default=256)
    args = parser.parse_args()
    print(f"command: python benchmarks/vmath.py{'' if args.chunks == 256 else f' --chunks {args.chunks}'}\n")
    print("| function | inputs | max error (ulp) | at x | max abs error | correctly rounded | seconds |")
    print("|---|---|---|---|---|---|---|")
    for name in args.functions.split(","):
        t = time.perf_counter()
        r = sweep(name, args.chunks)
        print(f"| {name} | {r['inputs']:,} | {r['max_ulp']:.3f} | {r['at']:.9g} | {r['max_abs']:.3g} | "
              f"{r['correct'] * 100:.3f} % | {time.perf_counter() - t:.0f} |", flush=True)


if __name__ == "__main__":
    main()
