"""``neuromosaic bounds`` and ``neuromosaic explain phase|trajectory|density|stats``.

Each command parses its options, calls :mod:`neuromosaic.theory` for the numbers and
:mod:`neuromosaic.figures.theory` for the picture, prints the numbers and writes the PNG atomically.
"""

from __future__ import annotations

import io
import json
import math
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError, TooLargeError
from ..io.atomic import atomic_write_bytes, check_writable
from ..spec import check_activation
from .progress import progress_bar

explain_app = typer.Typer(name="explain", no_args_is_help=True, add_completion=False,
                          help="Theory vs measurement figures: phase, trajectory, density, stats, "
                               "constructions.  Example: neuromosaic explain phase -o phase.png")

Output = Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")]


def parse_numbers(text: str, what: str, *, kind=float, low: float | None = None,
                  strict_low: bool = False) -> list:
    """``"1,2,4"`` → ``[1, 2, 4]`` of ``kind``, each ``>= low`` (``> low`` if ``strict_low``)."""
    try:
        values = [kind(p.strip()) for p in str(text).split(",") if p.strip()]
    except ValueError:
        raise SpecError(f"{what} must be comma-separated numbers like 1,2,4, got {text!r}") from None
    if not values:
        raise SpecError(f"{what} must name at least one value, got {text!r}")
    for v in values:
        bad = not math.isfinite(v) or (low is not None and (v <= low if strict_low else v < low))
        if bad:
            rule = f"> {low:g}" if strict_low else f">= {low:g}"
            raise SpecError(f"every {what} value must be finite and {rule}, got {text!r}")
    return values


def _check_png(output: Path) -> Path:
    if output.suffix.lower() != ".png":
        raise SpecError(f"output must be a .png file, got {str(output)!r}")
    return check_writable(output)


def _save(fig, output: Path, start: float) -> None:
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    # a 256-colour palette: a third of the bytes, no visible change for plots
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB").quantize(colors=256)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    atomic_write_bytes(output, out.getvalue())
    print(f"wrote {output} ({time.perf_counter() - start:.1f} s)", file=sys.stderr)


def _short(value: int) -> str:
    """``1,234`` below 10^15, else ``1.2346e+97`` (from the top bits: a float would overflow and
    ``str`` refuses ints of more than 4300 digits)."""
    if value < 10**15:
        return f"{value:,}"
    shift = max(0, value.bit_length() - 60)
    log10 = math.log10(value >> shift) + shift * math.log10(2)
    exponent = math.floor(log10)
    return f"{10 ** (log10 - exponent):.4f}e+{exponent}"


def _exact(value: int | None) -> str | None:
    """The exact decimal digits, or the short form past 4000 digits."""
    if value is None:
        return None
    return str(value) if value.bit_length() < 13_000 else _short(value)


