"""The hand-built nets: the interpolating ReLU net and Nielsen's towers."""

import math

import pytest
import torch

import neuromosaic as nm
from neuromosaic.errors import SpecError
from neuromosaic.fitting import towers
from neuromosaic.fitting.interp import interpolating_net, sup_error

PARABOLOID = "x1**2 + x2**2 + 3"


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13])
def test_interpolating_relu_net_has_sup_error_one_over_2n2(n):
    net = interpolating_net(PARABOLOID, n)
    assert net[0].out_features == 2 * n  # n units per coordinate, one hidden layer
    # a grid through every cell centre, where the error is largest
    error = sup_error(net, PARABOLOID, points_per_axis=2 * n * 10 + 1)
    assert error == pytest.approx(1 / (2 * n**2), rel=1e-10, abs=1e-13)
    shifted = interpolating_net(PARABOLOID, n, half_shift=True)
    assert sup_error(shifted, PARABOLOID, points_per_axis=2 * n * 10 + 1) == pytest.approx(
        1 / (4 * n**2), rel=1e-10, abs=1e-13)


def test_interpolating_net_is_exact_at_the_nodes_and_piecewise_linear():
    n = 4
    net = interpolating_net(PARABOLOID, n)
    nodes = torch.linspace(0, 1, n + 1, dtype=torch.float64)
    gx, gy = torch.meshgrid(nodes, nodes, indexing="xy")
    with torch.no_grad():
        out = net(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1)).reshape(gx.shape)
    torch.testing.assert_close(out, gx**2 + gy**2 + 3, rtol=0, atol=1e-13)
    assert isinstance(net[1], torch.nn.ReLU)


def test_towers_error_decreases_with_n_and_tends_to_h_2_minus_h_over_2():
    f = "x1**2 + x2**2"
    errors = []
    for n in (2, 4, 8, 16):
        points = towers.interior_points(n, margin=1e-4, per_cell=5)
        net = nm.towers.build(f, n, steepness=1e6)
        error = towers.sup_error(net, f, points)
        # the piecewise-constant limit on the same points, and h(2 − h/2) as margin → 0
        h = 1 / n
        assert error == pytest.approx(_piecewise_constant_error(points, n), abs=1e-9)
        assert error == pytest.approx(towers.limit_sup_error(n), rel=2e-3)
        assert towers.limit_sup_error(n) == pytest.approx(h * (2 - h / 2))
        errors.append(error)
    assert all(a > b for a, b in zip(errors, errors[1:], strict=False))


def _piecewise_constant_error(points, n):
    """Sup error of the centre-valued piecewise-constant x1² + x2² at ``points`` `(N, 2)`."""
    centre = (torch.floor(points * n).clamp(max=n - 1) + 0.5) / n
    return float((points.pow(2).sum(1) - centre.pow(2).sum(1)).abs().max())


def test_towers_error_approaches_its_limit_as_steepness_grows():
    n, f = 4, "x1**2 + x2**2"
    points = towers.interior_points(n, margin=0.02)
    limit = _piecewise_constant_error(points, n)
    gaps = [abs(towers.sup_error(nm.towers.build(f, n, steepness=w), f, points) - limit)
            for w in (10.0, 30.0, 300.0, 3e4)]
    # Soft steps leave deep dips where four towers meet (Nielsen's "failure windows");
    # steep ones reach the piecewise-constant limit.
    assert gaps[0] > 1.0 and gaps[1] > 1.0
    assert gaps[2] < 1e-9 and gaps[3] < 1e-9


def test_towers_net_is_a_plain_two_hidden_layer_sigmoid_net_with_nielsens_bias():
    n, w = 3, 50.0
    net = nm.towers.build(PARABOLOID, n, steepness=w)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]
    assert net[0].out_features == 2 * (n + 1) and net[2].out_features == n * n
    torch.testing.assert_close(net[2].bias, torch.full((n * n,), -1.5 * w, dtype=torch.float64))
    steps = -net[0].bias / net[0].weight.abs().sum(1)  # s = −b/w
    torch.testing.assert_close(steps[: n + 1], torch.linspace(0, 1, n + 1, dtype=torch.float64))


def _area(net, half=2.0, points=801):
    xs = torch.linspace(-half, half, points, dtype=torch.float64)
    gx, gy = torch.meshgrid(xs, xs, indexing="xy")
    with torch.no_grad():
        out = net(torch.stack([gx.reshape(-1), gy.reshape(-1)], 1))
    return float(out.mean()) * (2 * half) ** 2


def test_k_sided_tower_area_converges_to_the_disc():
    a = 0.5
    gaps = []
    for k in (3, 4, 6, 12, 48):
        area = _area(nm.towers.tower(sides=k, apothem=a, steepness=2e4))
        assert area == pytest.approx(towers.polygon_area(k, a), rel=0.01)
        gaps.append(abs(area - math.pi * a * a))
    assert all(x > y for x, y in zip(gaps, gaps[1:], strict=False))
    assert gaps[-1] < 0.01 * math.pi * a * a


def test_one_hidden_layer_tower_has_skirts_and_two_layers_do_not():
    one = nm.towers.tower(apothem=0.25, layers=1, steepness=1e3)
    two = nm.towers.tower(apothem=0.25, layers=2, steepness=1e3)
    inside, skirt, outside = [[0.0, 0.0]], [[0.0, 0.6]], [[0.6, 0.6]]
    with torch.no_grad():
        values = [(float(one(torch.tensor(p, dtype=torch.float64))),
                   float(two(torch.tensor(p, dtype=torch.float64)))) for p in (inside, skirt, outside)]
    assert values[0] == pytest.approx((1.0, 1.0), abs=1e-6)
    assert values[1][0] == pytest.approx(0.5, abs=1e-6) and values[1][1] == pytest.approx(0, abs=1e-6)
    assert values[2] == pytest.approx((0.0, 0.0), abs=1e-6)


def test_bad_tower_arguments():
    with pytest.raises(SpecError, match="n must be an integer >= 1"):
        nm.towers.build(PARABOLOID, 0)
    with pytest.raises(SpecError, match="layers must be 1 or 2"):
        nm.towers.build(PARABOLOID, 2, layers=3)
    with pytest.raises(SpecError, match="sides must be an integer >= 3"):
        nm.towers.build(PARABOLOID, 2, sides=2)
    with pytest.raises(SpecError, match="steepness"):
        nm.towers.build(PARABOLOID, 2, steepness=-1.0)
