"""neuromosaic: see and measure what a neural network does to its input space."""

from . import theory
from .errors import NeuromosaicError
from .layers import Maxout, Residual
from .paint import PaintConfig, paint
from .plane import Plane
from .spec import InitSpec, NetSpec

__version__ = "0.1.0"

__all__ = [
    "InitSpec",
    "Maxout",
    "NetSpec",
    "NeuromosaicError",
    "PaintConfig",
    "Plane",
    "Residual",
    "paint",
    "__version__",
    "theory",
]
