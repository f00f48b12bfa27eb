"""Any traceable module: the program compiled from a custom forward equals the module, and cuts the
same partition as the same net written as nn.Sequential / Residual (issue: "your own model")."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import neuromosaic as nm
from neuromosaic.errors import InputError, NotPiecewiseLinearError, SpecError
from neuromosaic.regions.brute import grid_count

BOX = (-2.0, 2.0, -2.0, 2.0)


def _same(custom, sequential, **kw):
    a = nm.linear_regions(custom, **kw)
    b = nm.linear_regions(sequential, **kw)
    report = a.check()
    assert report["max_torch_error"] < 1e-9 and a.count == b.count
    np.testing.assert_allclose(np.sort(a.areas), np.sort(b.areas), rtol=1e-9, atol=1e-12)
    return a


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(2, 8), nn.Linear(8, 8), nn.Linear(8, 1)

    def forward(self, x):
        return self.c(torch.relu(self.b(F.relu(self.a(x)))))


class ResMLP(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.inp, self.out = nn.Linear(2, 6), nn.Linear(6, 1)
        self.blocks = nn.ModuleList([nn.Linear(6, 6) for _ in range(depth)])

    def forward(self, x):
        h = F.relu(self.inp(x))
        for block in self.blocks:  # a loop of fixed length: fx unrolls it
            h = h + F.relu(block(h))
        return self.out(h)


class TwoBranch(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(2, 4), nn.Linear(2, 5), nn.Linear(9, 2)

    def forward(self, x):
        return self.out(torch.cat([F.relu(self.a(x)), F.relu(self.b(x))], dim=1))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3, 1, 3, 3))
        self.bias = nn.Parameter(torch.randn(3) * 0.1)
        self.out = nn.Linear(12, 1)

    def forward(self, x):
        x = x.view(x.size(0), 1, 4, 4)
        h = F.max_pool2d(F.relu(F.conv2d(x, self.weight, self.bias, padding=1)), 2)
        return self.out(h.flatten(1))


class MaxoutNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin, self.out = nn.Linear(2, 12), nn.Linear(4, 1)

    def forward(self, x):
        return self.out(self.lin(x).view(-1, 4, 3).amax(dim=-1))


class OwnLinear(nn.Module):
    """F.linear with its own parameters, a scalar product and a difference of branches."""

    def __init__(self):
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(5, 2))
        self.b1 = nn.Parameter(torch.randn(5))
        self.w2 = nn.Parameter(torch.randn(1, 5))

    def forward(self, x):
        h = F.relu(F.linear(x, self.w1, self.b1))
        return 0.5 * F.linear(h, self.w2) - F.linear(h, self.w2) / 4


class Hard(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.out = nn.Linear(2, 6), nn.Linear(6, 1)

    def forward(self, x):
        return self.out(F.hardtanh(self.a(x), -0.5, 0.5))


class Clamped(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.out = nn.Linear(2, 6), nn.Linear(6, 1)

    def forward(self, x):
        return self.out(torch.clamp(self.a(x), min=-0.5, max=0.5))


class AbsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.out = nn.Linear(2, 5), nn.Linear(5, 1)

    def forward(self, x):
        return self.out(torch.abs(self.a(x)))


class Maximum(nn.Module):
    """torch.maximum of two branches: a maxout of rank 2."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(2, 4), nn.Linear(2, 4), nn.Linear(4, 1)

    def forward(self, x):
        return self.out(torch.maximum(self.a(x), self.b(x)))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 6)

    def forward(self, x):
        return x + torch.relu(self.lin(x))


class WithSigmoid(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.out = nn.Linear(2, 7), nn.Linear(7, 1)

    def forward(self, x):
        return torch.sigmoid(self.out(F.relu(self.a(x))))


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(3)


def test_an_mlp_subclass_is_its_sequential():
    m = MLP()
    _same(m, nn.Sequential(m.a, nn.ReLU(), m.b, nn.ReLU(), m.c), domain=BOX)


def test_a_resnet_style_mlp_is_its_residual_blocks():
    m = ResMLP(3)
    seq = nn.Sequential(m.inp, nn.ReLU(), *[nm.Residual(b, nn.ReLU()) for b in m.blocks], m.out)
    _same(m, seq, domain=BOX)


def test_two_branches_concatenated_are_one_wider_layer():
    m = TwoBranch()
    wide = nn.Linear(2, 9)
    with torch.no_grad():
        wide.weight.copy_(torch.cat([m.a.weight, m.b.weight]))
        wide.bias.copy_(torch.cat([m.a.bias, m.b.bias]))
    _same(m, nn.Sequential(wide, nn.ReLU(), m.out), domain=BOX)


def test_a_conv_net_written_with_F_conv2d_is_its_modules():
    m = ConvNet()
    conv = nn.Conv2d(1, 3, 3, padding=1)
    conv.weight, conv.bias = m.weight, m.bias
    seq = nn.Sequential(nn.Unflatten(1, (1, 4, 4)), conv, nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), m.out)
    rng = np.random.default_rng(0)
    plane = nm.Plane.through(*rng.normal(size=(3, 16)))
    _same(m, seq, plane=plane, input_shape=(16,))


