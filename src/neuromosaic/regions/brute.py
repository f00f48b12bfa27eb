"""Brute-force region estimate: distinct activation patterns on a dense grid (for tests).

Every grid point lies in some region, so the number of distinct patterns seen is a lower bound on
the region count; it converges to the count as the grid gets finer (regions thinner than the
grid spacing are missed). Independent of the mesh: a plain float64 forward pass.
"""

from __future__ import annotations

import numpy as np

from ..plane import Plane
from .compile import compile_net
from .partition import resolve_plane


def grid_patterns(net, domain=None, plane: Plane | None = None, *, size: int = 512,
                  chunk: int = 65536, input_shape=None) -> np.ndarray:
    """Pattern bytes `(size * size, nbytes)` at the pixel centres of a ``size`` x ``size`` grid."""
    plane = resolve_plane(domain, plane)
    program = compile_net(net, plane.in_dim, input_shape=input_shape)
    st = plane.grid(size, size).reshape(-1, 2)
    parts = []
    for lo in range(0, st.shape[0], chunk):
        _, pre = program.forward(plane.to_input(st[lo:lo + chunk]), record=True)
        parts.append(program.encode_patterns(pre, len(st[lo:lo + chunk])))
    return np.concatenate(parts)


def grid_count(net, domain=None, plane: Plane | None = None, *, size: int = 512, input_shape=None) -> int:
    """Number of distinct activation patterns on the grid: a lower bound on the region count."""
    codes = grid_patterns(net, domain, plane, size=size, input_shape=input_shape)
    return int(np.unique(codes, axis=0).shape[0])
