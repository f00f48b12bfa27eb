"""Fit small networks to 2-D functions, build Nielsen's towers by hand, check a hand-written backprop.

``train.fit`` trains (it is ``neuromosaic.fit``); ``targets`` parses safe target expressions and makes data sets;
``towers`` builds Nielsen's construction; ``interp`` the interpolating ReLU net; ``scratch`` is a
NumPy MLP with backprop written out and a gradient check.
"""

from . import interp, scratch, targets, towers
from .config import FitConfig
from .targets import get_target, make_dataset, parse_expression
from .train import FitResult, Trainer, fit

__all__ = [
    "FitConfig",
    "FitResult",
    "Trainer",
    "fit",
    "get_target",
    "interp",
    "make_dataset",
    "parse_expression",
    "scratch",
    "targets",
    "towers",
]

