"""``neuromosaic regions``: parse options → ``linear_regions`` → print the count and bounds, write files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, SpecError
from ..io.atomic import atomic_write_text, atomic_writer, check_writable


def parse_arch(text: str) -> tuple[int, list[int], int]:
    """``"2,32,32,1"`` → ``(inputs, widths, outputs)``; the CLI cuts a 2-input domain."""
    try:
        sizes = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise SpecError(f"--arch must be comma-separated integers like 2,32,32,1, got {text!r}") from None
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise SpecError(f"--arch needs at least inputs,outputs, all >= 1, like 2,32,32,1; got {text!r}")
    if sizes[0] != 2:
        raise SpecError(f"--arch must start with 2 inputs (the CLI cuts a 2-D domain), got {sizes[0]}")
    return sizes[0], sizes[1:-1], sizes[-1]


def parse_domain(text: str) -> tuple[float, float, float, float]:
    from ..plane import check_extent

    parts = [p for p in text.replace(" ", "").split(",")]
    try:
        vals = [float(p) for p in parts]
    except ValueError:
        raise SpecError(f"--domain must be four numbers X0,X1,Y0,Y1, got {text!r}") from None
    return check_extent(vals, name="--domain")


def bounds_for(widths: list[int], n0: int = 2) -> dict:
    """Zaslavsky (all units as one layer), Serra upper and lower bounds; None where not defined."""
    from ..theory import bounds

    out = {}
    for name, fn in (("zaslavsky", lambda: bounds.zaslavsky(sum(widths), n0)),
                     ("serra_upper", lambda: bounds.serra_upper(n0, widths)),
                     ("serra_lower", lambda: bounds.serra_lower(n0, widths))):
        try:
            out[name] = int(fn()) if widths else 1
        except SpecError:
            out[name] = None
    return out


def _hidden_widths(net) -> list[int]:
    from ..regions.compile import Elementwise, MaxGroups, compile_net

    program = compile_net(net, 2)
    widths, live = [], program.in_dim
    for step in program.steps:
        if hasattr(step, "M"):
            live = step.M.shape[0]
        if isinstance(step, MaxGroups):
            live = step.groups.shape[0]
            widths.append(live)
        elif isinstance(step, Elementwise) and step.kind != "identity":
            widths.append(live)
    return widths


def regions_cmd(
    weights: Annotated[Path | None, typer.Option("--weights", help="An .npz with W0, b0, W1, b1, … (PyTorch Linear layout), optional 'activation'.")] = None,
    arch: Annotated[str | None, typer.Option("--arch", help="Sizes inputs,hidden…,outputs, e.g. 2,32,32,1 (a random net).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random net's weights.")] = 0,
    init: Annotated[str, typer.Option("--init", help="default (PyTorch's Linear init) | normal:S | uniform:A | xavier | kaiming.")] = "default",
    activation: Annotated[str, typer.Option("--activation", help="Hidden activation of --arch: relu | leaky_relu | abs | hardtanh | prelu.")] = "relu",
    domain: Annotated[str, typer.Option("--domain", help="X0,X1,Y0,Y1: the input rectangle.")] = "-1,1,-1,1",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="PNG of the partition.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="JSON with count, bounds, polygons, patterns, affine maps.")] = None,
    plot3d: Annotated[Path | None, typer.Option("--plot3d", help="HTML file with the interactive exact surface (plotly).")] = None,
    surface: Annotated[Path | None, typer.Option("--surface", help="PNG of the exact surface (matplotlib 3-D).")] = None,
    color_by: Annotated[str, typer.Option("--color-by", help="pattern | output | gradient.")] = "pattern",
    boundary: Annotated[bool, typer.Option("--boundary/--no-boundary", help="Draw the zero level set (decision boundary).")] = False,
    dpi: Annotated[int, typer.Option("--dpi", min=20, max=600, help="Resolution of the PNGs (a 7-inch figure).")] = 150,
    edges: Annotated[bool, typer.Option("--edges/--no-edges", help="Draw region edges in the PNG.")] = True,
    max_regions: Annotated[int | None, typer.Option("--max-regions", help="Stop with an error past this many regions.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Verify the partition against the network (Regions.check).")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Re-derive every region in exact rational arithmetic (ReLU nets; slow).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Cut a ReLU-family network into its exact linear regions over a rectangle.

    Example: neuromosaic regions --arch 2,32,32,1 --seed 0 --domain -1,1,-1,1 -o regions.png --json regions.json

    Prints the count, the time and the Zaslavsky / Serra bounds for the architecture.
    """
    from ..regions import linear_regions
    from .progress import progress_bar

    if (weights is None) == (arch is None):
        raise SpecError("give exactly one of --weights NET.npz or --arch 2,16,16,1")
    box = parse_domain(domain)
    for path in (output, json_path, plot3d, surface):
        if path is not None:
            check_writable(path)
    if weights is not None:
        from ..io.weights import load_npz_net

        net = load_npz_net(weights)
        first = net[0]
        if first.in_features != 2:
            raise InputError(f"{weights}: the net takes {first.in_features} inputs; the CLI cuts a 2-D domain (2 inputs)")
        label = str(weights)
    else:
        from ..spec import NetSpec

        n_in, widths, n_out = parse_arch(arch)
        net = NetSpec(inputs=n_in, widths=widths, outputs=n_out, activation=activation,
                      out_activation="identity", init=init, seed=seed)
        label = f"arch {arch}, seed {seed}, init {init}"
    with progress_bar("cutting", enabled=not quiet) as bar:
        regions = linear_regions(net, domain=box, max_regions=max_regions,
                                 progress=lambda done, total, nf: bar(done, total))
    hidden = _hidden_widths(net)
    bounds = bounds_for(hidden)
    fmt = lambda v: "n/a" if v is None else f"{v:,}"  # noqa: E731
    print(f"{regions.count:,} regions over {list(box)} in {regions.seconds:.2f} s ({label})")
    print(f"bounds: Zaslavsky ({sum(hidden)} units in one layer) {fmt(bounds['zaslavsky'])}; "
          f"Serra lower (best net of widths {hidden}) {fmt(bounds['serra_lower'])}; "
          f"Serra upper {fmt(bounds['serra_upper'])}")
    summary = None
    if check:
        summary = regions.check()
        print(f"check: ok (area error {summary['area_error']:.2g}, max output error "
              f"{summary['max_output_error']:.2g}, smallest area {summary['min_area']:.3g})")
    if verify:
        from ..regions.verify import verify_exact

        rep = verify_exact(regions)
        print(f"verify (exact rationals): {'ok' if rep.ok else 'FAILED'}; areas sum to "
              f"{float(rep.area_sum):g} of {float(rep.domain_area):g}; infeasible {rep.infeasible}; "
              f"smallest area {rep.smallest_area:.3g}")
        if not rep.ok:
            raise InputError("exact verification failed: " + ("a region is missing or overlaps"
                             if rep.infeasible == 0 else f"{rep.infeasible} patterns are infeasible"))
    if output is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 7))
        regions.plot(ax=ax, color_by=color_by, boundary=boundary, edges=edges)
        with atomic_writer(output, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
        plt.close(fig)
        print(f"wrote {output}", file=sys.stderr)
    if surface is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(7, 6))
        ax = fig.add_subplot(projection="3d")
        regions.plot3d(backend="matplotlib", ax=ax, edges=regions.count < 5000)
        ax.set_title(f"{regions.count:,} regions: the exact surface")
        with atomic_writer(surface, suffix=".png") as tmp:
            fig.savefig(tmp, dpi=max(20, dpi * 3 // 4), bbox_inches="tight", format="png")
        plt.close(fig)
        print(f"wrote {surface}", file=sys.stderr)
    if json_path is not None:
        data = regions.to_dict()
        data["bounds"] = bounds
        data["source"] = label
        if summary is not None:
            data["check"] = summary
        atomic_write_text(json_path, json.dumps(data))
        print(f"wrote {json_path}", file=sys.stderr)
    if plot3d is not None:
        fig = regions.plot3d()
        html = fig.to_html(include_plotlyjs=True, full_html=True)
        atomic_write_text(plot3d, html)
        print(f"wrote {plot3d}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    app.command("regions")(regions_cmd)
