"""``neuromosaic export --glsl``: a CPPN as a fragment shader (parse → ``nm.to_glsl`` → write)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError
from . import options as opt
from .paint import (
    Activation,
    Bias,
    BiasInit,
    Center,
    Cmap,
    Color,
    From,
    Init,
    Inputs,
    OutActivation,
    RawCoords,
    RecipeOpt,
    Scale,
    Seed,
    Size,
    Widths,
    ZDim,
    build_config,
    cli_words,
    parse_range,
)

Glsl = Annotated[bool, typer.Option("--glsl", help="Write a GLSL ES 3.0 fragment shader (the one export format so far).")]
Shadertoy = Annotated[bool, typer.Option("--shadertoy", help="Shadertoy's mainImage(out vec4, in vec2) with iResolution and iTime, the weights in the code.")]
Storage = Annotated[str, typer.Option("--storage", help="Where the weights go: auto (in the code up to 4096 weight 4-vectors, e.g. 8 × 32; else a texture) | inline | texture (a FILE.weights.f32 beside the shader) (default auto).")]
ExportWeights = Annotated[Path | None, typer.Option("--weights", help="Export a saved net (.safetensors or .npz) with its own input count; --widths etc. then describe the net a plain state dict loads into.")]


def weights_path(output: Path) -> Path:
    """Where a texture shader's weights go: ``art.frag`` → ``art.weights.f32``."""
    return output.with_name(f"{output.stem}.weights.f32")


def export_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="The shader file to write, e.g. art.frag.")],
    glsl: Glsl = False, shadertoy: Shadertoy = False, storage: Storage = "auto",
    size: Size = None, widths: Widths = None, activation: Activation = None,
    out_activation: OutActivation = None, init: Init = None, bias_init: BiasInit = None,
    bias: Bias = None, inputs: Inputs = None, z_dim: ZDim = None, scale: Scale = None,
    center: Center = None, raw_coords: RawCoords = None, color: Color = None, seed: Seed = None,
    from_png: From = None, recipe: RecipeOpt = None, cmap: Cmap = None,
    value_range: Annotated[str | None, typer.Option("--range", help="LO,HI: the outputs shown as 0 and 1, as in paint (default: the output activation's range, or the one the net reaches over the picture).")] = None,
    weights: ExportWeights = None, quiet: opt.Quiet = False,
    layers: opt.Layers = None, width: opt.Width = None,
) -> None:
    """Export a CPPN as a fragment shader that paints what `neuromosaic paint` paints.

    Example: neuromosaic export --glsl -o art.frag --recipe depth-8 --seed 3

    The shader has uniforms u_resolution, u_scale, u_center, u_raw_coords, u_range, u_time (and
    u_z, u_walk for --inputs xyrz: u_time walks z around a loop); their defaults are written at
    its top. --shadertoy: paste it into shadertoy.com as it is.
    """
    from ..io.atomic import atomic_write_bytes, atomic_write_text, check_writable
    from ..painting.glsl import STORAGES, to_glsl

    if not glsl:
        raise SpecError("give --glsl: the format to export (a GLSL ES 3.0 fragment shader)")
    if storage not in STORAGES:
        raise SpecError(f"--storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    check_writable(output)
    rng = parse_range(value_range) if value_range is not None else None
    net_options = dict(layers=layers, width=width, widths=widths, activation=activation,
                       out_activation=out_activation, init=init, bias_init=bias_init, bias=bias,
                       z_dim=z_dim)
    if cmap is not None and color is None:
        color = "gray"  # a built net gets one output for the colormap
    if weights is not None:
        if from_png is not None or recipe is not None:
            raise SpecError("give --weights (a saved net), or --from/--recipe (a net built from "
                            "options), not both")
        from ..io.nets import load

        into = any(v is not None for v in net_options.values())
        cfg = build_config(size=size, inputs=inputs, scale=scale, center=center,
                           raw_coords=raw_coords, color=color, seed=seed,
                           **(net_options if into else {}))
        net = load(weights, into=cfg.net_spec() if into else None)
        net_inputs = cfg.inputs if into or inputs is not None else None
        z = cfg.latent() if into else None
        color = color if not into else cfg.color
    else:
        cfg = build_config(from_png=from_png, recipe=recipe, size=size, inputs=inputs, scale=scale,
                           center=center, raw_coords=raw_coords, color=color, seed=seed,
                           **net_options)
        cmap, rng = cmap or cfg.cmap, rng or cfg.range
        net, net_inputs, z, color = cfg.build(device="cpu"), cfg.inputs, cfg.latent(), cfg.color
    try:
        shader = to_glsl(net, inputs=net_inputs, z=z, seed=cfg.seed, color=color, cmap=cmap,
                         range=rng, size=cfg.size, scale=cfg.scale, center=cfg.center,
                         raw_coords=cfg.raw_coords, shadertoy=shadertoy, storage=storage)
    except SpecError as exc:  # the library's fixes, in the CLI's words
        raise SpecError(cli_words(str(exc)).replace("storage '", "--storage '")) from None
    notes = []
    if shader.storage == "texture":
        side = weights_path(output)
        w, h = shader.texture_size
        notes.append(f"u_weights: an RGBA32F texture of {w}×{h} texels from {side.name} "
                     "(little-endian float32, row by row; texelFetch, no filtering)")
        atomic_write_bytes(side, shader.weights.astype("<f4").tobytes())
    atomic_write_text(output, shader.annotated(notes))
    where = "weights in the code" if shader.storage == "inline" else f"weights in {weights_path(output).name}"
    opt.wrote(output, f"{'Shadertoy' if shadertoy else 'GLSL ES 3.0'} fragment shader, {where}",
              quiet=quiet)


def register(app: typer.Typer) -> None:
    app.command("export")(export_cmd)
