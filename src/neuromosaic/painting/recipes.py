"""The article's experiments, by name (shared/MISSION.md P1–P7).

Each recipe is a set of PaintConfig fields and one or two sentences of what it demonstrates.
The article fed x, y only (two inputs) and initialised weights only (``nn.init.normal_(m.weight)``),
so recipes use ``inputs="xy"`` and keep PyTorch's default bias init.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .config import PaintConfig


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    caption: str
    fields: dict = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)

    def config(self, **overrides) -> PaintConfig:
        """The recipe's PaintConfig; ``overrides`` (e.g. ``size=1024``) win over its fields."""
        return PaintConfig(**{"inputs": "xy", **self.fields, **overrides})


_R = [
    Recipe("grey-goo", "Grey goo (PyTorch default init)",
           "8×16 tanh with PyTorch's default init U(±1/√fan_in): the sums shrink layer after layer "
           "towards 0, tanh(0)=0 and sigmoid(0)=0.5, so every pixel is the same grey (P1).",
           {"init": "default"}),
    Recipe("uniform100-raw", "Uniform ±100, raw pixel coordinates",
           "Weights U(−100, 100) bring colour back, but raw coordinates 0..size are all positive and "
           "large: tanh saturates to ±1 and only flat primary colours come out (P2).",
           {"init": "uniform:100", "raw_coords": True}),
    Recipe("uniform100", "Uniform ±100, normalised inputs",
           "Feeding x/size − 0.5 instead: the inputs straddle 0, and lines grow outward from the "
           "centre (P3).", {"init": "uniform:100"}),
    Recipe("mondrian", "Neural Mondrian (inputs × 0.01)",
           "Zoom into the centre by multiplying the inputs by 0.01: a few large flat blocks, "
           "the article's \"Neural Mondrian\" (P4).", {"init": "uniform:100", "scale": 0.01}),
    Recipe("uniform3", "Uniform ±3",
           "The other way to zoom: shrink the weights to U(−3, 3) instead of the inputs (P4).",
           {"init": "uniform:3"}),
    Recipe("normal", "Normal(0, 1), several seeds",
           "Weights N(0, 1): each random seed paints a different picture (P5).",
           {"init": "normal:1"}, seeds=(0, 1, 2, 3)),
    Recipe("depth-0", "0 hidden layers",
           "Inputs straight to outputs: a smooth colour gradient, nothing more (P6).",
           {"init": "normal:1", "layers": 0}),
    Recipe("depth-1", "1 hidden layer",
           "One hidden layer of 16: a few soft bands (P6).", {"init": "normal:1", "layers": 1}),
    Recipe("depth-8", "8 hidden layers",
           "The article's default 8×16: folds and lines appear (P6).",
           {"init": "normal:1", "layers": 8}),
    Recipe("depth-16", "16 hidden layers × 16",
           "Doubling the depth: far more, and sharper, changes (P6).",
           {"init": "normal:1", "layers": 16}),
    Recipe("wide-8x32", "8 hidden layers × 32",
           "Doubling the width instead (about as many weights as 16×16): smoother than the deeper "
           "net — depth beats width (P6; Raghu et al. 2017).",
           {"init": "normal:1", "layers": 8, "width": 32}),
    Recipe("pollock", "Neuro-Pollock (128 wide)",
           "128 neurons in each of 8 layers: a dense splatter (P7).",
           {"init": "normal:1", "layers": 8, "width": 128}),
    Recipe("halving", "128, halving each layer",
           "Start at 128 neurons and halve each layer (128, 64, …, 2): it looks more natural (P7).",
           {"init": "normal:1", "widths": (128, 64, 32, 16, 8, 4, 2)}),
]
RECIPES: dict[str, Recipe] = {r.name: r for r in _R}


def get_recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise SpecError(f"unknown recipe {name!r}; allowed: {', '.join(RECIPES)}") from None
