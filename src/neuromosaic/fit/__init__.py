"""Fit small networks to 2-D functions, build Nielsen's towers by hand, check a hand-written backprop.

``fit`` trains (``train.py``); ``targets`` parses safe target expressions and makes data sets;
``towers`` builds Nielsen's construction; ``interp`` the interpolating ReLU net; ``scratch`` is a
NumPy MLP with backprop written out and a gradient check.
"""

import sys
import types

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



class _CallableModule(types.ModuleType):
    """``nm.fit`` is this package *and* the function: ``nm.fit(...)`` trains, while
    ``nm.fit.train.Trainer``, ``nm.fit.towers`` … stay reachable as attributes."""

    def __call__(self, *args, **kwargs) -> FitResult:
        return fit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
