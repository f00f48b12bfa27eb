"""``neuromosaic fit``, ``towers`` and ``gradcheck``: parse options → one library call → write."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError
from ..io.atomic import check_writable
from ..values import parse_list
from . import options as opt
from .progress import progress_bar

Output = Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")]
Target = Annotated[str, typer.Option("--target", help="Expression in x1, x2 (x, y) or a name: paraboloid saddle ripple gaussian peaks sinc step; circle xor gauss spiral moons with --task classification.")]
Domain = Annotated[str | None, typer.Option("--domain", help="x0,x1,y0,y1 (fit: -1,1,-1,1; towers: 0,1,0,1).")]


def _check_png(path: Path) -> None:
    opt.check_png(path, "-o")


def _save_figure(fig, path: Path, dpi: int = 80) -> None:
    from ..io.figures import save_figure

    save_figure(fig, path, dpi=dpi)


def fit_cmd(
    output: Output,
    target: Target = "paraboloid",
    task: Annotated[str, typer.Option("--task", help="regression | surface (the seed's on/off-surface classifier) | classification.")] = "regression",
    hidden: Annotated[str, typer.Option("--widths", "--hidden", help="Hidden widths W1,W2,…: 6 or 16,16 (--hidden is the seed's word for it).")] = "6",
    activation: Annotated[str | None, typer.Option("--activation", help="Hidden activation (relu, tanh, sigmoid, …). Unset: relu, tanh for --task surface.")] = None,
    domain: Domain = None,
    n_train: Annotated[int, typer.Option("--n-train", help="Training points.")] = 1000,
    n_test: Annotated[int, typer.Option("--n-test", help="Held-out test points.")] = 500,
    noise: Annotated[float, typer.Option("--noise", parser=opt.finite_float, help="Noise on the targets / data sets.")] = 0.0,
    optimizer: Annotated[str, typer.Option("--optimizer", help="adam | sgd | lbfgs.")] = "adam",
    lr: Annotated[float | None, typer.Option("--lr", parser=opt.finite_float, help="Learning rate. Unset: adam 0.05 for regression, 0.02 surface, 0.01 classification; sgd 0.05; lbfgs 1.")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", help="Mini-batch size (default: full batch).")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="Optimiser steps. Unset: 1500 for regression, 4000 surface, 2000 classification.")] = None,
    lbfgs_polish: Annotated[int | None, typer.Option("--lbfgs-polish", help="Full-batch L-BFGS steps after them. Unset: 200 for regression when --steps is unset too, else 0.")] = None,
    restarts: Annotated[int | None, typer.Option("--restarts", help="Train this many seeds, keep the lowest training loss. Unset: 4 for regression and surface, 1 for classification.")] = None,
    early_stop: Annotated[int | None, typer.Option("--early-stop", help="Stop after this many steps without test-loss progress.")] = None,
    init: Annotated[str | None, typer.Option("--init", help="default (PyTorch's own) | kaiming | xavier | normal:S | uniform:A. Unset: kaiming for regression, xavier surface, default classification.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of data, weights and batches.")] = 0,
    animate: Annotated[Path | None, typer.Option("--animate", help="Also write the surface and regions forming, as .gif or .mp4.")] = None,
    frames: Annotated[int, typer.Option("--frames", help="Frames in the animation.")] = 30,
    json_path: opt.JsonOut = None,
    weights: Annotated[Path | None, typer.Option("--weights", help="Start from this saved net (.safetensors/.npz of the same architecture; e.g. an earlier --save) instead of the init's draw.")] = None,
    save: Annotated[Path | None, typer.Option("--save", help="Write the trained net (.safetensors, readable by regions/paint --weights and nm.load).")] = None,
    quiet: opt.Quiet = False,
) -> None:
    """Train a small network on a 2-D function and draw what it learned.

    Example: neuromosaic fit --target "x1**2 + x2**2 + 3" --hidden 6 --activation relu -o fit.png
    """
    from ..figures.fit import plot_fit, training_frame
    from ..fitting import FitConfig
    from ..fitting.train import fit
    from ..fitting.views import fit_view, training_views
    from ..io.video import check_video_path, write_video

    _check_png(output)
    opt.check_json_path(json_path)
    opt.check_net_path(save)
    if animate is not None:
        check_video_path(animate)
        check_writable(animate)
        if not 2 <= frames <= 400:
            raise SpecError(f"--frames must be in 2..400, got {frames}")
    options = dict(task=task, hidden=opt.parse_widths(hidden), activation=activation, n_train=n_train, n_test=n_test,
                   noise=noise, optimizer=optimizer, lr=lr, batch_size=batch_size, steps=steps,
                   lbfgs_polish=lbfgs_polish, restarts=restarts, early_stop=early_stop, init=init,
                   seed=seed)
    if domain is not None:
        options["domain"] = domain
    if weights is not None and restarts is None:
        options["restarts"] = 1  # every restart would start from the same weights
    config = FitConfig(target=target, **options)  # validate before any work; fills the task's recipe
    start_net = None
    if weights is not None:
        from ..io.nets import load

        start_net = load(weights)
        from ..fitting import Trainer

        Trainer(config, start=start_net)  # the architecture must match: one line before any work
    if animate:
        config = config.model_copy(update={"snapshot_every": max(1, config.total_steps // (8 * frames))})
    start = time.perf_counter()
    with progress_bar("training", enabled=not quiet) as bar:
        result = fit(target, progress=lambda m: bar(m["step"], m["total_steps"]), start=start_net,
                     **config.model_dump(exclude={"target"}))
    view = fit_view(result)
    _save_figure(plot_fit(result, view), output)
    metric = (f"test RMSE {result.test_rmse:.4g}" if result.test_accuracy is None
              else f"test accuracy {result.test_accuracy:.4f}")
    regions = f", {view.regions.count} linear regions" if view.regions is not None else ""
    print(f"{metric}{regions} ({time.perf_counter() - start:.2f} s)")
    if result.verdict is not None:  # a constant classifier, a local minimum: say so
        typer.echo(f"warning: {result.verdict}; try more hidden units, --restarts or another "
                   f"--activation", err=True)
    opt.wrote(output, quiet=quiet)
    if save is not None:
        from ..io.nets import save as save_net

        save_net(save, result.net, spec=result.spec)
        opt.wrote(save, "the trained net", quiet=quiet)
    opt.write_json(json_path, {"config": config.model_dump(mode="json"), "test_rmse": result.test_rmse,
                               "test_accuracy": result.test_accuracy, "stopped_early": result.stopped_early,
                               "baseline": result.baseline, "degenerate": result.degenerate,
                               "regions": view.regions.count if view.regions is not None else None,
                               "history": result.history}, quiet=quiet)
    if animate is not None:
        views = training_views(result, max_frames=frames)
        zlim = None
        if result.target is not None and config.task == "regression":
            zlim = (float(view.target.min()) - 0.2, float(view.target.max()) + 0.2)
        with progress_bar("animating", enabled=not quiet) as bar:
            images = (training_frame(result, step, v, zlim=zlim) for step, v in views)
            write_video(animate, images, fps=6, total=len(views), progress=bar)
        opt.wrote(animate, f"{len(views)} frames", quiet=quiet)


def towers_cmd(
    output: Output,
    target: Target = "paraboloid",
    n: Annotated[int, typer.Option("--n", help="Towers per side.")] = 10,
    steepness: Annotated[float, typer.Option("--steepness", parser=opt.finite_float, help="Step sharpness per cell width (a step rises over ~4/steepness of a cell).")] = 100.0,
    layers: Annotated[int, typer.Option("--layers", help="2: Nielsen's towers; 1: one hidden layer (towers with skirts).")] = 2,
    sides: Annotated[str | None, typer.Option("--sides", help="k-gon towers (k >= 3); with --single a list like 3,6,24.")] = None,
    single: Annotated[bool, typer.Option("--single", help="Draw single towers of height 1 instead of approximating the target.")] = False,
    domain: Domain = None,
    table: Annotated[bool, typer.Option("--table", help="Print the sup error for n = 2, 4, 8, 16 and several steepnesses.")] = False,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
) -> None:
    """Build Nielsen's towers by hand (sigmoid steps → bumps → towers) and draw them.

    Example: neuromosaic towers --target paraboloid --n 10 -o towers.png
    Example: neuromosaic towers --single --sides 4,8,32 -o round.png
    """
    from ..figures.towers import plot_single_towers, plot_tower_fit
    from ..fitting import towers
    from ..plane import check_extent

    _check_png(output)
    opt.check_json_path(json_path)
    extent = check_extent(parse_list(domain, float, what="--domain", min_items=4, max_items=4)
                          if domain else (0.0, 1.0, 0.0, 1.0), name="--domain")
    side_list = (parse_list(sides, int, what="--sides", low=3, high=towers.MAX_SIDES, max_items=16)
                 if sides else [None])
    if not single:
        towers.check_size(n, side_list[0] if len(side_list) == 1 else None)
    if single:
        panels = []
        for k in side_list:
            net = towers.tower(sides=k, apothem=0.45, steepness=steepness, layers=layers)
            xs, ys, z = towers.grid_values(net, (-1.2, 1.2, -1.2, 1.2), 120)
            shape = "square" if k is None else f"{k}-gon"
            panels.append((f"{shape} tower, {layers} hidden layer{'s' * (layers > 1)}", xs, ys, z))
        fig = plot_single_towers(panels)
    else:
        if len(side_list) > 1:
            raise SpecError(f"--sides takes one k when approximating a target, got {sides!r}")
        net = towers.build(target, n, steepness=steepness, layers=layers, domain=extent, sides=side_list[0])
        xs, ys, approx = towers.grid_values(net, extent, 160)
        _, _, exact = towers.grid_values(target, extent, 160)
        shape = "" if side_list[0] is None else f" {side_list[0]}-gon"
        fig = plot_tower_fit(xs, ys, exact, approx,
                             title=f"{n}×{n}{shape} towers, {layers} hidden layer(s), steepness {steepness:g}")
    _save_figure(fig, output)
    opt.wrote(output, quiet=quiet)
    if table or json_path is not None:
        rows = towers.error_table(target, domain=extent)
        opt.write_json(json_path, {"target": target, "domain": list(extent), "errors": rows}, quiet=quiet)
    if table:
        print("sup error on points at least 1% of a cell from the cell edges; the limit column is\n"
              "the paraboloid's h(2 − h/2) on [0,1]² (steepness → ∞)")
        print("| n | steepness | sup error | h(2 − h/2) |\n|---|---|---|---|")
        for r in rows:
            print(f"| {r['n']} | {r['steepness']:g} | {r['sup_error']:.4f} | {r['limit']:.4f} |")


def gradcheck_cmd(
    in_dim: Annotated[int, typer.Option("--in-dim", min=1, max=4096, help="Inputs of the net.")] = 3,
    widths: opt.Widths = None,
    out_dim: Annotated[int, typer.Option("--out-dim", min=1, max=4096, help="Outputs (classes for cross_entropy).")] = 2,
    activation: Annotated[str, typer.Option("--activation", help="tanh | relu | sigmoid.")] = "tanh",
    loss: Annotated[str, typer.Option("--loss", help="mse | cross_entropy.")] = "mse",
    batch: Annotated[int, typer.Option("--batch", min=1, max=4096, help="Random examples.")] = 8,
    eps: Annotated[float, typer.Option("--eps", parser=opt.finite_float, help="Finite-difference step, in (0, 1).")] = 1e-6,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="Seed of weights and data.")] = 0,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
    sizes: opt.Sizes = None,
) -> None:
    """Check a hand-written NumPy backprop against finite differences and torch autograd.

    The net has --in-dim inputs, hidden widths --widths (default 5,4) and --out-dim outputs.
    (The deprecated --sizes n0,n1,…,nL gives all three at once.)

    Example: neuromosaic gradcheck --in-dim 2 --widths 8,8 --out-dim 1 --activation relu --loss mse
    """
    from ..fitting.scratch import check_size, format_table, gradient_check

    if sizes is not None:
        in_dim, hidden, out_dim = opt.resolve_sizes(sizes, "--sizes", in_dim=None, widths=widths,
                                                    out_dim=None)
    else:
        hidden = opt.parse_widths(widths) if widths is not None else [5, 4]
    layer_sizes = [in_dim, *hidden, out_dim]
    check_size(layer_sizes, batch=batch)
    opt.check_json_path(json_path)
    rows = gradient_check(layer_sizes, activation, loss, batch=batch, eps=eps, seed=seed)
    print(format_table(rows))
    worst_fd = max(r.vs_finite_differences for r in rows)
    worst_ad = max(r.vs_autograd for r in rows)
    ok = worst_fd < 1e-7 and worst_ad < 1e-10
    print(f"{'ok' if ok else 'FAILED'}: worst relative error {worst_fd:.1e} vs finite differences "
          f"(< 1e-7), {worst_ad:.1e} vs autograd (< 1e-10)")
    opt.write_json(json_path, {"sizes": layer_sizes, "ok": ok,
                               "rows": [dataclasses.asdict(r) for r in rows]},
                   quiet=quiet)
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("fit")(fit_cmd)
    app.command("towers")(towers_cmd)
    app.command("gradcheck")(gradcheck_cmd)
