"""Theory: closed-form predictions to hold the pictures against.

``bounds``: exact region-count bounds (Zaslavsky, Pascanu, Montúfar, Serra, maxout).
``meanfield``: order and chaos of random nets (Poole et al. 2016, Schoenholz et al. 2017).
``trajectory``: how far a random net stretches a circle, layer by layer (Raghu et al. 2017).
``constructions``: nets built to reach the exponential counts (sawtooth, Montúfar's folding).
"""

from . import bounds, constructions, meanfield, trajectory

__all__ = ["bounds", "constructions", "meanfield", "trajectory"]
