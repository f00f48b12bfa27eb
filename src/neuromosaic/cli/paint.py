"""``neuromosaic paint``, ``gallery`` and ``animate``: parse options → one library call → write."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError, SpecError
from . import options as opt
from . import poster as poster_cli
from .progress import progress_bar

# Options shared by paint and animate; None means "not given" so --from/--recipe values stay.
Size = Annotated[str | None, typer.Option("--size", help="N or WxH pixels (default 512).")]
AnimateSize = Annotated[str | None, typer.Option("--size", help="N or WxH pixels (default 256).")]
Widths = Annotated[str | None, typer.Option("--widths", help="Hidden widths W1,W2,… (default 16,16,16,16,16,16,16,16); 'none' for no hidden layer.")]
Seed = Annotated[int | None, typer.Option("--seed", min=0, max=2**63 - 1, help="Seed of the weights (default 0).")]
OutActivation = Annotated[str | None, typer.Option("--out-activation", help="Output activation (default sigmoid).")]
Init = Annotated[str | None, typer.Option("--init", help="Weights: default (PyTorch's own nn.Linear init) | normal:S | uniform:A | xavier | kaiming (default normal:1).")]
BiasInit = Annotated[str | None, typer.Option("--bias-init", help="Biases: default | normal:S | uniform:A | zeros (default: PyTorch's own U(±1/√fan_in)).")]
Bias = Annotated[str | None, typer.Option("--bias", help="Which Linear layers have a bias: all | first (the article's net) | none (default all).")]
Inputs = Annotated[str | None, typer.Option("--inputs", help="Coordinate features: xy | xyr | xyrz (default xyr).")]
ZDim = Annotated[int | None, typer.Option("--z-dim", min=1, max=4096, help="Latent size for --inputs xyrz (default 8).")]
Scale = Annotated[float | None, typer.Option("--scale", parser=opt.finite_float, help="Zoom: the shorter side spans SCALE units (default 1; the article's 0.01).")]
Center = Annotated[str | None, typer.Option("--center", help="X,Y of the image centre (default 0,0).")]
RawCoords = Annotated[bool | None, typer.Option("--raw-coords/--normalized-coords", help="Feed pixel indices 0..size (the article's first try; default normalized).")]
Color = Annotated[str | None, typer.Option("--color", help="rgb | gray | hsv (default rgb; with --weights: rgb for a 3-output net, gray for a 1-output one).")]
Device = Annotated[str | None, typer.Option("--device", help="auto | cpu | cuda (default auto).")]
Fast = Annotated[bool | None, typer.Option("--fast/--exact", help="Fast tanh, ≤ 4.1e-7 off a unit (8-bit values move by at most 1 on the article's nets; default exact).")]
From = Annotated[Path | None, typer.Option("--from", help="Re-render a PNG or poster .tif made by neuromosaic (its embedded config: a picture of a net built from options, not of --weights); other options override single fields.")]
RecipeOpt = Annotated[str | None, typer.Option("--recipe", help="One of the article's experiments by name (see `neuromosaic gallery`).")]
Activation = Annotated[str | None, typer.Option("--activation", help="Hidden activation (default tanh).")]
Cmap = Annotated[str | None, typer.Option("--cmap", help="Colour a 1-output net with a matplotlib colormap: viridis, magma, inferno, plasma, … (a net built from options gets 1 output).")]
Range = Annotated[str | None, typer.Option("--range", help="LO,HI: the outputs shown as 0 and 1 (black and white), others clipped. Default: the output activation's range (sigmoid 0,1; tanh, sin -1,1); for an unbounded output (identity, relu) the range the net reaches over the picture.")]
PaintWeights = Annotated[Path | None, typer.Option("--weights", help="Paint a saved net (.safetensors, e.g. from --save, or .npz) with its own input count; --widths etc. then describe the net a plain state dict loads into, and --seed picks z of an xyrz net. The PNG cannot be re-rendered with --from (that needs a picture of a net built from options).")]
Save = Annotated[Path | None, typer.Option("--save", help="Also write the painted net to this .safetensors file (for paint --weights and regions --weights).")]


def build_config(*, from_png: Path | None = None, recipe: str | None = None,
                 widths: str | None = None, layers: int | None = None, width: int | None = None,
                 **given):
    """The config from (a PNG's chunk | a recipe | the defaults) with every given option on top."""
    from ..io.tiff import read_picture_metadata
    from ..painting import PaintConfig, config_from_metadata, get_recipe

    if from_png is not None and recipe is not None:
        raise SpecError("give --from or --recipe, not both")
    if from_png is not None:
        meta = read_picture_metadata(from_png)
        if meta.get("kind") == "paint-weights":
            raise InputError(f"{str(from_png)!r} is a picture of the saved net "
                             f"{meta.get('weights')!r}: --from needs a picture of a net built from "
                             "options; paint the saved net again with --weights")
        base = config_from_metadata(meta)
    elif recipe is not None:
        base = get_recipe(recipe).config()
    else:
        base = PaintConfig()
    changes = {k: v for k, v in given.items() if v is not None}
    hidden = opt.resolve_widths(widths, layers=layers, width=width, default=list(base.hidden),
                                allow_empty=True)
    if widths is not None or layers is not None or width is not None:
        changes["widths"] = tuple(hidden)
    if "inputs" in changes or "z_dim" in changes:
        changes.setdefault("z", None)
    return base.replace(**changes) if changes else base


def paint_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG file to write, or .tif for a tiled, pyramidal BigTIFF poster painted tile by tile (any size, bounded memory).")],
    size: Size = None, widths: Widths = None, activation: Activation = None,
    out_activation: OutActivation = None, init: Init = None, bias_init: BiasInit = None,
    bias: Bias = None, inputs: Inputs = None, z_dim: ZDim = None, scale: Scale = None,
    center: Center = None, raw_coords: RawCoords = None, color: Color = None, seed: Seed = None,
    device: Device = None, fast: Fast = None, from_png: From = None, recipe: RecipeOpt = None,
    cmap: Cmap = None, value_range: Range = None, weights: PaintWeights = None, save: Save = None,
    quiet: opt.Quiet = False, layers: opt.Layers = None, width: opt.Width = None,
    dask: poster_cli.Dask = None,
) -> None:
    """Paint a CPPN: every pixel's (x, y, r[, z]) through an MLP to a colour.

    Example: neuromosaic paint -o art.png --widths 16,16,16,16,16,16,16,16 --init normal:1 --seed 3

    Any saved net paints too: neuromosaic paint --weights net.safetensors -o net.png --cmap viridis

    A poster of any size, tiled and pyramidal: neuromosaic paint --size 32768x32768 -o poster.tif
    """
    from ..io.png import write_png
    from ..painting.color import colormap_lut
    from ..painting.render import paint, resolve_device

    poster = poster_cli.check_output(output, dask=dask, weights=weights)
    opt.check_net_path(save)
    rng = parse_range(value_range) if value_range is not None else None
    if cmap is not None:
        try:
            colormap_lut(cmap)  # a bad name is one line before any work
        except SpecError as exc:
            raise SpecError(cli_words(str(exc))) from None
    net_options = dict(layers=layers, width=width, widths=widths, activation=activation,
                       out_activation=out_activation, init=init, bias_init=bias_init, bias=bias,
                       z_dim=z_dim)
    if weights is not None:
        if from_png is not None or recipe is not None:
            raise SpecError("give --weights (a saved net), or --from/--recipe (a net built from "
                            "options), not both")
        into = any(v is not None for v in net_options.values())
        if cmap is not None and color is None and into:
            color = "gray"
        cfg = build_config(size=size, inputs=inputs, scale=scale, center=center,
                           raw_coords=raw_coords, color=color, seed=seed, device=device, fast=fast,
                           **(net_options if into else {}))
        from ..io.nets import load

        spec = cfg.net_spec() if into else None
        dev = resolve_device(cfg.device)
        net = load(weights, into=spec).to(dev)
        paint_inputs = cfg.inputs if into or inputs is not None else None
        meta = {"kind": "paint-weights", "version": _version(), "weights": str(weights),
                "render": {"size": list(cfg.size), "scale": cfg.scale, "center": list(cfg.center),
                           "raw_coords": cfg.raw_coords, "inputs": paint_inputs, "seed": cfg.seed,
                           "color": color, "cmap": cmap, "range": rng, "fast": cfg.fast}}
        z = cfg.latent() if into else None
    else:
        if cmap is not None and color is None:
            color = "gray"  # a built net gets one output for the colormap
        cfg = build_config(from_png=from_png, recipe=recipe, size=size, inputs=inputs,
                           scale=scale, center=center, raw_coords=raw_coords, color=color,
                           seed=seed, device=device, fast=fast, **net_options)
        changes = {k: v for k, v in (("cmap", cmap), ("range", rng)) if v is not None}
        if changes:  # the config carries them, so --from re-renders the same bytes
            cfg = cfg.replace(**changes)
        cmap, rng = cfg.cmap, cfg.range
        spec = cfg.net_spec()
        dev = resolve_device(cfg.device)
        net = cfg.build(device=dev)  # bred along its lineage, if it has one
        paint_inputs, color, z = cfg.inputs, cfg.color, cfg.latent()
        meta = cfg.metadata()
    if poster:  # -o FILE.tif: tile by tile, in bounded memory
        return poster_cli.write_cmd(output, cfg, meta, net=net, spec=spec, save=save, dask=dask,
                                    quiet=quiet)
    w, h = cfg.size
    start = time.perf_counter()
    with progress_bar("painting", enabled=not quiet and w * h >= 2_000_000) as update:
        try:
            image = paint(net, cfg.size, scale=cfg.scale, center=cfg.center,
                          raw_coords=cfg.raw_coords, inputs=paint_inputs, z=z, seed=cfg.seed,
                          color=color, cmap=cmap, range=rng, fast=cfg.fast, device=dev,
                          progress=update)
        except SpecError as exc:  # the library's fixes, in the CLI's words
            raise SpecError(cli_words(str(exc))) from None
    write_png(output, image, meta)
    opt.wrote(output, f"{w}×{h}, {time.perf_counter() - start:.2f} s", quiet=quiet)
    if save is not None:
        from ..io.nets import save as save_net

        save_net(save, net, spec=spec)
        opt.wrote(save, "the net", quiet=quiet)


