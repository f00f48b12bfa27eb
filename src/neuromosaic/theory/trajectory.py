"""Trajectory length: how a random net stretches a circle, layer after layer.

Raghu, Poole, Kleinberg, Ganguli & Sohl-Dickstein (2017), "On the expressive power of deep neural
networks", measure the length of the image of a 1-D input trajectory after each layer and show it
grows exponentially with depth (their Theorem 1; complexity measures follow it). Mean field
predicts the factor: a small displacement of the pre-activations ``h^l`` has squared length
multiplied by ``σ_w² E[φ'(h^l)²]`` per layer (``= χ1`` once ``q^l`` has reached ``q*``; Poole et
al. 2016), so the length grows by ``√χ1`` per layer — ``σ_w/√2`` for ReLU — whatever the width.

The length is measured exactly in the sense of calculus: each point of the circle carries its
tangent vector through the net (forward-mode differentiation, ``δh^{l+1} = W (φ'(h^l) ⊙ δh^l)``),
and the length is the mean tangent norm times ``2π`` (a Riemann sum over ``points`` equally
spaced angles). Nets are Gaussian, as mean field assumes: ``W ~ N(0, σ_w²/fan_in)``,
``b ~ N(0, σ_b²)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import SpecError, TooLargeError
from ..spec import check_activation
from . import meanfield

__all__ = ["circle_lengths", "depth_width_lengths", "growth_vs_sigma", "measured_growth",
           "predicted_growth"]

_TORCH_ACTS = {
    "tanh": (torch.tanh, lambda h: 1 - torch.tanh(h) ** 2),
    "hardtanh": (lambda h: h.clamp(-1, 1), lambda h: (h.abs() < 1).to(h.dtype)),
    "relu": (torch.relu, lambda h: (h > 0).to(h.dtype)),
    "sin": (torch.sin, torch.cos),
    "sigmoid": (torch.sigmoid, lambda h: torch.sigmoid(h) * (1 - torch.sigmoid(h))),
    "leaky_relu": (lambda h: torch.where(h > 0, h, 0.01 * h),
                   lambda h: torch.where(h > 0, 1.0, 0.01).to(h.dtype)),
    "abs": (torch.abs, torch.sign),
    "identity": (lambda h: h, torch.ones_like),
}


def _check(activation: str, width: int, depth: int, points: int) -> str:
    name = check_activation(activation)
    if name not in _TORCH_ACTS:
        raise SpecError(f"trajectory supports activations {', '.join(sorted(_TORCH_ACTS))}, "
                        f"got {activation!r}")
    for label, value, low in (("width", width, 1), ("depth", depth, 1), ("points", points, 8)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise SpecError(f"{label} must be an integer >= {low}, got {value!r}")
    if width > 8192 or depth > 1000 or points > 1_000_000:
        raise TooLargeError(f"trajectory caps width at 8192, depth at 1000 and points at 10^6, "
                            f"got width={width}, depth={depth}, points={points}")
    return name


def check_size(width: int, depth: int, *, samples: int, points: int,
               max_work: float = 2e11) -> None:
    """Refuse, before any work, nets whose circle images take more than ``max_work``
    multiply-adds (``samples · points · width² · depth``), or past the caps of :func:`_check`."""
    _check("tanh", width, depth, points)
    work = float(samples) * points * width * width * depth
    if work > max_work:
        raise TooLargeError(f"{samples} nets of {depth} layers × {width} on {points} points take "
                            f"{work:.2g} multiply-adds; at most {max_work:.2g}")


def circle_lengths(activation: str = "tanh", *, sigma_w: float, sigma_b: float = 0.0,
                   width: int = 100, depth: int = 10, in_dim: int = 2, radius: float = 1.0,
                   points: int = 1024, samples: int = 1, seed: int = 0) -> np.ndarray:
    """Length of the image of a circle after each layer of random nets.

    Arguments:
        activation: a name of ``spec.ACTIVATIONS`` that this module supports (tanh, hardtanh,
            relu, sin, sigmoid, leaky_relu, abs, identity).
        sigma_w, sigma_b: the weight and bias scales (``W ~ N(0, σ_w²/fan_in)``).
        width, depth: the hidden layers.
        in_dim: the input dimension; the circle lies in the plane of the first two axes.
        radius: the circle's radius (its length is ``2π·radius``).
        points: sample points along the circle.
        samples: independent nets (seeds ``seed, seed+1, …``).

    Returns:
        `(samples, depth + 1)`: column 0 the circle's own length, column ``l`` the length of the
        pre-activations ``h^l`` of layer ``l``.
    """
    name = _check(activation, width, depth, points)
    sw, sb = meanfield.check_sigmas(sigma_w, sigma_b)
    if in_dim < 2:
        raise SpecError(f"in_dim must be >= 2 (the circle needs a plane), got {in_dim}")
    phi, dphi = _TORCH_ACTS[name]
    t = torch.linspace(0, 2 * math.pi, points + 1, dtype=torch.float64)[:-1]
    out = np.empty((samples, depth + 1))
    for s in range(samples):
        gen = torch.Generator().manual_seed(seed + s)
        x = torch.zeros(points, in_dim, dtype=torch.float64)
        dx = torch.zeros_like(x)
        x[:, 0], x[:, 1] = radius * torch.cos(t), radius * torch.sin(t)
        dx[:, 0], dx[:, 1] = -radius * torch.sin(t), radius * torch.cos(t)
        out[s, 0] = 2 * math.pi * float(dx.norm(dim=1).mean())
        a, da = x, dx
        fan_in = in_dim
        for layer in range(depth):
            weight = torch.randn(width, fan_in, generator=gen, dtype=torch.float64) * (sw / math.sqrt(fan_in))
            bias = torch.randn(width, generator=gen, dtype=torch.float64) * sb
            h, dh = a @ weight.T + bias, da @ weight.T
            out[s, layer + 1] = 2 * math.pi * float(dh.norm(dim=1).mean())
            a, da = phi(h), dphi(h) * dh
            fan_in = width
    return out


def measured_growth(lengths: np.ndarray, *, skip: int = 1) -> float:
    """The geometric-mean growth per layer of ``lengths`` `(samples, depth + 1)` from layer
    ``skip`` on (layer 1 is the first hidden one): ``(L_depth / L_skip)^(1/(depth − skip))``,
    averaged in log space over samples."""
    lengths = np.asarray(lengths, dtype=float)
    depth = lengths.shape[1] - 1
    if not 0 <= skip < depth:
        raise SpecError(f"skip must be in 0..{depth - 1}, got {skip}")
    logs = np.log(lengths[:, depth]) - np.log(lengths[:, skip])
    return float(np.exp(logs.mean() / (depth - skip)))


def predicted_growth(activation: str, *, sigma_w: float, sigma_b: float = 0.0,
                     q0: float = 0.5, depth: int = 10) -> np.ndarray:
    """Mean field's per-layer factors `(depth − 1,)`: from ``h^l`` to ``h^{l+1}`` the length grows
    by ``√(σ_w² E[φ'(√q^l z)²])`` with ``q^l`` from :func:`meanfield.length_trajectory` (``q0``:
    the mean square of the input, ``radius²/in_dim`` for the circle); ``→ √χ1`` with depth."""
    qs = meanfield.length_trajectory(activation, sigma_w=sigma_w, sigma_b=sigma_b, q0=q0,
                                     depth=depth)
    return np.array([math.sqrt(meanfield.chi1(activation, sigma_w=sigma_w, sigma_b=sigma_b, q=q))
                     for q in qs[:-1]])


def growth_vs_sigma(activation: str, sigma_ws, *, sigma_b: float = 0.0, width: int = 100,
                    depth: int = 12, skip: int = 4, samples: int = 2, points: int = 512,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Measured per-layer growth (layers ``skip..depth``, after ``q^l`` has settled) beside
    ``√χ1``, for each ``σ_w`` in ``sigma_ws``.

    Returns ``{"sigma_w": (S,), "measured": (S,), "predicted": (S,)}``.
    """
    sws = np.asarray(sigma_ws, dtype=float)
    measured = [measured_growth(circle_lengths(activation, sigma_w=w, sigma_b=sigma_b, width=width,
                                               depth=depth, points=points, samples=samples,
                                               seed=seed), skip=skip) for w in sws]
    predicted = [math.sqrt(meanfield.chi1(activation, sigma_w=w, sigma_b=sigma_b)) for w in sws]
    return {"sigma_w": sws, "measured": np.array(measured), "predicted": np.array(predicted)}


def depth_width_lengths(activation: str = "tanh", *, sigma_w: float = 4.0, sigma_b: float = 0.0,
                        widths=(8, 16, 32, 64), depth: int = 16, points: int = 512,
                        samples: int = 2, seed: int = 0) -> dict[str, np.ndarray]:
    """Length after each layer for several widths: depth multiplies it, width barely matters.

    ``sigma_w = 4`` is the article's ``normal:1`` weights at fan-in 16. Returns
    ``{"widths": (K,), "lengths": (K, depth + 1)}`` (geometric means over ``samples`` nets).
    """
    ws = [int(w) for w in widths]
    rows = [np.exp(np.log(circle_lengths(activation, sigma_w=sigma_w, sigma_b=sigma_b, width=w,
                                         depth=depth, points=points, samples=samples,
                                         seed=seed)).mean(axis=0)) for w in ws]
    return {"widths": np.array(ws), "lengths": np.array(rows)}
