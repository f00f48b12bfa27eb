"""The compiled kernel (Numba) and the NumPy path cut the same partition.

Both implement :mod:`neuromosaic.regions.cutter`'s cut with the same arithmetic; faces come out
in another order, so the partitions are compared as {pattern: (area, affine map)}.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from regions_helpers import mlp, net_from
from torch import nn

import neuromosaic as nm
from neuromosaic.errors import SpecError, TooLargeError
from neuromosaic.regions import cutter, kernel
from neuromosaic.regions.mesh import Mesh

pytest.importorskip("numba")


def _cut(net, backend: str, **kw):
    return nm.linear_regions(net, backend=backend, **kw)


def _by_pattern(reg) -> dict:
    g, o = reg.affine
    return {bytes(p): (a, gi, oi) for p, a, gi, oi in zip(reg.patterns, reg.areas, g, o, strict=True)}


def _same(a, b) -> None:
    assert a.count == b.count
    pa, pb = _by_pattern(a), _by_pattern(b)
    assert pa.keys() == pb.keys()
    scale = a.plane.area
    for k, (area, g, o) in pa.items():
        area2, g2, o2 = pb[k]
        assert area == pytest.approx(area2, rel=1e-9, abs=1e-12 * scale)
        if area > 1e-9 * scale:  # maps of slivers are ill-conditioned in both
            np.testing.assert_allclose(g, g2, rtol=1e-6, atol=1e-9)
            np.testing.assert_allclose(o, o2, rtol=1e-6, atol=1e-9)


ACTS = {"relu": nn.ReLU, "leaky": lambda: nn.LeakyReLU(0.1), "hardtanh": nn.Hardtanh,
        "abs": nm.layers.Abs, "prelu": nn.PReLU}


@pytest.mark.parametrize("act", sorted(ACTS))
@pytest.mark.parametrize("seed", [0, 1])
def test_kernel_equals_numpy_path(act, seed):
    """The compiled kernel and the NumPy reference cut the same partition, with and without a
    progress callback (which is called after every step by both)."""
    net = mlp([12, 10, 8], seed=seed, act=ACTS[act])
    for R in (1.0, 6.0):
        seen: list = []
        fast = _cut(net, "numba", domain=(-R, R, -R, R),
                    progress=lambda done, total, *, seen=seen: seen.append((done, total)))
        slow = _cut(net, "numpy", domain=(-R, R, -R, R))
        fast.check()
        _same(fast, slow)
        n_steps = len(fast.program.steps)
        assert seen == [(i, n_steps) for i in range(1, n_steps + 1)]
        _same(_cut(net, "numba", domain=(-R, R, -R, R)), fast)


def test_unknown_backend_is_one_line():
    with pytest.raises(SpecError, match="backend must be one of auto, numba, numpy, got 'cuda'"):
        nm.linear_regions(mlp([4], seed=0), domain=(-1, 1, -1, 1), backend="cuda")


def test_kernel_on_degenerate_integer_weights(monkeypatch):
    """Hyperplanes through vertices, coincident and parallel ones, dead units, zero rows."""
    W0 = [[1, 0], [0, 1], [1, 1], [1, -1], [2, 2], [0, 0], [1, 0], [-1, 0]]
    b0 = [0, 0, 0, 0, 0, 1, 0.5, 0.5]
    W1 = np.tile([[1, -1, 1, 0, 1, 1, -1, 1]], (5, 1)) * np.arange(1, 6)[:, None]
    b1 = [0, -1, 1, 0, -2]
    net = net_from([(W0, b0), (W1, b1), (np.ones((1, 5)), [0.0])])
    slow = _cut(net, "numpy", domain=(-2, 2, -2, 2))
    fast = _cut(net, "numba", domain=(-2, 2, -2, 2))
    fast.check()
    _same(fast, slow)


def test_every_growth_path_gives_the_same_partition(monkeypatch):
    """Start from a mesh with no room (4 vertices, 4 faces, width 4): the kernel stops before
    each split that needs more faces, vertices, width or hash slots, the caller grows the array
    (NumPy) and the kernel resumes where it stopped."""
    calls = {"faces": 0, "vertices": 0, "wider": 0, "keys": 0}
    grow_faces, grow_vertices, rehash = Mesh.grow_faces, Mesh.grow_vertices, kernel.rehash

    def faces(self, n_new, width):
        calls["wider" if width > self.F.shape[1] else "faces"] += 1
        return grow_faces(self, n_new, width)

    def vertices(self, n_new):
        calls["vertices"] += 1
        return grow_vertices(self, n_new)

    def keys(k, v, size):
        calls["keys"] += 1
        return rehash(k, v, size)

    init = Mesh.__init__

    def tiny(self, rect, X0, n_codes, capacity=4):
        init(self, rect, X0, n_codes, capacity=4)
        self.F = self.F[:, :4].copy()

    net = mlp([40, 16, 16], seed=3)
    reference = _cut(net, "numpy", domain=(-4, 4, -4, 4))
    monkeypatch.setattr(Mesh, "__init__", tiny)
    monkeypatch.setattr(Mesh, "grow_faces", faces)
    monkeypatch.setattr(Mesh, "grow_vertices", vertices)
    monkeypatch.setattr(kernel, "rehash", keys)
    grown = _cut(net, "numba", domain=(-4, 4, -4, 4))
    assert grown.count > 1000
    assert all(n > 0 for n in calls.values()), calls
    grown.check()
    _same(grown, reference)


def test_kernel_stops_at_max_regions(monkeypatch):
    net = mlp([32, 32], seed=0)
    with pytest.raises(TooLargeError, match="max_regions: more than 50 regions"):
        _cut(net, "numba", domain=(-5, 5, -5, 5), max_regions=50)


def test_kernel_leaves_the_callers_net_alone(monkeypatch):
    """The MLP fast path copies the weights and never changes the module or its mode."""
    net = mlp([8, 8], seed=2).float()
    net[0].train()
    net[2].eval()
    before = [p.detach().clone() for p in net.parameters()]
    reg = _cut(net, "numba", domain=(-1, 1, -1, 1))
    assert net[0].training and not net[2].training
    for p, q in zip(before, net.parameters(), strict=True):
        assert torch.equal(p, q)
    reg.check()
    with torch.no_grad():
        net[0].weight.mul_(2.0)  # changing the net later does not change the result's program
    np.testing.assert_array_equal(reg.program.steps[0].M, before[0].double().numpy())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mlp_fast_compile_equals_the_general_compiler(dtype):
    from neuromosaic.regions.compile import Affine, _compile, _compile_mlp

    net = mlp([16, 9], seed=5).to(dtype)
    program = _compile_mlp(net, 2)
    steps, out = program.steps, program.out_dim
    general: list = []
    assert _compile(net, (2,), general) == (out,)
    assert [type(s) for s in steps] == [type(s) for s in general]
    for s, g in zip(steps, general, strict=True):
        if isinstance(s, Affine):
            np.testing.assert_array_equal(s.M, g.M)
            np.testing.assert_array_equal(s.c, g.c)
            assert s.M.dtype == np.float64
    assert _compile_mlp(nn.Sequential(nn.Linear(2, 3), nn.Tanh()), 2) is None
    assert _compile_mlp(nn.Sequential(nn.Linear(3, 3)), 2) is None  # wrong input size: general path errs
    assert _compile_mlp(nn.Sequential(nn.ReLU(), nn.Linear(2, 3)), 2) is None


def test_auto_backend_cuts_small_programs_on_numpy_and_the_rest_with_the_kernel(monkeypatch):
    """``backend="auto"`` (the default) decides by the program alone: at most 32 units go to the
    NumPy path (no kernel load in a fresh process), more to the kernel; the same partition."""
    calls = []
    real = cutter.Cutter.__init__

    def spy(self, program, A, c, rect, *, backend="numba", **kw):
        calls.append(backend)
        return real(self, program, A, c, rect, backend=backend, **kw)

    monkeypatch.setattr(cutter.Cutter, "__init__", spy)
    small, big = mlp([16, 16], seed=1), mlp([16, 17], seed=1)
    a = nm.linear_regions(small, domain=(-1, 1, -1, 1))
    b = nm.linear_regions(big, domain=(-1, 1, -1, 1))
    assert calls == ["numpy", "numba"]
    _same(a, nm.linear_regions(small, domain=(-1, 1, -1, 1), backend="numba"))
    _same(b, nm.linear_regions(big, domain=(-1, 1, -1, 1), backend="numpy"))


def test_without_numba_the_numba_backend_says_so_and_numpy_cuts_the_same(monkeypatch):
    """An install where Numba does not import: backend='numba' is one clear line naming the fix,
    backend='numpy' cuts the same partition."""
    import sys

    net = mlp([10, 10], seed=4)
    reference = _cut(net, "numba", domain=(-2, 2, -2, 2))
    monkeypatch.setattr(cutter, "_KERNEL", {})
    monkeypatch.setitem(sys.modules, "neuromosaic.regions.kernel", None)  # import fails
    with pytest.raises(SpecError, match="backend 'numba' needs Numba.*backend='numpy'"):
        nm.linear_regions(net, domain=(-2, 2, -2, 2), backend="numba")
    fallback = nm.linear_regions(net, domain=(-2, 2, -2, 2), backend="numpy")
    fallback.check()
    _same(fallback, reference)
