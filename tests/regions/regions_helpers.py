"""Small helpers for the region tests: random nets and the regioncam reference count."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def mlp(widths, *, seed: int, inputs: int = 2, outputs: int = 1, act=nn.ReLU) -> nn.Sequential:
    """A random MLP with PyTorch's default init (as shared/nets), float64."""
    torch.manual_seed(seed)
    sizes = [inputs, *widths, outputs]
    mods = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        mods.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            mods.append(act())
    return nn.Sequential(*mods).double()


def net_from(weights) -> nn.Sequential:
    """A ReLU net from explicit ``[(W, b), …]`` (PyTorch layout)."""
    from neuromosaic.io.weights import net_from_layers

    return net_from_layers([(np.asarray(W, float), np.asarray(b, float)) for W, b in weights], "relu")


def regioncam_count(net: nn.Sequential, R: float) -> int:
    """regioncam's face count over [-R, R]^2 for a Linear/ReLU Sequential (float32 inside)."""
    import regioncam

    rc = regioncam.Regioncam(size=R)
    for m in net:
        if isinstance(m, nn.Linear):
            rc.linear(m.weight.detach().double().numpy().T.astype(np.float32),
                      m.bias.detach().double().numpy().astype(np.float32))
        elif isinstance(m, nn.ReLU):
            rc.relu()
    return rc.num_faces
