"""Compile any ``torch.fx``-traceable piecewise-linear module into a :class:`~.program.Program`.

A user's ``nn.Module`` with its own ``forward`` (``torch.relu``, ``F.linear``, residual sums,
``torch.cat`` of branches, ``torch.maximum``, ``view``/``flatten``, ``nn.ModuleList`` loops…) is
traced by ``torch.fx`` into a graph and read node by node. Between two nonlinearities every value
is an affine function of the program's live columns, kept as a matrix and an offset (``Expr``):
linear nodes (Linear, convolutions, pooling by averages, BatchNorm in eval mode, sums, scalar
products, concatenation, reshapes, slices, permutations) only compose these maps. At a
nonlinearity (ReLU family, Hardtanh/clamp, abs, max, MaxPool) the program gets one ``Affine``
step that computes the units to cut followed by every value still needed later (carried), then
``Hide``, the nonlinearity on those units, ``Show``: the carried values pass it unchanged. So a
plain MLP subclass compiles to exactly the steps of the same ``nn.Sequential``.

Refused, with the op and the line of ``forward`` it is on: anything not piecewise linear
(``tanh``, a product of two tensors…); an untraceable module (control flow on tensor values) is
refused naming ``torch.fx``'s reason and the usual fix.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InputError, NotPiecewiseLinearError, SpecError
from ..layers import Abs
from .program import Affine, Elementwise, Hide, MaxGroups, Program, Show

_FLOAT = torch.float64


@dataclass
class Expr:
    """A value as an affine map of the live columns: ``M @ state + c``; ``shape`` per sample."""

    M: np.ndarray  # (n, m)
    c: np.ndarray  # (n,)
    shape: tuple[int, ...]


# -- what is linear and what cuts -------------------------------------------------------------
_AFFINE_MODULES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.AvgPool1d, nn.AvgPool2d, nn.BatchNorm1d,
                   nn.BatchNorm2d, nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout)
_RESHAPES = {"view", "reshape", "flatten", "contiguous", "squeeze", "unsqueeze"}
_AFFINE_METHODS = {"permute", "transpose", "t", "neg", "sum", "mean", "__getitem__", "expand",
                   "repeat", "flip", "roll"} | _RESHAPES
_AFFINE_FUNCTIONS = {F.linear, F.conv1d, F.conv2d, F.avg_pool1d, F.avg_pool2d, F.pad,
                     torch.flatten, torch.reshape, torch.transpose, torch.permute, torch.squeeze,
                     torch.unsqueeze, torch.neg, operator.neg, operator.getitem, torch.sum,
                     torch.mean, torch.flip, torch.roll, F.dropout, F.batch_norm}
_NOT_PL = {"tanh", "sigmoid", "exp", "log", "sin", "cos", "gelu", "silu", "softplus", "elu",
           "selu", "softmax", "log_softmax", "sqrt", "pow", "erf", "mish", "celu"}


def _where(node, owner: str) -> str:
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


def _op_name(node) -> str:
    t = node.target
    if node.op == "call_function":
        mod = getattr(t, "__module__", "") or ""
        prefix = "torch" if mod.startswith("torch") else mod.split(".")[0] or "operator"
        return f"{prefix}.{getattr(t, '__name__', str(t))}".replace("torch._C._nn.", "F.")
    if node.op == "call_method":
        return f"Tensor.{t}"
    return str(t)


class _Compiler:
    def __init__(self, gm: torch.fx.GraphModule, values: dict, in_dim: int, owner: str):
        self.gm, self.values, self.owner, self.in_dim = gm, values, owner, in_dim
        self.steps: list = []
        self.m = in_dim
        self.exprs: dict = {}
        self.users = {n: len(n.users) for n in gm.graph.nodes}
        self.dropped: str | None = None

    # -- affine composition ------------------------------------------------------------------
    def expr(self, node) -> Expr:
        return self.exprs[node]

    def probe(self, fn, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
        """The affine map of ``fn`` on flattened inputs of per-sample ``shape``."""
        n = math.prod(shape)
        with torch.no_grad():
            zero = fn(torch.zeros((1, *shape), dtype=_FLOAT))
            basis = fn(torch.eye(n, dtype=_FLOAT).reshape(n, *shape))
        out = tuple(zero.shape[1:])
        c = zero.reshape(-1).numpy().copy()
        M = (basis.reshape(n, -1) - zero.reshape(1, -1)).numpy().T.copy()
        return M, c, out

    def compose(self, e: Expr, M: np.ndarray, c: np.ndarray, shape) -> Expr:
        return Expr(M @ e.M, M @ e.c + c, tuple(shape))

    def permutation(self, node, e: Expr) -> Expr:
        """A method that only moves values (permute, transpose, slicing, repeat…): its index map
        from an index tensor, with the node's own arguments as the traced run saw them."""
        idx = torch.arange(math.prod(e.shape), dtype=torch.int64).reshape(1, *e.shape)
        args = [idx if a is node.args[0] else self._concrete(a) for a in node.args]
        kwargs = {k: self._concrete(v) for k, v in node.kwargs.items()}
        fn = getattr(torch.Tensor, node.target) if node.op == "call_method" else node.target
        out = fn(*args, **kwargs)
        shape = tuple(out.shape[1:])
        return Expr(e.M[out.reshape(-1).numpy()], e.c[out.reshape(-1).numpy()], shape)

    def _concrete(self, a):
        if isinstance(a, torch.fx.Node):
            v = self.values[a]
            return v if not isinstance(v, torch.Tensor) else v.detach()
        if isinstance(a, (list, tuple)):
            return type(a)(self._concrete(x) for x in a)
        return a

    # -- nonlinearities: one Affine, Hide, the step, Show ----------------------------------------
    def materialize(self, node, pre: Expr, make_step) -> None:
        """Emit the steps that cut ``pre`` (its units first, the carried values after) and make
        ``node``'s value the step's output; ``make_step(k)`` returns ``(step, out_units, shape)``."""
        k = pre.M.shape[0]
        alive = [n for n, e in self.exprs.items() if self.users.get(n, 0) > 0]
        cols = sorted(set(np.flatnonzero(np.any(np.vstack([self.exprs[n].M for n in alive]) != 0,
                                                 axis=0)).tolist())) if alive else []
        carry = np.zeros((len(cols), self.m))
        carry[np.arange(len(cols)), cols] = 1.0
        self.steps.append(Affine(np.vstack([pre.M, carry]), np.concatenate([pre.c, np.zeros(len(cols))]),
                                 "Linear"))
        if cols:
            self.steps.append(Hide(len(cols)))
        step, out_units, shape = make_step(k)
        self.steps.append(step)
        if cols:
            self.steps.append(Show(len(cols)))
        self.m = out_units + len(cols)
        where = {col: out_units + i for i, col in enumerate(cols)}
        for n in alive:
            e = self.exprs[n]
            M = np.zeros((e.M.shape[0], self.m))
            for col, new in where.items():
                M[:, new] = e.M[:, col]
            self.exprs[n] = Expr(M, e.c, e.shape)
        M = np.zeros((out_units, self.m))
        M[np.arange(out_units), np.arange(out_units)] = 1.0
        self.exprs[node] = Expr(M, np.zeros(out_units), shape)

    def elementwise(self, node, e: Expr, kind: str, *, slope=None, lo=-1.0, hi=1.0, name="ReLU"):
        n = e.M.shape[0]
        breaks = (lo, hi) if kind == "hardtanh" else (0.0,)
        slope_arr = None if slope is None else np.broadcast_to(np.asarray(slope, np.float64), (n,)).copy()
        self.materialize(node, e, lambda k: (Elementwise(kind, breaks, slope=slope_arr, lo=lo, hi=hi,
                                                         name=name), n, e.shape))

    def maximum(self, node, e: Expr, groups: np.ndarray, shape, name: str) -> None:
        """``out[j] = max(e[groups[j]])`` (``-1`` pads); the carried columns ride along as groups
        of one (a max of one value cuts nothing)."""
        def make(k):
            carried = self.m_carry
            pad = np.full((carried, groups.shape[1]), -1, dtype=np.int64)
            pad[:, 0] = k + np.arange(carried)
            return MaxGroups(np.vstack([groups, pad]).astype(np.int64), name), groups.shape[0], shape

        # the carried columns are not hidden for a max: it maps all live columns, so they join
        # its groups as singletons instead
        k = e.M.shape[0]
        alive = [n for n, x in self.exprs.items() if self.users.get(n, 0) > 0]
        cols = sorted(set(np.flatnonzero(np.any(np.vstack([self.exprs[n].M for n in alive]) != 0,
                                                 axis=0)).tolist())) if alive else []
        carry = np.zeros((len(cols), self.m))
        carry[np.arange(len(cols)), cols] = 1.0
        self.steps.append(Affine(np.vstack([e.M, carry]), np.concatenate([e.c, np.zeros(len(cols))]),
                                 "Linear"))
        self.m_carry = len(cols)
        step, out_units, shape = make(k)
        self.steps.append(step)
        self.m = out_units + len(cols)
        for n in alive:
            x = self.exprs[n]
            M = np.zeros((x.M.shape[0], self.m))
            for i, col in enumerate(cols):
                M[:, out_units + i] = x.M[:, col]
            self.exprs[n] = Expr(M, x.c, x.shape)
        M = np.zeros((out_units, self.m))
        M[np.arange(out_units), np.arange(out_units)] = 1.0
        self.exprs[node] = Expr(M, np.zeros(out_units), tuple(shape))

    # -- the graph ------------------------------------------------------------------------------
    def run(self) -> Program:
        output = None
        last = self._monotone_output()
        for node in self.gm.graph.nodes:
            if node is last:  # a monotone last activation: the program is its pre-activation
                self.exprs[node] = self.exprs[node.all_input_nodes[0]]
                for a in node.all_input_nodes:
                    self.users[a] -= 1
                continue
            if node.op == "placeholder":
                shape = tuple(self.values[node].shape[1:])
                self.exprs[node] = Expr(np.eye(self.m), np.zeros(self.m), shape)
            elif node.op == "get_attr":
                self.exprs[node] = None  # a parameter: read where it is used
            elif node.op == "output":
                output = node.args[0]
            else:
                self.node(node)
            for a in node.all_input_nodes:
                self.users[a] -= 1
        if not isinstance(output, torch.fx.Node) or not isinstance(self.exprs.get(output), Expr):
            raise SpecError(f"{self.owner}.forward must return one tensor to cut, got {output!r}")
        out = self.exprs[output]
        self.steps.append(Affine(out.M, out.c, "output"))
        program = Program(self.steps, self.in_dim, out.M.shape[0])
        program.output_activation = None if last is None else _op_name(last).split(".")[-1]
        if last is not None:  # the reference: the same graph, returning the pre-activation
            graph = torch.fx.Graph()
            env = {}
            for n in self.gm.graph.nodes:
                if n.op == "output":
                    graph.output(env[last.all_input_nodes[0]])
                elif n is not last:
                    env[n] = graph.node_copy(n, lambda x: env[x])
            program.reference = torch.fx.GraphModule(self.gm, graph)
        else:
            program.reference = self.gm
        return program

    def _monotone_output(self):
        """The node the net returns, when it is a last sigmoid/tanh/softmax of a tensor."""
        out = [n for n in self.gm.graph.nodes if n.op == "output"][0].args[0]
        if not isinstance(out, torch.fx.Node):
            return None
        name = out.target if isinstance(out.target, str) else getattr(out.target, "__name__", "")
        if out.op == "call_module":
            from .compile import MONOTONE_OUTPUTS

            return out if isinstance(self.gm.get_submodule(out.target), MONOTONE_OUTPUTS) else None
        return out if name in ("sigmoid", "tanh", "softmax", "log_softmax", "softsign") else None

    def refuse(self, node, why: str = "not piecewise linear"):
        raise NotPiecewiseLinearError(f"{_op_name(node)} at {_where(node, self.owner)}: {why}")

    def tensor_args(self, node) -> list:
        return [a for a in node.args if isinstance(a, torch.fx.Node) and isinstance(self.exprs.get(a), Expr)]

    def node(self, node) -> None:  # noqa: C901 - one dispatch over the ops a forward may use
        op, t = node.op, node.target
        name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
        ins = self.tensor_args(node)
        value = self.values.get(node)
        if name in ("max", "min") and isinstance(value, tuple) and ins:  # torch.max(x, dim)
            return self.max_like(node, name, ins, tuple(value[0].shape[1:]))
        if t is operator.getitem and node.args and isinstance(self.values.get(node.args[0]), tuple):
            source = node.args[0]
            if isinstance(self.exprs.get(source), Expr) and node.args[1] == 0:
                self.exprs[node] = self.exprs[source]  # the values of torch.max(x, dim)
                return
        if not isinstance(value, torch.Tensor):  # sizes, shapes: plain Python values
            if ins and name not in ("size", "dim"):
                self.refuse(node, "its result is not a tensor the engine can follow")
            self.exprs[node] = None
            return
        shape = tuple(value.shape[1:])
        if op == "call_module":
            module = self.gm.get_submodule(t)
            self.module(node, module, ins[0] if ins else None, shape)
            return
        if name in _NOT_PL or (op == "call_function" and t in (torch.tanh, torch.sigmoid, torch.exp)):
            self.refuse(node)
        e = self.expr(ins[0]) if ins else None
        if op == "call_function" and t in (torch.relu, F.relu, torch.relu_) or (op == "call_method" and name == "relu"):
            return self.elementwise(node, e, "relu")
        if (op == "call_function" and t is F.leaky_relu) or name == "leaky_relu":
            slope = node.kwargs.get("negative_slope", node.args[1] if len(node.args) > 1 else 0.01)
            return self.elementwise(node, e, "leaky", slope=float(slope), name="LeakyReLU")
        if (op == "call_function" and t in (F.hardtanh, F.relu6)) or name in ("hardtanh", "relu6"):
            lo = float(node.kwargs.get("min_val", node.args[1] if len(node.args) > 1 else -1.0))
            hi = float(node.kwargs.get("max_val", node.args[2] if len(node.args) > 2 else 1.0))
            if name == "relu6":
                lo, hi = 0.0, 6.0
            return self.elementwise(node, e, "hardtanh", lo=lo, hi=hi, name="Hardtanh")
        if name in ("clamp", "clip", "clamp_"):
            return self.clamp(node, e)
        if name in ("abs", "absolute"):
            return self.elementwise(node, e, "abs", name="Abs")
        if name in ("maximum", "max", "amax", "minimum", "min", "amin") and op in ("call_function", "call_method"):
            return self.max_like(node, name, ins, shape)
        if op == "call_function" and t in (F.max_pool1d, F.max_pool2d):
            return self.maxpool(node, e, shape, *[self._concrete(a) for a in node.args[1:]], **{
                k: self._concrete(v) for k, v in node.kwargs.items()})
        if name in ("add", "sub", "__add__", "__sub__", "__radd__", "__rsub__", "iadd", "isub") or t in (operator.add, operator.sub, operator.iadd, operator.isub, torch.add, torch.sub):
            return self.add_sub(node, name, shape)
        if name in ("mul", "truediv", "div", "__mul__", "__truediv__", "__rmul__") or t in (operator.mul, operator.truediv, torch.mul, torch.div):
            return self.scale(node, ins, shape)
        if name in ("cat", "concat", "concatenate", "stack"):
            return self.cat(node, shape)
        if name in _RESHAPES or t in (torch.flatten, torch.reshape, torch.squeeze, torch.unsqueeze):
            self.exprs[node] = Expr(e.M, e.c, shape)  # C-order values do not move
            return
        if (op == "call_method" and name in _AFFINE_METHODS) or (op == "call_function" and t in _AFFINE_FUNCTIONS):
            if name in ("permute", "transpose", "t", "__getitem__", "getitem", "expand", "repeat", "flip", "roll"):
                self.exprs[node] = self.permutation(node, e)
                return
            if name in ("neg",) or t in (operator.neg, torch.neg):
                self.exprs[node] = Expr(-e.M, -e.c, shape)
                return
            rest_args = [self._concrete(a) for a in node.args[1:]]
            kwargs = {k: self._concrete(v) for k, v in node.kwargs.items()}
            fn = (lambda x: getattr(x, t)(*rest_args, **kwargs)) if op == "call_method" else \
                (lambda x: t(x, *[a.to(_FLOAT) if isinstance(a, torch.Tensor) else a for a in rest_args],
                             **{k: (v.to(_FLOAT) if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}))
            M, c, out = self.probe(fn, e.shape)
            self.exprs[node] = self.compose(e, M, c, out)
            return
        if op == "call_function" and t in (operator.matmul, torch.matmul) and len(ins) == 1:
            other = [self._concrete(a) for a in node.args if a is not ins[0]][0]
            first = node.args[0] is ins[0]
            M, c, out = self.probe(lambda x: x @ other.to(_FLOAT) if first else other.to(_FLOAT) @ x, e.shape)
            self.exprs[node] = self.compose(e, M, c, out)
            return
        self.refuse(node, "not an operation the region engine knows to be piecewise linear")

    def module(self, node, module: nn.Module, arg, shape) -> None:
        e = self.expr(arg)
        kind = type(module)
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.training:
            raise SpecError(f"{kind.__name__} at {_where(node, self.owner)} is in training mode; "
                            "call net.eval() so it is an affine map")
        if isinstance(module, _AFFINE_MODULES):
            if isinstance(module, (nn.Flatten, nn.Unflatten, nn.Identity, nn.Dropout)):
                self.exprs[node] = Expr(e.M, e.c, shape)
                return
            if not all(np.isfinite(p.detach().cpu().double().numpy()).all() for p in module.parameters()):
                raise InputError(f"{kind.__name__} at {_where(node, self.owner)} has NaN or inf weights")
            import copy

            m = copy.deepcopy(module).to(_FLOAT)
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
                v = torch.as_tensor(self._concrete(const), dtype=_FLOAT)
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
                M, c, out = self.probe(lambda x: x * k.to(_FLOAT) if "div" not in str(node.target) else x / k.to(_FLOAT), e.shape)
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


def trace_net(net: nn.Module, in_dim: int, input_shape: tuple[int, ...]) -> Program:
    """Compile ``net`` by tracing it with ``torch.fx`` (see the module docstring)."""
    import torch.fx

    owner = type(net).__name__
    tracer = torch.fx.Tracer()
    tracer.record_stack_traces = True
    try:
        graph = tracer.trace(net)
    except Exception as exc:  # noqa: BLE001 - fx raises many kinds; all become one line
        reason = " ".join(str(exc).split())[:240]
        raise InputError(f"{owner} cannot be traced by torch.fx ({type(exc).__name__}: {reason}); "
                         "a branch on a tensor's value is the usual cause: compute both sides and "
                         "combine them with torch.maximum/clamp, or make the choice a constructor "
                         "argument") from None
    gm = torch.fx.GraphModule(tracer.root, graph)
    # one concrete run records every node's value (shapes, and the arguments permutations need)
    values: dict = {}  # filled by the recorder, keyed by the copy's nodes, then by gm's

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n):
            out = super().run_node(n)
            values[n] = out
            return out

    import copy

    dtype = next(iter(net.parameters()), torch.zeros(1)).dtype
    probe_gm = copy.deepcopy(gm).eval()  # BatchNorm in training mode is refused by its node
    try:
        with torch.no_grad():
            Recorder(probe_gm).run(torch.zeros((1, *input_shape), dtype=dtype))
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"{owner} cannot take inputs of shape {input_shape}: "
                         f"{' '.join(str(exc).split())[:200]}") from None
    # the recorder ran on the copy: key its values by the original graph's nodes
    values = {orig: values[copied] for orig, copied in zip(gm.graph.nodes, probe_gm.graph.nodes, strict=True)}
    program = _Compiler(gm, values, in_dim, owner).run()
    program.input_shape = tuple(input_shape)
    return program
