"""The hand-written NumPy backprop agrees with finite differences and with torch autograd."""

import numpy as np
import pytest

from neuromosaic.errors import SpecError
from neuromosaic.fitting.scratch import ScratchMLP, gradient_check, loss_and_gradient


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("sizes, seed", [((2, 5, 3), 0), ((3, 6, 5, 4), 1), ((2, 4, 4, 4, 2), 2)])
def test_hand_gradients_match_finite_differences_and_autograd(activation, loss, sizes, seed):
    rows = gradient_check(sizes, activation, loss, seed=seed, batch=6)
    assert [r.name for r in rows] == [f"{k}{i}" for i in range(1, len(sizes)) for k in "Wb"]
    for r in rows:
        assert r.vs_finite_differences < 1e-7, r
        assert r.vs_autograd < 1e-10, r
        assert r.max_abs_vs_autograd < 1e-10, r


def test_a_wrong_gradient_is_caught():
    """The check is not vacuous: a backward pass with a sign error fails it."""
    net = ScratchMLP([2, 3, 1], "tanh", seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    _, grads = net.loss_and_gradients(x, y)
    w1 = dict(grads)["W1"]
    from neuromosaic.fitting.scratch import numerical_gradient, relative_error
    numeric = numerical_gradient(net, x, y, "mse", net.weights[0])
    assert relative_error(w1, numeric) < 1e-7
    assert relative_error(-w1, numeric) > 0.5


def test_losses_have_their_closed_forms():
    out = np.array([[0.0, 0.0], [1.0, 3.0]])
    loss, grad = loss_and_gradient("cross_entropy", out, np.array([0, 1]))
    expected = (np.log(2) + np.log(1 + np.exp(-2.0))) / 2
    assert loss == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-15)  # softmax − one-hot sums to 0
    loss, grad = loss_and_gradient("mse", np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]]))
    assert loss == 5.0
    np.testing.assert_allclose(grad, [[1.0], [3.0]])


def test_bad_arguments_are_one_line_errors():
    with pytest.raises(SpecError, match="unknown activation 'gelu'"):
        gradient_check((2, 3, 1), "gelu")
    with pytest.raises(SpecError, match="unknown loss"):
        gradient_check((2, 3, 1), "tanh", "hinge")
    with pytest.raises(SpecError, match="sizes must be"):
        gradient_check((2, 0, 1))
