"""What the fit figures show, computed here (figures only draw): grids of the target and the net,
the exact linear regions with their bounds, slices of the surface classifier, training frames."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch

from ..spec import PIECEWISE_LINEAR
from .train import FitResult, grid, predict_grid

MAX_REGIONS_SHOWN = 20_000  # beyond this the region panel says so instead of drawing


@dataclass
class FitView:
    """Arrays behind the fit figure.

    Attributes:
        xs, ys: `(n,)` grid coordinates; target, learned: `(n, n)` (row ``i`` at ``ys[i]``);
            ``target`` is None for a classification data set.
        regions: the exact :class:`~neuromosaic.regions.Regions` of the learned net (None when
            it is not piecewise linear or has more than ``MAX_REGIONS_SHOWN`` pieces).
        bounds: region-count bounds for the architecture (``zaslavsky`` for one hidden layer,
            ``serra_upper`` for any depth).
        slices: for the surface task, ``{z: (n, n) probability on the plane z = c}``.
        decision: for a classifier of more than two classes, the exact
            :class:`~neuromosaic.regions.DecisionRegions` of the learned net (None when it is
            not piecewise linear or too big to draw).
    """

    xs: np.ndarray
    ys: np.ndarray
    target: np.ndarray | None
    learned: np.ndarray
    regions: object | None = None
    region_note: str = ""
    bounds: dict[str, int] = field(default_factory=dict)
    slices: dict[float, np.ndarray] = field(default_factory=dict)
    section: np.ndarray | None = None     # surface task: p(x1, x2=0, z) on a (n, n) x1-z grid
    decision: object | None = None
    section_z: np.ndarray | None = None


def fit_view(result: FitResult, *, n: int = 64, step: int | None = None, regions: bool = True,
             slice_count: int = 3) -> FitView:
    """Everything the fit figure draws, for the final net or the snapshot at ``step``."""
    cfg = result.config
    net = result.net_at(step)
    gx, gy = grid(cfg.domain, n)
    xs, ys = gx[0].numpy(), gy[:, 0].numpy()
    target = None if result.target is None else result.target(gx, gy).numpy()
    view = FitView(xs=xs, ys=ys, target=target, learned=predict_grid(net, cfg, result.target, n))
    view.bounds = region_bounds(result)
    if regions:
        view.regions, view.region_note = learned_regions(result, net)
        if cfg.classes > 2:
            view.decision = learned_decision(result, net)
    if cfg.task == "surface":
        lo, hi = float(target.min()), float(target.max())
        for z in np.linspace(lo, hi, slice_count):
            view.slices[float(z)] = predict_grid(net, cfg, result.target, n, z=float(z))
        view.section_z, view.section = surface_section(result, net, n)
    return view


def region_bounds(result: FitResult) -> dict[str, int]:
    """Upper bounds on the number of regions of the architecture (2-D inputs)."""
    from ..theory.bounds import serra_upper, zaslavsky

    widths = list(result.spec.widths)
    if result.spec.activation not in PIECEWISE_LINEAR or result.config.task == "surface":
        return {}
    out = {"serra_upper": serra_upper(2, widths)}
    if len(widths) == 1:
        out["zaslavsky"] = zaslavsky(widths[0], 2)
    return out


def learned_regions(result: FitResult, net=None):
    """``(Regions | None, note)``: the exact linear regions of the learned net on its domain."""
    if result.config.task == "surface":
        return None, "3 inputs: regions live in 3-D (see the slices)"
    if result.spec.activation not in PIECEWISE_LINEAR:
        return None, f"{result.spec.activation} is smooth: no linear regions"
    from ..errors import TooLargeError
    from ..regions import linear_regions

    exact = copy.deepcopy(net or result.net).double()  # the region engine works in float64
    try:
        regions = linear_regions(exact, domain=result.config.domain,
                                 max_regions=MAX_REGIONS_SHOWN, workers=1)
    except TooLargeError:
        return None, f"more than {MAX_REGIONS_SHOWN} regions"
    return regions, ""


def learned_decision(result: FitResult, net=None):
    """The exact decision regions (where each class wins) of a multiclass classifier, or None
    where they are not defined (a smooth activation) or too many to draw."""
    return exact_decision(net or result.net, result.config)


def exact_decision(net, config, *, progress=None):
    """:func:`learned_decision` of ``net`` trained under ``config`` (the lab's live frames call
    it with a trainer's net)."""
    if config.activation not in PIECEWISE_LINEAR:
        return None
    from ..errors import TooLargeError
    from ..regions import decision_regions

    try:
        return decision_regions(copy.deepcopy(net).double(), domain=config.domain,
                                max_regions=MAX_REGIONS_SHOWN, progress=progress)
    except TooLargeError:
        return None


def surface_section(result: FitResult, net, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The surface classifier's probability on the vertical plane ``x2 = mid``: `(n,)` z values
    and `(n, n)` probabilities (row ``i`` at ``z_i``, column ``j`` at ``x1_j``)."""
    cfg = result.config
    x0, x1, y0, y1 = cfg.domain
    xs = torch.linspace(x0, x1, n, dtype=torch.float64)
    mid = torch.full_like(xs, 0.5 * (y0 + y1))
    f = result.target(xs, mid)
    pad = 1.5
    zs = torch.linspace(float(f.min()) - pad, float(f.max()) + pad, n, dtype=torch.float64)
    gx, gz = torch.meshgrid(xs, zs, indexing="xy")
    pts = torch.stack([gx.reshape(-1), torch.full_like(gx.reshape(-1), float(mid[0])), gz.reshape(-1)], 1)
    with torch.no_grad():
        prob = torch.sigmoid(net(pts.float()).reshape(gx.shape).double())
    return zs.numpy(), prob.numpy()


def training_views(result: FitResult, *, n: int = 48, regions: bool = True,
                   max_frames: int = 40, log_spaced: bool = True) -> list[tuple[int, FitView]]:
    """``[(step, FitView)]`` for up to ``max_frames`` of the snapshots, for animations.

    With ``log_spaced`` the frames are picked near geometrically spaced steps (1, 2, 4, …):
    most of the shape forms in the first few percent of training.
    """
    steps = [s for s, _ in result.snapshots]
    if len(steps) > max_frames:
        if log_spaced and steps[-1] > 1:
            wanted = np.concatenate([[0], np.geomspace(1, steps[-1], max_frames - 1)])
        else:
            wanted = np.linspace(0, steps[-1], max_frames)
        have = np.asarray(steps)
        pick = np.unique([int(np.abs(have - w).argmin()) for w in wanted])
        steps = [steps[i] for i in pick]
    return [(s, fit_view(result, n=n, step=s, regions=regions, slice_count=3)) for s in steps]
