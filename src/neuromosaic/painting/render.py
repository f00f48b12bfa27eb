"""Render a network as an image: every pixel's coordinates in, its colour out.

The picture is computed in row chunks of a fixed size, each chunk by one single-threaded worker
(a thread pool of ``workers``; torch's intra-op threads set to 1 while it runs). Chunks keep
memory bounded at any size; single-threaded workers degrade gracefully on a busy machine, where
nested OpenMP pools spin and collapse. On the CPU a chunk of a plain Linear-and-activation chain
(every NetSpec-built CPPN) goes through the fused kernel of :mod:`.kernel` (the whole MLP per
tile of pixels, compiled for the machine: AVX2, AVX-512 or NEON alike); any other module, and
a GPU, take the torch path (:func:`compile_steps`). The chunking does not depend on the worker
count, and how outputs map to colours is fixed once for the whole picture before the chunks
(see :func:`paint`), so the same call gives the same bytes whatever ``workers`` is.
"""

from __future__ import annotations

import contextlib
import math
import operator
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

from ..errors import SpecError, TooLargeError
from .color import COLORS, colormap_lut, to_uint8, to_unit

INPUTS = ("xy", "xyr", "xyrz")
OUTPUTS = ("uint8", "float", "raw")
PREPASS_SIDE = 64  # the coarse grid that finds the output range of an unbounded net
CHUNK_PIXELS = 16384  # ~16k pixels × 16 floats = 1 MiB per activation buffer: stays in L2/L3
GPU_CHUNK_PIXELS = 1 << 20  # on a GPU: 1M pixels × 16 floats = 64 MiB an activation
MAX_SIDE = 65536


def parse_size(size: int | str | Sequence[int]) -> tuple[int, int]:
    """``512`` → (512, 512); ``"1920x1080"`` → (1920, 1080); ``(W, H)`` → (W, H)."""
    if isinstance(size, str):
        text = size.strip().lower()
        parts = text.split("x") if "x" in text else [text, text]
        try:
            w, h = (int(p) for p in parts)
        except ValueError:
            raise SpecError(f"size must be N or WxH with positive integers, got {size!r}") from None
    elif isinstance(size, (int, np.integer)):
        w = h = int(size)
    else:
        try:
            w, h = (int(v) for v in size)
        except (TypeError, ValueError):
            raise SpecError(f"size must be N, 'WxH' or (W, H), got {size!r}") from None
    if w < 1 or h < 1:
        raise SpecError(f"size must be positive, got {w}x{h}")
    if w > MAX_SIDE or h > MAX_SIDE:
        raise TooLargeError(f"size {w}x{h} is over the {MAX_SIDE} pixel side limit")
    return w, h


def check_fits_in_memory(width: int, height: int, channels: int) -> None:
    """Refuse an image whose pixels alone would take over a quarter of the available memory
    (:func:`neuromosaic.memory.check_fits`: free memory, or what is left of ``ulimit -v``)."""
    from ..memory import check_fits

    check_fits(f"size {width}x{height} ({channels} channel(s))", width * height * channels)


