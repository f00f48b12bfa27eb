"""A CPPN as a GLSL ES 3.0 fragment shader: the painter's picture, drawn by any GPU.

:func:`to_glsl` turns a chain of ``Linear`` layers and pointwise activations (every NetSpec-built
CPPN) into a self-contained fragment shader that paints what :func:`~.render.paint` paints: the
same pixel coordinates (:func:`~.render.pixel_axes`), inputs (x, y[, r][, z…]), output mapping
(``range``, the output activation's bounds, or the picture's own range) and colour modes (rgb,
gray, hsv, a matplotlib colormap), down to the 8-bit rounding. The net is read through the fused
CPU kernel's own packing (:func:`.kernel.plan`), so both read the same numbers.

Two ways to hold the weights (``storage``):

- ``"inline"``: written out in the code, one ``dot(vec4(…), a)`` per 4 weights, every loop
  unrolled: constants a GPU reads for free (on SwiftShader 4–8× the texture's frame rate); it
  needs nothing but the source, but changes with every weight (a seed change recompiles). ``"auto"``
  picks it for nets up to ``INLINE_TEXELS`` weight 4-vectors (the article's 8 × 16 net: 692;
  8 × 32: 2,404; Neuro-Pollock's 8 × 128: 34,180 → a texture); Shadertoy always has it, so a
  Shadertoy net has at most ``MAX_INLINE_TEXELS`` (8 × 64).
- ``"texture"``: an RGBA32F texture ``u_weights`` (``Shader.weights``), read in loops, for nets
  up to ``MAX_TEXTURE_SIDE`` texels a side; the source depends on the architecture only.

Layout (the texture; ``"inline"`` writes the same numbers): one row per output unit, texel 0 its
bias (in ``.x``), texels 1… its weights four inputs at a time; a layer's rows are padded to a
multiple of 4. The first layer also holds the latent z's columns (texels 2…), so ``u_z`` can move
(a latent walk) without new weights, unless z has over ``Z_UNIFORM_MAX`` entries (then z is
folded into the bias, as the CPU kernel does, and fixed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from torch import nn

from ..errors import SpecError, TooLargeError
from . import kernel
from .color import colormap_lut
from .glsl_source import (
    ELU,
    GELU,
    GELU_TANH,
    SOFTPLUS,
    activation_function,
    colour_function,
    features_function,
    layer_loop,
    layer_unrolled,
    lit,
    vec4,
)
from .render import (
    INPUTS,
    _resolve_color,
    _resolve_inputs,
    check_range,
    output_bounds,
    parse_size,
    picture_range,
)

STORAGES = ("auto", "inline", "texture")
#: texels a side of the weight texture: WebGL2 guarantees 2048, GPUs of the last decade ≥ 4096
MAX_TEXTURE_SIDE = 4096
#: weight 4-vectors (with the biases) up to which ``storage="auto"`` writes them into the code
INLINE_TEXELS = 4096
#: and up to which ``storage="inline"`` (and Shadertoy) may: 8 × 64 (8,900; 561 kB of code)
#: compiles in 8 s in SwiftShader and draws right; 8 × 96 (1.3 MB) compiled there in 40 s and
#: drew wrong pixels, 8 × 128 lost the WebGL context
MAX_INLINE_TEXELS = 9216
#: latent entries passed as uniforms (u_z and u_walk: 64 of the 224 vectors WebGL2 grants)
Z_UNIFORM_MAX = 128
WALK_PERIOD = 8.0  # seconds of u_time for one loop of the latent walk


@dataclass(frozen=True)
class Shader:
    """A fragment shader that paints a net, and what it needs.

    Attributes:
        source: GLSL ES 3.0 text (``#version 300 es``, ``main`` writing ``fragColor``), or with
            ``shadertoy`` Shadertoy's ``mainImage(out vec4, in vec2)`` (no ``#version``).
        weights: `(rows, cols, 4)` float32: the RGBA32F texture bound to ``u_weights`` (texel
            ``(col, row)`` = ``weights[row, col]``); with ``storage == "inline"`` the source
            holds these very numbers and needs no texture.
        uniforms: name → default value of every uniform but ``u_weights`` (empty for Shadertoy,
            whose values are constants in the source): ``u_resolution`` `(W, H)`, ``u_scale``,
            ``u_center`` `(x, y)`, ``u_raw_coords``, ``u_range`` `(lo, hi)`, ``u_time`` and, for an
            xyrz net, ``u_z`` and ``u_walk`` (`(4·⌈z/4⌉,)`, the vec4 arrays flat).
        storage: ``"inline"`` or ``"texture"``.
    """

    source: str
    weights: np.ndarray
    uniforms: dict = field(default_factory=dict)
    storage: str = "texture"

    @property
    def texture_size(self) -> tuple[int, int]:
        """``(width, height)`` of the weight texture in texels."""
        return int(self.weights.shape[1]), int(self.weights.shape[0])

    def annotated(self, notes: Sequence[str] = ()) -> str:
        """The source with comments that give each uniform's default and ``notes`` (for a file:
        after the ``#version`` line, which must stay the first)."""
        lines = [f"// {note}" for note in notes]
        for name, value in self.uniforms.items():
            text = (", ".join(f"{v:.9g}" for v in value) if isinstance(value, list)
                    else str(value).lower() if isinstance(value, bool) else f"{value:.9g}")
            lines.append(f"// {name} = {text}")
        if not lines:
            return self.source
        head, _, rest = self.source.partition("\n") if self.source.startswith("#version") else ("", "", self.source)
        return "".join(f"{part}\n" for part in (head, *lines) if part) + rest


def _shader_activation(module: nn.Module) -> tuple[int, float, float] | None:
    """The activations the shader runs beyond the CPU kernel's (``None`` for the others)."""
    if isinstance(module, nn.ELU):
        return ELU, float(module.alpha), 0.0
    if isinstance(module, nn.Softplus):
        return SOFTPLUS, float(module.beta), float(module.threshold)
    if isinstance(module, nn.GELU):
        return (GELU_TANH if module.approximate == "tanh" else GELU), 0.0, 0.0
    return None


def shader_plan(net: nn.Module, inputs: str, z: np.ndarray) -> kernel.KernelPlan | None:
    """:func:`.kernel.plan` of ``net``, with ELU, softplus and GELU too (which only the shader
    runs): they stand in as tanh for the packing, then get their own codes back."""
    if not isinstance(net, nn.Sequential):
        return None
    extra, modules, layer = {}, [], -1
    for module in net:
        layer += isinstance(module, nn.Linear)
        act = _shader_activation(module)
        if act is not None:
            extra[layer] = act
        modules.append(nn.Tanh() if act is not None else module)
    packed = kernel.plan(nn.Sequential(*modules), inputs, z)
    if packed is None or not extra:
        return packed
    acts, params = packed.acts.copy(), packed.params.copy()
    for i, (code, p0, p1) in extra.items():
        acts[i], params[i] = code, (p0, p1)
    return dataclasses.replace(packed, acts=acts, params=params)


def _first_linear(net: nn.Module) -> nn.Linear:
    return next(m for m in net if isinstance(m, nn.Linear))


def pack_texture(packed: kernel.KernelPlan, wz: np.ndarray | None) -> tuple[np.ndarray, list[int]]:
    """The weight texture `(rows, cols, 4)` of ``packed`` (see the module docstring) and the
    first row of each layer. ``wz`` `(units, z)`: the first layer's latent columns, or None."""
    dims = [int(d) for d in packed.dims]
    n_layers = len(dims) - 1
    zd4 = 0 if wz is None else -(-wz.shape[1] // 4)
    in4 = [-(-d // 4) for d in dims[:-1]]
    out4 = [-(-d // 4) for d in dims[1:]]
    cols = 1 + max(in4[0] + zd4, *in4)
    rows0 = [4 * sum(out4[:i]) for i in range(n_layers)]
    rows = 4 * sum(out4)
    tex = np.zeros((rows, cols, 4), np.float32)
    for i in range(n_layers):
        n_out, r = dims[i + 1], rows0[i]
        tex[r:r + n_out, 1:1 + in4[i]] = packed.W[i, :n_out, :4 * in4[i]].reshape(n_out, in4[i], 4)
        tex[r:r + n_out, 0, 0] = packed.b[i, :n_out]
    if wz is not None:
        z_cols = np.zeros((dims[1], 4 * zd4), np.float32)
        z_cols[:, :wz.shape[1]] = wz
        tex[:dims[1], 2:2 + zd4] = z_cols.reshape(dims[1], zd4, 4)
    return tex, rows0


def _const_vec4s(name: str, values) -> str:
    n = len(values) // 4
    items = ", ".join(vec4(values[4 * i:4 * i + 4]) for i in range(n))
    return f"const vec4 {name}[{n}] = vec4[{n}]({items});\n"


def to_glsl(net: nn.Module, *, inputs: str | None = None, z=None, seed: int = 0,
            color: str | None = None, cmap: str | None = None, range=None, size=512,
            scale: float = 1.0, center=(0.0, 0.0), raw_coords: bool = False,
            shadertoy: bool = False, storage: str = "auto") -> Shader:
    """``net`` as a GLSL ES 3.0 fragment shader that paints what :func:`~.render.paint` paints.

    Arguments:
        net: an ``nn.Sequential`` of ``Linear`` layers, each followed by at most one of tanh,
            sigmoid, relu, leaky_relu, prelu (one slope), hardtanh/relu6, abs, sin, gaussian,
            elu, softplus, gelu (identity and dropout are skipped): every NetSpec-built net.
        inputs, z, seed, color, cmap, range, raw_coords: as :func:`~.render.paint` (``z``
            `(z_dim,)`; ``None`` draws it from ``seed`` as paint does).
        size: ``N``, ``"WxH"`` or ``(W, H)``: the default of ``u_resolution``, and the picture
            whose own output range an unbounded net is mapped by when ``range`` is ``None``
            (:func:`~.render.picture_range`, the range the lab's canvas uses; ``paint``'s
            pre-pass samples that view a little differently: give both the same ``range`` for
            identical colours).
        scale, center: the defaults of ``u_scale`` and ``u_center`` (Shadertoy: constants).
        shadertoy: Shadertoy's ``mainImage`` with ``iResolution`` and ``iTime`` (the latent
            walk), every other value a constant and the weights inline.
        storage: ``"auto"`` (inline up to ``INLINE_TEXELS`` texels, else a texture),
            ``"inline"`` or ``"texture"``.

    Returns:
        a :class:`Shader`.
    """
    if storage not in STORAGES:
        raise SpecError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    if inputs is not None and inputs not in INPUTS:
        raise SpecError(f"inputs must be one of {', '.join(INPUTS)}, got {inputs!r}")
    width, height = parse_size(size)
    _, inputs, z_vec = _resolve_inputs(net, inputs, z, seed)
    z_uniform = inputs == "xyrz" and z_vec.size <= Z_UNIFORM_MAX
    packed = shader_plan(net, inputs, np.zeros_like(z_vec) if z_uniform else z_vec)
    if packed is None:
        raise SpecError("to_glsl takes an nn.Sequential of Linear layers, each followed by at "
                        "most one pointwise activation (tanh, sigmoid, relu, leaky_relu, prelu, "
                        "hardtanh, abs, sin, gaussian, elu, softplus, gelu)")
    color = _resolve_color(color, cmap, packed.outputs, "uint8")
    lut = None if cmap is None else colormap_lut(cmap).numpy()
    bounds = (check_range(range) if range is not None else output_bounds(net)
              or picture_range(net, (width, height), scale=scale, center=center,
                               raw_coords=raw_coords, inputs=inputs, z=z_vec))
    wz = None
    if z_uniform:
        wz = _first_linear(net).weight.detach().float().cpu().numpy()[:, packed.dims[0]:]
    tex, rows0 = pack_texture(packed, wz)
    if not np.isfinite(tex).all():
        raise SpecError("the net has a weight or bias that is not a finite float32 number")
    zd4 = 0 if wz is None else -(-z_vec.size // 4)
    storage = _storage(storage, packed, zd4, tex, shadertoy)

    z_flat = np.zeros(4 * zd4)
    walk = np.zeros(4 * zd4)
    if zd4:
        z_flat[:z_vec.size] = z_vec
        walk[:z_vec.size] = np.random.default_rng([seed, 2]).uniform(-1.0, 1.0, z_vec.size)
    values = {"u_resolution": [float(width), float(height)], "u_scale": float(scale),
              "u_center": [float(c) for c in center], "u_raw_coords": bool(raw_coords),
              "u_range": [float(bounds[0]), float(bounds[1])], "u_time": 0.0}
    if zd4:
        values.update(u_z=z_flat.tolist(), u_walk=walk.tolist())
    source = _source(packed, tex, rows0, zd4, color, lut, values, shadertoy, storage)
    return Shader(source=source, weights=tex, uniforms={} if shadertoy else values, storage=storage)


def _storage(storage: str, packed: kernel.KernelPlan, zd4: int, tex: np.ndarray,
             shadertoy: bool) -> str:
    """``"inline"`` or ``"texture"`` for ``storage`` (see the module docstring)."""
    dims = [-(-int(d) // 4) for d in packed.dims]
    texels = sum(4 * n_out * (1 + n_in) for n_in, n_out in zip(dims[:-1], dims[1:], strict=True))
    texels += 4 * dims[1] * zd4  # the latent's columns
    if shadertoy and storage == "texture":
        raise SpecError("a Shadertoy shader carries its weights in the code: storage 'inline'")
    if storage == "auto":
        storage = "inline" if shadertoy or texels <= INLINE_TEXELS else "texture"
    if storage == "inline" and texels > MAX_INLINE_TEXELS:
        raise TooLargeError(f"the net has {texels:,} weight 4-vectors; the code holds at most "
                            f"{MAX_INLINE_TEXELS:,}: use a weight texture (storage 'texture', "
                            "not Shadertoy)")
    if storage == "texture" and max(tex.shape[:2]) > MAX_TEXTURE_SIDE:
        raise TooLargeError(f"the net's weight texture would be {tex.shape[1]}×{tex.shape[0]} "
                            f"texels; a shader takes at most {MAX_TEXTURE_SIDE} a side (a row "
                            "per unit, 4 inputs a texel)")
    return storage


def _declarations(values: dict, zd4: int, shadertoy: bool) -> str:
    if not shadertoy:
        text = ("uniform vec2 u_resolution;\nuniform float u_scale;\nuniform vec2 u_center;\n"
                "uniform bool u_raw_coords;\nuniform vec2 u_range;\nuniform float u_time;\n")
        if zd4:
            text += f"uniform vec4 u_z[{zd4}];\nuniform vec4 u_walk[{zd4}];\n"
        return text
    cx, cy = values["u_center"]
    lo, hi = values["u_range"]
    text = ("#define u_resolution iResolution.xy\n#define u_time iTime\n"
            f"const float u_scale = {lit(values['u_scale'])};\n"
            f"const vec2 u_center = vec2({lit(cx)}, {lit(cy)});\n"
            f"const bool u_raw_coords = {'true' if values['u_raw_coords'] else 'false'};\n"
            f"const vec2 u_range = vec2({lit(lo)}, {lit(hi)});\n")
    if zd4:
        text += _const_vec4s("u_z", values["u_z"]) + _const_vec4s("u_walk", values["u_walk"])
    return text


def _source(packed, tex, rows0, zd4, color, lut, values, shadertoy, storage) -> str:
    dims = [int(d) for d in packed.dims]
    n_layers = len(dims) - 1
    in4 = [-(-d // 4) + (zd4 if i == 0 else 0) for i, d in enumerate(dims[:-1])]
    out4 = [-(-d // 4) for d in dims[1:]]
    head = "" if shadertoy else "#version 300 es\nprecision highp float;\nprecision highp int;\n"
    latent = f" + {zd4 * 4} latent" if zd4 else ""
    parts = [head, f"// a CPPN painted as neuromosaic.paint paints it (neuromosaic.to_glsl): "
                   f"{dims[0]} coordinate inputs{latent}, layers {' -> '.join(map(str, dims))}\n",
             _declarations(values, zd4, shadertoy),
             f"#define HW {max(in4 + out4)}\n#define WALK_PERIOD {lit(WALK_PERIOD)}\n"]
    if storage == "texture":
        parts.append("uniform highp sampler2D u_weights;\n"
                     "vec4 wt(int row, int col) { return texelFetch(u_weights, ivec2(col, row), 0); }\n")
    names, defined = [], {}
    for i in range(n_layers):
        key = (int(packed.acts[i]), float(packed.params[i, 0]), float(packed.params[i, 1]))
        if key not in defined:  # one function per activation and parameters
            same = sum(k[0] == key[0] for k in defined)
            defined[key], text = activation_function(*key, f"_{same}" if same else "")
            parts.append(text)
        names.append(defined[key])
    parts.append(colour_function(color, lut))
    parts.append(features_function(bool(packed.use_r), zd4))
    body = ["vec4 paint(vec2 frag) {\n    vec4 h[HW];\n    features(frag, h);\n"]
    if storage == "texture":
        body.insert(1, "    vec4 g[HW];\n")
        bufs = ("h", "g")
        for i in range(n_layers):
            body.append(layer_loop(i, src=bufs[i % 2], dst=bufs[(i + 1) % 2], row0=rows0[i],
                                   in4=in4[i], out4=out4[i], act=names[i],
                                   n_in=dims[i] + 4 * zd4 * (i == 0), n_out=dims[i + 1]))
        out = f"{bufs[n_layers % 2]}[0]"
    else:
        src = [f"h[{k}]" for k in range(in4[0])]
        for i in range(n_layers):
            text, src = layer_unrolled(i, tex, src=src, row0=rows0[i], in4=in4[i],
                                       out4=out4[i], act=names[i],
                                       n_in=dims[i] + 4 * zd4 * (i == 0), n_out=dims[i + 1])
            body.append(text)
        out = src[0]
    body.append(f"    return colour({out});\n}}\n")
    parts.append("".join(body))
    if shadertoy:
        parts.append("void mainImage(out vec4 fragColor, in vec2 fragCoord) {\n"
                     "    fragColor = paint(fragCoord);\n}\n")
    else:
        parts.append("out vec4 fragColor;\nvoid main() {\n    fragColor = paint(gl_FragCoord.xy);\n}\n")
    return "".join(parts)
