"""The article's central-limit argument, measured: what each layer's sums look like.

Each pre-activation ``h_i = Σ_j W_ij a_j + b_i`` is a sum of many small random terms, so over the
pixels of a picture it is close to Gaussian with a variance ``q^l`` that mean field predicts
(:func:`~neuromosaic.theory.meanfield.length_trajectory`). With PyTorch's default init
(``σ_w² = 1/3``) the variance shrinks layer after layer: every ``tanh`` sits near 0, the sigmoid
output near 0.5 — grey goo. With ``normal:1`` (``σ_w = 4`` at fan-in 16) it settles at
``q* ≈ 12.5``: the ``tanh`` units saturate at ±1 and the picture is full of edges.

:func:`layer_values` records every layer of one CPPN over its pixel grid (the input the article
fed: ``x, y`` normalised to ``[−0.5, 0.5]``), :func:`init_stats` does it for the article's inits
beside the predicted standard deviations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ..errors import SpecError
from ..spec import InitSpec, NetSpec
from . import meanfield, phase

__all__ = ["ARTICLE_INITS", "init_stats", "layer_values", "phase_renders", "phase_view", "predicted_std"]

#: the inits the article tried (MISSION.md P1, P2–P3, P4, P5)
ARTICLE_INITS = ("default", "uniform:100", "uniform:3", "normal:1")


def _grid(size: int, *, scale: float = 1.0) -> torch.Tensor:
    from ..painting import pixel_axes

    xs, ys = pixel_axes(size, size, scale=scale)
    gx, gy = np.meshgrid(xs, ys)
    return torch.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=torch.float64)


def layer_values(spec: NetSpec, *, size: int = 64, scale: float = 1.0) -> dict[str, list[np.ndarray]]:
    """Every hidden layer's pre-activations and activations over a ``size × size`` pixel grid.

    Arguments:
        spec: a CPPN with 2 inputs (``x, y``).
        size: pixels per side; the grid spans ``[−0.5, 0.5]² × scale``, as paint feeds it.

    Returns ``{"pre": [...], "post": [...]}``: one `(size², width_l)` array per hidden layer.
    """
    if spec.inputs != 2:
        raise SpecError(f"layer_values feeds x, y: the spec needs inputs=2, got {spec.inputs}")
    if not isinstance(size, int) or not 2 <= size <= 1024:
        raise SpecError(f"size must be an integer in 2..1024, got {size!r}")
    net = spec.build(dtype=torch.float64)
    h = _grid(size, scale=scale)
    pre: list[np.ndarray] = []
    post: list[np.ndarray] = []
    modules = list(net)
    with torch.no_grad():
        for i in range(0, 2 * spec.depth, 2):
            linear, act = modules[i], modules[i + 1]  # NetSpec.build's layout: Linear, act, …
            z = linear(h)
            h = act(z)
            pre.append(z.numpy().copy())
            post.append(h.numpy().copy())
    return {"pre": pre, "post": post}


def predicted_std(init: str, *, activation: str = "tanh", width: int = 16, depth: int = 8,
                  bias_init: str | None = None, input_mean_square: float = 1.0 / 12.0) -> np.ndarray:
    """Mean field's standard deviation of each layer's pre-activations, `(depth,)`.

    The first layer has fan-in 2 (``x, y``, each of mean square ``input_mean_square``; 1/12 for
    the grid ``[−0.5, 0.5]``): ``q^1 = 2·Var(W)·input_mean_square + Var(b)``. Then the length map
    with the ``(σ_w, σ_b)`` of :func:`~neuromosaic.theory.phase.init_to_sigmas` at fan-in
    ``width``.
    """
    w_init = InitSpec.parse(init)
    _, sb1 = phase.init_to_sigmas(init, 2, bias_init=bias_init, fan_out=width)
    q1 = 2 * w_init.variance(2, width) * input_mean_square + sb1**2
    sw, sb = phase.init_to_sigmas(init, width, bias_init=bias_init)
    qs = [q1]
    for _ in range(depth - 1):
        qs.append(meanfield.length_map(activation, qs[-1], sigma_w=sw, sigma_b=sb))
    return np.sqrt(np.array(qs))


def init_stats(inits: Sequence[str] = ARTICLE_INITS, *, activation: str = "tanh", width: int = 16,
               depth: int = 8, size: int = 48, seeds: Sequence[int] = (0, 1, 2, 3)) -> dict[str, dict]:
    """For each init: every layer's values pooled over pixels, units and ``seeds``, and summaries.

    Returns ``{init: {"pre": [(n,)…], "post": [(n,)…], "std": (depth,), "predicted_std":
    (depth,), "pixel_std": (depth,), "saturated": (depth,)}}`` where ``std`` is the measured root
    mean square of the pre-activations (pooled over units: mostly the spread *between* units),
    ``pixel_std`` the spread of one unit *across the pixels* (root mean square over units and
    seeds) — what decides between a flat picture and a structured one — and ``saturated`` the
    fraction of activations with ``|a| > 0.99`` (tanh at ±1).
    """
    if not seeds:
        raise SpecError("seeds must name at least one seed")
    out: dict[str, dict] = {}
    for init in inits:
        pre: list[list[np.ndarray]] = [[] for _ in range(depth)]
        post: list[list[np.ndarray]] = [[] for _ in range(depth)]
        pixel_var = np.zeros(depth)
        for seed in seeds:
            spec = NetSpec(inputs=2, widths=[width] * depth, outputs=3, activation=activation,
                           out_activation="sigmoid", init=init, seed=int(seed))
            values = layer_values(spec, size=size)
            for layer in range(depth):
                pixel_var[layer] += float(values["pre"][layer].var(axis=0).mean()) / len(seeds)
                pre[layer].append(values["pre"][layer].ravel())
                post[layer].append(values["post"][layer].ravel())
        pre_all = [np.concatenate(p) for p in pre]
        post_all = [np.concatenate(p) for p in post]
        out[init] = {
            "pre": pre_all,
            "post": post_all,
            "std": np.array([math.sqrt(float(np.mean(p**2))) for p in pre_all]),
            "predicted_std": predicted_std(init, activation=activation, width=width, depth=depth),
            "pixel_std": np.sqrt(pixel_var),
            "saturated": np.array([float(np.mean(np.abs(a) > 0.99)) for a in post_all]),
        }
    return out


def phase_renders(sigma_ws: Sequence[float], sigma_bs: Sequence[float], *, size: int = 48,
                  width: int = 16, depth: int = 8, seed: int = 0,
                  activation: str = "tanh") -> np.ndarray:
    """Small CPPN renders over a ``(σ_b, σ_w)`` grid: the pictures of the phase diagram.

    Each net is ``NetSpec(inputs=2, widths=[width]*depth, init="normal:σ_w/√width",
    bias_init="normal:σ_b")`` (``zeros`` for ``σ_b = 0``), painted by ``nm.paint`` in rgb.

    Returns `(B, W, size, size, 3)` uint8 for ``B = len(sigma_bs)``, ``W = len(sigma_ws)``.
    """
    from ..painting import paint

    out = np.empty((len(sigma_bs), len(sigma_ws), size, size, 3), dtype=np.uint8)
    for i, sb in enumerate(sigma_bs):
        for j, sw in enumerate(sigma_ws):
            meanfield.check_sigmas(sw, sb)
            spec = NetSpec(inputs=2, widths=[width] * depth, outputs=3, activation=activation,
                           out_activation="sigmoid", init=f"normal:{float(sw) / math.sqrt(width)!r}",
                           bias_init="zeros" if sb == 0 else f"normal:{float(sb)!r}", seed=seed)
            out[i, j] = paint(spec.build(), size=(size, size), device="cpu", workers=1)
    return out


#: the (σ_w, σ_b) grid of the phase diagram's CPPN thumbnails
RENDER_SIGMA_W = tuple(np.geomspace(0.25, 128, 8).tolist())
RENDER_SIGMA_B = (0.0, 0.7, 1.4, 2.0)


def phase_view(activation: str = "tanh", *, fan_in: int = 16, thumb: int = 48,
               seed: int = 0) -> dict:
    """Everything the phase figure shows, computed once for the CLI and the lab.

    Returns ``{"diagram": phase_diagram(activation), "points": the article's inits on it at
    fan-in ``fan_in`` (:func:`~.phase.init_points`), "edge": the critical σ_w at σ_b = 0,
    "renders": (B, W, thumb, thumb, 3) uint8 thumbnails or None when ``thumb`` is 0,
    "render_sigma_w", "render_sigma_b"}``.
    """
    if not 0 <= thumb <= 128:
        raise SpecError(f"thumb must be in 0..128 pixels, got {thumb}")
    rsw, rsb = np.array(RENDER_SIGMA_W), np.array(RENDER_SIGMA_B)
    return {
        "diagram": phase.phase_diagram(activation),
        "points": phase.init_points(ARTICLE_INITS, fan_in=fan_in, activation=activation),
        "edge": phase.critical_sigma_w(activation, sigma_b=0.0),
        "renders": (phase_renders(rsw, rsb, size=thumb, width=fan_in, seed=seed,
                                  activation=activation) if thumb else None),
        "render_sigma_w": rsw, "render_sigma_b": rsb,
    }
