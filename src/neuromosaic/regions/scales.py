"""Zero tolerances: what a value's float64 rounding error is relative to.

A value of a step is a sum of terms (``M @ h + c``); its rounding error, and the error it inherits
from ``h``, scale with the size of those terms, ``|M| @ max|h| + |c|``, not with the value (which
may be a small difference of large terms) nor with any absolute unit (a tiny domain has tiny
values throughout). :class:`Scale` follows that size through a program, one number for the live
values; a cutting step counts a value as zero within ``CUT_EPS`` machine epsilons of it.

Measured (``neuromosaic regions --arch 2,8,1 --domain=-R,R,-R,R``, 37 regions in truth): a
tolerance of 1e-10 of the values, the engine's old one, merged features up to 1e-10 of the
domain's size (16 regions at R = 1e12); ``CUT_EPS`` = 64 epsilons (1.4e-14) gives 37 there. The
interpolation errors of the cut are a few epsilons of the scale per layer.
"""

from __future__ import annotations

import numpy as np

from .program import Affine, Hide, Pop, Push, Show

EPS = float(np.finfo(np.float64).eps)
#: the cut: a vertex value within this many epsilons of the step's scale is on the hyperplane
CUT_EPS = 64.0
#: check(): a vertex of a face may sit this many epsilons of the scale on the wrong side of a
#: hyperplane (the cut's tolerance, the errors of the vertex's position and of a fresh forward)
CHECK_EPS = 1024.0


def column_max(X: np.ndarray) -> np.ndarray:
    """``max |X|`` per column `(d,)` without a temporary ``|X|`` (two reductions)."""
    if X.shape[0] == 0:
        return np.zeros(X.shape[1])
    return np.maximum(X.max(axis=0), -X.min(axis=0))


class Scale:
    """The size of the terms behind the live values, step by step.

    ``value`` starts at ``max |inputs|``; an affine step makes it ``max(|M| @ hmax + |c|)`` with
    ``hmax`` the largest ``|h|`` per live column; a residual block adds its saved scale back
    (``Push``/``Pop``), carried values keep theirs (``Hide``/``Show``); activations and maxima
    leave it (they only select or shrink values).

    ``propagate``: also carry the error the inputs of an affine step bring, ``(|M| @ 1) * value``
    (a bound that grows with depth like the product of the layers' absolute row sums; for
    comparing two evaluations at points whose coordinates are themselves rounded).
    """

    def __init__(self, value: float, *, propagate: bool = False):
        self.value = float(value)
        self.propagate = propagate
        self._saved: list[float] = []
        self._hidden: list[float] = []

    def step(self, step, hmax: np.ndarray | None = None) -> None:
        """Advance past ``step``; an affine step needs ``hmax`` `(d_in,)`."""
        if isinstance(step, Affine):
            absM = np.abs(step.M)
            terms = absM @ hmax + np.abs(step.c) if step.M.size else np.abs(step.c)
            if self.propagate and step.M.size:
                terms = terms + absM.sum(axis=1) * self.value
            self.value = float(terms.max()) if terms.size else 0.0
        elif isinstance(step, Push):
            self._saved.append(self.value)
        elif isinstance(step, Pop):
            self.value += self._saved.pop() if self._saved else self.value
        elif isinstance(step, Hide):
            self._hidden.append(self.value)
        elif isinstance(step, Show):
            self.value = max(self.value, self._hidden.pop() if self._hidden else 0.0)

    def tolerance(self, eps_units: float | None = None) -> float:
        """The zero tolerance of the live values: ``eps_units`` (default ``CUT_EPS``) machine
        epsilons of the scale."""
        return (CUT_EPS if eps_units is None else eps_units) * EPS * self.value
