"""Animations: a seamless latent-z walk, a continuous zoom, a morph between seeds.

Each function yields uint8 frames `(H, W, C)` one at a time, so a long animation streams to its
writer in bounded memory. Writers live in :mod:`neuromosaic.io.video`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import torch

from ..errors import SpecError
from .config import PaintConfig, config_range
from .render import paint, resolve_device

MODES = ("walk", "zoom", "morph")


def catmull_rom_loop(keys: np.ndarray, t: float) -> np.ndarray:
    """Point at parameter ``t`` (in [0, K)) on the closed Catmull-Rom spline through ``keys`` `(K, d)`.

    The curve passes through every keyframe, is C¹, and closes on itself, so a walk loops seamlessly.
    """
    k = len(keys)
    i = int(math.floor(t)) % k
    u = t - math.floor(t)
    p0, p1, p2, p3 = keys[(i - 1) % k], keys[i], keys[(i + 1) % k], keys[(i + 2) % k]
    u2, u3 = u * u, u * u * u
    return 0.5 * ((2 * p1) + (-p0 + p2) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u2
                  + (-p0 + 3 * p1 - 3 * p2 + p3) * u3)


def _check(frames: int, keyframes: int) -> None:
    if frames < 2:
        raise SpecError(f"frames must be >= 2, got {frames}")
    if frames > 100_000:
        raise SpecError(f"frames must be <= 100000, got {frames}")
    if keyframes < 2:
        raise SpecError(f"keyframes must be >= 2, got {keyframes}")


def latent_walk(cfg: PaintConfig, *, frames: int = 96, keyframes: int = 4,
                workers: int | None = None) -> Iterator[np.ndarray]:
    """Frames of a closed walk through ``keyframes`` random latent vectors (drawn from cfg.seed).
    The net takes x, y, r, z; only z moves."""
    _check(frames, keyframes)
    if cfg.inputs != "xyrz":
        cfg = cfg.replace(inputs="xyrz")
    dev = resolve_device(cfg.device)
    net = cfg.build(device=dev)  # bred along its lineage, if it has one
    keys = np.random.default_rng([cfg.seed, 2]).uniform(-1.0, 1.0, (keyframes, cfg.z_dim))
    rng = config_range(cfg.replace(z=tuple(catmull_rom_loop(keys, 0.0))), net=net)  # frame 0's, for all
    for f in range(frames):
        z = catmull_rom_loop(keys, keyframes * f / frames)
        yield paint(net, cfg.size, scale=cfg.scale, center=cfg.center, raw_coords=cfg.raw_coords,
                    inputs="xyrz", z=z, color=cfg.color, cmap=cfg.cmap, range=rng, fast=cfg.fast,
                    device=dev, workers=workers)


def zoom(cfg: PaintConfig, *, frames: int = 96, factor: float = 0.01,
         workers: int | None = None) -> Iterator[np.ndarray]:
    """Frames of a continuous zoom into ``cfg.center``: the scale goes geometrically from
    ``cfg.scale`` to ``cfg.scale * factor``."""
    _check(frames, 2)
    if not (math.isfinite(factor) and factor > 0):
        raise SpecError(f"zoom factor must be a positive number, got {factor}")
    dev = resolve_device(cfg.device)
    net = cfg.build(device=dev)  # bred along its lineage, if it has one
    rng = config_range(cfg, net=net)  # the first frame's range, for every frame
    for f in range(frames):
        s = cfg.scale * factor ** (f / (frames - 1))
        yield paint(net, cfg.size, scale=s, center=cfg.center, raw_coords=cfg.raw_coords,
                    inputs=cfg.inputs, z=cfg.latent(), color=cfg.color, cmap=cfg.cmap, range=rng,
                    fast=cfg.fast, device=dev, workers=workers)


def seed_morph(cfg: PaintConfig, *, frames: int = 96, keyframes: int = 4,
               workers: int | None = None) -> Iterator[np.ndarray]:
    """Frames of a closed loop through the nets of seeds ``seed .. seed+keyframes−1``.

    Between two nets a, b the weights are ``cos(θ)·a + sin(θ)·b``, θ ∈ [0, π/2]: for independent
    zero-mean draws this keeps every weight's variance, so the picture stays as busy all along.
    """
    _check(frames, keyframes)
    dev = resolve_device(cfg.device)
    nets = [cfg.replace(seed=cfg.seed + i).build(device=dev) for i in range(keyframes)]
    params = [[p.detach().clone() for p in n.parameters()] for n in nets]
    net = nets[0]
    rng = config_range(cfg, net=net)  # the first net's range, for every frame
    for f in range(frames):
        t = keyframes * f / frames
        i, u = int(t) % keyframes, t - int(t)
        a, b = params[i], params[(i + 1) % keyframes]
        theta = u * math.pi / 2
        with torch.no_grad():
            for p, pa, pb in zip(net.parameters(), a, b, strict=True):
                p.copy_(math.cos(theta) * pa + math.sin(theta) * pb)
        yield paint(net, cfg.size, scale=cfg.scale, center=cfg.center, raw_coords=cfg.raw_coords,
                    inputs=cfg.inputs, z=cfg.latent(), color=cfg.color, cmap=cfg.cmap, range=rng,
                    fast=cfg.fast, device=dev, workers=workers)


def frames_for(mode: str, cfg: PaintConfig, **kwargs) -> Iterator[np.ndarray]:
    if mode == "walk":
        kwargs.pop("factor", None)
        return latent_walk(cfg, **kwargs)
    if mode == "zoom":
        kwargs.pop("keyframes", None)
        return zoom(cfg, **kwargs)
    if mode == "morph":
        kwargs.pop("factor", None)
        return seed_morph(cfg, **kwargs)
    raise SpecError(f"animation mode must be one of {', '.join(MODES)}, got {mode!r}")
