"""The GLSL text of :mod:`.glsl`: activations, colours and the layer loop, as small templates.

Every function here returns source text; :func:`neuromosaic.painting.glsl.to_glsl` puts them
together. The activations work on ``vec4`` (four units at once) and follow the painter's
definitions (:mod:`neuromosaic.painting.vmath`, ``torch``), written so that float32 stays finite
where a textbook formula would overflow (tanh from ``exp(−2|x|)``, never ``exp(2x)``).
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from . import kernel

# codes past the kernel's: activations only the shader runs (the CPU paints them with torch)
ELU, SOFTPLUS, GELU, GELU_TANH = 100, 101, 102, 103

#: name and GLSL body of each activation code; ``x`` is the vec4 argument, ``P0``/``P1`` its
#: parameters (a slope, hardtanh's bounds, ELU's alpha, softplus' beta and threshold)
ACTIVATIONS: dict[int, tuple[str, str]] = {
    kernel.IDENTITY: ("identity", "return x;"),
    kernel.TANH: ("tanh", "vec4 t = exp(-2.0 * abs(x));\n    return sign(x) * (1.0 - t) / (1.0 + t);"),
    kernel.SIGMOID: ("sigmoid", "return 1.0 / (1.0 + exp(-x));"),
    kernel.RELU: ("relu", "return max(x, vec4(0.0));"),
    kernel.LEAKY: ("leaky", "return mix(P0 * x, x, greaterThan(x, vec4(0.0)));"),
    kernel.HARDTANH: ("hardtanh", "return clamp(x, P0, P1);"),
    kernel.ABS: ("abs", "return abs(x);"),
    # sin: reduce to [−π, π] first (2π in two parts, Cody–Waite): a GPU's sin is only
    # accurate near 0
    kernel.SIN: ("sin", "vec4 n = floor(x * 0.15915494309189535 + 0.5);\n"
                        "    return sin((x - n * 6.28125) - n * 0.0019353071795864769);"),
    kernel.GAUSS: ("gauss", "return exp(-x * x);"),
    ELU: ("elu", "return mix(P0 * (exp(x) - 1.0), x, greaterThan(x, vec4(0.0)));"),
    # torch's Softplus: x past the threshold, else log(1 + exp(βx)) / β
    SOFTPLUS: ("softplus", "return mix(log(1.0 + exp(P0 * x)) / P0, x, greaterThan(P0 * x, vec4(P1)));"),
    # erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)
    GELU: ("gelu", "vec4 a = abs(x) * 0.7071067811865476;\n"
                   "    vec4 t = 1.0 / (1.0 + 0.3275911 * a);\n"
                   "    vec4 e = 1.0 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741\n"
                   "             + t * (-1.453152027 + t * 1.061405429)))) * exp(-a * a);\n"
                   "    return 0.5 * x * (1.0 + sign(x) * e);"),
    GELU_TANH: ("gelu_tanh", "vec4 u = 0.7978845608028654 * (x + 0.044715 * x * x * x);\n"
                             "    vec4 t = exp(-2.0 * abs(u));\n"
                             "    return 0.5 * x * (1.0 + sign(u) * (1.0 - t) / (1.0 + t));"),
}


def lit(value: float) -> str:
    """``value`` rounded to float32 as a GLSL float literal (shortest text that reads back)."""
    v = np.float32(value)
    if not np.isfinite(v):
        raise SpecError(f"a GLSL shader holds finite float32 numbers only, got {float(value)!r}")
    text = str(v)
    return text if "." in text or "e" in text else text + ".0"


def activation_function(code: int, p0: float, p1: float, suffix: str = "") -> tuple[str, str]:
    """``(name, definition)`` of activation ``code`` with its parameters as a GLSL function
    (``suffix`` tells apart one activation with other parameters)."""
    name, body = ACTIVATIONS[code]
    body = body.replace("P0", lit(p0)).replace("P1", lit(p1))
    fname = f"act_{name}{suffix}"
    return fname, f"vec4 {fname}(vec4 x) {{\n    {body}\n}}\n"


def layer_loop(index: int, *, src: str, dst: str, row0: int, in4: int, out4: int, act: str,
               n_in: int, n_out: int) -> str:
    """One layer read from the weight texture (``wt(row, col)``): 4 outputs per pass, each a
    sum of ``in4`` dot products with the input's 4-vectors, then the bias (the CPU kernel's
    order: the sum first, the bias last)."""
    return f"""    // layer {index}: {n_in} -> {n_out}
    for (int j = 0; j < {out4}; ++j) {{
        int row = {row0} + 4 * j;
        vec4 s = vec4(0.0);
        for (int k = 1; k <= {in4}; ++k) {{
            vec4 a = {src}[k - 1];
            s += vec4(dot(wt(row, k), a), dot(wt(row + 1, k), a), dot(wt(row + 2, k), a), dot(wt(row + 3, k), a));
        }}
        s += vec4(wt(row, 0).x, wt(row + 1, 0).x, wt(row + 2, 0).x, wt(row + 3, 0).x);
        {dst}[j] = {act}(s);
    }}
