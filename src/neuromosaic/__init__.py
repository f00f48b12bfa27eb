"""neuromosaic: see and measure what a neural network does to its input space.

The public names below are loaded on first use (PEP 562), so ``import neuromosaic`` and the
command line start without importing torch, NumPy's heavy parts or Numba.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# public name -> (module, attribute); attribute None means the module itself
_PUBLIC: dict[str, tuple[str, str | None]] = {
    "NeuromosaicError": (".errors", "NeuromosaicError"),
    "NetSpec": (".spec", "NetSpec"),
    "InitSpec": (".spec", "InitSpec"),
    "Plane": (".plane", "Plane"),
    "Maxout": (".layers", "Maxout"),
    "Residual": (".layers", "Residual"),
    "paint": (".painting.render", "paint"),
    "PaintConfig": (".painting.config", "PaintConfig"),
    "to_glsl": (".painting.glsl", "to_glsl"),
    "linear_regions": (".regions.partition", "linear_regions"),
    "regions_on_segment": (".regions.segment", "regions_on_segment"),
    "Regions": (".regions.result", "Regions"),
    "AffinePieces": (".regions.merge", "AffinePieces"),
    "decision_regions": (".regions.decision", "decision_regions"),
    "DecisionRegions": (".regions.decision", "DecisionRegions"),
    "fit": (".fitting.train", "fit"),
    "FitConfig": (".fitting.config", "FitConfig"),
    "FitResult": (".fitting.train", "FitResult"),
    "towers": (".fitting.towers", None),
    "save": (".io.nets", "save"),
    "load": (".io.nets", "load"),
    "theory": (".theory", None),
    "widgets": (".widgets", None),
    "evolve": (".evolve", None),
}

__all__ = sorted([*_PUBLIC, "__version__"])


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'neuromosaic' has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value  # next time without __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from . import evolve, theory  # noqa: F401
    from .errors import NeuromosaicError  # noqa: F401
    from .fitting import towers  # noqa: F401
    from .fitting.config import FitConfig  # noqa: F401
    from .fitting.train import FitResult, fit  # noqa: F401
    from .io.nets import load, save  # noqa: F401
    from .layers import Maxout, Residual  # noqa: F401
    from .painting.config import PaintConfig  # noqa: F401
    from .painting.glsl import to_glsl  # noqa: F401
    from .painting.render import paint  # noqa: F401
    from .plane import Plane  # noqa: F401
    from .regions.decision import DecisionRegions, decision_regions  # noqa: F401
    from .regions.merge import AffinePieces  # noqa: F401
    from .regions.partition import linear_regions  # noqa: F401
    from .regions.result import Regions  # noqa: F401
    from .regions.segment import regions_on_segment  # noqa: F401
    from .spec import InitSpec, NetSpec  # noqa: F401
