"""Network outputs → pixel colours.

The output activation fixes the range: sigmoid gives [0, 1]; tanh and sin give [−1, 1] (mapped
to [0, 1]); anything else is clipped to [0, 1]. ``hsv`` reads the three channels as hue,
saturation and value.
"""

from __future__ import annotations

import torch

COLORS = ("rgb", "gray", "hsv")


def to_unit(out: torch.Tensor, signed: bool) -> torch.Tensor:
    """Map raw outputs to [0, 1]: ``(v + 1) / 2`` for a signed range, then clip."""
    if signed:
        out = out.add(1.0).mul_(0.5)
    return out.clamp_(0.0, 1.0)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """`(N, 3)` HSV in [0, 1] → `(N, 3)` RGB in [0, 1] (the standard hexcone model)."""
    h, s, v = hsv.unbind(-1)
    h6 = (h % 1.0) * 6.0
    k = torch.stack([(5.0 + h6) % 6.0, (3.0 + h6) % 6.0, (1.0 + h6) % 6.0], dim=-1)
    # f(n) = v - v*s*max(0, min(k, 4-k, 1)): the piecewise-linear hue ramps
    ramp = torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return v.unsqueeze(-1) - (v * s).unsqueeze(-1) * ramp


def to_uint8(unit: torch.Tensor, color: str) -> torch.Tensor:
    """`(N, C)` values in [0, 1] → `(N, C')` uint8 for ``color`` (rgb, gray or hsv)."""
    if color == "hsv":
        unit = hsv_to_rgb(unit)
    return unit.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
