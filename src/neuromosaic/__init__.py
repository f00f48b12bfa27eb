"""neuromosaic: see and measure what a neural network does to its input space."""

from . import fit, theory
from .errors import NeuromosaicError
from .fit import FitConfig, FitResult, towers
from .layers import Maxout, Residual
from .paint import PaintConfig, paint
from .plane import Plane
from .spec import InitSpec, NetSpec

__version__ = "0.1.0"

__all__ = [
    "FitConfig",
    "FitResult",
    "InitSpec",
    "Maxout",
    "NetSpec",
    "NeuromosaicError",
    "PaintConfig",
    "Plane",
    "Residual",
    "fit",
    "paint",
    "__version__",
    "theory",
    "towers",
]
