"""The fused paint kernel: a whole MLP per tile of pixels, compiled for the machine it runs on.

For a plain chain of ``Linear`` layers and pointwise activations (every NetSpec-built CPPN),
one compiled loop does it all for a tile of ``TILE`` pixels of one row: it makes the pixels'
coordinates (x, y, r), runs every layer with the tile's activations held in two small
buffers that stay in L1 and the weights broadcast from L1, and applies the activations from
:mod:`neuromosaic.painting.vmath`, which vectorise on any instruction set. The innermost loops
run over the tile's pixels, so LLVM makes SIMD code of them for the CPU it compiles on (AVX2,
AVX-512, NEON): the kernel has no intrinsic of any instruction set. The mapping of outputs to
colours stays in :mod:`neuromosaic.painting.color` (one place for it; ~1 % of the time).

Numba caches each compiled function keyed on its own source file: after editing
:mod:`.vmath`, touch this file too (or delete ``__pycache__/*.nbi``), or the cached kernel keeps
the old activations.

A net with another module (ELU, GELU, softplus, a PReLU of many slopes, anything not a chain)
returns ``None`` from :func:`plan`, and the painter uses its torch path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from torch import nn

from ..layers import Abs, Gaussian, Sin
from .vmath import SIN_LIMIT, gauss32, sigmoid32, sin32, tanh32, tanh32_fast

TILE = 256  # pixels per tile: long inner loops vectorise well; 2 × 16 units × 256 = 32 KB
UNROLL = 4  # input units per pass over the tile
# activation codes (the kernel branches once per layer on these)
IDENTITY, TANH, SIGMOID, RELU, LEAKY, HARDTANH, ABS, SIN, GAUSS = range(9)


@dataclass(frozen=True)
class KernelPlan:
    """An MLP packed for :func:`paint_rows`: layer ``l`` maps ``dims[l]`` → ``dims[l+1]`` by
    ``W[l, :dims[l+1], :dims[l]]`` and ``b[l]``, then activation ``acts[l]`` with ``params[l]``
    (a slope, or hardtanh's min and max)."""

    W: np.ndarray  # (L, maxw, maxw) float32, [layer, out, in]
    b: np.ndarray  # (L, maxw) float32
    dims: np.ndarray  # (L + 1,) int64
    acts: np.ndarray  # (L,) int64
    params: np.ndarray  # (L, 2) float32
    use_r: bool

    @property
    def outputs(self) -> int:
        return int(self.dims[-1])


def _activation(module: nn.Module) -> tuple[int, float, float] | None:
    if isinstance(module, nn.Tanh):
        return TANH, 0.0, 0.0
    if isinstance(module, nn.Sigmoid):
        return SIGMOID, 0.0, 0.0
    if isinstance(module, nn.ReLU):
        return RELU, 0.0, 0.0
    if isinstance(module, nn.LeakyReLU):
        return LEAKY, float(module.negative_slope), 0.0
    if isinstance(module, nn.PReLU) and module.weight.numel() == 1:
        return LEAKY, float(module.weight.detach().reshape(())), 0.0
    if isinstance(module, nn.Hardtanh):  # ReLU6 is a Hardtanh(0, 6)
        return HARDTANH, float(module.min_val), float(module.max_val)
    if isinstance(module, Abs):
        return ABS, 0.0, 0.0
    if isinstance(module, Sin):
        return SIN, 0.0, 0.0
    if isinstance(module, Gaussian):
        return GAUSS, 0.0, 0.0
    return None


def plan(net: nn.Module, inputs: str, z: np.ndarray) -> KernelPlan | None:
    """``net`` packed for the kernel, or ``None`` if it is not a chain the kernel runs: an
    ``nn.Sequential`` of ``Linear`` layers, each followed by at most one supported activation
    (Identity and Dropout are skipped; inference only). The latent ``z`` is the same for every
    pixel, so its part of the first layer is folded into that layer's bias (in float64)."""
    if not isinstance(net, nn.Sequential):
        return None
    layers: list[list] = []  # [W (out, in) float64, b float64, code, p0, p1]
    for module in net:
        if isinstance(module, (nn.Identity, nn.Dropout)):
            continue
        if isinstance(module, nn.Linear):
            W = module.weight.detach().double().cpu().numpy()
            b = (module.bias.detach().double().cpu().numpy() if module.bias is not None
                 else np.zeros(W.shape[0]))
            layers.append([W, b, IDENTITY, 0.0, 0.0])
            continue
        act = _activation(module)
        if act is None or not layers or layers[-1][2] != IDENTITY:
            return None
        layers[-1][2:] = act
    if not layers:
        return None
    n_coord = 2 if inputs == "xy" else 3
    W0, b0 = layers[0][0], layers[0][1]
    if W0.shape[1] != n_coord + z.size:
        return None
    if z.size:
        layers[0][1] = b0 + W0[:, n_coord:] @ z
        layers[0][0] = W0[:, :n_coord]
    dims = [n_coord] + [layer[0].shape[0] for layer in layers]
    for layer, d_in in zip(layers, dims[:-1], strict=True):
        if layer[0].shape[1] != d_in:
            return None
    maxw = -(-max(max(dims), 3) // UNROLL) * UNROLL  # padded to the unroll
    L = len(layers)
    W = np.zeros((L, maxw, maxw), np.float32)
    b = np.zeros((L, maxw), np.float32)
    params = np.zeros((L, 2), np.float32)
    for i, (Wl, bl, _, p0, p1) in enumerate(layers):
        W[i, :Wl.shape[0], :Wl.shape[1]] = Wl
        b[i, :bl.shape[0]] = bl
        params[i] = p0, p1
    acts = np.array([layer[2] for layer in layers], np.int64)
    return KernelPlan(W, b, np.array(dims, np.int64), acts, params, inputs != "xy")


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _activate(code, p0, p1, fast, buf, n):
    """``buf[:n] = act(buf[:n])`` in place (a layer's outputs over the tile, flat)."""
    if code == TANH:
        if fast:
            for i in range(n):
                buf[i] = tanh32_fast(buf[i])
        else:
            for i in range(n):
                buf[i] = tanh32(buf[i])
    elif code == SIGMOID:
        for i in range(n):
            buf[i] = sigmoid32(buf[i])
    elif code == RELU:
        for i in range(n):
            v = buf[i]
            buf[i] = v if not v <= 0 else np.float32(0.0)  # NaN stays NaN
    elif code == LEAKY:
        for i in range(n):
            v = buf[i]
            buf[i] = v if not v <= 0 else p0 * v
    elif code == HARDTANH:
        for i in range(n):
            buf[i] = min(max(buf[i], p0), p1)
    elif code == ABS:
        for i in range(n):
            buf[i] = abs(buf[i])
    elif code == SIN:
        big = np.float32(0.0)
        for i in range(n):
            big = max(big, abs(buf[i]))
        if big <= SIN_LIMIT:
            for i in range(n):
                buf[i] = sin32(buf[i])
        else:  # past the reduction's range (or NaN): the library sin
            for i in range(n):
                buf[i] = np.sin(buf[i])
    elif code == GAUSS:
        for i in range(n):
            buf[i] = gauss32(buf[i])


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def paint_rows(xs, ys, r0, r1, use_r, W, b, dims, acts, params, fast, out):
    """The net's outputs at rows ``r0..r1`` of the pixel grid ``xs`` × ``ys`` (float32) into
    ``out`` `((r1 − r0)·len(xs), C)` float32, row-major, a tile of ``TILE`` pixels at a time.

    ``W``'s input axis is padded to a multiple of ``UNROLL`` with zero columns; the buffers'
    rows past a layer's width are kept at 0 so the padding adds exact zeros."""
    width = xs.shape[0]
    n_layers = acts.shape[0]
    rows = W.shape[2]
    n_out = dims[n_layers]
    h = np.zeros((rows, TILE), np.float32)
    g = np.zeros((rows, TILE), np.float32)
    acc = np.empty(TILE, np.float32)
    total = (r1 - r0) * width
    for t0 in range(0, total, TILE):
        count = min(TILE, total - t0)
        for p in range(TILE):  # a short last tile repeats its last pixel
            i = t0 + min(p, count - 1)
            x = xs[i % width]
            y = ys[r0 + i // width]
            h[0, p] = x
            h[1, p] = y
            h[2, p] = np.sqrt(x * x + y * y) if use_r else np.float32(0.0)
        for k in range(3, rows):
            for p in range(TILE):
                h[k, p] = 0.0
        src, dst = h, g
        for layer in range(n_layers):
            d_in = dims[layer]
            d_out = dims[layer + 1]
            for j in range(d_out):
                for p in range(TILE):
                    acc[p] = 0.0
                for k in range(0, d_in, UNROLL):
                    w0 = W[layer, j, k]
                    w1 = W[layer, j, k + 1]
                    w2 = W[layer, j, k + 2]
                    w3 = W[layer, j, k + 3]
                    for p in range(TILE):  # one fused multiply-add after another, as a GEMM does
                        acc[p] = (((acc[p] + w0 * src[k, p]) + w1 * src[k + 1, p])
                                  + w2 * src[k + 2, p]) + w3 * src[k + 3, p]
                bj = b[layer, j]
                for p in range(TILE):
                    dst[j, p] = acc[p] + bj
            for j in range(d_out, min(rows, d_out + UNROLL)):
                for p in range(TILE):
                    dst[j, p] = 0.0
            _activate(acts[layer], params[layer, 0], params[layer, 1], fast, dst.reshape(-1),
                      d_out * TILE)
            src, dst = dst, src
        for p in range(count):
            for c in range(n_out):
                out[t0 + p, c] = src[c, p]
