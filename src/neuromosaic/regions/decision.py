"""Decision regions: where each class wins, cut exactly.

For a net with ``C >= 2`` outputs the predicted class is the argmax of the outputs, and each output
is affine on every linear region, so the argmax is the max of ``C`` affine pieces there: the
program gets one more step, a max over the outputs (the same tournament that cuts Maxout), and
every linear region is split exactly where the winner changes. A class region is a connected union
of such pieces with one winner (connected through shared edges); it may span many linear regions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from torch import nn

from ..errors import SpecError
from ..plane import Plane
from .compile import compile_net
from .partition import cut_program, resolve_plane
from .program import MaxGroups, Program


@dataclass
class DecisionRegions:
    """The exact decision regions of a ``C``-output net over a plane rectangle.

    Attributes:
        pieces: the :class:`~.result.Regions` of the cut: every linear region split where the
            argmax changes (``pieces.count`` convex pieces, each with its own affine map).
        num_classes: ``C``.
        classes: `(pieces.count,)` the class that wins on each piece.
        linear_patterns: `(pieces.count, nbytes)` each piece's activation pattern without its
            argmax byte (the linear region it lies in).
    """

    pieces: object
    num_classes: int
    classes: np.ndarray
    linear_patterns: np.ndarray
    program: Program  # the net's own program: its C outputs

    @property
    def plane(self) -> Plane:
        return self.pieces.plane

    @property
    def polygons(self) -> list[np.ndarray]:
        """The pieces' convex polygons `(k, 2)` in plane coordinates."""
        return self.pieces.polygons

    @cached_property
    def region_of_piece(self) -> np.ndarray:
        """`(pieces.count,)`: which class region (a connected component of one class) each piece
        belongs to; class regions are numbered by their first piece."""
        n = self.pieces.count
        parent = np.arange(n)

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for a, b in self.pieces.neighbours:
            if self.classes[a] == self.classes[b]:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        roots = np.array([find(i) for i in range(n)])
        _, labels = np.unique(roots, return_inverse=True)
        return labels.reshape(-1)

    @property
    def count(self) -> int:
        """Number of class regions (connected, one class each)."""
        return int(self.region_of_piece.max()) + 1 if self.pieces.count else 0

    @cached_property
    def region_class(self) -> np.ndarray:
        """`(count,)` the class of each class region."""
        out = np.empty(self.count, dtype=np.int64)
        out[self.region_of_piece] = self.classes
        return out

    @cached_property
    def areas_per_class(self) -> np.ndarray:
        """`(num_classes,)` the area each class wins (plane coordinates)."""
        return np.bincount(self.classes, weights=self.pieces.areas, minlength=self.num_classes)

    @cached_property
    def linear_regions_per_region(self) -> np.ndarray:
        """`(count,)` how many linear regions (distinct activation patterns) each class region
        spans."""
        rows = np.ascontiguousarray(self.linear_patterns).view(
            np.dtype((np.void, max(1, self.linear_patterns.shape[1]))))[:, 0] \
            if self.linear_patterns.shape[1] else np.zeros(self.pieces.count, "V1")
        out = np.zeros(self.count, dtype=np.int64)
        for r in range(self.count):
            out[r] = len(set(rows[self.region_of_piece == r].tolist()))
        return out

    @cached_property
    def boundary(self) -> np.ndarray:
        """Segments `(m, 2, 2)` (plane coordinates) between pieces of different classes: the
        exact decision boundary (inside the rectangle)."""
        mesh = self.pieces.mesh
        F = mesh.F
        nf, D = F.shape
        a, b = F.reshape(-1), np.roll(F, -1, axis=1).reshape(-1)
        face = np.repeat(np.arange(nf), D)
        real = a != b
        a, b, face = a[real], b[real], face[real]
        key = (np.minimum(a, b) << 32) | np.maximum(a, b)
        order = np.argsort(key, kind="stable")
        key, face, a, b = key[order], face[order], a[order], b[order]
        same = np.flatnonzero(key[1:] == key[:-1])
        cls = self.classes[mesh.face_region]
        differ = same[cls[face[same]] != cls[face[same + 1]]]
        return np.stack([mesh.P[a[differ]], mesh.P[b[differ]]], axis=1)

    def predict(self, st: np.ndarray) -> np.ndarray:
        """The class the net predicts at plane points `(m, 2)` (a direct forward pass)."""
        out = self.program.forward(self.plane.to_input(np.asarray(st, np.float64)))
        return out.argmax(axis=1)

    def outputs(self, st: np.ndarray) -> np.ndarray:
        """The net's ``C`` outputs at plane points `(m, 2)`."""
        return self.program.forward(self.plane.to_input(np.asarray(st, np.float64)))

    def _repr_html_(self) -> str:
        """Jupyter: the pieces in their class colours beside the counts and areas."""
        from ..display import decision_html

        return decision_html(self)

    def plot(self, ax=None, **kw):
        """Pieces coloured by class, the decision boundary, the linear regions' edges (see
        :func:`neuromosaic.figures.regions.plot_decision`)."""
        from ..figures.regions import plot_decision

        return plot_decision(self, ax=ax, **kw)

    def __repr__(self) -> str:
        return (f"DecisionRegions(classes={self.num_classes}, regions={self.count}, "
                f"pieces={self.pieces.count}, extent={list(self.plane.extent)})")


def decision_regions(net, domain=None, plane: Plane | None = None, *, max_regions: int | None = None,
                     input_shape=None, backend: str = "auto", progress=None) -> DecisionRegions:
    """The exact regions of the plane where each class wins (the argmax of ``C >= 2`` outputs).

    Arguments as :func:`~.partition.linear_regions` (one tile: the boundary is read from edges
    the pieces share). A last softmax/log-softmax/sigmoid is accepted (it keeps the argmax) and
    the pre-activation is cut.
    """
    plane = resolve_plane(domain, plane)
    program = compile_net(net, plane.in_dim, input_shape=input_shape)
    C = program.out_dim
    if C < 2:
        raise SpecError(f"decision regions need a net with at least 2 outputs (classes), this one "
                        f"has {C}; its decision boundary is Regions.decision_boundary()")
    reference = program.reference if program.reference is not None else net
    argmax = Program([*program.steps, MaxGroups(np.arange(C)[None, :], "argmax")], program.in_dim, 1,
                     reference=_Winner(reference) if isinstance(reference, nn.Module) else None,
                     output_activation=program.output_activation, input_shape=program.input_shape)
    pieces = cut_program(net, argmax, plane, max_regions=max_regions, tiles=(1, 1), workers=1,
                         backend=backend, progress=progress)
    last = pieces.layout[-1]
    classes = pieces.patterns[:, last["offset"]].astype(np.int64)
    linear = pieces.patterns[:, :last["offset"]]
    return DecisionRegions(pieces, C, classes, np.ascontiguousarray(linear), program)


class _Winner(nn.Module):
    """The largest output of ``net``: what the pieces' affine maps are (their checks use it)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x).amax(dim=-1, keepdim=True)