_CLI_WORDS = (("color='gray' or cmap=…", "--color gray or --cmap NAME"),
              ("color='rgb' or 'hsv'", "--color rgb or hsv"), ("drop cmap", "drop --cmap"),
              ("(gray, or cmap=…)", "(gray, or --cmap NAME)"),
              ("; output='raw' returns any number", ""), ("cmap must", "--cmap must"),
              ("cmap colours", "--cmap colours"),
              ("give inputs='xy' (2), 'xyr' (3) or 'xyrz' with z=… (3 + len(z))",
               "give --inputs xy (2) or xyr (3)"))


def cli_words(message: str) -> str:
    """A paint error's advice in option spelling (``color='gray'`` → ``--color gray``)."""
    for lib, cli in _CLI_WORDS:
        message = message.replace(lib, cli)
    return message


def parse_range(text: str, what: str = "--range") -> list[float]:
    """``"LO,HI"`` → ``[lo, hi]``: two finite numbers with ``lo < hi``."""
    from ..values import parse_list

    lo, hi = parse_list(text, float, what=what, min_items=2, max_items=2)
    if not lo < hi:
        raise SpecError(f"{what} must be LO,HI with LO < HI, got {text!r}")
    return [lo, hi]


def _version() -> str:
    from .. import __version__

    return __version__