def pixel_axes(width: int, height: int, *, scale: float = 1.0, center=(0.0, 0.0),
               raw_coords: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The x coordinate of every column `(W,)` and y of every row `(H,)`.

    Normalised (default): the shorter side spans [−0.5, 0.5] × ``scale`` around ``center`` at
    pixel centres, so a non-square image is centred and not stretched, and a bigger image is the
    same picture with more pixels. ``raw_coords``: pixel indices 0..W−1 (the article's first try),
    times ``scale``, plus ``center``.
    """
    cx, cy = center
    if raw_coords:
        return np.arange(width) * scale + cx, np.arange(height) * scale + cy
    side = min(width, height)
    xs = ((np.arange(width) + 0.5) - width / 2) / side * scale + cx
    ys = ((np.arange(height) + 0.5) - height / 2) / side * scale + cy
    return xs, ys


def check_window(window: Sequence[int] | None, width: int, height: int) -> tuple[int, int, int, int]:
    """``(x0, y0, w, h)``: a non-empty pixel rectangle inside a ``width`` × ``height`` picture
    (the whole picture for ``None``); ``SpecError`` otherwise."""
    if window is None:
        return 0, 0, width, height
    try:
        x0, y0, w, h = (operator.index(v) for v in window)
    except (TypeError, ValueError):
        raise SpecError(f"window must be four integers (x0, y0, w, h), got {window!r}") from None
    if not (0 <= x0 and 0 <= y0 and w >= 1 and h >= 1 and x0 + w <= width and y0 + h <= height):
        raise SpecError(f"window (x0, y0, w, h) = {tuple(window)} must be a non-empty rectangle "
                        f"inside the {width}x{height} picture")
    return x0, y0, w, h


def input_count(inputs: str, z_dim: int) -> int:
    return {"xy": 2, "xyr": 3}.get(inputs, 3 + z_dim)


def infer_inputs(net: nn.Module) -> int:
    """The input dimension of ``net``: the ``in_features`` of its first ``Linear`` (in a traced or
    scripted module too); ``SpecError`` if it has none (then give ``paint`` its ``inputs=``)."""
    for module in net.modules():
        if isinstance(module, nn.Linear):
            return module.in_features
        if _script_name(module) == "Linear" and getattr(module, "weight", None) is not None:
            return int(module.weight.shape[1])
    raise SpecError("cannot tell the network's input count: it has no nn.Linear layer; give "
                    "inputs='xy' (2), 'xyr' (3) or 'xyrz' with z=… (3 + len(z))")


def _script_name(module: nn.Module) -> str | None:
    """The class name a traced or scripted submodule was made from (``None`` for plain ones)."""
    if isinstance(module, torch.jit.ScriptModule):
        return getattr(module, "original_name", None)
    return None


# -- the forward pass as a list of in-place steps ------------------------------------------
def _tanh_(t: torch.Tensor) -> torch.Tensor:
    """tanh in place. On the CPU NumPy's vectorised float32 tanh is 10–20× faster than torch's
    (0.2 against 2–4 ns an element here) and as exact: at most 1 ulp (6e-8) from the true value.
    NumPy releases the GIL, so the worker threads run it in parallel."""
    if t.device.type == "cpu" and t.dtype == torch.float32 and t.is_contiguous():
        arr = t.numpy()
        np.tanh(arr, out=arr)
        return t
    return torch.tanh_(t)


_INPLACE = {nn.Tanh: _tanh_, nn.Sigmoid: torch.sigmoid_, nn.ReLU: torch.relu_}


def compile_steps(net: nn.Module, *, fast: bool, device, dtype=torch.float32) -> list | None:
    """``net`` as steps ``("linear", Wt, b)`` / ``("act", fn)``, or ``None`` if it is not a plain
    chain of Linear and pointwise modules (then ``net`` itself is called).

    ``fast``: every ``Tanh`` becomes ``2·sigmoid(2a) − 1`` with the inner ×2 folded (exactly) into
    the Linear before it, so it costs one vectorised sigmoid and two cheap in-place ops; the error
    is below 1e-6 per unit (float32 rounding). It is used only where it is faster than the exact
    tanh (on a GPU; see :func:`_folding_pays`).
    """
    if not isinstance(net, nn.Sequential):
        return None
    steps: list = []
    for module in net:
        if isinstance(module, nn.Linear):
            W = module.weight.detach().to(device=device, dtype=torch.float64)
            b = (module.bias.detach().to(device=device, dtype=torch.float64) if module.bias is not None
                 else torch.zeros(W.shape[0], dtype=torch.float64, device=device))
            steps.append(["linear", W, b])
        elif (fast and isinstance(module, nn.Tanh) and steps and steps[-1][0] == "linear"
              and _folding_pays(torch.device(device))):
            # tanh(a) = 2·sigmoid(2a) − 1: the ×2 on the Linear is exact in floating point
            steps[-1][1] = steps[-1][1] * 2.0
            steps[-1][2] = steps[-1][2] * 2.0
            steps.append(("act", _folded_tanh))
        elif type(module) in _INPLACE:
            steps.append(("act", _INPLACE[type(module)]))
        elif isinstance(module, (nn.Identity, nn.Dropout)):
            continue
        elif len(list(module.parameters())) == 0 or isinstance(module, nn.PReLU):
            steps.append(("act", module.to(device=device, dtype=dtype)))
        else:
            return None
    out = []
    for step in steps:
        if step[0] == "linear":
            out.append(("linear", step[1].t().contiguous().to(dtype), step[2].to(dtype)))
        else:
            out.append(step)
    return out


def _folding_pays(device: torch.device) -> bool:
    """Whether ``fast`` should fold tanh into a sigmoid on ``device``.

    On the CPU the exact path already uses NumPy's vectorised float32 tanh, which costs what the
    folded sigmoid costs (measured: 0.23 ns an element for each, against 2–4 ns for torch's tanh),
    so folding would only add error; on a GPU torch's sigmoid is the cheaper kernel."""
    return device.type != "cpu"


def _folded_tanh(t: torch.Tensor) -> torch.Tensor:
    return torch.sigmoid_(t).mul_(2.0).sub_(1.0)


def run_steps(steps: list, x: torch.Tensor) -> torch.Tensor:
    for step in steps:
        if step[0] == "linear":
            x = torch.addmm(step[2], x, step[1])
        else:
            y = step[1](x)
            x = x if y is None else y
    return x


def output_bounds(net: nn.Module) -> tuple[float, float] | None:
    """The range of ``net``'s output activation (its last module), or ``None`` if it is unbounded
    or unknown: Sigmoid (0, 1); Tanh, Softsign and Sin (−1, 1); Hardtanh its own (min, max)
    (ReLU6: (0, 6))."""
    from ..layers import Sin

    last = list(net.modules())[-1]
    name = _script_name(last) or type(last).__name__
    if isinstance(last, nn.Sigmoid) or name == "Sigmoid":
        return 0.0, 1.0
    if isinstance(last, (nn.Tanh, nn.Softsign, Sin)) or name in ("Tanh", "Softsign", "Sin"):
        return -1.0, 1.0
    if isinstance(last, nn.Hardtanh) or name in ("Hardtanh", "ReLU6"):
        lo, hi = float(getattr(last, "min_val", -1.0)), float(getattr(last, "max_val", 1.0))
        if name == "ReLU6" and not isinstance(last, nn.Hardtanh):
            lo, hi = 0.0, 6.0
        return (lo, hi) if hi > lo else None
    return None


def check_range(value) -> tuple[float, float]:
    """``(lo, hi)``: two finite numbers with ``lo < hi`` (``SpecError`` otherwise)."""
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise SpecError(f"range must be two numbers (lo, hi), got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise SpecError(f"range must be two finite numbers with lo < hi, got {value!r}")
    return lo, hi


def _grid_indices(n: int) -> torch.Tensor:
    """At most ``PREPASS_SIDE`` evenly spaced indices of ``0..n−1``, the first and last included
    (all of them when ``n <= PREPASS_SIDE``)."""
    return torch.as_tensor(np.linspace(0, n - 1, min(n, PREPASS_SIDE)).round().astype(np.int64))


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``auto`` → cuda if available else cpu; ``cuda`` without a GPU → ``SpecError``."""
    name = "auto" if device is None else str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise SpecError(f"device {name!r} asked for, but no CUDA GPU is available; use cpu or auto")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise SpecError(f"device must be auto, cpu or cuda, got {name!r}")


def paint(net: nn.Module, size: int | str | Sequence[int] = 512, *, scale: float = 1.0,
          center: Sequence[float] = (0.0, 0.0), raw_coords: bool = False, inputs: str | None = None,
          z: Sequence[float] | None = None, seed: int = 0, color: str | None = None,
          cmap: str | None = None, range: Sequence[float] | None = None,
          fast: bool = False, device: str | torch.device | None = "auto",
          workers: int | None = None, chunk_pixels: int = CHUNK_PIXELS, output: str = "uint8",
          progress: Callable[[int, int], None] | None = None,
          window: Sequence[int] | None = None) -> np.ndarray:
    """Paint ``net`` as an image: each pixel's coordinates in, its colour out.

    Any net paints: 3 outputs as colour, 1 as gray (or through a colormap), whatever its output
    activation. Its outputs ``v`` map to [0, 1] by ``(v − lo) / (hi − lo)``, then are clipped:

    - ``range=(lo, hi)`` when given;
    - else the output activation's own range, read from the net's last module: Sigmoid as is
      (0, 1); Tanh, Softsign and Sin (−1, 1), i.e. ``(v + 1) / 2``; Hardtanh its (min, max);
    - else (identity, ReLU, any other last module): the minimum and maximum of all channels
      over a coarse pre-pass, the net evaluated at the image's own pixels on a grid of at most
      64 × 64 evenly spaced rows and columns (the first and last included: every pixel of an
      image up to 64²). A constant output maps to 0.5. The range is found once, before the
      picture is cut into chunks, so workers and chunk sizes give the same bytes.

    Arguments:
        net: a module mapping `(N, d)` coordinates to `(N, C)` outputs; ``d`` = 2 (x, y),
            3 (x, y, r) or 3 + len(z) (x, y, r, z…).
        size: ``N``, ``"WxH"`` or ``(W, H)``.
        scale: zoom: the shorter side spans ``scale`` units (the article's ×0.01 is ``0.01``).
        center: `(x, y)` of the image centre (pan).
        raw_coords: feed pixel indices 0..size−1 instead of normalised coordinates.
        inputs: ``"xy"``, ``"xyr"`` or ``"xyrz"``; ``None`` picks by the net's input count (the
            first ``nn.Linear``'s; a module without one needs ``inputs``, and ``z`` for xyrz).
        z: `(z_dim,)` latent vector, the same for every pixel; ``None`` draws it from ``seed``
            (uniform in [−1, 1]).
        color: ``rgb`` or ``hsv`` (3 outputs), ``gray`` (1 output); ``None``: rgb for a
            3-output net, gray for a 1-output one.
        cmap: a matplotlib colormap name (``viridis``, ``magma``…): a 1-output net's mapped
            values through it to RGB.
        range: ``(lo, hi)``: the outputs that map to 0 and 1 (others are clipped).
        fast: a cheaper tanh, ≤ 4.1e-7 off a unit (on the CPU a rational approximation in the
            fused kernel; on a GPU 2·sigmoid(2a) − 1 folded into the layer before): 8-bit values
            move by at most 1 on the article's nets (2 on depth-16), see docs/painting.md.
        device: ``auto``, ``cpu`` or ``cuda``.
        workers: CPU worker threads (default: the number of cores).
        output: ``"uint8"`` (pixels); ``"float"`` (the outputs mapped to [0, 1] as float32,
            before colour conversion, colormap and 8-bit rounding: for measuring); ``"raw"``
            (the net's outputs as float32, unmapped, any number of channels).
        progress: called as ``progress(done_pixels, total_pixels)``.
        window: `(x0, y0, w, h)`: paint only this rectangle of the ``size`` picture's pixels
            (a poster's tile): the same values as that crop of the whole picture (on the CPU
            kernel, the same bytes), in memory for ``w × h`` pixels; the range of an unbounded
            output is still found over the whole picture. ``None``: every pixel.

    Returns:
        `(H, W, C)` uint8 array (`(h, w, C)` with ``window``) (``C`` = 3, or 1 for gray), or float32 with ``output="float"``
        (``C`` = the net's outputs) or ``output="raw"``.
    """
    width, height = parse_size(size)
    if color is not None and color not in COLORS:
        raise SpecError(f"color must be one of {', '.join(COLORS)}, got {color!r}")
    if output not in OUTPUTS:
        raise SpecError(f"output must be one of {', '.join(map(repr, OUTPUTS))}, got {output!r}")
    lut = colormap_lut(cmap) if cmap is not None else None
    if cmap is not None and color in ("rgb", "hsv"):
        raise SpecError(f"cmap colours a 1-output net, color {color!r} paints 3 outputs: "
                        "give one of them")
    fixed = check_range(range) if range is not None else None
    if not (math.isfinite(scale) and scale > 0):
        raise SpecError(f"scale must be a positive finite number, got {scale!r}")
    center = tuple(float(c) for c in center)
    if len(center) != 2 or not all(math.isfinite(c) for c in center):
        raise SpecError(f"center must be two finite numbers X,Y, got {center!r}")
    if inputs is not None and inputs not in INPUTS:
        raise SpecError(f"inputs must be one of {', '.join(INPUTS)}, got {inputs!r}")
    d, inputs, z_vec = _resolve_inputs(net, inputs, z, seed)
    dev = resolve_device(device)

    xs, ys = pixel_axes(width, height, scale=scale, center=center, raw_coords=raw_coords)
    x0, y0, out_w, out_h = check_window(window, width, height)
    xs_t = torch.as_tensor(xs, dtype=torch.float32, device=dev)
    ys_t = torch.as_tensor(ys, dtype=torch.float32, device=dev)
    z_t = torch.as_tensor(z_vec, dtype=torch.float32, device=dev)
    steps = compile_steps(net, fast=fast, device=dev)
    fused = _fused_plan(net, inputs, z_vec) if dev.type == "cpu" else None
    xs32, ys32 = xs.astype(np.float32), ys.astype(np.float32)
    if lut is not None:
        lut = lut.to(dev)

    def evaluate(xx: torch.Tensor, yy: torch.Tensor) -> torch.Tensor:
        """The net's `(n, C)` float32 outputs at the points (xx, yy)."""
        cols = [xx, yy]
        if inputs != "xy":
            cols.append(torch.sqrt(xx * xx + yy * yy))
        feats = torch.stack(cols, dim=1)
        if z_t.numel():
            feats = torch.cat([feats, z_t.expand(feats.shape[0], -1)], dim=1)
        out = run_steps(steps, feats) if steps is not None else net(feats.to(dtype=_net_dtype(net)))
        if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != feats.shape[0]:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise SpecError(f"the net must map ({feats.shape[0]}, {d}) coordinates to "
                            f"({feats.shape[0]}, C) outputs, it gives {shape}")
        return out.float()

    def grid(ix: torch.Tensor | None, r0: int, r1: int) -> torch.Tensor:
        """The outputs at rows ``r0..r1`` of the pixel grid (at its columns ``ix`` when given),
        row-major: by the fused kernel when the net is a chain it runs, else by ``evaluate``."""
        if fused is None:
            cols = xs_t if ix is None else xs_t[ix]
            rows = ys_t[r0:r1]
            return evaluate(cols.repeat(len(rows)), rows.repeat_interleave(len(cols)))
        from .kernel import paint_rows

        cols = xs32 if ix is None else xs32[ix.numpy()]
        out = np.empty(((r1 - r0) * len(cols), fused.outputs), np.float32)
        paint_rows(cols, ys32, r0, r1, fused.use_r, fused.W, fused.b, fused.dims, fused.acts,
                   fused.params, fast, out)
        return torch.from_numpy(out)

    n_workers = 1 if dev.type != "cpu" else max(1, workers or os.cpu_count() or 1)
    was_training = net.training
    net.eval()
    try:
        from ..threads import one_torch_thread

        with one_torch_thread() if dev.type == "cpu" else contextlib.nullcontext():
            # the pre-pass: the output count, and the range of an unbounded output (one pixel
            # does for the count when the range is known)
            known = fixed or output_bounds(net)
            with torch.inference_mode():
                ix = _grid_indices(width if known is None else 1).to(dev)
                iy = _grid_indices(height if known is None else 1).to(dev)
                if fused is None:
                    probe = evaluate(xs_t[ix].repeat(len(iy)), ys_t[iy].repeat_interleave(len(ix)))
                else:
                    probe = torch.cat([grid(ix, r, r + 1) for r in iy.tolist()])
            n_out = probe.shape[1]
            color = _resolve_color(color, cmap, n_out, output)
            lo, hi = known or _finite_range(probe)
            del probe
            as_float = output != "uint8"
            channels = n_out if as_float else 3 if lut is not None else n_out
            check_fits_in_memory(out_w, out_h, channels * (4 if as_float else 1))
            image = np.empty((out_h, out_w, channels), dtype=np.float32 if as_float else np.uint8)
            flat = torch.from_numpy(image).view(-1, channels)
            cols = None if out_w == width else torch.arange(x0, x0 + out_w, device=dev)

            def work(chunk: tuple[int, int]) -> int:
                r0, r1 = chunk
                with torch.inference_mode():
                    out = grid(cols, y0 + r0, y0 + r1)
                    if output == "raw":
                        pixels = out
                    else:
                        unit = to_unit(out, lo, hi)
                        pixels = unit if as_float else to_uint8(unit, color, lut)
                    flat[r0 * out_w: r1 * out_w].copy_(pixels.cpu())
                return (r1 - r0) * out_w

            if dev.type != "cpu" and chunk_pixels == CHUNK_PIXELS:
                chunk_pixels = GPU_CHUNK_PIXELS  # a GPU wants big launches, not cache-sized ones
            rows_per_chunk = max(1, chunk_pixels // out_w)
            chunks = [(r, min(r + rows_per_chunk, out_h))
                      for r in np.arange(0, out_h, rows_per_chunk).tolist()]
            done = 0
            if n_workers == 1 and dev.type != "cpu":
                for chunk in chunks:
                    done += work(chunk)
                    if progress:
                        progress(done, out_w * out_h)
            else:
                with ThreadPoolExecutor(max_workers=n_workers) as pool:
                    try:
                        for n in pool.map(work, chunks):
                            done += n
                            if progress:
                                progress(done, out_w * out_h)
                    except BaseException:  # Ctrl-C, an error, a progress callback that stops us:
                        pool.shutdown(wait=True, cancel_futures=True)  # skip the chunks not begun
                        raise
    finally:
        net.train(was_training)
    return image if as_float else image.view(PaintedImage)


def _fused_plan(net: nn.Module, inputs: str, z: np.ndarray):
    """The fused kernel's plan for ``net`` (:mod:`neuromosaic.painting.kernel`), or ``None``
    when the net is not a chain it runs (then the torch path paints it)."""
    from .kernel import plan

    return plan(net, inputs, z)


def _resolve_inputs(net: nn.Module, inputs: str | None, z, seed: int) -> tuple[int, str, np.ndarray]:
    """``(d, inputs, z)``: the net's input count, the coordinate features, the latent vector."""
    z_given = None if z is None else np.asarray(z, dtype=np.float64).reshape(-1)
    try:
        d = infer_inputs(net)
    except SpecError:
        if inputs is None:
            raise
        if inputs == "xyrz" and z_given is None:
            raise SpecError("the net has no nn.Linear to tell its input count: with "
                            "inputs='xyrz' give z=… too (the net takes 3 + len(z) inputs)") from None
        d = input_count(inputs, 0 if z_given is None else z_given.size)
    if inputs is None:
        inputs = "xy" if d == 2 else "xyr" if d == 3 else "xyrz"
    if inputs == "xyrz":
        if d < 4:
            raise SpecError(f"inputs 'xyrz' needs a net of at least 4 inputs, the net takes {d}")
        z_vec = (np.random.default_rng([seed, 1]).uniform(-1.0, 1.0, d - 3) if z_given is None
                 else z_given)
        if z_vec.size + 3 != d:
            raise SpecError(f"the net takes {d} inputs, so z must have {d - 3} entries, got {z_vec.size}")
        if not np.isfinite(z_vec).all():
            raise SpecError("every entry of z must be a finite number")
    else:
        z_vec = np.zeros(0)
        if input_count(inputs, 0) != d:
            raise SpecError(f"inputs {inputs!r} gives {input_count(inputs, 0)} values but the net takes {d}")
    return d, inputs, z_vec


def _resolve_color(color: str | None, cmap: str | None, n_out: int, output: str) -> str:
    """The colour mode for a net of ``n_out`` outputs (``SpecError`` naming the fix)."""
    if output == "raw":
        return color or "rgb"
    if n_out not in (1, 3):
        raise SpecError(f"the net gives {n_out} outputs; paint shows 1 (gray, or cmap=…) or 3 "
                        "(rgb, hsv); output='raw' returns any number")
    if cmap is not None and n_out != 1:
        raise SpecError(f"cmap colours a 1-output net, the net gives {n_out}: drop cmap "
                        "(3 outputs paint as rgb or hsv)")
    if color is None:
        return "rgb" if n_out == 3 else "gray"
    need = 1 if color == "gray" else 3
    if need != n_out:
        fix = "use color='rgb' or 'hsv'" if color == "gray" else "use color='gray' or cmap=…"
        raise SpecError(f"color {color!r} needs {need} output{'s' * (need > 1)}, the net gives "
                        f"{n_out}: {fix}")
    return color


def picture_range(net: nn.Module, size=512, *, scale: float = 1.0, center=(0.0, 0.0),
                  raw_coords: bool = False, inputs: str | None = None, z=None,
                  device="auto") -> tuple[float, float] | None:
    """The range :func:`paint` maps an unbounded output from: the min and max of the net's
    outputs over the picture's view (a raster of at most ``PREPASS_SIDE``² of its pixels, the
    pre-pass :func:`paint` itself runs); ``None`` when the output activation is bounded
    (:func:`output_bounds`)."""
    if output_bounds(net) is not None:
        return None
    width, height = parse_size(size)
    # raw coordinates are pixel indices, so a smaller raster would see other coordinates: the
    # whole picture is evaluated then (once more than painting it costs)
    small = (width, height) if raw_coords else (min(width, PREPASS_SIDE), min(height, PREPASS_SIDE))
    raw = paint(net, small, scale=scale, center=center, raw_coords=raw_coords, inputs=inputs, z=z,
                color=None, device=device, workers=1, output="raw")
    lo, hi = _finite_range(torch.from_numpy(np.ascontiguousarray(raw)))
    return (lo, hi) if hi > lo else (lo - 0.5, lo + 0.5)


def _finite_range(values: torch.Tensor) -> tuple[float, float]:
    """The min and max of the finite ``values`` (0, 0 if there are none: every pixel 0.5)."""
    finite = values[torch.isfinite(values)]
    if finite.numel() == 0:
        return 0.0, 0.0
    return float(finite.min().item()), float(finite.max().item())


class PaintedImage(np.ndarray):
    """A uint8 `(H, W, C)` array that shows itself as a picture in Jupyter (``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        from ..io.png import encode_png

        return encode_png(np.asarray(self))


def _net_dtype(net: nn.Module) -> torch.dtype:
    for p in net.parameters():
        return p.dtype
    return torch.float32
