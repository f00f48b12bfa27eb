"""Train an MLP and a small conv net on scikit-learn's 8x8 digits, cut the plane through three test
images of three classes, and draw its exact linear and decision regions (docs/regions.md).

    python examples/digits.py docs/img

writes digits_mlp.png, digits_conv.png and digits_training.png, and prints the region count on
the plane after every epoch beside the test accuracy (the table in docs/regions.md).
"""

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

import neuromosaic as nm  # noqa: E402
from neuromosaic.figures.regions import plot_images_plane, plot_regions_during_training  # noqa: E402
from neuromosaic.fitting.digits import pick_images, plane_through, regions_during_training, train_digits  # noqa: E402
from neuromosaic.io.figures import save_figure  # noqa: E402


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, kind in zip(axes, ("mlp", "conv"), strict=True):
        start = time.perf_counter()
        run = train_digits(kind, epochs=20, seed=0)
        seconds = time.perf_counter() - start
        idx = pick_images(run)
        x, y = run.data[2][idx], run.data[3][idx]
        plane = plane_through(x)
        net = run.net.double()
        reg, dec = nm.linear_regions(net, plane=plane), nm.decision_regions(net, plane=plane)
        save_figure(plot_images_plane(reg, dec, plane.project(x), x, y.tolist()),
                    folder / f"digits_{kind}.png", dpi=80, palette=False)
        rows = regions_during_training(run, plane)
        print(f"{kind}: trained in {seconds:.1f} s, test accuracy {run.test_accuracy[-1]:.3f}; "
              f"images {idx.tolist()} labels {y.tolist()}: {reg.count} linear regions, "
              f"{dec.count} decision regions")
        print("| epoch | " + " | ".join(str(r["epoch"]) for r in rows) + " |")
        print("|---" * (len(rows) + 1) + "|")
        print("| regions | " + " | ".join(f"{r['regions']:,}" for r in rows) + " |")
        print("| test accuracy | " + " | ".join(f"{r['test_accuracy']:.2f}" for r in rows) + " |")
        plot_regions_during_training(rows, ax=ax)
        ax.set_title(f"{kind}: regions on the plane and test accuracy per epoch", fontsize=10)
    save_figure(fig, folder / "digits_training.png", dpi=80)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out/digits"))