def test_amax_over_pieces_is_maxout():
    m = MaxoutNet()
    mo = nm.Maxout(2, 4, 3)
    mo.linear = m.lin
    _same(m, nn.Sequential(mo, m.out), domain=BOX)


def test_torch_maximum_of_two_branches_is_maxout_of_rank_two():
    m = Maximum()
    mo = nm.Maxout(2, 4, 2)
    with torch.no_grad():  # piece k of unit j is row j * rank + k
        mo.linear.weight.copy_(torch.stack([m.a.weight, m.b.weight], 1).reshape(8, 2))
        mo.linear.bias.copy_(torch.stack([m.a.bias, m.b.bias], 1).reshape(8))
    _same(m, nn.Sequential(mo, m.out), domain=BOX)


def test_own_parameters_scalars_and_differences():
    m = OwnLinear()
    first = nn.Linear(2, 5)
    last = nn.Linear(5, 1)
    with torch.no_grad():
        first.weight.copy_(m.w1)
        first.bias.copy_(m.b1)
        last.weight.copy_(0.25 * m.w2)
        last.bias.zero_()
    reg = _same(m, nn.Sequential(first, nn.ReLU(), last), domain=BOX)
    assert reg.count >= 2


@pytest.mark.parametrize("cls, act", [(Hard, nn.Hardtanh(-0.5, 0.5)), (Clamped, nn.Hardtanh(-0.5, 0.5)),
                                      (AbsNet, nm.layers.Abs())])
def test_hardtanh_clamp_and_abs(cls, act):
    m = cls()
    _same(m, nn.Sequential(m.a, act, m.out), domain=BOX)


def test_one_sided_clamp_is_a_shifted_relu():
    class Floor(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.out = nn.Linear(2, 6), nn.Linear(6, 1)

        def forward(self, x):
            return self.out(torch.clamp(self.a(x), min=0.25))

    m = Floor().double()  # float64: the shift of the bias by 0.25 is then exact in both
    shifted = nn.Linear(2, 6).double()
    with torch.no_grad():
        shifted.weight.copy_(m.a.weight)
        shifted.bias.copy_(m.a.bias - 0.25)
    _same(m, nn.Sequential(shifted, nn.ReLU(), m.out), domain=BOX)


def test_a_custom_block_nested_in_a_sequential():
    blocks = [Block(), Block()]
    net = nn.Sequential(nn.Linear(2, 6), nn.ReLU(), *blocks, nn.Linear(6, 1))
    seq = nn.Sequential(net[0], nn.ReLU(), *[nm.Residual(b.lin, nn.ReLU()) for b in blocks], net[-1])
    _same(net, seq, domain=BOX)


def test_a_last_sigmoid_is_cut_as_its_pre_activation():
    m = WithSigmoid()
    reg = _same(m, nn.Sequential(m.a, nn.ReLU(), m.out), domain=BOX)
    assert reg.program.output_activation == "sigmoid"
    seq = nn.Sequential(m.a, nn.ReLU(), m.out, nn.Sigmoid())
    assert nm.linear_regions(seq, domain=BOX).program.output_activation == "Sigmoid"


def test_the_brute_force_grid_never_sees_more_patterns_than_the_traced_cut():
    for m in (TwoBranch(), Maximum(), Clamped()):
        reg = nm.linear_regions(m, domain=BOX)
        assert grid_count(m, domain=BOX, size=256) <= reg.count


def test_a_non_piecewise_linear_op_is_named_with_its_line():
    class Smooth(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            h = self.a(x)
            return torch.tanh(h)  # the line the error names

    with pytest.raises(NotPiecewiseLinearError, match=r"torch\.tanh at Smooth\.forward, line \d+: not piecewise linear"):
        nm.linear_regions(nn.Sequential(Smooth(), nn.Linear(3, 1)), domain=BOX)

    class Product(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            return self.a(x) * self.a(x)

    with pytest.raises(NotPiecewiseLinearError, match="product of two tensors"):
        nm.linear_regions(Product(), domain=BOX)


def test_an_untraceable_module_says_why_and_the_fix():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 3)

        def forward(self, x):
            return self.a(x) if x.sum() > 0 else -self.a(x)

    with pytest.raises(InputError, match="cannot be traced by torch.fx.*torch.maximum"):
        nm.linear_regions(Branchy(), domain=BOX)


def test_batchnorm_in_training_mode_is_refused():
    class Norm(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.bn, self.out = nn.Linear(2, 4), nn.BatchNorm1d(4), nn.Linear(4, 1)

        def forward(self, x):
            return self.out(F.relu(self.bn(self.a(x))))

    m = Norm()
    with pytest.raises(SpecError, match="training mode"):
        nm.linear_regions(m, domain=BOX)
    m.eval()
    seq = nn.Sequential(m.a, m.bn, nn.ReLU(), m.out).eval()
    _same(m, seq, domain=BOX)
