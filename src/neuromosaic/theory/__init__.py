"""Theory: closed-form predictions to hold the pictures against.

``bounds``: exact region-count bounds (Zaslavsky, Pascanu, Montúfar, Serra, maxout).
``meanfield``: order and chaos of random nets (Poole et al. 2016, Schoenholz et al. 2017).
``trajectory``: how far a random net stretches a circle, layer by layer (Raghu et al. 2017).
``constructions``: nets built to reach the exponential counts (sawtooth, Montúfar's folding).
``density``: exact region counts of random ReLU nets, ≈ c·T² (Hanin & Rolnick 2019).
``stats``: each layer's sums for the article's inits, beside mean field's prediction.
"""

import importlib

__all__ = ["bounds", "constructions", "density", "meanfield", "stats", "trajectory"]


def __getattr__(name: str):
    """The submodules load on first use: ``bounds`` is plain integer arithmetic and should not
    wait for torch, which the others import."""
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
