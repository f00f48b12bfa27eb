"""Network outputs → pixel colours.

Outputs are first mapped to [0, 1] by an affine map ``(v − lo) / (hi − lo)`` then clipped (see
:func:`neuromosaic.painting.render.paint` for how ``lo, hi`` are chosen: the output activation's
range, a given range, or the range the net reaches over the picture). ``rgb`` shows three
channels as they are, ``hsv`` reads them as hue, saturation and value, ``gray`` shows one, and a
matplotlib colormap (``cmap``) turns one channel into RGB.
"""

from __future__ import annotations

import numpy as np
import torch

from ..errors import SpecError

COLORS = ("rgb", "gray", "hsv")
#: a few colormap names shown when an unknown one is asked for
CMAP_EXAMPLES = ("viridis", "magma", "inferno", "plasma", "cividis", "gray", "twilight", "coolwarm")


def to_unit(out: torch.Tensor, lo: float = 0.0, hi: float = 1.0) -> torch.Tensor:
    """Map raw outputs to [0, 1]: ``(v − lo) / (hi − lo)``, then clip (a new tensor).

    ``lo == hi`` (a constant output) maps every value to 0.5. ``(−1, 1)`` is ``(v + 1) / 2``."""
    if not hi > lo:
        return torch.full_like(out, 0.5)
    if lo == 0.0 and hi == 1.0:
        return out.clamp(0.0, 1.0)
    return out.sub(lo).div_(hi - lo).clamp_(0.0, 1.0)


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    """`(N, 3)` HSV in [0, 1] → `(N, 3)` RGB in [0, 1] (the standard hexcone model)."""
    h, s, v = hsv.unbind(-1)
    h6 = (h % 1.0) * 6.0
    k = torch.stack([(5.0 + h6) % 6.0, (3.0 + h6) % 6.0, (1.0 + h6) % 6.0], dim=-1)
    # f(n) = v - v*s*max(0, min(k, 4-k, 1)): the piecewise-linear hue ramps
    ramp = torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return v.unsqueeze(-1) - (v * s).unsqueeze(-1) * ramp


def colormap_lut(name: str) -> torch.Tensor:
    """The `(N, 3)` float32 RGB table of matplotlib's colormap ``name`` (``SpecError`` if there
    is no such colormap)."""
    import matplotlib

    if not isinstance(name, str):
        raise SpecError(f"cmap must be a matplotlib colormap name, got {name!r}")
    try:
        cm = matplotlib.colormaps[name]
    except KeyError:
        raise SpecError(f"cmap must be a matplotlib colormap name such as "
                        f"{', '.join(CMAP_EXAMPLES)} (add _r to reverse one), got {name!r}") from None
    return torch.as_tensor(cm(np.arange(cm.N))[:, :3], dtype=torch.float32)


def apply_lut(unit: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
    """`(N, 1)` values in [0, 1] → `(N, 3)` RGB from ``lut``, binned as matplotlib bins a float
    (``floor(v · N)``, 1.0 in the last bin)."""
    n = lut.shape[0]
    idx = unit[:, 0].mul(float(n)).floor_().nan_to_num_(0.0).clamp_(0, n - 1).long()
    return lut[idx]


def to_uint8(unit: torch.Tensor, color: str, lut: torch.Tensor | None = None) -> torch.Tensor:
    """`(N, C)` values in [0, 1] → `(N, C')` uint8 for ``color`` (rgb, gray or hsv), or through
    the colormap table ``lut`` (:func:`colormap_lut`) for one channel."""
    if lut is not None:
        unit = apply_lut(unit, lut)
    elif color == "hsv":
        unit = hsv_to_rgb(unit)
    return unit.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
