"""``neuromosaic paint``, ``gallery`` and ``animate``: parse options → one library call → write."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError
from ..io.atomic import atomic_write_text, check_writable
from ..io.png import read_png_metadata, write_png
from ..painting import PaintConfig, config_from_metadata, get_recipe, render_config
from ..painting.animate import MODES, frames_for
from ..painting.gallery import gallery_items, index_html
from .progress import progress_bar

# Options shared by paint and animate; None means "not given" so --from/--recipe values stay.
Size = Annotated[str | None, typer.Option("--size", help="N or WxH pixels (default 512).")]
Layers = Annotated[int | None, typer.Option("--layers", help="Hidden layers (default 8).")]
Width = Annotated[int | None, typer.Option("--width", help="Neurons per hidden layer (default 16).")]
Widths = Annotated[str | None, typer.Option("--widths", help="Hidden widths, e.g. 128,64,32,16.")]
Activation = Annotated[str | None, typer.Option("--activation", help="Hidden activation (default tanh).")]
OutActivation = Annotated[str | None, typer.Option("--out-activation", help="Output activation (default sigmoid).")]
Init = Annotated[str | None, typer.Option("--init", help="default | normal:S | uniform:A | xavier | kaiming (default normal:1).")]
BiasInit = Annotated[str | None, typer.Option("--bias-init", help="Bias init; default keeps PyTorch's U(±1/√fan_in).")]
Inputs = Annotated[str | None, typer.Option("--inputs", help="xy | xyr | xyrz (default xyr).")]
ZDim = Annotated[int | None, typer.Option("--z-dim", help="Latent size for --inputs xyrz (default 8).")]
Scale = Annotated[float | None, typer.Option("--scale", help="Zoom: the shorter side spans SCALE units (default 1; the article's 0.01).")]
Center = Annotated[str | None, typer.Option("--center", help="X,Y of the image centre (pan).")]
RawCoords = Annotated[bool | None, typer.Option("--raw-coords/--normalized-coords", help="Feed pixel indices 0..size (the article's first try).")]
Color = Annotated[str | None, typer.Option("--color", help="rgb | gray | hsv (default rgb).")]
Seed = Annotated[int | None, typer.Option("--seed", help="Seed of the weights (default 0).")]
Device = Annotated[str | None, typer.Option("--device", help="auto | cpu | cuda (default auto).")]
Fast = Annotated[bool | None, typer.Option("--fast/--exact", help="Fast tanh (error < 1e-6; 8-bit values move by at most 1).")]
From = Annotated[Path | None, typer.Option("--from", help="Re-render a PNG made by neuromosaic (its embedded config); other options override single fields.")]
RecipeOpt = Annotated[str | None, typer.Option("--recipe", help="One of the article's experiments by name (see `neuromosaic gallery`).")]


def build_config(*, from_png: Path | None = None, recipe: str | None = None, **given) -> PaintConfig:
    """The config from (a PNG's chunk | a recipe | the defaults) with every given option on top."""
    if from_png is not None and recipe is not None:
        raise SpecError("give --from or --recipe, not both")
    if from_png is not None:
        base = config_from_metadata(read_png_metadata(from_png))
    elif recipe is not None:
        base = get_recipe(recipe).config()
    else:
        base = PaintConfig()
    changes = {k: v for k, v in given.items() if v is not None}
    if ("layers" in changes or "width" in changes) and "widths" not in changes:
        changes["widths"] = None
    if "inputs" in changes or "z_dim" in changes:
        changes.setdefault("z", None)
    return base.replace(**changes) if changes else base


def _print_done(path: Path, what: str, seconds: float) -> None:
    print(f"wrote {path} ({what}, {seconds:.2f} s)", file=sys.stderr)


def paint_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG file to write.")],
    size: Size = None, layers: Layers = None, width: Width = None, widths: Widths = None,
    activation: Activation = None, out_activation: OutActivation = None, init: Init = None,
    bias_init: BiasInit = None, inputs: Inputs = None, z_dim: ZDim = None, scale: Scale = None,
    center: Center = None, raw_coords: RawCoords = None, color: Color = None, seed: Seed = None,
    device: Device = None, fast: Fast = None, from_png: From = None, recipe: RecipeOpt = None,
) -> None:
    """Paint a CPPN: every pixel's (x, y, r[, z]) through an MLP to a colour.

    Example: neuromosaic paint -o art.png --layers 8 --width 16 --init normal:1 --seed 3
    """
    if output.suffix.lower() != ".png":
        raise SpecError(f"output must be a .png file, got {str(output)!r}")
    check_writable(output)
    cfg = build_config(from_png=from_png, recipe=recipe, size=size, layers=layers, width=width,
                       widths=widths, activation=activation, out_activation=out_activation,
                       init=init, bias_init=bias_init, inputs=inputs, z_dim=z_dim, scale=scale,
                       center=center, raw_coords=raw_coords, color=color, seed=seed,
                       device=device, fast=fast)
    w, h = cfg.size
    start = time.perf_counter()
    with progress_bar("painting", enabled=w * h >= 2_000_000) as update:
        image = render_config(cfg, progress=update)
    write_png(output, image, cfg.metadata())
    _print_done(output, f"{w}×{h}", time.perf_counter() - start)