def gallery_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory to fill (created if missing).")],
    size: Annotated[str, typer.Option("--size", help="N or WxH pixels per picture.")] = "256",
    fast: Fast = False,
    quiet: opt.Quiet = False,
) -> None:
    """Paint every experiment of the article into a folder with an index.html contact sheet.

    Example: neuromosaic gallery -o out/gallery --size 512
    """
    from ..io.atomic import atomic_write_text, check_folder, make_folder
    from ..io.png import write_png
    from ..painting import render_config
    from ..painting.gallery import gallery_items, index_html

    check_folder(output)
    items = gallery_items(size, fast=bool(fast))  # validates --size before the folder is made
    from ..painting.render import check_fits_in_memory, parse_size

    check_fits_in_memory(*parse_size(size), 3)  # and whether one picture fits, before the folder
    make_folder(output)
    start = time.perf_counter()
    with progress_bar("gallery", enabled=not quiet) as update:
        for i, item in enumerate(items):
            write_png(output / item.filename, render_config(item.config), item.config.metadata())
            update(i + 1, len(items))
    atomic_write_text(output / "index.html", index_html(items))
    if not quiet:
        print(f"painted {len(items)} pictures in {time.perf_counter() - start:.1f} s; "
              f"open {output / 'index.html'}")


def animate_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.gif or FILE.mp4.")],
    mode: Annotated[str, typer.Option("--mode", help="walk (latent z, loops) | zoom | morph (between seeds, loops).")] = "walk",
    frames: Annotated[int, typer.Option("--frames", min=2, max=100_000, help="Number of frames.")] = 96,
    fps: Annotated[float, typer.Option("--fps", parser=opt.finite_float, help="Frames per second, in (0, 240].")] = 24.0,
    keyframes: Annotated[int, typer.Option("--keyframes", min=2, max=1000, help="Random keyframes of the loop (walk, morph).")] = 4,
    zoom: Annotated[float | None, typer.Option("--zoom", parser=opt.finite_float, help="Zoom animation: final scale factor (> 0), e.g. 0.01 (implies --mode zoom).")] = None,
    size: AnimateSize = None, widths: Widths = None, activation: Activation = None, init: Init = None,
    bias: Bias = None, z_dim: ZDim = None, scale: Scale = None, center: Center = None,
    color: Color = None, seed: Seed = None, device: Device = None, fast: Fast = None,
    from_png: From = None, recipe: RecipeOpt = None, quiet: opt.Quiet = False,
    layers: opt.Layers = None, width: opt.Width = None,
) -> None:
    """Animate a CPPN: a seamless latent-z walk, a zoom into a point, or a morph between seeds.

    Example: neuromosaic animate -o walk.gif --frames 96 --fps 24 --keyframes 4 --size 256
    """
    from ..io.atomic import check_writable
    from ..io.video import check_video_path, write_video
    from ..painting.animate import MODES, frames_for
    from ..values import parse_float

    check_video_path(output)
    check_writable(output)
    if zoom is not None:
        zoom = parse_float(zoom, what="--zoom", low=0.0, strict_low=True)
        mode = "zoom"
    if mode not in MODES:
        raise SpecError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    cfg = build_config(from_png=from_png, recipe=recipe, size=size or "256", layers=layers,
                       width=width, widths=widths, activation=activation, init=init, bias=bias,
                       z_dim=z_dim, scale=scale, center=center, color=color, seed=seed,
                       device=device, fast=fast)
    if mode == "walk" and cfg.inputs != "xyrz":
        cfg = cfg.replace(inputs="xyrz", z=None)
    start = time.perf_counter()
    frame_iter = frames_for(mode, cfg, frames=frames, keyframes=keyframes, factor=zoom or 0.01)
    with progress_bar(f"animating ({mode})", enabled=not quiet) as update:
        write_video(output, frame_iter, fps=fps, total=frames, progress=update)
    opt.wrote(output, f"{frames} frames {cfg.size[0]}×{cfg.size[1]}, "
                      f"{time.perf_counter() - start:.2f} s", quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("paint")(paint_cmd)
    app.command("gallery")(gallery_cmd)
    app.command("animate")(animate_cmd)
