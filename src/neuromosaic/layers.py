"""Small ``torch.nn`` modules the package provides: CPPN activations and piecewise-linear blocks.

They are ordinary modules, so a net built from a :class:`~neuromosaic.spec.NetSpec` is a plain
``torch.nn.Sequential`` that any torch code can use.
"""

from __future__ import annotations

import torch
from torch import nn


class Sin(nn.Module):
    """``sin(x)``: periodic activation, common in CPPNs."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


class Gaussian(nn.Module):
    """``exp(-x**2)``: a bump, the CPPN "symmetry" activation."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-x * x)


class Abs(nn.Module):
    """``|x|``: piecewise linear, folds the input space in half along each hyperplane."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.abs(x)


class Maxout(nn.Module):
    """A maxout layer: ``out[j] = max_k (W_k x + b_k)[j]`` over ``rank`` affine pieces.

    Arguments:
        in_features: input dimension.
        out_features: number of maxout units.
        rank: number of affine pieces per unit (``k`` in Montúfar et al. 2014); ``rank=1`` is affine.

    The weights are one ``nn.Linear(in_features, out_features * rank)``; piece ``k`` of unit ``j``
    is row ``j * rank + k``.
    """

    def __init__(self, in_features: int, out_features: int, rank: int = 2):
        super().__init__()
        if rank < 1:
            raise ValueError(f"rank must be >= 1, got {rank}")
        self.in_features, self.out_features, self.rank = in_features, out_features, rank
        self.linear = nn.Linear(in_features, out_features * rank)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x)
        return z.view(*z.shape[:-1], self.out_features, self.rank).amax(dim=-1)


class Residual(nn.Module):
    """``x + f(x)`` for a sub-network ``f`` whose output has the shape of its input."""

    def __init__(self, *modules: nn.Module):
        super().__init__()
        self.body = modules[0] if len(modules) == 1 else nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)
