"""neuromosaic: see and measure what a neural network does to its input space."""

from . import fit, theory
from .errors import NeuromosaicError
from .fit import FitConfig, FitResult, towers
from .layers import Maxout, Residual
from .paint import PaintConfig, paint
from .plane import Plane
from .regions import Regions, linear_regions, regions_on_segment
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
    "Regions",
    "Residual",
    "fit",
    "linear_regions",
    "paint",
    "regions_on_segment",
    "__version__",
    "theory",
    "towers",
]
