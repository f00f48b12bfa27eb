"""The article's experiments, by name (shared/MISSION.md P1–P7).

Each recipe is a set of PaintConfig fields and one or two sentences of what it demonstrates.
The recipes are the article's nets: its code is ``Linear(2, 16)`` with a bias, then 8 ×
``Linear(16, 16, bias=False)``, each followed by tanh (9 tanh layers), then
``Linear(16, 3, bias=False)`` and a sigmoid; it feeds x, y only and re-draws only the weights
(``nn.init.normal_(m.weight)``…), so the first bias keeps PyTorch's default init. The article's
"k hidden layers" are the k ``Linear(16, 16)`` after the first ``Linear(2, 16)``: k + 1 tanh
layers (``article_widths``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .config import PaintConfig

#: what every recipe shares: the article's inputs and biases
ARTICLE = {"inputs": "xy", "bias": "first"}


def article_widths(hidden: int, width: int = 16) -> tuple[int, ...]:
    """The tanh layers of the article's net with ``hidden`` hidden layers of ``width``:
    the first ``Linear(2, width)`` and ``hidden`` more, so ``hidden + 1`` layers."""
    return (width,) * (hidden + 1)


@dataclass(frozen=True)
class Recipe:
    name: str
    title: str
    caption: str
    fields: dict = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)

    def config(self, **overrides) -> PaintConfig:
        """The recipe's PaintConfig; ``overrides`` (e.g. ``size=1024``) win over its fields."""
        return PaintConfig(**{**ARTICLE, **self.fields, **overrides})


_R = [
    Recipe("grey-goo", "Grey goo (PyTorch default init)",
           "The article's net (9 tanh layers of 16, a bias on the first Linear only) with PyTorch's "
           "default init U(±1/√fan_in): the sums shrink layer after layer towards 0, tanh(0)=0 and "
           "sigmoid(0)=0.5, so every pixel is the same grey (P1).",
           {"init": "default", "widths": article_widths(8)}),
    Recipe("uniform100-raw", "Uniform ±100, raw pixel coordinates",
           "Weights U(−100, 100) bring colour back, but raw coordinates 0..size are all positive and "
           "large: tanh saturates to ±1 and only flat primary colours come out (P2).",
           {"init": "uniform:100", "raw_coords": True, "widths": article_widths(8)}),
    Recipe("uniform100", "Uniform ±100, normalised inputs",
           "Feeding x/size − 0.5 instead: the inputs straddle 0, and lines grow outward from the "
           "centre (P3).", {"init": "uniform:100", "widths": article_widths(8)}),
    Recipe("mondrian", "Neural Mondrian (inputs × 0.01)",
           "Zoom into the centre by multiplying the inputs by 0.01: a few large flat blocks, "
           "the article's \"Neural Mondrian\" (P4).",
           {"init": "uniform:100", "scale": 0.01, "widths": article_widths(8)}),
    Recipe("uniform3", "Uniform ±3",
           "The other way to zoom: shrink the weights to U(−3, 3) instead of the inputs (P4).",
           {"init": "uniform:3", "widths": article_widths(8)}),
    Recipe("normal", "Normal(0, 1), several seeds",
           "Weights N(0, 1): each random seed paints a different picture (P5).",
           {"init": "normal:1", "widths": article_widths(8)}, seeds=(0, 1, 2, 3)),
    Recipe("depth-0", "0 hidden layers",
           "Only the first Linear(2, 16) and its tanh before the output: smooth colour bands "
           "(P6).", {"init": "normal:1", "widths": article_widths(0)}),
    Recipe("depth-1", "1 hidden layer",
           "One Linear(16, 16) more: the bands fold once (P6).",
           {"init": "normal:1", "widths": article_widths(1)}),
    Recipe("depth-8", "8 hidden layers",
           "The article's default net (9 tanh layers of 16): folds and lines appear (P6).",
           {"init": "normal:1", "widths": article_widths(8)}),
    Recipe("depth-16", "16 hidden layers × 16",
           "Doubling the depth: far more, and sharper, changes (P6).",
           {"init": "normal:1", "widths": article_widths(16)}),
    Recipe("wide-8x32", "8 hidden layers × 32",
           "Doubling the width instead (about as many weights as 16×16): smoother than the deeper "
           "net — depth beats width (P6; Raghu et al. 2017).",
           {"init": "normal:1", "widths": article_widths(8, 32)}),
    Recipe("pollock", "Neuro-Pollock (128 wide)",
           "128 neurons in every layer of the article's net: a dense splatter (P7).",
           {"init": "normal:1", "widths": article_widths(8, 128)}),
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
