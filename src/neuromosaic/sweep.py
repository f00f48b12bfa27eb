"""Deprecated alias of :mod:`neuromosaic.sweeps` (renamed in 0.2.0; this alias goes in 0.3.0)."""

import warnings

from .sweeps import *  # noqa: F403
from .sweeps import __all__  # noqa: F401

warnings.warn("neuromosaic.sweep is renamed neuromosaic.sweeps; the old name goes in 0.3.0",
              DeprecationWarning, stacklevel=2)
