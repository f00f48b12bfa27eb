"""``neuromosaic regions``: parse options → ``linear_regions`` → print the count and bounds, write files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, SpecError
from . import options as opt
from . import regions_stream as stream


def parse_domain(text: str, what: str = "--domain") -> tuple[float, float, float, float]:
    """``"X0,X1,Y0,Y1"`` → a checked rectangle."""
    from ..plane import check_extent
    from ..values import parse_list

    return check_extent(parse_list(text, float, what=what, min_items=4, max_items=4), name=what)


def bound_lines(widths: list[int], in_dim: int = 2) -> list[str]:
    """The bounds table's rows as the lines the CLI prints (the labels of ``Bound.label``)."""
    from ..theory.bounds import bounds_table, format_count

    lines = []
    for b in bounds_table(in_dim, widths):
        shown = "n/a" if b.value is None else format_count(b.value)
        lines.append(f"  {b.label}: {shown}" + (f"  ({b.note})" if b.note else ""))
    return lines


def regions_cmd(
    weights: opt.Weights = None,
    widths: opt.Widths = None,
    in_dim: Annotated[int, typer.Option("--in-dim", min=2, max=2, help="Inputs of the net (2: the CLI cuts the plane of x, y).")] = 2,
    out_dim: Annotated[int, typer.Option("--out-dim", min=1, max=4096, help="Outputs of the net.")] = 1,
    activation: Annotated[str, typer.Option("--activation", help="Hidden activation: relu | leaky_relu | prelu | abs | hardtanh.")] = "relu",
    init: Annotated[str, typer.Option("--init", help="Weights: default (PyTorch's own nn.Linear init) | normal:S | uniform:A | xavier | kaiming.")] = "default",
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="Seed of the random net's weights.")] = 0,
    domain: Annotated[str, typer.Option("--domain", help="X0,X1,Y0,Y1: the input rectangle.")] = "-1,1,-1,1",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="PNG of the partition.")] = None,
    json_path: opt.JsonOut = None,
    plot3d: Annotated[Path | None, typer.Option("--plot3d", help="HTML file with the interactive exact surface (plotly).")] = None,
    surface: Annotated[Path | None, typer.Option("--surface", help="PNG of the exact surface (matplotlib 3-D).")] = None,
    color_by: Annotated[str, typer.Option("--color-by", help="pattern | output | gradient.")] = "pattern",
    boundary: Annotated[bool, typer.Option("--boundary/--no-boundary", help="Draw the zero level set (decision boundary).")] = False,
    dpi: Annotated[int, typer.Option("--dpi", min=20, max=600, help="Resolution of the PNGs (a 7-inch figure).")] = 150,
    edges: Annotated[bool, typer.Option("--edges/--no-edges", help="Draw region edges in the PNG.")] = True,
    max_regions: Annotated[int | None, typer.Option("--max-regions", min=1, help="Stop with an error past this many regions.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Verify the partition against the network (Regions.check).")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Prove the partition exact (float64 with rigorous error bounds, exact rationals where those cannot decide).")] = False,
    dataset: Annotated[str | None, typer.Option("--dataset", help="Train on a real data set and cut the plane through three of its test images: digits (scikit-learn's 8×8).")] = None,
    through: Annotated[str | None, typer.Option("--through", help="With --dataset: three test-image indices I,J,K (default: the first of three classes).")] = None,
    model: Annotated[str, typer.Option("--model", help="With --dataset: mlp | conv.")] = "mlp",
    epochs: Annotated[int, typer.Option("--epochs", min=1, max=500, help="With --dataset: training epochs.")] = 20,
    per_epoch: Annotated[bool, typer.Option("--per-epoch", help="With --dataset: also count the regions on the plane after every epoch.")] = False,
    quiet: opt.Quiet = False,
    arch: opt.Arch = None,
    merge: Annotated[str, typer.Option("--merge", help="pattern: count activation regions | affine: also count affine pieces (neighbours with equal maps joined; exactly with --verify).")] = "pattern",
    dask: stream.Dask = None,
    parquet: stream.Parquet = None,
) -> None:
    """Cut a ReLU-family network into its exact linear regions over a rectangle.

    Example: neuromosaic regions --widths 32,32 --seed 0 --domain -1,1,-1,1 -o regions.png --json regions.json

    Past one machine: neuromosaic regions --widths 64,64,64 --domain -8,8,-8,8 --dask tcp://HOST:8786 --parquet regions.parquet

    Prints the count, the time and the bounds for the architecture (every net of these widths has
    at most …; some net of these widths has at least …; the first layer alone makes …).
    """
    from ..regions import linear_regions
    from .progress import progress_bar

    if dataset is not None:
        if weights is not None or widths is not None or arch is not None:
            raise SpecError("--dataset trains its own net: give it without --weights/--widths")
        if dask is not None or parquet is not None:
            raise SpecError("--dask and --parquet cut a net given by --widths or --weights, not --dataset")
        return _dataset(dataset, through, model, epochs, seed, output, json_path, per_epoch,
                        max_regions, quiet)
    if through is not None:
        raise SpecError("--through goes with --dataset digits")
    if arch is not None:
        in_dim, hidden, out_dim = opt.resolve_sizes(arch, "--arch", in_dim=None, widths=widths,
                                                    out_dim=None)
        if in_dim != 2:
            raise SpecError(f"--arch must start with 2 inputs (the CLI cuts a 2-D domain), got {in_dim}")
    else:
        hidden = opt.parse_widths(widths) if widths is not None else None
    if weights is None and hidden is None:
        raise SpecError("give --weights NET (a saved net), or --widths W1,W2,… (a random net; with "
                        "--weights: the net a plain state dict is loaded into)")
    box = parse_domain(domain)
    opt.check_png(output, "-o")
    opt.check_png(surface, "--surface")
    if plot3d is not None:
        if plot3d.suffix.lower() not in (".html", ".htm"):
            raise SpecError(f"--plot3d must be an .html file, got {str(plot3d)!r}")
        from ..io.atomic import check_writable

        check_writable(plot3d)
    opt.check_json_path(json_path)
    if merge not in ("pattern", "affine"):
        raise SpecError(f"--merge must be pattern or affine, got {merge!r}")
    stream.check_options(dask, parquet, **{"--json": json_path is not None, "--plot3d": plot3d is not None,
                                           "--surface": surface is not None, "--check": check,
                                           "--verify": verify, "--boundary": boundary,
                                           "--color-by": color_by != "pattern",
                                           "--merge affine": merge != "pattern"})
    spec = None
    if hidden is not None:
        from ..spec import NetSpec

        spec = NetSpec(inputs=in_dim, widths=hidden, outputs=out_dim, activation=activation,
                       out_activation="identity", init=init, seed=seed)
    if weights is not None:
        import torch

        from ..io.nets import load

        net = load(weights, into=spec, dtype=torch.float64)
        label = str(weights)
    else:
        net = spec
        label = f"widths {','.join(map(str, hidden))}, seed {seed}, init {init}"
    if parquet is not None:
        return stream.stream_cmd(net, box, label, parquet, dask=dask, output=output,
                                 max_regions=max_regions, dpi=dpi, quiet=quiet)
    with stream.dask_client(dask) as client, progress_bar("cutting", enabled=not quiet) as bar:
        regions = linear_regions(net, domain=box, max_regions=max_regions, client=client,
                                 progress=lambda done, total, nf: bar(done, total))
    widths_found = regions.program.hidden_widths
    print(f"{regions.count:,} regions over {list(box)} ({label})")
    if not quiet:
        print(f"cut in {regions.seconds:.2f} s", file=sys.stderr)
    from ..regions.stats import format_stats

    stats = regions.stats()
    print(format_stats(stats))
    if widths_found:
        print(f"bounds for widths {widths_found} and 2 inputs:")
        print("\n".join(bound_lines(widths_found)))
    data = regions.to_dict() if json_path is not None else None
    if check:
        summary = regions.check()
        print(f"check: ok (area error {summary['area_error']:.2g}, max output error "
              f"{summary['max_output_error']:.2g}, smallest area {summary['min_area']:.3g})")
        if data is not None:
            data["check"] = summary
    if verify:
        rep = regions.verify()
        print(rep.summary())
        if data is not None:
            data["verify"] = dict(ok=rep.ok, count=rep.count, certified=rep.certified,
                                  fell_back=rep.fell_back, decisions=rep.decisions,
                                  exact_decisions=rep.exact_decisions, missing=rep.missing,
                                  infeasible=rep.infeasible, map_error=rep.map_error,
                                  failures=rep.failures)
        if not rep.ok:
            raise InputError("verify failed: " + (rep.failures[0] if rep.failures else "see above"))
    pieces = None
    if merge == "affine":
        from ..regions.merge import AffinePieces

        pieces = AffinePieces(regions, exact=verify)
        print(f"{pieces.count:,} affine pieces (neighbouring regions with equal maps joined, "
              f"{'in exact rationals' if verify else 'to 1e-12 relative'})")
        if data is not None:
            data["affine_pieces"] = dict(count=pieces.count, exact=verify, labels=pieces.labels.tolist())
    _write_pictures(regions, output, surface, plot3d, color_by=color_by, boundary=boundary,
                    edges=edges, dpi=dpi, quiet=quiet, pieces=pieces)
    if data is not None:
        from ..theory.bounds import bounds_dict, bounds_table

        data["bounds"] = bounds_dict(bounds_table(2, widths_found)) if widths_found else []
        data["source"] = label
        data["stats"] = stats
        opt.write_json(json_path, data, quiet=quiet)


