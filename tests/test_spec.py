import numpy as np
import pytest
import torch

import neuromosaic as nm
from neuromosaic.errors import SpecError
from neuromosaic.spec import InitSpec


def test_default_init_is_pytorchs_own(shared_nets):
    """init='default' must reproduce `torch.manual_seed(0); nn.Linear(...)` bit for bit."""
    data = np.load(shared_nets / "mlp_w16_d2_s0.npz")
    net = nm.NetSpec(inputs=2, widths=[16, 16], outputs=1, activation="relu",
                     out_activation="identity", init="default", seed=0).build()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]
    for i, lin in enumerate(linears):
        np.testing.assert_array_equal(lin.weight.detach().numpy(), data[f"W{i}"])
        np.testing.assert_array_equal(lin.bias.detach().numpy(), data[f"b{i}"])


def test_build_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = nm.NetSpec(seed=5).build()
    after = torch.rand(3)
    b = nm.NetSpec(seed=5).build()
    c = nm.NetSpec(seed=6).build()
    assert torch.equal(before, after)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a[0].weight, c[0].weight)


@pytest.mark.parametrize("init,var", [("normal:2", 4.0), ("uniform:3", 3.0), ("default", 1 / 48)])
def test_init_variance_matches_draws(init, var):
    net = nm.NetSpec(inputs=16, widths=[512], outputs=16, init=init, seed=1).build()
    w = net[0].weight.detach().double()
    assert InitSpec.parse(init).variance(16, 512) == pytest.approx(var)
    assert w.var().item() == pytest.approx(var, rel=0.05)


def test_zero_hidden_layers_and_structure():
    net = nm.NetSpec(inputs=2, widths=[], outputs=3).build()
    assert len(net) == 2 and isinstance(net[0], torch.nn.Linear) and net[0].in_features == 2
    spec = nm.NetSpec(widths=[128, 64, 32, 16])
    assert spec.num_params == sum(p.numel() for p in spec.build().parameters())


@pytest.mark.parametrize("kwargs,needle", [
    ({"widths": [16, 0]}, "width"),
    ({"inputs": 0}, "inputs"),
    ({"activation": "swishy"}, "swishy"),
    ({"init": "normal:-1"}, "normal:-1"),
    ({"init": "cauchy"}, "cauchy"),
    ({"seed": -1}, "seed"),
    ({"bogus": 1}, "bogus"),
])
def test_bad_specs_raise_one_line(kwargs, needle):
    with pytest.raises(SpecError) as err:
        nm.NetSpec(**kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_save_load_roundtrip(tmp_path):
    spec = nm.NetSpec(inputs=2, widths=[8, 8], outputs=1, activation="relu", seed=3)
    net = spec.build()
    with torch.no_grad():
        net[0].weight.add_(1.0)  # trained weights differ from the spec's draw
    spec.save(tmp_path / "net.json", net)
    spec2, net2 = nm.NetSpec.load(tmp_path / "net.json")
    assert spec2 == spec
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), net2.parameters(), strict=True))
    (tmp_path / "net.json").unlink()
    spec3, net3 = nm.NetSpec.load(tmp_path / "net.safetensors")
    assert spec3 == spec and torch.equal(net3[0].weight, net[0].weight)


def test_plane_through_is_orthonormal_and_contains_points():
    p = [np.array(v, float) for v in ([0, 0, 0, 1], [2, 0, 0, 1], [1, 1, 0, 1])]
    plane = nm.Plane.through(*p)
    A, c = plane.affine()
    np.testing.assert_allclose(A.T @ A, np.eye(2), atol=1e-12)
    st = np.array([[0, 0], [2, 0], [1, 1]], float)
    np.testing.assert_allclose(plane.to_input(st), np.stack(p), atol=1e-12)
    with pytest.raises(SpecError):
        nm.Plane.through([0, 0, 0], [1, 1, 1], [2, 2, 2])
    with pytest.raises(SpecError):
        nm.Plane.rect(1, 0, 0, 1)
