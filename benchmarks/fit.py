"""Benchmark: training on the seed's paraboloid f = x1² + x2² + 3 on [-1, 1]².

Times ``nm.fit`` (full-batch Adam, 1000 training points, 500 test points) against the same
training written the plain way in PyTorch: the same net, data, optimiser and number of steps,
a loop with ``loss.item()`` logged every step and torch's default thread count. A second
plain loop on one thread shows where the difference comes from: ``nm.fit`` trains these tiny
nets on one thread, because splitting a 1000×6 matrix product over threads costs more than it
saves (much more on a busy machine). Prints a markdown table with the median of a few runs
and the ratio baseline / each row.

Run: .venv/bin/python benchmarks/fit.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

import neuromosaic as nm
from neuromosaic.fitting import FitConfig, Trainer


def naive_loop(hidden, steps: int, seed: int = 0, threads: int | None = None) -> float:
    """The straightforward PyTorch loop on the same data and initial weights; returns test RMSE.
    ``threads`` sets torch's thread count for the loop (None: torch's default)."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        return _loop(hidden, steps, seed)
    finally:
        torch.set_num_threads(before)


def _loop(hidden, steps: int, seed: int) -> float:
    trainer = Trainer(FitConfig(target="paraboloid", hidden=hidden, steps=steps, init="default", seed=seed))
    net = trainer.net  # same initial weights (the output bias starts at the mean target)
    x, y, xt, yt = trainer.x_train, trainer.y_train, trainer.x_test, trainer.y_test
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(net(x).reshape(-1), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    with torch.no_grad():
        return float(torch.sqrt(torch.mean((net(xt).reshape(-1) - yt) ** 2)))


def timed(fn, repeats: int) -> tuple[float, float]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--search", action="store_true",
                        help="also compare each width's default with the best of 24 restarts (minutes)")
    args = parser.parse_args()
    cases = [([6], 2000), ([64, 64], 1000)]
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads by default, "
          f"torch {torch.__version__}\n")
    print("| net | what | steps | median s | test RMSE | speed-up vs plain loop |")
    print("|---|---|---|---|---|---|")
    for hidden, steps in cases:
        name = "[" + ",".join(map(str, hidden)) + "]"
        base_s, base_rmse = timed(lambda h=hidden, s=steps: naive_loop(h, s), args.repeats)
        ours_s, res = timed(lambda h=hidden, s=steps: nm.fit("paraboloid", hidden=h, steps=s, lr=0.01,
                                                             init="default", restarts=1), args.repeats)
        one_s, one_rmse = timed(lambda h=hidden, s=steps: naive_loop(h, s, threads=1), args.repeats)
        print(f"| {name} | plain PyTorch loop (baseline) | {steps} | {base_s:.2f} | {base_rmse:.4f} | 1.00 |")
        print(f"| {name} | plain loop, 1 torch thread | {steps} | {one_s:.2f} | {one_rmse:.4f} | "
              f"{base_s / one_s:.2f} |")
        print(f"| {name} | nm.fit, full-batch Adam | {steps} | {ours_s:.2f} | {res.test_rmse:.4f} | "
              f"{base_s / ours_s:.2f} |")
    polish_s, polish = timed(lambda: nm.fit("paraboloid", hidden=[64, 64], steps=1000, lbfgs_polish=400,
                                            lr=0.01, init="default", restarts=1), 1)
    print(f"| [64,64] | nm.fit, 1000 Adam + 400 L-BFGS | 1400 | {polish_s:.2f} | {polish.test_rmse:.4f} | – |")
    by_default(search=args.search)


SEED_F = "x1**2 + x2**2 + 3"


def by_default(*, search: bool) -> None:
    """The seed's words and nothing else: ``fit --target "x1**2 + x2**2 + 3" --hidden 6
    --activation relu`` for seeds 0-4 (each call timed), the surface task per width, and with
    ``--search`` each width's default against the best of 24 restarts of the same recipe."""
    print("\n### fit by default (the seed's words, no other option)\n")
    print("| call | seed | seconds | test RMSE | constant's RMSE |\n|---|---|---|---|---|")
    for seed in range(5):
        s, res = timed(lambda seed=seed: nm.fit(SEED_F, hidden=[6], activation="relu", seed=seed), 1)
        print(f"| nm.fit(f, hidden=[6], activation='relu') | {seed} | {s:.2f} | {res.test_rmse:.4f} | "
              f"{res.baseline:.4f} |")
    print("\n| --task surface | hidden | seconds | test accuracy | majority share |\n|---|---|---|---|---|")
    for hidden in (2, 3, 4, 6):
        s, res = timed(lambda h=hidden: nm.fit(SEED_F, task="surface", hidden=[h], seed=0), 1)
        print(f"| nm.fit(f, task='surface', hidden=[{hidden}]) | {hidden} | {s:.2f} | "
              f"{res.test_accuracy:.3f} | {res.baseline:.3f} |")
    if not search:
        return
    print("\n| hidden | default (4 restarts) RMSE | best of 24 restarts RMSE | default / best |\n|---|---|---|---|")
    for hidden in (2, 3, 4, 5, 6):
        res = nm.fit(SEED_F, hidden=[hidden], activation="relu", seed=0)
        best = nm.fit(SEED_F, hidden=[hidden], activation="relu", seed=0, restarts=24)
        print(f"| {hidden} | {res.test_rmse:.4f} | {best.test_rmse:.4f} | {res.test_rmse / best.test_rmse:.3f} |")


if __name__ == "__main__":
    main()