"""


def vec4(values) -> str:
    return f"vec4({', '.join(lit(v) for v in values)})"


def layer_unrolled(index: int, tex: np.ndarray, *, src: list[str], row0: int, in4: int,
                   out4: int, act: str, n_in: int, n_out: int) -> tuple[str, list[str]]:
    """One layer with its weights written out (``tex``'s rows, as :func:`layer_loop` reads
    them): the fastest code on every GPU, and on SwiftShader 4–8× faster than the texture.
    Returns the text and the names of the layer's 4-vectors of outputs."""
    lines, names = [f"    // layer {index}: {n_in} -> {n_out}\n"], []
    for j in range(out4):
        sums = []
        for r in range(row0 + 4 * j, row0 + 4 * j + 4):
            terms = [f"dot({vec4(tex[r, k + 1])}, {src[k]})" for k in range(in4) if tex[r, k + 1].any()]
            sums.append(" + ".join(terms) or "0.0")  # a padding row, or a unit without weights
        bias = vec4(tex[row0 + 4 * j:row0 + 4 * j + 4, 0, 0])
        names.append(f"a{index + 1}_{j}")
        lines.append(f"    vec4 {names[-1]} = {act}(vec4({', '.join(sums)}) + {bias});\n")
    return "".join(lines), names


HSV = """vec3 hsv_to_rgb(vec3 c) {  // color.py's hsv_to_rgb: the piecewise-linear hue ramps
    float h6 = mod(c.x, 1.0) * 6.0;
    vec3 k = mod(vec3(5.0, 3.0, 1.0) + h6, 6.0);
    return c.z - c.z * c.y * clamp(min(k, 4.0 - k), 0.0, 1.0);
}
"""


def colour_function(color: str, lut: np.ndarray | None) -> str:
    """``vec4 colour(vec4 v)``: the outputs ``v`` mapped to [0, 1] by ``u_range`` and clipped
    (``to_unit``), coloured (rgb, gray, hsv, or the colormap ``lut`` `(N, 3)`), rounded to the
    8-bit level the painter gives (``to_uint8``) so the framebuffer stores the same byte."""
    pre, step = "", ""
    if lut is not None:
        n = len(lut)
        rows = ",\n    ".join(f"vec3({lit(r)}, {lit(g)}, {lit(b)})" for r, g, b in lut)
        pre = f"const vec3 CMAP[{n}] = vec3[{n}](\n    {rows});\n"
        step = f"    u = CMAP[int(clamp(floor(u.x * {lit(n)}), 0.0, {lit(n - 1)}))];\n"
    elif color == "hsv":
        pre, step = HSV, "    u = hsv_to_rgb(u);\n"
    elif color == "gray":
        step = "    u = vec3(u.x);\n"
    return pre + f"""vec4 colour(vec4 v) {{
    vec3 u = u_range.y > u_range.x
        ? clamp((v.xyz - u_range.x) / (u_range.y - u_range.x), 0.0, 1.0) : vec3(0.5);
{step}    return vec4(roundEven(u * 255.0) / 255.0, 1.0);
}}
"""


def features_function(use_r: bool, zd4: int) -> str:
    """``h[0] = (x, y, r, 0)`` of the pixel as ``pixel_axes`` makes them (row 0 at the top, pixel
    centres; the shorter side spans ``u_scale``) and ``h[1..]`` = the latent z, which walks a
    loop through ``u_z`` over ``WALK_PERIOD`` seconds of ``u_time`` (still at time 0)."""
    r = "sqrt(p.x * p.x + p.y * p.y)" if use_r else "0.0"
    walk = ""
    if zd4:
        walk = f"""    float phase = u_time * {lit(2 * np.pi)} / WALK_PERIOD;
    vec2 cs = u_time == 0.0 ? vec2(1.0, 0.0) : vec2(cos(phase), sin(phase));
    for (int m = 0; m < {zd4}; ++m) h[1 + m] = u_z[m] * cs.x + u_walk[m] * cs.y;
"""
    return f"""void features(vec2 frag, inout vec4 h[HW]) {{
    vec2 ij = vec2(frag.x, u_resolution.y - frag.y);  // (column, row) + 0.5
    vec2 p = u_raw_coords ? (ij - 0.5) * u_scale + u_center
        : (ij - 0.5 * u_resolution) / min(u_resolution.x, u_resolution.y) * u_scale + u_center;
    h[0] = vec4(p, {r}, 0.0);
{walk}}}
"""
