"""A net trained on real data: scikit-learn's 8×8 digits (1,797 images, shipped with the package:
no download), and the plane through three test images where its regions are cut.

:func:`train_digits` trains an MLP or a small conv net (cross-entropy, Adam, mini-batches, a
seed for everything) and keeps a snapshot after every epoch; :func:`plane_through` is the plane
through three images (input space: 64 pixel values in [0, 1]); :func:`regions_during_training`
counts the exact linear regions on that plane at every snapshot, beside the test accuracy, as
Hanin & Rolnick ("Deep ReLU networks have surprisingly few activation patterns", 2019) would
predict: the count stays far below the bounds and barely grows with training.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..errors import InputError, SpecError
from ..plane import Plane

MODELS = ("mlp", "conv")


def load_digits_split(*, seed: int = 0, test_share: float = 0.25) -> tuple[np.ndarray, ...]:
    """``(x_train, y_train, x_test, y_test)``: images `(n, 64)` scaled to [0, 1], labels 0–9; the
    split is a seeded permutation."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise InputError("the digits need scikit-learn: pip install 'neuromosaic[data]'") from None
    data = load_digits()
    x = data.data.astype(np.float64) / 16.0
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_share * len(x)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def digits_model(kind: str = "mlp", *, seed: int = 0) -> nn.Sequential:
    """``mlp``: 64 → 32 → 32 → 10 ReLU; ``conv``: an 8×8 image → Conv2d(1, 6, 3) → ReLU →
    MaxPool2d(2) → Linear(54, 10). Piecewise linear both, so their regions can be cut."""
    if kind not in MODELS:
        raise SpecError(f"model must be one of {', '.join(MODELS)}, got {kind!r}")
    from ..threads import SEEDED_RNG

    with SEEDED_RNG, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "mlp":
            return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
        return nn.Sequential(nn.Unflatten(1, (1, 8, 8)), nn.Conv2d(1, 6, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(6 * 3 * 3, 10))


@dataclass
class DigitsRun:
    """What :func:`train_digits` returns.

    Attributes:
        net: the trained net (float32, eval mode); kind: ``mlp`` or ``conv``.
        test_accuracy: `(epochs + 1,)` the share of test images classified right, before training
            and after each epoch.
        snapshots: the net's state after each epoch (index 0: the initial weights).
        data: ``(x_train, y_train, x_test, y_test)``.
    """

    net: nn.Module
    kind: str
    test_accuracy: list[float]
    snapshots: list[dict] = field(repr=False)
    data: tuple = field(repr=False)

    def net_at(self, epoch: int) -> nn.Module:
        """A copy of the net as it was after ``epoch`` epochs (0: untrained)."""
        if not 0 <= epoch < len(self.snapshots):
            raise InputError(f"epoch must be in 0..{len(self.snapshots) - 1}, got {epoch}")
        net = copy.deepcopy(self.net)
        net.load_state_dict(self.snapshots[epoch])
        return net.eval()


def _accuracy(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((net(x).argmax(1) == y).float().mean())


def train_digits(kind: str = "mlp", *, epochs: int = 20, lr: float = 3e-3, batch_size: int = 64,
                 seed: int = 0, progress=None) -> DigitsRun:
    """Train a digits classifier; see :class:`DigitsRun`. Every random draw (split, weights,
    batches) comes from ``seed``. ``progress(epoch, epochs)`` is called after every epoch (the
    lab's cancel point)."""
    if not 1 <= int(epochs) <= 500:
        raise SpecError(f"epochs must be in 1..500, got {epochs}")
    x_tr, y_tr, x_te, y_te = load_digits_split(seed=seed)
    xt, yt = torch.tensor(x_tr, dtype=torch.float32), torch.tensor(y_tr)
    xe, ye = torch.tensor(x_te, dtype=torch.float32), torch.tensor(y_te)
    net = digits_model(kind, seed=seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed + 1)
    acc, snaps = [_accuracy(net, xe, ye)], [copy.deepcopy(net.state_dict())]
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(int(epochs)):
        net.train()
        order = torch.randperm(len(xt), generator=gen)
        for lo in range(0, len(xt), batch_size):
            idx = order[lo:lo + batch_size]
            opt.zero_grad()
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
        net.eval()
        acc.append(_accuracy(net, xe, ye))
        snaps.append(copy.deepcopy(net.state_dict()))
        if progress is not None:
            progress(len(acc) - 1, int(epochs))
    return DigitsRun(net.eval(), kind, acc, snaps, (x_tr, y_tr, x_te, y_te))


def plane_through(images: np.ndarray, *, margin: float = 0.25) -> Plane:
    """The plane through three images `(3, 64)` (orthonormal axes, so areas are true areas)."""
    images = np.asarray(images, dtype=np.float64)
    if images.shape != (3, 64):
        raise InputError(f"the plane goes through three 64-pixel images, got shape {images.shape}")
    return Plane.through(images[0], images[1], images[2], margin=margin)


def pick_images(run: DigitsRun, through: tuple[int, int, int] | None = None) -> np.ndarray:
    """Indices of three test images: ``through`` as given (checked), or the first test images of
    three different classes."""
    x_te, y_te = run.data[2], run.data[3]
    if through is None:
        seen, picks = set(), []
        for i, label in enumerate(y_te):
            if label not in seen:
                seen.add(label)
                picks.append(i)
            if len(picks) == 3:
                break
        return np.array(picks)
    idx = np.asarray(through, dtype=np.int64)
    if idx.shape != (3,) or idx.min() < 0 or idx.max() >= len(x_te) or len(set(idx.tolist())) != 3:
        raise InputError(f"through takes three different test-image indices in 0..{len(x_te) - 1}, "
                         f"got {list(through)}")
    return idx


def regions_during_training(run: DigitsRun, plane: Plane, *, epochs=None, max_regions: int = 400_000) -> list[dict]:
    """The exact region count on ``plane`` after each epoch (or the given ones), beside the test
    accuracy: ``[{"epoch", "regions", "test_accuracy"}, …]``."""
    from ..regions import linear_regions

    rows = []
    for e in (range(len(run.snapshots)) if epochs is None else epochs):
        reg = linear_regions(run.net_at(e).double(), plane=plane, max_regions=max_regions, workers=1)
        rows.append({"epoch": int(e), "regions": reg.count, "test_accuracy": run.test_accuracy[e]})
    return rows
