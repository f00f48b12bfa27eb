"""Theory: closed-form predictions to hold the pictures against.

``bounds``: exact region-count bounds (Zaslavsky, Pascanu, Montúfar, Serra, maxout).
"""

from . import bounds

__all__ = ["bounds"]
