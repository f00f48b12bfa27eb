"""Plot the table of examples/sweep_depth.toml: busyness against depth, and one picture per depth.

    neuromosaic sweep examples/sweep_depth.toml
    python examples/sweep_plot_depth.py examples/out/depth.csv docs/img/sweep_depth.png
"""

import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from neuromosaic.sweeps import read_table  # noqa: E402


def main(table: str, out: str) -> None:
    rows = [r for r in read_table(table) if not r["error"]]
    by_depth: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        by_depth[int(r["layers"])].append(r)
    depths = sorted(by_depth)

    fig = plt.figure(figsize=(9, 4.6), dpi=90)
    grid = fig.add_gridspec(2, len(depths), height_ratios=[2.2, 1])
    ax = fig.add_subplot(grid[0, :])
    for d in depths:
        values = [float(r["neighbour_diff"]) for r in by_depth[d]]
        ax.scatter([d] * len(values), values, s=12, color="0.6", zorder=2)
    means = [sum(float(r["neighbour_diff"]) for r in by_depth[d]) / len(by_depth[d]) for d in depths]
    ax.plot(depths, means, "o-", color="C3", label=f"mean over {len(by_depth[depths[0]])} seeds")
    ax.set_yscale("log")
    ax.set_xlabel("hidden layers (16 tanh units each, normal(0, 1) weights)")
    ax.set_ylabel("mean |neighbour difference|")
    ax.set_xticks(depths)
    ax.legend(loc="upper left")
    base = Path(table).parent
    for i, d in enumerate(depths):
        sub = fig.add_subplot(grid[1, i])
        first = min(by_depth[d], key=lambda r: int(r["seed"]))
        if first.get("figure"):
            sub.imshow(Image.open(base / first["figure"]))
        sub.set_title(f"{d} layers", fontsize=8)
        sub.axis("off")
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
