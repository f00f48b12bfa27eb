"""Breeding CPPNs: mutate a net, cross two nets. Both return a new net of the same architecture.

Every weight matrix (a ``Linear`` or a convolution: a ``weight`` of two or more dimensions) and
its bias take part; other parameters (a PReLU's slope, a norm's scale) are copied unchanged.
The random draws come from a ``torch.Generator`` seeded by ``seed`` on the CPU, in the order of
``net.modules()`` (a layer's weight before its bias), so the same call gives the same bytes on
any machine and device. A picture's record of such steps is its lineage
(:mod:`neuromosaic.lineage`), which ``PaintConfig(lineage=…)`` replays.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from .errors import SpecError
from .spec import MAX_SEED
from .values import parse_float, parse_int

__all__ = ["MAX_STRENGTH", "crossover", "mutate"]

#: the largest mutation strength: at 10 the noise is ten times the layer's own spread, and the
#: child no longer resembles its parent at all
MAX_STRENGTH = 10.0


def _check_net(net, what: str) -> nn.Module:
    if not isinstance(net, nn.Module):
        raise SpecError(f"{what} must be a torch.nn.Module, got {type(net).__name__}")
    return net


def weight_layers(net: nn.Module) -> list[nn.Module]:
    """The modules of ``net`` that hold a weight matrix (``weight.dim() >= 2``), in order."""
    return [m for m in net.modules()
            if isinstance(getattr(m, "weight", None), torch.Tensor) and m.weight.dim() >= 2]


def spread(weight: torch.Tensor) -> float:
    """The standard deviation of a layer's weights, in float64 on the CPU (so alike on every
    device); PyTorch's own init scale 1/√fan_in when it is 0 or not finite (one weight, all
    equal, or NaN)."""
    w = weight.detach().to("cpu", torch.float64)
    sigma = float(w.std(correction=0)) if w.numel() > 1 else 0.0
    if sigma > 0 and math.isfinite(sigma):
        return sigma
    fan_in = int(math.prod(weight.shape[1:]))
    return 1.0 / math.sqrt(max(fan_in, 1))


def mutate(net: nn.Module, strength: float, seed: int) -> nn.Module:
    """A child of ``net``: every weight and bias of a layer plus ``strength × σ × N(0, 1)``.

    Arguments:
        net: any ``nn.Module``; an ``nn.Sequential`` (what ``NetSpec.build`` makes) gives one back.
            It is not changed.
        strength: the noise in units of each layer's own weight spread ``σ`` (the standard
            deviation of its weight matrix; see :func:`spread`), in ``[0, MAX_STRENGTH]``.
            ``0`` returns an exact copy. On the article's 8 × 16 tanh CPPN, ``0.05`` paints a
            close relative, ``0.1`` a cousin, ``0.3`` a stranger (deep nets amplify the noise).
        seed: ``0 .. 2**63 - 1``; the same net, strength and seed give the same child.

    Returns a new module of the same architecture (a deep copy, with the noise added).
    """
    _check_net(net, "net")
    strength = parse_float(strength, what="strength", low=0.0, high=MAX_STRENGTH)
    seed = parse_int(seed, what="seed", low=0, high=MAX_SEED)
    child = copy.deepcopy(net)
    if strength == 0:
        return child
    generator = torch.Generator(device="cpu").manual_seed(seed)
    with torch.no_grad():
        for layer in weight_layers(child):
            scale = strength * spread(layer.weight)
            for p in (layer.weight, getattr(layer, "bias", None)):
                if isinstance(p, torch.Tensor):
                    noise = torch.randn(p.shape, generator=generator, dtype=torch.float32)
                    p.add_((noise * scale).to(device=p.device, dtype=p.dtype))
    return child


def _layout(net: nn.Module) -> list[tuple[str, str]]:
    """(name, description) of every leaf module: its repr names the sizes and the bias."""
    return [(name, repr(m)) for name, m in net.named_modules() if not list(m.children())]


def check_same_architecture(a: nn.Module, b: nn.Module) -> None:
    """``SpecError`` naming the first layer where ``a`` and ``b`` differ."""
    la, lb = _layout(a), _layout(b)
    for (na, ra), (nb, rb) in zip(la, lb, strict=False):
        if (na, ra) != (nb, rb):
            raise SpecError(f"crossover needs two nets of the same architecture: layer {na!r} is "
                            f"{ra} in a but layer {nb!r} is {rb} in b")
    if len(la) != len(lb):
        raise SpecError(f"crossover needs two nets of the same architecture: a has {len(la)} "
                        f"layers, b has {len(lb)}")
    shapes_a = [(n, tuple(p.shape)) for n, p in a.named_parameters()]
    shapes_b = [(n, tuple(p.shape)) for n, p in b.named_parameters()]
    if shapes_a != shapes_b:
        raise SpecError("crossover needs two nets of the same architecture: their parameters differ "
                        f"({len(shapes_a)} against {len(shapes_b)} tensors)")


def crossover(a: nn.Module, b: nn.Module, seed: int) -> nn.Module:
    """A child of ``a`` and ``b``: each unit (a row of a weight matrix, with its bias) from one
    parent or the other, half and half on average.

    Arguments:
        a, b: two nets of the same architecture (the same layers, sizes and activations;
            ``SpecError`` otherwise). Neither is changed.
        seed: ``0 .. 2**63 - 1``; the coin flips, one per unit, layer after layer.

    Returns a new module shaped like ``a``. Parameters outside the weight layers (a PReLU's
    slope…) come from ``a``. ``crossover(a, a, seed)`` equals ``a``.
    """
    _check_net(a, "a")
    _check_net(b, "b")
    seed = parse_int(seed, what="seed", low=0, high=MAX_SEED)
    check_same_architecture(a, b)
    child = copy.deepcopy(a)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    with torch.no_grad():
        for mine, theirs in zip(weight_layers(child), weight_layers(b), strict=True):
            units = mine.weight.shape[0]
            take = (torch.rand(units, generator=generator) < 0.5).to(mine.weight.device)
            for p, q in ((mine.weight, theirs.weight),
                         (getattr(mine, "bias", None), getattr(theirs, "bias", None))):
                if isinstance(p, torch.Tensor) and isinstance(q, torch.Tensor):
                    p[take] = q.detach().to(device=p.device, dtype=p.dtype)[take]
    return child