def gallery_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory to fill (created if missing).")],
    size: Annotated[str, typer.Option("--size", help="N or WxH pixels per picture.")] = "256",
    fast: Fast = False,
) -> None:
    """Paint every experiment of the article into a folder with an index.html contact sheet.

    Example: neuromosaic gallery -o out/gallery --size 512
    """
    if output.exists() and not output.is_dir():
        raise SpecError(f"gallery output {str(output)!r} exists and is not a directory")
    output.mkdir(parents=True, exist_ok=True)
    items = gallery_items(size, fast=bool(fast))
    start = time.perf_counter()
    with progress_bar("gallery") as update:
        for i, item in enumerate(items):
            write_png(output / item.filename, render_config(item.config), item.config.metadata())
            update(i + 1, len(items))
    atomic_write_text(output / "index.html", index_html(items))
    print(f"painted {len(items)} pictures in {time.perf_counter() - start:.1f} s; "
          f"open {output / 'index.html'}")


def animate_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.gif or FILE.mp4.")],
    mode: Annotated[str, typer.Option("--mode", help="walk (latent z, loops) | zoom | morph (between seeds, loops).")] = "walk",
    frames: Annotated[int, typer.Option("--frames", help="Number of frames.")] = 96,
    fps: Annotated[float, typer.Option("--fps", help="Frames per second.")] = 24.0,
    keyframes: Annotated[int, typer.Option("--keyframes", help="Random keyframes of the loop (walk, morph).")] = 4,
    zoom: Annotated[float | None, typer.Option("--zoom", help="Zoom animation: final scale factor, e.g. 0.01 (implies --mode zoom).")] = None,
    size: Size = None, layers: Layers = None, width: Width = None, widths: Widths = None,
    activation: Activation = None, init: Init = None, z_dim: ZDim = None, scale: Scale = None,
    center: Center = None, color: Color = None, seed: Seed = None, device: Device = None,
    fast: Fast = None, from_png: From = None, recipe: RecipeOpt = None,
) -> None:
    """Animate a CPPN: a seamless latent-z walk, a zoom into a point, or a morph between seeds.

    Example: neuromosaic animate -o walk.gif --frames 96 --fps 24 --keyframes 4 --size 256
    """
    from ..io.video import check_video_path, write_video

    check_video_path(output)
    check_writable(output)
    if zoom is not None:
        mode = "zoom"
    if mode not in MODES:
        raise SpecError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
    cfg = build_config(from_png=from_png, recipe=recipe, size=size or "256", layers=layers,
                       width=width, widths=widths, activation=activation, init=init, z_dim=z_dim,
                       scale=scale, center=center, color=color, seed=seed, device=device, fast=fast)
    if mode == "walk" and cfg.inputs != "xyrz":
        cfg = cfg.replace(inputs="xyrz", z=None)
    start = time.perf_counter()
    frame_iter = frames_for(mode, cfg, frames=frames, keyframes=keyframes, factor=zoom or 0.01)
    with progress_bar(f"animating ({mode})") as update:
        write_video(output, frame_iter, fps=fps, total=frames, progress=update)
    _print_done(output, f"{frames} frames {cfg.size[0]}×{cfg.size[1]}", time.perf_counter() - start)


def register(app: typer.Typer) -> None:
    app.command("paint")(paint_cmd)
    app.command("gallery")(gallery_cmd)
    app.command("animate")(animate_cmd)
