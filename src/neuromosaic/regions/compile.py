"""Compile a piecewise-linear ``torch.nn.Module`` into a :class:`~.program.Program`.

Linear layers are read as they are; the other affine modules (Conv, AvgPool, BatchNorm in eval
mode, Linear over a multi-axis input) are probed in float64 on the basis vectors, so the matrix is
the module's own arithmetic. Activations become elementwise steps, MaxPool and Maxout max steps,
:class:`~neuromosaic.layers.Residual` a Push/Pop pair. The user's module is read, never changed.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch
from torch import nn

from ..errors import InputError, NotPiecewiseLinearError, SpecError
from ..layers import Abs, Gaussian, Maxout, Residual, Sin
from .program import Affine, Elementwise, MaxGroups, Pop, Program, Push

_FLOAT = torch.float64


def _probe(module: nn.Module, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """The affine map of ``module`` on flattened inputs of ``shape``: ``(M, c, out_shape)``."""
    n = math.prod(shape)
    with torch.no_grad():
        m = copy.deepcopy(module).to(_FLOAT)  # .to() is in place: never change the user's module
        zero = m(torch.zeros((1, *shape), dtype=_FLOAT))
        basis = m(torch.eye(n, dtype=_FLOAT).reshape(n, *shape))
    out_shape = tuple(zero.shape[1:])
    c = zero.reshape(-1).numpy().copy()
    M = (basis.reshape(n, -1) - zero.reshape(1, -1)).numpy().T.copy()
    return M, c, out_shape


def _array(param: torch.Tensor) -> np.ndarray:
    """A float64 NumPy copy of a parameter (never a view of the user's tensor)."""
    t = param.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    if t.dtype == _FLOAT:
        return t.numpy().copy()
    return t.numpy().astype(np.float64) if t.dtype in (torch.float32, torch.float16) else t.to(_FLOAT).numpy()


def _check_finite(name: str, *arrays: np.ndarray) -> None:
    for a in arrays:
        if not np.isfinite(a).all():
            raise InputError(f"{name} has NaN or inf weights")


_AFFINE_TYPES = (nn.Conv1d, nn.Conv2d, nn.AvgPool1d, nn.AvgPool2d, nn.BatchNorm1d, nn.BatchNorm2d,
                 nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout)


def _compile(module: nn.Module, shape: tuple[int, ...], steps: list) -> tuple[int, ...]:
    """Append the steps of ``module`` for an input of (per-sample) ``shape``; return the output shape."""
    name = type(module).__name__
    n = math.prod(shape)
    if isinstance(module, nn.Sequential):
        for sub in module:
            shape = _compile(sub, shape, steps)
        return shape
    if isinstance(module, nn.Linear):
        if shape[-1] != module.in_features:
            raise InputError(f"Linear expects {module.in_features} inputs, the data has shape {shape}")
        W = _array(module.weight)
        b = _array(module.bias) if module.bias is not None else np.zeros(W.shape[0])
        _check_finite(name, W, b)
        if len(shape) != 1:  # Linear over the last axis of a multi-axis input: probe it
            M, c, out = _probe(module, shape)
            steps.append(Affine(M, c, name))
            return out
        steps.append(Affine(W, b, name))
        return (W.shape[0],)
    if isinstance(module, Maxout):
        shape = _compile(module.linear, shape, steps)
        groups = np.arange(module.out_features * module.rank).reshape(module.out_features, module.rank)
        steps.append(MaxGroups(groups, "Maxout"))
        return (module.out_features,)
    if isinstance(module, Residual):
        steps.append(Push())
        out = _compile(module.body, shape, steps)
        if math.prod(out) != n:
            raise SpecError(f"Residual body maps {n} values to {math.prod(out)}; x + f(x) needs equal sizes")
        steps.append(Pop())
        return shape
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.training:
        raise SpecError(f"{name} is in training mode; call net.eval() so it is an affine map")
    if isinstance(module, _AFFINE_TYPES):
        if isinstance(module, (nn.Identity, nn.Dropout)):
            return shape
        for p in module.parameters():
            _check_finite(name, p.detach().numpy())
        if isinstance(module, (nn.Flatten, nn.Unflatten)):
            with torch.no_grad():
                out = tuple(module(torch.zeros((1, *shape))).shape[1:])
            return out  # a reshape: the flat state is unchanged
        try:
            M, c, out = _probe(module, shape)
        except RuntimeError as exc:
            raise InputError(f"{name} cannot take inputs of shape {shape}: {' '.join(str(exc).split())[:200]}") from None
        steps.append(Affine(M, c, name))
        return out
    if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)):
        if module.ceil_mode:
            raise SpecError(f"{name} with ceil_mode=True is not supported; use ceil_mode=False")
        groups = maxpool_groups(shape, module.kernel_size, module.stride, module.padding,
                                module.dilation, two_d=isinstance(module, nn.MaxPool2d), name=name)
        with torch.no_grad():
            out = tuple(module(torch.zeros((1, *shape))).shape[1:])
        steps.append(MaxGroups(groups, name))
        return out
    if isinstance(module, nn.ReLU):
        steps.append(Elementwise("relu", (0.0,), name=name))
        return shape
    if isinstance(module, nn.LeakyReLU):
        steps.append(Elementwise("leaky", (0.0,), slope=np.full(n, float(module.negative_slope)), name=name))
        return shape
    if isinstance(module, nn.PReLU):
        w = module.weight.detach().to(_FLOAT).numpy()
        _check_finite(name, w)
        if w.size == 1:
            slope = np.full(n, float(w[0]))
        else:
            if len(shape) < 1 or shape[0] != w.size:
                raise InputError(f"PReLU has {w.size} channel slopes but the data has shape {shape}")
            slope = np.repeat(w, n // w.size)
        steps.append(Elementwise("leaky", (0.0,), slope=slope, name=name))
        return shape
    if isinstance(module, nn.Hardtanh):
        lo, hi = float(module.min_val), float(module.max_val)
        steps.append(Elementwise("hardtanh", (lo, hi), lo=lo, hi=hi, name=name))
        return shape
    if isinstance(module, Abs):
        steps.append(Elementwise("abs", (0.0,), name=name))
        return shape
    error = NotPiecewiseLinearError(
        f"{name} is not piecewise linear; the region engine takes Linear, ReLU, LeakyReLU, PReLU, "
        "Hardtanh, Abs, Identity, Flatten/Unflatten, BatchNorm (eval), Conv1d/2d, AvgPool, MaxPool, "
        "Maxout, Residual, and any module whose forward torch.fx can trace into these")
    error.unknown = not isinstance(module, NOT_PIECEWISE_LINEAR)  # a custom module: trace it
    raise error


def maxpool_groups(shape: tuple[int, ...], kernel_size, stride, padding=0, dilation=1, *,
                   two_d: bool, name: str = "MaxPool") -> np.ndarray:
    """The windows of a max pooling over inputs of per-sample ``shape`` ``(C, H, W)`` (2-D) or
    ``(C, L)`` (1-D): `(C * outputs, window)` flat input indices, ``-1`` where the window
    reaches the padding."""
    if not two_d and len(shape) != 2:
        raise InputError(f"{name} needs (channels, length) inputs, got shape {shape}")
    if two_d and len(shape) != 3:
        raise InputError(f"{name} needs (channels, height, width) inputs, got shape {shape}")
    n = math.prod(shape)
    idx = torch.arange(1, n + 1, dtype=_FLOAT).reshape(1, *shape)
    x4 = idx if two_d else idx.unsqueeze(-2)

    def pair(v, fill=1):
        if two_d:
            return v if isinstance(v, tuple) else (v, v)
        return (fill, v[0] if isinstance(v, tuple) else v)

    C = shape[0]
    cols = torch.nn.functional.unfold(x4, pair(kernel_size), dilation=pair(dilation),
                                      padding=pair(padding, 0), stride=pair(stride))
    kk = math.prod(pair(kernel_size))
    cols = cols.reshape(C, kk, -1).permute(0, 2, 1).reshape(-1, kk)  # (C*L_out, kk)
    return cols.numpy().astype(np.int64) - 1  # padding became -1


#: modules known not to be piecewise linear (a custom module, unknown, is traced instead)
NOT_PIECEWISE_LINEAR = (nn.Tanh, nn.Sigmoid, nn.GELU, nn.ELU, nn.SELU, nn.CELU, nn.Softplus,
                        nn.SiLU, nn.Mish, nn.Softsign, nn.Tanhshrink, nn.LogSigmoid, nn.Softmax,
                        nn.LogSoftmax, Sin, Gaussian)
#: a last module that maps each output monotonically (or keeps the argmax): it changes no
#: region, so the engine cuts the pre-activation and says so
MONOTONE_OUTPUTS = (nn.Sigmoid, nn.Tanh, nn.Softmax, nn.LogSoftmax, nn.Softsign, nn.LogSigmoid)


def compile_net(net, in_dim: int, *, input_shape: tuple[int, ...] | None = None) -> Program:
    """Compile ``net`` (a ``torch.nn.Module`` or a :class:`~neuromosaic.spec.NetSpec`) for inputs
    of ``in_dim`` values (reshaped to ``input_shape`` if given, or to the square image a leading
    Conv2d/MaxPool2d needs)."""
    if type(net) is nn.Sequential and input_shape is None:
        mlp = _compile_mlp(net, in_dim)  # the common case, first and fast
        if mlp is not None:
            mlp.reference = net
            return mlp
    from ..spec import NetSpec

    if isinstance(net, NetSpec):
        net = net.build(dtype=torch.float64)
    if not isinstance(net, nn.Module):
        raise SpecError(f"net must be a torch.nn.Module or a NetSpec, got {type(net).__name__}")
    shape = tuple(input_shape) if input_shape is not None else guess_shape(net, in_dim)
    if math.prod(shape) != in_dim:
        raise InputError(f"input_shape {shape} has {math.prod(shape)} values, the plane has {in_dim}")
    body, dropped = net, None
    if isinstance(net, nn.Sequential) and len(net) > 1 and isinstance(net[-1], MONOTONE_OUTPUTS):
        body, dropped = net[:-1], type(net[-1]).__name__
    mlp = _compile_mlp(body, in_dim) if input_shape is None else None
    if mlp is None:
        steps: list = []
        try:
            out = _compile(body, shape, steps)  # reads the modules, never changes them (nor their mode)
            mlp = Program(steps, in_dim, math.prod(out))
        except NotPiecewiseLinearError as exc:
            if not getattr(exc, "unknown", False):
                raise
            from .trace import trace_net

            return trace_net(net, in_dim, shape)
    mlp.output_activation = dropped
    mlp.reference = body
    mlp.input_shape = shape
    return mlp


def _compile_mlp(net: nn.Module, in_dim: int) -> Program | None:
    """The program of a plain MLP (a Sequential of Linear and ReLU only, the common case)
    without the general dispatch of :func:`_compile`; None for anything else. The weights are
    copied into two flat float64 arrays at once (the steps' matrices are views of them)."""
    if type(net) is not nn.Sequential:
        return None
    ws, bs, dims, relu_after = [], [], [in_dim], []
    width = in_dim
    for m in net._modules.values():
        kind = type(m)
        if kind is nn.ReLU:
            if not ws or relu_after[-1]:
                return None  # ReLU first, or twice in a row: the general path
            relu_after[-1] = True
        elif kind is nn.Linear and m.in_features == width:
            params = m._parameters  # what m.weight / m.bias read, without Module.__getattr__
            w, b = params["weight"], params["bias"]
            if b is None:
                return None
            try:  # .data: no autograd; .numpy(): only CPU tensors of a NumPy dtype
                ws.append(w.data.numpy().reshape(-1))
                bs.append(b.data.numpy())
            except (TypeError, RuntimeError):
                return None
            width = m.out_features
            dims.append(width)
            relu_after.append(False)
        else:
            return None
    if not ws:
        return None
    Wflat = np.concatenate(ws, dtype=np.float64)  # copies: never a view of the user's tensors
    bflat = np.concatenate(bs, dtype=np.float64)
    if not (np.isfinite(Wflat).all() and np.isfinite(bflat).all()):
        raise InputError("Linear has NaN or inf weights")
    steps: list = []
    wo = bo = 0
    for k, relu in enumerate(relu_after):
        din, dout = dims[k], dims[k + 1]
        steps.append(Affine(Wflat[wo:wo + din * dout].reshape(dout, din), bflat[bo:bo + dout], "Linear"))
        wo += din * dout
        bo += dout
        if relu:
            steps.append(Elementwise("relu", (0.0,), name="ReLU"))
    return Program(steps, in_dim, width)


def guess_shape(net: nn.Module, in_dim: int) -> tuple[int, ...]:
    first = net
    while isinstance(first, nn.Sequential) and len(first) > 0:
        first = first[0]
    if isinstance(first, Residual):
        return (in_dim,)
    if isinstance(first, (nn.Conv2d, nn.BatchNorm2d)):
        C = first.in_channels if isinstance(first, nn.Conv2d) else first.num_features
        side = math.isqrt(max(in_dim // C, 0))
        if C * side * side != in_dim:
            raise InputError(f"{type(first).__name__} takes {C} channels; {in_dim} inputs are not "
                             f"{C} square images (pass input_shape=(C, H, W))")
        return (C, side, side)
    if isinstance(first, (nn.Conv1d, nn.BatchNorm1d)) and isinstance(first, nn.Conv1d):
        C = first.in_channels
        if in_dim % C:
            raise InputError(f"Conv1d takes {C} channels; {in_dim} inputs do not divide (pass input_shape)")
        return (C, in_dim // C)
    if isinstance(first, nn.Linear) and first.in_features != in_dim:
        raise InputError(f"the net takes {first.in_features} inputs but the plane/domain gives {in_dim}; "
                         "a domain is for 2-input nets, use plane=nm.Plane(...) for others")
    return (in_dim,)