def _dataset(name, through, model, epochs, seed, output, json_path, per_epoch, max_regions, quiet):
    """``--dataset digits``: train, then cut the plane through three test images."""
    from ..fitting.digits import pick_images, plane_through, regions_during_training, train_digits
    from ..regions import decision_regions, linear_regions
    from ..values import parse_list

    if name != "digits":
        raise SpecError(f"--dataset must be digits, got {name!r}")
    opt.check_png(output, "-o")
    opt.check_json_path(json_path)
    picks = parse_list(through, int, what="--through", min_items=3, max_items=3, low=0) if through else None
    run = train_digits(model, epochs=epochs, seed=seed)
    idx = pick_images(run, picks)
    x_te, y_te = run.data[2], run.data[3]
    plane = plane_through(x_te[idx])
    net = run.net.double()
    reg = linear_regions(net, plane=plane, max_regions=max_regions)
    dec = decision_regions(net, plane=plane, max_regions=max_regions)
    print(f"{model} on the digits: test accuracy {run.test_accuracy[-1]:.3f} after {epochs} epochs")
    print(f"plane through test images {idx.tolist()} (labels {y_te[idx].tolist()}): {reg.count:,} linear "
          f"regions, {dec.count} decision regions ({dec.pieces.count:,} pieces)")
    rows = regions_during_training(run, plane) if per_epoch else None
    for r in rows or []:
        print(f"  epoch {r['epoch']:>3}: {r['regions']:>7,} regions, test accuracy {r['test_accuracy']:.3f}")
    if output is not None:
        import matplotlib

        matplotlib.use("Agg")
        from ..figures.regions import plot_images_plane
        from ..io.figures import save_figure

        fig = plot_images_plane(reg, dec, plane.project(x_te[idx]), x_te[idx], y_te[idx].tolist())
        save_figure(fig, output, dpi=110, palette=False)
        opt.wrote(output, quiet=quiet)
    opt.write_json(json_path, {"model": model, "epochs": epochs, "test_accuracy": run.test_accuracy,
                               "images": idx.tolist(), "labels": y_te[idx].tolist(),
                               "regions": reg.count, "decision_regions": dec.count,
                               "areas_per_class": dec.areas_per_class.tolist(), "per_epoch": rows},
                   quiet=quiet)


