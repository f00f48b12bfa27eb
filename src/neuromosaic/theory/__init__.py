"""Theory: closed-form predictions to hold the pictures against.

``bounds``: exact region-count bounds (Zaslavsky, Pascanu, Montúfar, Serra, maxout).
``meanfield``: order and chaos of random nets (Poole et al. 2016, Schoenholz et al. 2017).
"""

from . import bounds, meanfield

__all__ = ["bounds", "meanfield"]
