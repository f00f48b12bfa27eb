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

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..errors import InputError, NotPiecewiseLinearError, SpecError
from .program import Affine, Elementwise, Hide, MaxGroups, Program, Show
from .trace_ops import (
    AFFINE_FUNCTIONS,
    AFFINE_METHODS,
    FLOAT64,
    NOT_PL,
    RESHAPES,
    Expr,
    Ops,
    node_location,
    op_name,
)


class _Compiler(Ops):
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
            zero = fn(torch.zeros((1, *shape), dtype=FLOAT64))
            basis = fn(torch.eye(n, dtype=FLOAT64).reshape(n, *shape))
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
    def carried(self) -> list[int]:
        """The live columns some value still needed later depends on."""
        alive = [n for n, e in self.exprs.items() if e is not None and self.users.get(n, 0) > 0]
        if not alive:
            return []
        used = np.any(np.vstack([self.exprs[n].M for n in alive]) != 0, axis=0)
        return np.flatnonzero(used).tolist()

    def relayout(self, node, out_units: int, cols: list[int], shape) -> None:
        """After a step whose output is ``out_units`` new columns followed by the carried
        ``cols``: re-express the live values over the new columns, and ``node`` as the output."""
        self.m = out_units + len(cols)
        for n, e in list(self.exprs.items()):
            if e is None or self.users.get(n, 0) <= 0:
                continue
            M = np.zeros((e.M.shape[0], self.m))
            M[:, out_units:] = e.M[:, cols]
            self.exprs[n] = Expr(M, e.c, e.shape)
        M = np.zeros((out_units, self.m))
        M[np.arange(out_units), np.arange(out_units)] = 1.0
        self.exprs[node] = Expr(M, np.zeros(out_units), tuple(shape))

    def materialize(self, node, pre: Expr, step, shape) -> None:
        """Emit the steps that cut ``pre`` with ``step`` (an elementwise step: its units first,
        the carried values hidden under the stack past it) and make ``node`` its output."""
        cols = self.carried()
        carry = np.zeros((len(cols), self.m))
        carry[np.arange(len(cols)), cols] = 1.0
        self.steps.append(Affine(np.vstack([pre.M, carry]), np.concatenate([pre.c, np.zeros(len(cols))]),
                                 "Linear"))
        if cols:
            self.steps.append(Hide(len(cols)))
        self.steps.append(step)
        if cols:
            self.steps.append(Show(len(cols)))
        self.relayout(node, pre.M.shape[0], cols, shape)

    def elementwise(self, node, e: Expr, kind: str, *, slope=None, lo=-1.0, hi=1.0, name="ReLU"):
        n = e.M.shape[0]
        breaks = (lo, hi) if kind == "hardtanh" else (0.0,)
        slope_arr = None if slope is None else np.broadcast_to(np.asarray(slope, np.float64), (n,)).copy()
        self.materialize(node, e, Elementwise(kind, breaks, slope=slope_arr, lo=lo, hi=hi, name=name),
                         e.shape)

    def maximum(self, node, e: Expr, groups: np.ndarray, shape, name: str) -> None:
        """``out[j] = max(e[groups[j]])`` (``-1`` pads). A max maps every live column, so the
        carried values join its groups as groups of one (a max of one value cuts nothing)."""
        cols = self.carried()
        carry = np.zeros((len(cols), self.m))
        carry[np.arange(len(cols)), cols] = 1.0
        self.steps.append(Affine(np.vstack([e.M, carry]), np.concatenate([e.c, np.zeros(len(cols))]),
                                 "Linear"))
        k = e.M.shape[0]
        singles = np.full((len(cols), groups.shape[1]), -1, dtype=np.int64)
        singles[:, 0] = k + np.arange(len(cols))
        self.steps.append(MaxGroups(np.vstack([groups, singles]).astype(np.int64), name))
        self.relayout(node, groups.shape[0], cols, tuple(shape))

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
        program.output_activation = None if last is None else op_name(last).split(".")[-1]
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
        raise NotPiecewiseLinearError(f"{op_name(node)} at {node_location(node, self.owner)}: {why}")

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
        if name in NOT_PL or (op == "call_function" and t in (torch.tanh, torch.sigmoid, torch.exp)):
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
        if name in RESHAPES or t in (torch.flatten, torch.reshape, torch.squeeze, torch.unsqueeze):
            self.exprs[node] = Expr(e.M, e.c, shape)  # C-order values do not move
            return
        if (op == "call_method" and name in AFFINE_METHODS) or (op == "call_function" and t in AFFINE_FUNCTIONS):
            if name in ("permute", "transpose", "t", "__getitem__", "getitem", "expand", "repeat", "flip", "roll"):
                self.exprs[node] = self.permutation(node, e)
                return
            if name in ("neg",) or t in (operator.neg, torch.neg):
                self.exprs[node] = Expr(-e.M, -e.c, shape)
                return
            rest_args = [self._concrete(a) for a in node.args[1:]]
            kwargs = {k: self._concrete(v) for k, v in node.kwargs.items()}
            fn = (lambda x: getattr(x, t)(*rest_args, **kwargs)) if op == "call_method" else \
                (lambda x: t(x, *[a.to(FLOAT64) if isinstance(a, torch.Tensor) else a for a in rest_args],
                             **{k: (v.to(FLOAT64) if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}))
            M, c, out = self.probe(fn, e.shape)
            self.exprs[node] = self.compose(e, M, c, out)
            return
        if op == "call_function" and t in (operator.matmul, torch.matmul) and len(ins) == 1:
            other = [self._concrete(a) for a in node.args if a is not ins[0]][0]
            first = node.args[0] is ins[0]
            M, c, out = self.probe(lambda x: x @ other.to(FLOAT64) if first else other.to(FLOAT64) @ x, e.shape)
            self.exprs[node] = self.compose(e, M, c, out)
            return
        self.refuse(node, "not an operation the region engine knows to be piecewise linear")


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
