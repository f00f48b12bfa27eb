"""The compiled kernel (Numba) and the NumPy path cut the same partition.

Both implement :mod:`neuromosaic.regions.engine`'s cut with the same arithmetic; faces come out
in another order, so the partitions are compared as {pattern: (area, affine map)}.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from regions_helpers import mlp, net_from
from torch import nn

import neuromosaic as nm
from neuromosaic.errors import TooLargeError
from neuromosaic.regions import _kernel, engine
from neuromosaic.regions.mesh import Mesh
from neuromosaic.regions.modules import compile_net

pytest.importorskip("numba")


def _cut(net, kernel: str, monkeypatch, **kw):
    monkeypatch.setattr(engine, "KERNEL", kernel)
    return nm.linear_regions(net, **kw)


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
@pytest.mark.parametrize("fused", [True, False])
def test_kernel_equals_numpy_path(act, seed, fused, monkeypatch):
    """Both compiled paths: the one-call kernel of small MLPs, and one call per layer (taken
    with a progress callback, or for nets over FUSED_MAX_UNITS hidden units)."""
    net = mlp([12, 10, 8], seed=seed, act=ACTS[act])
    assert engine._fused_ok(compile_net(net, 2))
    progress = None if fused else (lambda done, total: None)
    for R in (1.0, 6.0):
        fast = _cut(net, "numba", monkeypatch, domain=(-R, R, -R, R), progress=progress)
        slow = _cut(net, "numpy", monkeypatch, domain=(-R, R, -R, R))
        fast.check()
        _same(fast, slow)


def test_kernel_on_degenerate_integer_weights(monkeypatch):
    """Hyperplanes through vertices, coincident and parallel ones, dead units, zero rows."""
    W0 = [[1, 0], [0, 1], [1, 1], [1, -1], [2, 2], [0, 0], [1, 0], [-1, 0]]
    b0 = [0, 0, 0, 0, 0, 1, 0.5, 0.5]
    W1 = np.tile([[1, -1, 1, 0, 1, 1, -1, 1]], (5, 1)) * np.arange(1, 6)[:, None]
    b1 = [0, -1, 1, 0, -2]
    net = net_from([(W0, b0), (W1, b1), (np.ones((1, 5)), [0.0])])
    slow = _cut(net, "numpy", monkeypatch, domain=(-2, 2, -2, 2))
    for progress in (None, lambda done, total: None):
        fast = _cut(net, "numba", monkeypatch, domain=(-2, 2, -2, 2), progress=progress)
        fast.check()
        _same(fast, slow)


@pytest.mark.parametrize("fused", [False, True])
def test_every_growth_path_gives_the_same_partition(fused, monkeypatch):
    """Start from a mesh with no room (4 vertices, 4 faces, width 4): the kernel stops before
    each split that needs more faces, vertices, width or hash slots, the array is grown and the
    kernel resumes where it stopped — by the Python caller (layer by layer, as with a progress
    callback) or inside the one-call kernel of small MLPs."""
    calls = {"faces": 0, "vertices": 0, "wider": 0, "keys": 0}
    grow_faces, grow_vertices, rehash = Mesh._grow_faces, Mesh._grow_vertices, _kernel.rehash

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
    assert engine._fused_ok(compile_net(net, 2))
    progress = None if fused else (lambda done, total: None)
    reference = _cut(net, "numpy", monkeypatch, domain=(-4, 4, -4, 4))
    monkeypatch.setattr(Mesh, "__init__", tiny)
    monkeypatch.setattr(Mesh, "_grow_faces", faces)
    monkeypatch.setattr(Mesh, "_grow_vertices", vertices)
    monkeypatch.setattr(_kernel, "rehash", keys)
    grown = _cut(net, "numba", monkeypatch, domain=(-4, 4, -4, 4), progress=progress)
    assert grown.count > 1000
    if not fused:  # the growth inside the one-call kernel is not seen from Python
        assert all(n > 0 for n in calls.values()), calls
    grown.check()
    _same(grown, reference)


def test_kernel_stops_at_max_regions(monkeypatch):
    net = mlp([32, 32], seed=0)
    with pytest.raises(TooLargeError, match="max_regions=50"):
        _cut(net, "numba", monkeypatch, domain=(-5, 5, -5, 5), max_regions=50)


def test_kernel_leaves_the_callers_net_alone(monkeypatch):
    """The MLP fast path copies the weights and never changes the module or its mode."""
    net = mlp([8, 8], seed=2).float()
    net[0].train()
    net[2].eval()
    before = [p.detach().clone() for p in net.parameters()]
    reg = _cut(net, "numba", monkeypatch, domain=(-1, 1, -1, 1))
    assert net[0].training and not net[2].training
    for p, q in zip(before, net.parameters(), strict=True):
        assert torch.equal(p, q)
    reg.check()
    with torch.no_grad():
        net[0].weight.mul_(2.0)  # changing the net later does not change the result's program
    np.testing.assert_array_equal(reg.program.steps[0].M, before[0].double().numpy())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mlp_fast_compile_equals_the_general_compiler(dtype):
    from neuromosaic.regions.modules import Affine, _compile, _compile_mlp

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
    # the prebuilt arguments of the one-call kernel equal the ones built from the steps
    from neuromosaic.regions.engine import mlp_arrays
    from neuromosaic.regions.modules import Program

    rebuilt = mlp_arrays(Program(list(steps), 2, out))
    for a, b in zip(program._mlp, rebuilt, strict=True):
        np.testing.assert_array_equal(a, b)


def test_load_kernel_reports_the_choice(monkeypatch):
    assert engine.load_kernel() is True
    monkeypatch.setattr(engine, "KERNEL", "numpy")
    assert engine.load_kernel() is False


def test_without_numba_the_numpy_path_cuts_the_same(monkeypatch):
    """An install where Numba does not import falls back to the NumPy path."""
    import sys

    net = mlp([10, 10], seed=4)
    reference = _cut(net, "numba", monkeypatch, domain=(-2, 2, -2, 2))
    monkeypatch.setattr(engine, "_CUT_STEP", [])
    monkeypatch.setitem(sys.modules, "neuromosaic.regions._kernel", None)  # import fails
    assert engine.load_kernel() is False
    fallback = nm.linear_regions(net, domain=(-2, 2, -2, 2))
    fallback.check()
    _same(fallback, reference)