def bounds_cmd(
    widths: Annotated[str, typer.Option("--widths", help="Hidden widths, e.g. 16,16,16.")],
    n0: Annotated[int, typer.Option("--n0", help="Input dimension.")] = 2,
    rank: Annotated[int | None, typer.Option("--rank", help="Also the maxout bounds for this rank k.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print every bound on the number of linear regions, with its source.

    Example: neuromosaic bounds --n0 2 --widths 16,16,16 --rank 3
    """
    from ..theory import bounds as B

    ws = B.parse_widths(widths)
    rows = [(r.name, r.kind, r.value, r.source, r.note) for r in B.bounds_table(n0, ws)]
    if rank is not None:
        width = min(ws)
        rows.append((f"maxout_lower (L={len(ws)}, width {width}, k={rank})", "lower",
                     B.maxout_lower(n0, width, len(ws), rank),
                     "Montúfar, Pascanu, Cho & Bengio 2014, Thm 8 / Prop. 7", ""))
        if len(ws) == 1:
            rows.append((f"maxout_upper (one layer, k={rank})", "upper",
                         B.maxout_upper(n0, ws[0], rank), "Montúfar et al. 2014, Prop. 7", ""))
    if as_json:
        print(json.dumps([{"name": n, "kind": k, "value": _exact(v),
                           "source": s, "note": note} for n, k, v, s, note in rows], indent=1))
        return
    print(f"linear regions of a ReLU net with n0={n0} inputs and hidden widths {ws}:")
    name_w = max(len(r[0]) for r in rows)
    for name, kind, value, source, note in rows:
        shown = "n/a" if value is None else _short(value)
        extra = f"  ({note})" if note else ""
        print(f"  {name:<{name_w}}  {kind:<5}  {shown:>22}  {source}{extra}")


@explain_app.command("phase")
def phase_cmd(
    output: Output,
    activation: Annotated[str, typer.Option("--activation", help="Hidden activation.")] = "tanh",
    fan_in: Annotated[int, typer.Option("--fan-in", help="Width of the hidden layers (the inits' σ_w depend on it).")] = 16,
    thumb: Annotated[int, typer.Option("--thumb", help="Pixels per side of each CPPN thumbnail (0: none).")] = 48,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the thumbnails' weights.")] = 0,
) -> None:
    """The order/chaos phase diagram, the article's inits on it, and CPPN renders across it.

    Example: neuromosaic explain phase -o phase.png --activation tanh --fan-in 16
    """
    import numpy as np

    from ..figures.theory import phase_figure
    from ..theory import meanfield, stats

    _check_png(output)
    activation = check_activation(activation)
    if fan_in < 1:
        raise SpecError(f"--fan-in must be >= 1, got {fan_in}")
    if not 0 <= thumb <= 128:
        raise SpecError(f"--thumb must be in 0..128 pixels, got {thumb}")
    start = time.perf_counter()
    diagram = meanfield.phase_diagram(activation, sigma_w=np.geomspace(0.1, 400, 48),
                                      sigma_b=np.linspace(0.0, 2.0, 21))
    points = meanfield.init_points(stats.ARTICLE_INITS, fan_in=fan_in, activation=activation)
    rsw, rsb = np.geomspace(0.25, 128, 8), np.array([0.0, 0.7, 1.4, 2.0])
    renders = (stats.phase_renders(rsw, rsb, size=thumb, width=fan_in, seed=seed,
                                   activation=activation) if thumb else None)
    for p in points:
        print(f"{p['init']:>12}: sigma_w = {p['sigma_w']:.4g}, sigma_b = {p['sigma_b']:.4g}, "
              f"chi1 = {p['chi1']:.4g} ({p['phase']})")
    edge = meanfield.critical_sigma_w(activation, sigma_b=0.0)
    print(f"edge of chaos at sigma_b = 0: sigma_w = {edge:.4f}")
    fig = phase_figure(diagram, points=points, renders=renders, render_sigma_w=rsw,
                       render_sigma_b=rsb,
                       title=f"{activation}: order (χ1 < 1) and chaos (χ1 > 1); the article's inits at fan-in {fan_in}")
    _save(fig, output, start)


@explain_app.command("trajectory")
def trajectory_cmd(
    output: Output,
    activations: Annotated[str, typer.Option("--activations", help="Comma-separated activations.")] = "tanh,hardtanh,relu",
    sigma_w: Annotated[str, typer.Option("--sigma-w", help="σ_w values (> 0), comma-separated.")] = "0.5,0.8,1.2,1.6,2,3,4,6,8",
    sigma_b: Annotated[float, typer.Option("--sigma-b", help="σ_b (>= 0).")] = 0.0,
    width: Annotated[int, typer.Option("--width", help="Hidden width of the measured nets.")] = 100,
    depth: Annotated[int, typer.Option("--depth", help="Hidden layers.")] = 12,
    samples: Annotated[int, typer.Option("--samples", help="Random nets per point.")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="First seed.")] = 0,
) -> None:
    """A circle's image length per layer of random nets, measured, beside mean field's √χ1.

    Example: neuromosaic explain trajectory -o trajectory.png --activations tanh,relu --width 100
    """
    from ..figures.theory import trajectory_figure
    from ..theory import meanfield
    from ..theory import trajectory as tr

    _check_png(output)
    names = [check_activation(a) for a in activations.split(",") if a.strip()]
    sws = parse_numbers(sigma_w, "--sigma-w", low=0.0, strict_low=True)
    meanfield.check_sigmas(1.0, sigma_b)
    if depth < 6:
        raise SpecError(f"--depth must be >= 6 (growth is measured from layer 4 on), got {depth}")
    if not 1 <= samples <= 64:
        raise SpecError(f"--samples must be in 1..64, got {samples}")
    start = time.perf_counter()
    growth = {}
    with progress_bar("trajectories") as update:
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
    _save(fig, output, start)


@explain_app.command("density")
def density_cmd(
    output: Output,
    depths: Annotated[str, typer.Option("--depths", help="Depths, comma-separated.")] = "1,2,3,4,6,8",
    widths: Annotated[str, typer.Option("--widths", help="Widths, comma-separated.")] = "8,16,24,32",
    samples: Annotated[int, typer.Option("--samples", help="Random nets per (depth, width).")] = 2,
    seed: Annotated[int, typer.Option("--seed", help="First seed.")] = 0,
) -> None:
    """Exact region counts of random ReLU nets vs total neurons T, the fit c·T², and the bounds.

    Example: neuromosaic explain density -o density.png --depths 1,2,4,8 --widths 8,16,32
    """
    import numpy as np

    from ..figures.theory import density_figure
    from ..theory import bounds as B
    from ..theory import density as D

    _check_png(output)
    ds = parse_numbers(depths, "--depths", kind=int, low=1)
    ws = parse_numbers(widths, "--widths", kind=int, low=1)
    if not 1 <= samples <= 100:
        raise SpecError(f"--samples must be in 1..100, got {samples}")
    start = time.perf_counter()
    with progress_bar("counting regions") as update:
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
    _save(fig, output, start)


@explain_app.command("stats")
def stats_cmd(
    output: Output,
    inits: Annotated[str, typer.Option("--inits", help="Inits, comma-separated.")] = "default,uniform:100,uniform:3,normal:1",
    width: Annotated[int, typer.Option("--width", help="Hidden width.")] = 16,
    depth: Annotated[int, typer.Option("--depth", help="Hidden layers.")] = 8,
    seeds: Annotated[int, typer.Option("--seeds", help="Nets pooled per init.")] = 4,
    size: Annotated[int, typer.Option("--size", help="Pixels per side of the input grid.")] = 48,
) -> None:
    """Per-layer histograms of pre-activations and tanh outputs for the article's inits.

    Example: neuromosaic explain stats -o stats.png --inits default,normal:1
    """
    from ..figures.theory import stats_figure
    from ..spec import InitSpec
    from ..theory import stats as S

    _check_png(output)
    names = [str(InitSpec.parse(i)) for i in inits.split(",") if i.strip()]
    if not names:
        raise SpecError(f"--inits must name at least one init, got {inits!r}")
    for label, value, cap in (("--width", width, 1024), ("--depth", depth, 64), ("--seeds", seeds, 64)):
        if not 1 <= value <= cap:
            raise SpecError(f"{label} must be in 1..{cap}, got {value}")
    start = time.perf_counter()
    result = S.init_stats(names, width=width, depth=depth, size=size, seeds=range(seeds))
    for init, r in result.items():
        print(f"{init:>12}: std per layer {' '.join(f'{v:.3g}' for v in r['std'])}")
        print(f"{'':>12}  mean field   {' '.join(f'{v:.3g}' for v in r['predicted_std'])}")
        print(f"{'':>12}  one unit across pixels {' '.join(f'{v:.2g}' for v in r['pixel_std'])}")
    layers = sorted({0, 1, depth // 2 - 1, depth - 1})
    fig = stats_figure(result, layers=tuple(layers),
                       title="each layer's sums over the picture: measured (bars) and mean field's spread")
    _save(fig, output, start)


@explain_app.command("constructions")
def constructions_cmd(
    output: Output,
    p: Annotated[int, typer.Option("--p", help="Folds per coordinate per layer (2p units a layer).")] = 2,
    depth: Annotated[int, typer.Option("--depth", help="Hidden layers of the folding net.")] = 3,
    last_width: Annotated[int, typer.Option("--last-width", help="Lines of the last layer.")] = 4,
    sawtooth: Annotated[int, typer.Option("--sawtooth", help="Deepest sawtooth to cut (1..20).")] = 10,
) -> None:
    """Hand-built nets that reach the exponential counts, cut by the exact region engine.

    Example: neuromosaic explain constructions -o constructions.png --p 2 --depth 3 --last-width 4
    """
    import torch

    from ..figures.theory import constructions_figure
    from ..theory import constructions as C

    _check_png(output)
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
    _save(fig, output, start)


def register(app: typer.Typer) -> None:
    app.command("bounds")(bounds_cmd)
    app.add_typer(explain_app, name="explain")
