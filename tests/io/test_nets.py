"""nm.save / nm.load: every format round-trips the net's function; pickles are refused."""

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.errors import InputError, SpecError


def _x():
    return torch.randn(64, 2, generator=torch.Generator().manual_seed(1))


def _same(a, b):
    with torch.no_grad():
        torch.testing.assert_close(a(_x()).double(), b(_x()).double(), rtol=0, atol=0)


NETS = {
    "spec": lambda: nm.NetSpec(inputs=2, widths=[6, 5], outputs=3, activation="tanh", bias="first"),
    "maxout-residual": lambda: nn.Sequential(nm.Maxout(2, 4, 3), nm.Residual(nn.Linear(4, 4), nn.LeakyReLU(0.2)),
                                             nn.Hardtanh(-0.5, 2.0), nn.Linear(4, 1)),
    "prelu": lambda: nn.Sequential(nn.Linear(2, 3), nn.PReLU(3), nn.Linear(3, 1, bias=False), nn.Sigmoid()),
}


@pytest.mark.parametrize("name", sorted(NETS))
def test_safetensors_round_trip_rebuilds_the_net(tmp_path, name):
    torch.manual_seed(0)
    net = NETS[name]()
    path = nm.save(tmp_path / "n.safetensors", net)
    built = net.build() if isinstance(net, nm.NetSpec) else net
    back = nm.load(path)
    _same(built, back)
    assert [type(m) for m in back.modules()] == [type(m) for m in built.modules()]


def test_npz_round_trip_and_its_limits(tmp_path):
    net = nm.NetSpec(inputs=2, widths=[4, 4], outputs=1, activation="relu", out_activation="identity").build()
    path = nm.save(tmp_path / "n.npz", net)
    _same(net, nm.load(path))
    with pytest.raises(SpecError, match="use .safetensors"):
        nm.save(tmp_path / "m.npz", nn.Sequential(nm.Maxout(2, 2), nn.Linear(2, 1)))


def test_a_plain_state_dict_loads_into_a_given_architecture(tmp_path):
    spec = nm.NetSpec(inputs=2, widths=[5], outputs=1, activation="relu", out_activation="identity", seed=3)
    net = spec.build()
    save_file(net.state_dict(), str(tmp_path / "plain.safetensors"))
    with pytest.raises(InputError, match="into="):
        nm.load(tmp_path / "plain.safetensors")
    _same(net, nm.load(tmp_path / "plain.safetensors", into=spec))
    fresh = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 1))
    assert nm.load(tmp_path / "plain.safetensors", into=fresh) is fresh
    _same(net, fresh)
    with pytest.raises(InputError, match="do not fit the net"):
        nm.load(tmp_path / "plain.safetensors", into=nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)))


def test_a_custom_module_saves_its_state_dict_to_load_with_into(tmp_path):
    class Mine(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            return torch.relu(self.a(x))

    m = Mine()
    nm.save(tmp_path / "mine.safetensors", m)
    with pytest.raises(InputError, match="into="):
        nm.load(tmp_path / "mine.safetensors")
    _same(m, nm.load(tmp_path / "mine.safetensors", into=Mine()))


def test_netspec_save_pair_loads_from_either_file(tmp_path):
    spec = nm.NetSpec(inputs=2, widths=[3], outputs=1, seed=4)
    spec.save(tmp_path / "s.json")
    for name in ("s.json", "s.safetensors"):
        _same(spec.build(), nm.load(tmp_path / name))


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".pkl"])
def test_pickles_are_refused_with_the_conversion(tmp_path, suffix):
    path = tmp_path / f"net{suffix}"
    torch.save({"w": torch.zeros(1)}, path)
    with pytest.raises(InputError, match="safetensors.torch.save_file.*weights_only=True"):
        nm.load(path)


def test_hostile_files_are_one_line(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}" + b"x" * 40)
    with pytest.raises(InputError, match="not a safetensors file"):
        nm.load(bad)
    net = nn.Sequential(nn.Linear(2, 2))
    path = nm.save(tmp_path / "arch.safetensors", net)
    # an architecture that claims a huge layer is refused before anything is built
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    meta["neuromosaic_arch"] = json.dumps({"type": "Sequential", "layers": [{"type": "Linear", "in": 1 << 20, "out": 1 << 20}]})
    save_file({k: v for k, v in net.state_dict().items()}, str(tmp_path / "huge.safetensors"), metadata=meta)
    with pytest.raises(nm.NeuromosaicError, match="parameters"):
        nm.load(tmp_path / "huge.safetensors")
    with torch.no_grad():
        net[0].weight[0, 0] = float("nan")
    nm.save(tmp_path / "nan.safetensors", net)
    with pytest.raises(InputError, match="NaN"):
        nm.load(tmp_path / "nan.safetensors")


def test_regions_reads_every_weights_format(tmp_path, capsys):
    spec = nm.NetSpec(inputs=2, widths=[6, 6], outputs=1, activation="relu", out_activation="identity", seed=2)
    nm.save(tmp_path / "a.safetensors", spec)
    nm.save(tmp_path / "a.npz", spec.build())
    save_file(spec.build().state_dict(), str(tmp_path / "plain.safetensors"))
    counts = []
    for argv in (["--weights", str(tmp_path / "a.safetensors")], ["--weights", str(tmp_path / "a.npz")],
                 ["--weights", str(tmp_path / "plain.safetensors"), "--widths", "6,6"],
                 ["--widths", "6,6", "--seed", "2", "--init", "normal:1"]):
        assert main(["regions", *argv, "--quiet"]) == 0
        counts.append(capsys.readouterr().out.split(" regions")[0])
    assert len(set(counts)) == 1, counts
    assert main(["regions", "--weights", str(tmp_path / "plain.safetensors"), "--quiet"]) == 2
    assert "--widths" in capsys.readouterr().err
    np.testing.assert_equal(len(counts), 4)