def _write_pictures(regions, output, surface, plot3d, *, color_by, boundary, edges, dpi, quiet,
                    pieces=None):
    if output is not None or surface is not None:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        from ..io.figures import save_figure
    if output is not None:
        fig = Figure(figsize=(7, 7))
        ax = fig.add_subplot()
        if pieces is not None:
            pieces.plot(ax=ax, boundary=boundary, edges=edges)
        else:
            regions.plot(ax=ax, color_by=color_by, boundary=boundary, edges=edges)
        save_figure(fig, output, dpi=dpi, palette=False, tight=True)
        opt.wrote(output, quiet=quiet)
    if surface is not None:
        fig = Figure(figsize=(7, 6))
        ax = fig.add_subplot(projection="3d")
        regions.plot3d(backend="matplotlib", ax=ax, edges=regions.count < 5000)
        ax.set_title(f"{regions.count:,} regions: the exact surface")
        save_figure(fig, surface, dpi=max(20, dpi * 3 // 4), palette=False, tight=True)
        opt.wrote(surface, quiet=quiet)
    if plot3d is not None:
        from ..io.atomic import atomic_write_text

        html = regions.plot3d().to_html(include_plotlyjs=True, full_html=True, div_id="surface")
        atomic_write_text(plot3d, html)
        opt.wrote(plot3d, quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("regions")(regions_cmd)
