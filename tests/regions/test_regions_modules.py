"""Every supported module: the partition checks out against the network and the brute grid."""

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm
from neuromosaic.layers import Abs
from neuromosaic.regions.brute import grid_count


def _nets():
    torch.manual_seed(0)
    yield "leaky", nn.Sequential(nn.Linear(2, 10), nn.LeakyReLU(0.1), nn.Linear(10, 10), nn.LeakyReLU(0.3), nn.Linear(10, 1))
    yield "prelu", nn.Sequential(nn.Linear(2, 10), nn.PReLU(10), nn.Linear(10, 1))
    yield "hardtanh", nn.Sequential(nn.Linear(2, 8), nn.Hardtanh(), nn.Linear(8, 8), nn.Hardtanh(-0.5, 0.5), nn.Linear(8, 1))
    yield "abs", nn.Sequential(nn.Linear(2, 8), Abs(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 1))
    yield "maxout", nn.Sequential(nm.Maxout(2, 5, 3), nm.Maxout(5, 4, 2), nn.Linear(4, 1))
    yield "residual", nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nm.Residual(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8)),
                                    nn.ReLU(), nn.Linear(8, 1))
    yield "batchnorm", nn.Sequential(nn.Linear(2, 10), nn.BatchNorm1d(10), nn.ReLU(), nn.Linear(10, 1)).eval()
    yield "identity", nn.Sequential(nn.Linear(2, 6), nn.Identity(), nn.ReLU(), nn.Linear(6, 1))


@pytest.mark.parametrize("name,net", list(_nets()), ids=[n for n, _ in _nets()])
def test_module_partition_checks_and_bounds_the_grid(name, net):
    reg = nm.linear_regions(net, domain=(-2, 2, -2, 2))
    s = reg.check()
    assert s["ambiguous"] == 0
    fine = grid_count(net, domain=(-2, 2, -2, 2), size=768)
    assert fine <= reg.count <= fine + max(2, reg.count // 20)  # only thin slivers can be missed


def test_maxout_merges_tournament_cuts():
    # one maxout unit of 3 pieces, two of which never win: a single region
    m = nm.Maxout(2, 1, 3)
    with torch.no_grad():
        m.linear.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0]]))
        m.linear.bias.copy_(torch.tensor([10.0, 0.0, 0.0]))
    reg = nm.linear_regions(nn.Sequential(m), domain=(-1, 1, -1, 1))
    assert reg.count == 1


def test_conv_net_on_a_plane_through_three_images():
    torch.manual_seed(1)
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(2), nn.Flatten(),
                         nn.Linear(2 * 2 * 2, 6), nn.ReLU(), nn.Linear(6, 2)).eval()
    imgs = np.random.default_rng(0).normal(size=(3, 36))  # 1 x 6 x 6 images, flattened
    plane = nm.Plane.through(*imgs)
    reg = nm.linear_regions(conv, plane=plane)
    assert reg.check()["ambiguous"] == 0
    fine = grid_count(conv, plane=plane, size=768)
    assert fine <= reg.count <= fine + max(2, reg.count // 20)


def test_conv1d_avgpool_maxpool1d():
    torch.manual_seed(2)
    net = nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU(), nn.AvgPool1d(2), nn.MaxPool1d(2, padding=1),
                        nn.Flatten(), nn.Linear(3 * 3, 1))
    plane = nm.Plane.through(*np.random.default_rng(1).normal(size=(3, 20)))
    reg = nm.linear_regions(net, plane=plane)
    assert reg.check()["ambiguous"] == 0
    assert grid_count(net, plane=plane, size=512) <= reg.count


@pytest.mark.parametrize("bad", [nn.Tanh(), nn.GELU(), nn.Sigmoid(), nn.Softplus()])
def test_non_piecewise_linear_refused_by_name(bad):
    net = nn.Sequential(nn.Linear(2, 4), bad, nn.Linear(4, 1))
    with pytest.raises(nm.errors.NotPiecewiseLinearError, match=type(bad).__name__):
        nm.linear_regions(net, domain=(-1, 1, -1, 1))


def test_batchnorm_in_training_mode_refused():
    net = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).train()
    with pytest.raises(nm.NeuromosaicError, match="eval"):
        nm.linear_regions(net, domain=(-1, 1, -1, 1))


def test_a_sigmoid_output_is_cut_as_its_pre_activation_and_tanh_hidden_is_refused():
    """A last monotone activation changes no region: the engine cuts the pre-activation and says
    so; a smooth hidden activation is refused by name."""
    spec = nm.NetSpec(inputs=2, widths=[4], outputs=1, activation="relu", out_activation="sigmoid")
    reg = nm.linear_regions(spec, domain=(-1, 1, -1, 1))
    plain = nm.linear_regions(spec.replace(out_activation="identity"), domain=(-1, 1, -1, 1))
    assert reg.count == plain.count and reg.program.output_activation == "Sigmoid"
    reg.check()
    with pytest.raises(nm.errors.NotPiecewiseLinearError, match="Tanh"):
        nm.linear_regions(spec.replace(activation="tanh"), domain=(-1, 1, -1, 1))


def test_the_users_module_is_left_unchanged():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 1))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    nm.linear_regions(net, plane=nm.Plane.through(*np.random.default_rng(3).normal(size=(3, 36))))
    assert all(v.dtype == torch.float32 for v in net.state_dict().values())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert net(torch.zeros(1, 1, 6, 6)).shape == (1, 1)
