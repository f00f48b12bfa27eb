"""``neuromosaic bounds`` and ``neuromosaic explain phase|trajectory|density|stats``.

Each command parses its options, calls :mod:`neuromosaic.theory` for the numbers and
:mod:`neuromosaic.figures.theory` for the picture, prints the numbers and writes the PNG atomically.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError, TooLargeError
from . import options as opt
from .progress import progress_bar

explain_app = typer.Typer(name="explain", no_args_is_help=True, add_completion=False,
                          help="Theory vs measurement figures: phase, trajectory, density, stats, "
                               "constructions.  Example: neuromosaic explain phase -o phase.png")

Output = Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")]


def _check_png(output: Path) -> Path:
    opt.check_png(output, "-o")
    return output


def _save(fig, output: Path, start: float, quiet: bool = False) -> None:
    from ..io.figures import save_figure

    save_figure(fig, output, dpi=100)
    opt.wrote(output, f"{time.perf_counter() - start:.1f} s", quiet=quiet)


def bounds_cmd(
    widths: Annotated[str, typer.Option("--widths", help="Hidden widths W1,W2,…, e.g. 16,16,16.")],
    in_dim: Annotated[int, typer.Option("--in-dim", help="Input dimension n0.")] = 2,
    rank: Annotated[int | None, typer.Option("--rank", min=1, max=64, help="Also the maxout bounds for this rank k.")] = None,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
    n0: Annotated[int | None, typer.Option("--n0", hidden=True, help="Deprecated: use --in-dim.")] = None,
) -> None:
    """Print every bound on the number of linear regions, with its source.

    Example: neuromosaic bounds --in-dim 2 --widths 16,16,16 --rank 3
    """
    from ..theory import bounds as B

    if n0 is not None:
        opt.deprecated("--n0", "--in-dim")
        in_dim = n0
    ws = opt.parse_widths(widths)
    B.check_size(in_dim, ws, what_n0="--in-dim", what_widths="--widths")
    opt.check_json_path(json_path)
    rows = B.bounds_table(in_dim, ws, rank=rank)
    if str(json_path) != "-":
        print(f"linear regions of a ReLU net with {in_dim} inputs and hidden widths {ws}:")
        for b in rows:
            shown = "n/a" if b.value is None else B.format_count(b.value)
            note = f"  ({b.note})" if b.note else ""
            print(f"  {b.label}: {shown}   [{b.source}]{note}")
    if json_path is not None:
        opt.write_json(json_path, {"in_dim": in_dim, "widths": ws,
                                   "bounds": B.bounds_dict(rows, as_text_over=2**53)}, quiet=quiet)


def uniform_widths(widths: str | None, width: int | None, depth: int | None, *,
                   default: tuple[int, int]) -> tuple[int, int]:
    """``(width, depth)`` of a net of equal hidden widths (what mean field predicts), from
    ``--widths W,W,…`` or the deprecated ``--width``/``--depth``."""
    if widths is not None and (width is not None or depth is not None):
        raise SpecError("give --widths, or the deprecated --width/--depth, not both")
    if widths is not None:
        ws = opt.parse_widths(widths)
        if len(set(ws)) != 1:
            raise SpecError(f"--widths must repeat one width (mean field predicts nets of equal "
                            f"widths), got {widths!r}")
        return ws[0], len(ws)
    if width is not None or depth is not None:
        opt.deprecated("--width/--depth", "--widths W,W,…")
    return (width if width is not None else default[0]), (depth if depth is not None else default[1])


def sweep_list(new: str | None, old: str | None, *, new_name: str, old_name: str, default: str) -> str:
    """The text of a sweep list given as ``new_name`` or its deprecated spelling ``old_name``."""
    if new is not None and old is not None:
        raise SpecError(f"give {new_name}, or the deprecated {old_name}, not both")
    if old is not None:
        opt.deprecated(old_name, new_name)
        return old
    return default if new is None else new


#: the sweeps' defaults (used as the help text says)
SWEEP_ACTIVATIONS = "tanh,hardtanh,relu"
SWEEP_SIGMA_W = "0.5,0.8,1.2,1.6,2,3,4,6,8"
SWEEP_DEPTHS = "1,2,3,4,6,8"
SWEEP_WIDTHS = "8,16,24,32"

Width = Annotated[int | None, typer.Option("--width", hidden=True, help="Deprecated: use --widths.")]
Depth = Annotated[int | None, typer.Option("--depth", hidden=True, help="Deprecated: use --widths.")]


@explain_app.command("phase")
def phase_cmd(
    output: Output,
    activation: Annotated[str, typer.Option("--activation", help="Hidden activation.")] = "tanh",
    fan_in: Annotated[int, typer.Option("--fan-in", min=1, max=65536, help="Width of the hidden layers (the inits' σ_w depend on it).")] = 16,
    thumb: Annotated[int, typer.Option("--thumb", min=0, max=128, help="Pixels per side of each CPPN thumbnail (0: none).")] = 48,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="Seed of the thumbnails' weights.")] = 0,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
) -> None:
    """The order/chaos phase diagram, the article's inits on it, and CPPN renders across it.

    Example: neuromosaic explain phase -o phase.png --activation tanh --fan-in 16
    """
    from ..figures.theory import phase_figure
    from ..spec import check_activation
    from ..theory.stats import phase_view

    _check_png(output)
    opt.check_json_path(json_path)
    activation = check_activation(activation)
    start = time.perf_counter()
    phase = phase_view(activation, fan_in=fan_in, thumb=thumb, seed=seed)
    for p in phase["points"]:
        print(f"{p['init']:>12}: sigma_w = {p['sigma_w']:.4g}, sigma_b = {p['sigma_b']:.4g}, "
              f"chi1 = {p['chi1']:.4g} ({p['phase']})")
    print(f"edge of chaos at sigma_b = 0: sigma_w = {phase['edge']:.4f}")
    fig = phase_figure(phase["diagram"], points=phase["points"], renders=phase["renders"],
                       render_sigma_w=phase["render_sigma_w"], render_sigma_b=phase["render_sigma_b"],
                       title=f"{activation}: order (χ1 < 1) and chaos (χ1 > 1); the article's inits at fan-in {fan_in}")
    _save(fig, output, start, quiet)
    opt.write_json(json_path, {"activation": activation, "fan_in": fan_in, "edge_sigma_w": phase["edge"],
                               "points": phase["points"]}, quiet=quiet)


@explain_app.command("trajectory")
def trajectory_cmd(
    output: Output,
    activations: Annotated[str | None, typer.Option("--sweep-activations", help=f"Activations to compare, comma-separated (default {SWEEP_ACTIVATIONS}).")] = None,
    sigma_w: Annotated[str | None, typer.Option("--sweep-sigma-w", help=f"σ_w values (> 0) to sweep, comma-separated (default {SWEEP_SIGMA_W}).")] = None,
    sigma_b: Annotated[float, typer.Option("--sigma-b", parser=opt.finite_float, help="σ_b (>= 0).")] = 0.0,
    widths: opt.Widths = None,
    samples: Annotated[int, typer.Option("--samples", min=1, max=64, help="Random nets per point.")] = 2,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="First seed.")] = 0,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
    width: Width = None, depth: Depth = None,
    old_activations: Annotated[str | None, typer.Option("--activations", hidden=True)] = None,
    old_sigma_w: Annotated[str | None, typer.Option("--sigma-w", hidden=True)] = None,
) -> None:
    """A circle's image length per layer of random nets, measured, beside mean field's √χ1.

    The measured nets have hidden widths --widths (one width repeated; default 100 × 12).

    Example: neuromosaic explain trajectory -o trajectory.png --sweep-activations tanh,relu --widths 100,100,100,100,100,100
    """
    from ..figures.theory import trajectory_figure
    from ..spec import check_activation
    from ..theory import meanfield
    from ..theory import trajectory as tr
    from ..values import parse_list

    _check_png(output)
    opt.check_json_path(json_path)
    acts = sweep_list(activations, old_activations, new_name="--sweep-activations",
                      old_name="--activations", default=SWEEP_ACTIVATIONS)
    names = [check_activation(a) for a in parse_list(acts, str, what="--sweep-activations", max_items=16)]
    sws = parse_list(sweep_list(sigma_w, old_sigma_w, new_name="--sweep-sigma-w", old_name="--sigma-w",
                                default=SWEEP_SIGMA_W),
                     float, what="--sweep-sigma-w", low=0.0, high=1e4, strict_low=True, max_items=64)
    meanfield.check_sigmas(1.0, sigma_b)
    width, depth = uniform_widths(widths, width, depth, default=(100, 12))
    if depth < 6:
        raise SpecError(f"--widths must have >= 6 layers (growth is measured from layer 4 on), got {depth}")
    tr.check_size(width, depth, samples=samples, points=512)
    start = time.perf_counter()
    growth = {}
    with progress_bar("trajectories", enabled=not quiet) as update:
        for i, name in enumerate(names):
            growth[name] = tr.growth_vs_sigma(name, sws, sigma_b=sigma_b, width=width, depth=depth,
                                              samples=samples, seed=seed)
            update(i + 1, len(names) + 1)
        depth_width = tr.depth_width_lengths("tanh", sigma_w=4.0, sigma_b=sigma_b,
                                             widths=(8, 16, 32, 64), depth=16, seed=seed)
    for name, g in growth.items():
        for w, m, p in zip(g["sigma_w"], g["measured"], g["predicted"], strict=True):
            print(f"{name:>9} sigma_w={w:<5g} measured {m:.4f}  mean field {p:.4f}  ({m / p - 1:+.1%})")
    fig = trajectory_figure(growth, depth_width,
                            title=f"trajectory length (Raghu et al. 2017) vs mean field; width {width}, σ_b = {sigma_b:g}")
    _save(fig, output, start, quiet)
    opt.write_json(json_path, {"width": width, "depth": depth, "sigma_b": sigma_b,
                               "growth": {k: {c: v.tolist() for c, v in g.items()} for k, g in growth.items()},
                               "depth_width": {k: v.tolist() for k, v in depth_width.items()}}, quiet=quiet)


@explain_app.command("density")
def density_cmd(
    output: Output,
    depths: Annotated[str | None, typer.Option("--sweep-depths", help=f"Depths to sweep, comma-separated (default {SWEEP_DEPTHS}).")] = None,
    widths: Annotated[str | None, typer.Option("--sweep-widths", help=f"Widths to sweep, comma-separated (default {SWEEP_WIDTHS}).")] = None,
    samples: Annotated[int, typer.Option("--samples", min=1, max=100, help="Random nets per (depth, width).")] = 2,
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**63 - 1, help="First seed.")] = 0,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
    old_depths: Annotated[str | None, typer.Option("--depths", hidden=True)] = None,
    old_widths: Annotated[str | None, typer.Option("--widths", hidden=True)] = None,
) -> None:
    """Exact region counts of random ReLU nets vs total neurons T, the fit c·T², and the bounds.

    Example: neuromosaic explain density -o density.png --sweep-depths 1,2,4,8 --sweep-widths 8,16,32
    """
    import numpy as np

    from ..figures.theory import density_figure
    from ..theory import bounds as B
    from ..theory import density as D
    from ..values import parse_list

    _check_png(output)
    opt.check_json_path(json_path)
    ds = parse_list(sweep_list(depths, old_depths, new_name="--sweep-depths", old_name="--depths",
                               default=SWEEP_DEPTHS), int, what="--sweep-depths", low=1, high=64, max_items=32)
    ws = parse_list(sweep_list(widths, old_widths, new_name="--sweep-widths", old_name="--widths",
                               default=SWEEP_WIDTHS), int, what="--sweep-widths", low=1, high=256, max_items=32)
    D.check_size(ds, ws, samples=samples)
    start = time.perf_counter()
    with progress_bar("counting regions", enabled=not quiet) as update:
        data = D.density_counts(ds, ws, samples=samples, seed=seed, progress=update)
    c = D.fit_c(data["T"], data["counts"])
    for d, w, t, counts in zip(data["depth"], data["width"], data["T"], data["counts"], strict=True):
        mean = counts.mean()
        print(f"depth {d} width {w:>3} T={t:>4}: regions {mean:>9.1f}  c·T² {c * t * t:>9.1f} "
              f"({mean / (c * t * t) - 1:+.0%})  serra_upper {B.serra_upper(2, [int(w)] * int(d)):.3e}")
    print(f"fitted c = {c:.4f}")
    t_axis = np.unique(data["T"])
    curves = {"one layer of T units (Zaslavsky)": (t_axis, [B.zaslavsky(int(t), 2) for t in t_axis])}
    for d in sorted({max(ds), 2} & set(ds)):
        tt = np.array([d * w for w in sorted(ws)])
        curves[f"Serra upper bound, depth {d}"] = (tt, [float(B.serra_upper(2, [w] * d)) for w in sorted(ws)])
        if d > 1 and min(ws) >= 2:
            curves[f"Montúfar lower bound, depth {d}"] = (
                tt, [float(B.montufar_lower(2, [w] * d)) for w in sorted(ws)])
    fig = density_figure(data, c, bounds=curves,
                         title="random ReLU nets at init (He weights): ≈ c·T² regions, nearly depth-independent")
    _save(fig, output, start, quiet)
    opt.write_json(json_path, {"c": c, **{k: v.tolist() for k, v in data.items()}}, quiet=quiet)


@explain_app.command("stats")
def stats_cmd(
    output: Output,
    inits: Annotated[str, typer.Option("--inits", help="Inits to compare, comma-separated.")] = "default,uniform:100,uniform:3,normal:1",
    widths: opt.Widths = None,
    seeds: Annotated[int, typer.Option("--seeds", min=1, max=64, help="Nets pooled per init.")] = 4,
    size: Annotated[int, typer.Option("--size", min=2, max=512, help="Pixels per side of the input grid.")] = 48,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
    width: Width = None, depth: Depth = None,
) -> None:
    """Per-layer histograms of pre-activations and tanh outputs for the article's inits.

    The nets have hidden widths --widths (one width repeated; default 16 × 8).

    Example: neuromosaic explain stats -o stats.png --inits default,normal:1 --widths 16,16,16,16
    """
    from ..figures.theory import stats_figure
    from ..spec import InitSpec
    from ..theory import stats as S
    from ..values import parse_list

    _check_png(output)
    opt.check_json_path(json_path)
    names = [str(InitSpec.parse(i)) for i in parse_list(inits, str, what="--inits", max_items=16)]
    width, depth = uniform_widths(widths, width, depth, default=(16, 8))
    if not (width <= 1024 and depth <= 64):
        raise SpecError(f"--widths may have at most 64 layers of at most 1024 units, got {depth} of {width}")
    start = time.perf_counter()
    result = S.init_stats(names, width=width, depth=depth, size=size, seeds=range(seeds))
    for init, r in result.items():
        print(f"{init:>12}: std per layer {' '.join(f'{v:.3g}' for v in r['std'])}")
        print(f"{'':>12}  mean field   {' '.join(f'{v:.3g}' for v in r['predicted_std'])}")
        print(f"{'':>12}  one unit across pixels {' '.join(f'{v:.2g}' for v in r['pixel_std'])}")
    layers = sorted({0, 1, depth // 2 - 1, depth - 1} & set(range(depth)))
    fig = stats_figure(result, layers=tuple(layers),
                       title="each layer's sums over the picture: measured (bars) and mean field's spread")
    _save(fig, output, start, quiet)
    opt.write_json(json_path, {init: {k: r[k].tolist() for k in ("std", "predicted_std", "pixel_std", "saturated")}
                               for init, r in result.items()}, quiet=quiet)


@explain_app.command("constructions")
def constructions_cmd(
    output: Output,
    p: Annotated[int, typer.Option("--p", help="Folds per coordinate per layer (2p units a layer).")] = 2,
    depth: Annotated[int, typer.Option("--depth", help="Hidden layers of the folding net.")] = 3,
    last_width: Annotated[int, typer.Option("--last-width", help="Lines of the last layer.")] = 4,
    sawtooth: Annotated[int, typer.Option("--sawtooth", help="Deepest sawtooth to cut (1..20).")] = 10,
    json_path: opt.JsonOut = None,
    quiet: opt.Quiet = False,
) -> None:
    """Hand-built nets that reach the exponential counts, cut by the exact region engine.

    Example: neuromosaic explain constructions -o constructions.png --p 2 --depth 3 --last-width 4
    """
    import torch

    from ..figures.theory import constructions_figure
    from ..theory import constructions as C

    _check_png(output)
    opt.check_json_path(json_path)
    if not 1 <= sawtooth <= 20:
        raise SpecError(f"--sawtooth must be in 1..20, got {sawtooth}")
    expected = C.folding_regions(p, depth, last_width)
    if expected > 200_000:
        raise TooLargeError(f"the folding net would have {expected:,} regions; at most 200,000 "
                            "(lower --p, --depth or --last-width)")
    start = time.perf_counter()
    rows = C.verify_sawtooth(range(1, sawtooth + 1))
    for r in rows:
        print(f"sawtooth depth {r['depth']:>2}: {r['pieces']:>7} pieces (2^k = {r['formula']})")
    regions, formula = C.verify_folding(p, depth, last_width)
    print(f"folding net p={p} depth={depth} last width={last_width}: {regions.count} regions "
          f"in the unit square (formula p^(2(L-1))·(1 + n + C(n,2)) = {formula})")
    x = torch.linspace(0, 1, 4097, dtype=torch.float64)[:, None]
    curves = {k: (x[:, 0].numpy(), C.sawtooth(k)(x).detach().numpy()[:, 0])
              for k in range(1, min(sawtooth, 4) + 1)}
    fig = constructions_figure(curves, rows, regions, formula)
    _save(fig, output, start, quiet)
    opt.write_json(json_path, {"sawtooth": rows, "folding": {"p": p, "depth": depth, "last_width": last_width,
                                                            "regions": regions.count, "formula": formula}},
                   quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("bounds")(bounds_cmd)
    app.add_typer(explain_app, name="explain")
