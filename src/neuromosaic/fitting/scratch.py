"""Backpropagation written by hand, and how to check it.

This file is meant to be read from top to bottom by someone learning backprop (seed 000, A5:
"write backprop yourself once, and learn to gradient-check it; then use a framework").

A multilayer perceptron with layer sizes ``[n0, n1, …, nL]`` computes, for a batch ``X`` of
shape `(B, n0)`::

    a0 = X
    z1 = a0 @ W1 + b1,   a1 = act(z1)
    …
    zL = a(L-1) @ WL + bL                      (the output layer has no activation)
    loss = mse(zL, Y)  or  cross_entropy(zL, labels)

``Wl`` has shape `(n(l-1), nl)` and ``bl`` shape `(nl,)`, so each row of ``X`` is one example.

Backprop is the chain rule applied from the loss backwards. If ``dz`` is dloss/dzl, then

    dWl      = a(l-1).T @ dz          (each weight touches one input and one output)
    dbl      = dz.sum(axis=0)         (the bias is added to every example)
    da(l-1)  = dz @ Wl.T              (send the error back through the same weights)
    dz(l-1)  = da(l-1) * act'(z(l-1)) (and through the activation, elementwise)

``gradient_check`` compares these gradients with central finite differences
``(loss(θ + ε) − loss(θ − ε)) / 2ε`` (error O(ε²)) and with torch's autograd.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError

ACTIVATIONS = ("tanh", "relu", "sigmoid")
LOSSES = ("mse", "cross_entropy")


# --- activations and their derivatives --------------------------------------------------------

def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.maximum(z, 0.0)
    return 1.0 / (1.0 + np.exp(-z))  # sigmoid


def activate_derivative(name: str, z: np.ndarray) -> np.ndarray:
    """d act(z) / dz, elementwise."""
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0).astype(z.dtype)  # the kink at 0 gets slope 0, as torch does
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


# --- losses and their gradients with respect to the output ------------------------------------

def loss_and_gradient(name: str, out: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss of ``out`` `(B, nL)` and d loss / d out `(B, nL)`.

    ``mse``: mean of (out − target)² over all entries; ``target`` `(B, nL)`.
    ``cross_entropy``: mean over the batch of −log softmax(out)[label]; ``target`` `(B,)` ints.
    """
    if name == "mse":
        diff = out - target
        return float(np.mean(diff**2)), 2.0 * diff / diff.size
    # Softmax cross-entropy. Subtracting the row max changes nothing mathematically
    # but keeps exp() from overflowing.
    shifted = out - out.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    batch = np.arange(out.shape[0])
    loss = -np.mean(log_probs[batch, target])
    grad = np.exp(log_probs)            # softmax …
    grad[batch, target] -= 1.0          # … minus the one-hot label
    return float(loss), grad / out.shape[0]


# --- the network ---------------------------------------------------------------------------------

class ScratchMLP:
    """An MLP in plain NumPy with a hand-written backward pass.

    Arguments:
        sizes: layer sizes ``[n0, n1, …, nL]`` (at least input and output).
        activation: ``tanh``, ``relu`` or ``sigmoid`` for the hidden layers.
        seed: weights are drawn N(0, 1/fan_in), biases N(0, 0.1²).
    """

    def __init__(self, sizes: list[int], activation: str = "tanh", *, seed: int = 0):
        if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
            raise SpecError(f"sizes must be >= 2 positive layer sizes, got {list(sizes)}")
        if activation not in ACTIVATIONS:
            raise SpecError(f"unknown activation {activation!r}; allowed: {', '.join(ACTIVATIONS)}")
        rng = np.random.default_rng(seed)
        self.sizes = [int(n) for n in sizes]
        self.activation = activation
        self.weights = [rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_out))
                        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True)]
        self.biases = [rng.normal(0, 0.1, n_out) for n_out in self.sizes[1:]]

    def parameters(self) -> list[tuple[str, np.ndarray]]:
        """``[("W1", W1), ("b1", b1), …]``: the arrays themselves (changing them changes the net)."""
        named = []
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True), start=1):
            named += [(f"W{i}", w), (f"b{i}", b)]
        return named

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """The output `(B, nL)` and, per layer, what backward needs: (its input a, its z)."""
        cache = []
        a = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = a @ w + b
            cache.append((a, z))
            a = z if i == last else activate(self.activation, z)
        return a, cache

    def backward(self, d_out: np.ndarray, cache) -> list[tuple[str, np.ndarray]]:
        """Gradients ``[("W1", dW1), ("b1", db1), …]`` from d loss / d output `(B, nL)`."""
        grads: dict[str, np.ndarray] = {}
        dz = d_out  # the output layer is linear, so d loss / d zL = d loss / d out
        for i in reversed(range(len(self.weights))):   # from the last layer to the first
            a_prev, _ = cache[i]
            grads[f"W{i + 1}"] = a_prev.T @ dz
            grads[f"b{i + 1}"] = dz.sum(axis=0)
            if i > 0:
                da_prev = dz @ self.weights[i].T
                _, z_prev = cache[i - 1]
                dz = da_prev * activate_derivative(self.activation, z_prev)
        return [(name, grads[name]) for name, _ in self.parameters()]

    def loss(self, x: np.ndarray, target: np.ndarray, loss: str = "mse") -> float:
        out, _ = self.forward(x)
        return loss_and_gradient(loss, out, target)[0]

    def loss_and_gradients(self, x, target, loss: str = "mse"):
        """One forward and one backward pass: ``(loss, [("W1", dW1), …])``."""
        out, cache = self.forward(x)
        value, d_out = loss_and_gradient(loss, out, target)
        return value, self.backward(d_out, cache)


