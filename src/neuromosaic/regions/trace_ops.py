"""The ops a traced forward may use, as maps of :class:`Expr` values (see :mod:`.trace`): the
affine ones compose, the piecewise-linear ones become program steps."""

from __future__ import annotations

import copy
import math
import operator
import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InputError, SpecError
from ..layers import Abs

FLOAT64 = torch.float64


@dataclass
class Expr:
    """A value as an affine map of the live columns: ``M @ state + c``; ``shape`` per sample."""

    M: np.ndarray  # (n, m)
    c: np.ndarray  # (n,)
    shape: tuple[int, ...]


# -- what is linear and what cuts -------------------------------------------------------------
AFFINE_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.AvgPool1d, nn.AvgPool2d, nn.BatchNorm1d,
                   nn.BatchNorm2d, nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout)
RESHAPES = {"view", "reshape", "flatten", "contiguous", "squeeze", "unsqueeze"}
AFFINE_METHODS = {"permute", "transpose", "t", "neg", "sum", "mean", "__getitem__", "expand",
                   "repeat", "flip", "roll"} | RESHAPES
AFFINE_FUNCTIONS = {F.linear, F.conv1d, F.conv2d, F.avg_pool1d, F.avg_pool2d, F.pad,
                     torch.flatten, torch.reshape, torch.transpose, torch.permute, torch.squeeze,
                     torch.unsqueeze, torch.neg, operator.neg, operator.getitem, torch.sum,
                     torch.mean, torch.flip, torch.roll, F.dropout, F.batch_norm}
NOT_PL = {"tanh", "sigmoid", "exp", "log", "sin", "cos", "gelu", "silu", "softplus", "elu",
           "selu", "softmax", "log_softmax", "sqrt", "pow", "erf", "mish", "celu"}


def node_location(node, owner: str) -> str:
    """``"MyNet.forward, line 12"``: the innermost module the node runs in (fx's module stack)
    and the line of the user's code in its recorded stack trace."""
    stack = node.meta.get("nn_module_stack") or {}
    inner = list(stack.values())[-1][1].__name__ if stack else owner
    if node.op == "call_module" and len(stack) > 1:  # the module itself is the last entry
        inner = list(stack.values())[-2][1].__name__
    elif node.op == "call_module":
        inner = owner
    trace = node.stack_trace or ""
    for file, line, func in reversed(re.findall(r'File "([^"]+)", line (\d+), in (\w+)', trace)):
        if "torch/" not in file and "neuromosaic/regions" not in file:
            return f"{inner}.{func}, line {line}"
    return f"{inner}.forward (node {node.name})"


def op_name(node) -> str:
    t = node.target
    if node.op == "call_function":
        mod = getattr(t, "__module__", "") or ""
        prefix = "torch" if mod.startswith("torch") else mod.split(".")[0] or "operator"
        return f"{prefix}.{getattr(t, '__name__', str(t))}".replace("torch._C._nn.", "F.")
    if node.op == "call_method":
        return f"Tensor.{t}"
    return str(t)