# --- checking the gradients ------------------------------------------------------------------

def numerical_gradient(net: ScratchMLP, x, target, loss: str, param: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """Central differences for every entry of ``param`` (one of ``net``'s arrays), in place."""
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        saved = param[index]
        param[index] = saved + eps
        up = net.loss(x, target, loss)
        param[index] = saved - eps
        down = net.loss(x, target, loss)
        param[index] = saved  # put it back exactly
        grad[index] = (up - down) / (2 * eps)
    return grad


def autograd_gradients(net: ScratchMLP, x, target, loss: str) -> dict[str, np.ndarray]:
    """The same loss built from torch operations; torch's autograd differentiates it."""
    import torch

    params = {name: torch.tensor(p, dtype=torch.float64, requires_grad=True)
              for name, p in net.parameters()}
    a = torch.as_tensor(x, dtype=torch.float64)
    depth = len(net.weights)
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}[net.activation]
    for i in range(1, depth + 1):
        a = a @ params[f"W{i}"] + params[f"b{i}"]
        if i < depth:
            a = act(a)
    if loss == "mse":
        value = torch.mean((a - torch.as_tensor(target, dtype=torch.float64)) ** 2)
    else:
        value = torch.nn.functional.cross_entropy(a, torch.as_tensor(target, dtype=torch.long))
    value.backward()
    return {name: p.grad.numpy() for name, p in params.items()}


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``|a − b| / (|a| + |b|)`` with Frobenius norms; 0 when both are zero."""
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


@dataclass
class CheckRow:
    name: str
    shape: tuple[int, ...]
    vs_finite_differences: float   # relative error, hand-written vs central differences
    vs_autograd: float             # relative error, hand-written vs torch autograd
    max_abs_vs_autograd: float     # largest |difference| of one entry, vs autograd


#: parameters of a net the gradient check takes: every one is perturbed twice (central
#: differences), so the work grows with the square of the count
MAX_CHECK_PARAMS = 20_000


def check_size(sizes, *, batch: int = 8) -> None:
    """Refuse, before allocating, a net whose gradient check would pass ``MAX_CHECK_PARAMS``."""
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise SpecError(f"layer sizes must be at least [inputs, outputs], all >= 1, got {sizes}")
    params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    if params > MAX_CHECK_PARAMS:
        from ..errors import TooLargeError

        raise TooLargeError(f"the net {sizes} has {params:,} parameters; the gradient check takes "
                            f"at most {MAX_CHECK_PARAMS:,} (each is perturbed twice)")


def gradient_check(sizes=(2, 5, 4, 1), activation: str = "tanh", loss: str = "mse", *,
                   batch: int = 8, eps: float = 1e-6, seed: int = 0) -> list[CheckRow]:
    """Build a random :class:`ScratchMLP` and a random batch, and check its gradients.

    Arguments:
        sizes: layer sizes ``[n0, …, nL]``; for ``cross_entropy`` ``nL`` is the number of classes.
        activation: ``tanh``, ``relu`` or ``sigmoid``.
        loss: ``mse`` or ``cross_entropy``.
        batch: number of random examples.
        eps: the finite-difference step.

    Returns:
        One :class:`CheckRow` per parameter array (``W1, b1, W2, …``).
    """
    if loss not in LOSSES:
        raise SpecError(f"unknown loss {loss!r}; allowed: {', '.join(LOSSES)}")
    check_size(sizes, batch=batch)
    if int(batch) < 1:
        raise SpecError(f"batch must be >= 1, got {batch}")
    if not (0 < eps < 1):
        raise SpecError(f"eps must be in (0, 1), got {eps}")
    net = ScratchMLP(list(sizes), activation, seed=seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.normal(size=(batch, net.sizes[0]))
    if loss == "mse":
        target = rng.normal(size=(batch, net.sizes[-1]))
    else:
        target = rng.integers(0, net.sizes[-1], size=batch)
    _, hand = net.loss_and_gradients(x, target, loss)
    auto = autograd_gradients(net, x, target, loss)
    rows = []
    for (name, param), (_, grad) in zip(net.parameters(), hand, strict=True):
        numeric = numerical_gradient(net, x, target, loss, param, eps)
        rows.append(CheckRow(name, tuple(param.shape), relative_error(grad, numeric),
                             relative_error(grad, auto[name]),
                             float(np.max(np.abs(grad - auto[name])))))
    return rows


def format_table(rows: list[CheckRow]) -> str:
    """The check as a plain-text table, one line per parameter array."""
    lines = [f"{'param':<6} {'shape':<10} {'rel. err vs finite diff':>24} {'rel. err vs autograd':>22}"]
    for r in rows:
        shape = "x".join(str(s) for s in r.shape)
        lines.append(f"{r.name:<6} {shape:<10} {r.vs_finite_differences:>24.2e} {r.vs_autograd:>22.2e}")
    return "\n".join(lines)