class Ops:
    """The handlers of the op kinds; mixed into the compiler, which gives ``expr``, ``probe``,
    ``compose``, ``elementwise``, ``maximum``, ``refuse`` and ``_concrete``."""

    def module(self, node, module: nn.Module, arg, shape) -> None:
        e = self.expr(arg)
        kind = type(module)
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.training:
            raise SpecError(f"{kind.__name__} at {node_location(node, self.owner)} is in training mode; "
                            "call net.eval() so it is an affine map")
        if isinstance(module, AFFINE_MODULES):
            if isinstance(module, (nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout)):
                self.exprs[node] = Expr(e.M, e.c, shape)
                return
            if not all(np.isfinite(p.detach().cpu().double().numpy()).all() for p in module.parameters()):
                raise InputError(f"{kind.__name__} at {node_location(node, self.owner)} has NaN or inf weights")
            m = copy.deepcopy(module).to(FLOAT64)
            M, c, out = self.probe(m, e.shape)
            self.exprs[node] = self.compose(e, M, c, out)
            return
        if kind is nn.ReLU:
            return self.elementwise(node, e, "relu")
        if kind is nn.ReLU6:
            return self.elementwise(node, e, "hardtanh", lo=0.0, hi=6.0, name="ReLU6")
        if kind is nn.LeakyReLU:
            return self.elementwise(node, e, "leaky", slope=float(module.negative_slope), name="LeakyReLU")
        if kind is nn.PReLU:
            w = module.weight.detach().double().numpy()
            slope = w if w.size == 1 else np.repeat(w, math.prod(e.shape) // w.size)
            return self.elementwise(node, e, "leaky", slope=slope, name="PReLU")
        if isinstance(module, nn.Hardtanh):
            return self.elementwise(node, e, "hardtanh", lo=float(module.min_val), hi=float(module.max_val),
                                    name=kind.__name__)
        if kind is Abs:
            return self.elementwise(node, e, "abs", name="Abs")
        if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)):
            if module.ceil_mode:
                raise SpecError(f"{kind.__name__} with ceil_mode=True is not supported; use ceil_mode=False")
            return self.maxpool(node, e, shape, module.kernel_size, module.stride, module.padding,
                                module.dilation, two_d=isinstance(module, nn.MaxPool2d))
        self.refuse(node)

    def clamp(self, node, e: Expr) -> None:
        lo = self._concrete(node.kwargs.get("min", node.args[1] if len(node.args) > 1 else None))
        hi = self._concrete(node.kwargs.get("max", node.args[2] if len(node.args) > 2 else None))
        if isinstance(lo, torch.Tensor) or isinstance(hi, torch.Tensor):
            self.refuse(node, "clamp by a tensor bound is not supported; give numbers")
        if lo is not None and hi is not None:
            return self.elementwise(node, e, "hardtanh", lo=float(lo), hi=float(hi), name="clamp")
        if lo is not None:  # max(x, a) = a + relu(x - a)
            shifted = Expr(e.M, e.c - float(lo), e.shape)
            self.elementwise(node, shifted, "relu", name="clamp")
            r = self.exprs[node]
            self.exprs[node] = Expr(r.M, r.c + float(lo), r.shape)
            return
        if hi is not None:  # min(x, b) = b - relu(b - x)
            flipped = Expr(-e.M, float(hi) - e.c, e.shape)
            self.elementwise(node, flipped, "relu", name="clamp")
            r = self.exprs[node]
            self.exprs[node] = Expr(-r.M, float(hi) - r.c, r.shape)
            return
        self.exprs[node] = Expr(e.M, e.c, e.shape)

    def max_like(self, node, name: str, ins: list, shape) -> None:
        sign = -1.0 if name in ("minimum", "min", "amin") else 1.0  # min(a, b) = -max(-a, -b)
        if len(ins) == 2:  # elementwise max of two tensors
            a, b = self.expr(ins[0]), self.expr(ins[1])
            n = a.M.shape[0]
            if b.M.shape[0] != n:
                self.refuse(node, "torch.maximum of tensors of different sizes (broadcasting) is not supported")
            pre = Expr(sign * np.vstack([a.M, b.M]), sign * np.concatenate([a.c, b.c]), a.shape)
            groups = np.stack([np.arange(n), n + np.arange(n)], axis=1)
        else:
            e = self.expr(ins[0])
            dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
            if dim is None or isinstance(dim, (list, tuple)):
                self.refuse(node, "a max over the whole tensor or several dims is not supported; give one dim")
            keep = node.kwargs.get("keepdim", node.args[2] if len(node.args) > 2 else False)
            idx = torch.arange(math.prod(e.shape)).reshape(e.shape)
            d = dim - 1 if dim > 0 else dim  # the traced dim counts the batch
            groups = idx.movedim(d, -1).reshape(-1, e.shape[d]).numpy()
            pre = Expr(sign * e.M, sign * e.c, e.shape)
            if name in ("max", "min"):  # (values, indices): only values[…] may be used
                for user in node.users:
                    if not (user.target is operator.getitem and user.args[1] in (0,)):
                        self.refuse(node, "only the values of torch.max(x, dim) can be cut, not the indices")
            del keep
        out_shape = shape if isinstance(self.values[node], torch.Tensor) else tuple(self.values[node][0].shape[1:])
        self.maximum(node, pre, groups, out_shape, "Max")
        if sign < 0:
            r = self.exprs[node]
            self.exprs[node] = Expr(-r.M, -r.c, r.shape)

    def maxpool(self, node, e: Expr, shape, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False, return_indices=False, *, two_d: bool | None = None) -> None:
        from .compile import maxpool_groups

        if ceil_mode or return_indices:
            self.refuse(node, "max pooling with ceil_mode or return_indices is not supported")
        two_d = len(e.shape) == 3 if two_d is None else two_d
        groups = maxpool_groups(e.shape, kernel_size, stride if stride is not None else kernel_size,
                                padding, dilation, two_d=two_d)
        self.maximum(node, e, groups, shape, "MaxPool")

    def add_sub(self, node, name: str, shape) -> None:
        a, b = node.args[0], node.args[1]
        sign = -1.0 if ("sub" in name or node.target in (operator.sub, operator.isub, torch.sub)) else 1.0
        if name == "__rsub__":
            a, b, sign = b, a, -1.0
        alpha = float(node.kwargs.get("alpha", 1.0))
        ea = self.expr(a) if isinstance(a, torch.fx.Node) and isinstance(self.exprs.get(a), Expr) else None
        eb = self.expr(b) if isinstance(b, torch.fx.Node) and isinstance(self.exprs.get(b), Expr) else None
        n = math.prod(shape)

        def broad(e: Expr | None, const) -> tuple[np.ndarray, np.ndarray]:
            if e is None:
                v = torch.as_tensor(self._concrete(const), dtype=FLOAT64)
                return np.zeros((n, self.m)), np.broadcast_to(v.numpy(), (1, *shape)).reshape(-1).copy()
            if math.prod(e.shape) != n:
                idx = torch.arange(math.prod(e.shape)).reshape(1, *e.shape).expand(1, *shape)
                sel = idx.reshape(-1).numpy()
                return e.M[sel], e.c[sel]
            return e.M, e.c

        Ma, ca = broad(ea, a)
        Mb, cb = broad(eb, b)
        self.exprs[node] = Expr(Ma + sign * alpha * Mb, ca + sign * alpha * cb, shape)

    def scale(self, node, ins: list, shape) -> None:
        if len(ins) != 1:
            self.refuse(node, "a product of two tensors is not piecewise linear")
        e = self.expr(ins[0])
        other = [self._concrete(a) for a in node.args if a is not ins[0]]
        k = other[0] if other else 1.0
        if isinstance(k, torch.Tensor):
            if k.numel() != 1:
                M, c, out = self.probe(lambda x: x * k.to(FLOAT64) if "div" not in str(node.target) else x / k.to(FLOAT64), e.shape)
                self.exprs[node] = self.compose(e, M, c, out)
                return
            k = float(k)
        k = float(k)
        if "div" in str(getattr(node.target, "__name__", node.target)):
            if node.args[0] is not ins[0]:
                self.refuse(node, "dividing by a tensor is not piecewise linear")
            k = 1.0 / k
        self.exprs[node] = Expr(e.M * k, e.c * k, shape)

    def cat(self, node, shape) -> None:
        parts = node.args[0]
        dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else 0)
        exprs = [self.expr(p) for p in parts]
        # the index map of the concatenation, from index tensors of the parts
        offset, idxs = 0, []
        for e in exprs:
            n = math.prod(e.shape)
            idxs.append(torch.arange(offset, offset + n).reshape(1, *e.shape))
            offset += n
        fn = torch.stack if node.target in (torch.stack,) or "stack" in str(node.target) else torch.cat
        order = fn(idxs, dim=dim).reshape(-1).numpy()
        M = np.vstack([e.M for e in exprs])[order]
        c = np.concatenate([e.c for e in exprs])[order]
        self.exprs[node] = Expr(M, c, shape)
