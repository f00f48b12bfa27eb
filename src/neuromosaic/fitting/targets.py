"""What a network is asked to fit: safe target expressions, named surfaces and 2-D data sets.

A target expression such as ``"x1**2 + x2**2 + 3"`` is parsed by Python's :mod:`ast` module
(which only *reads* the text) and then walked node by node; only the node types listed in
this file are turned into torch operations, anything else raises :class:`ExpressionError`.
Nothing is ever passed to ``eval``/``exec``/``compile``-to-code.
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable

import numpy as np
import torch

from ..errors import ExpressionError, InputError, field_error

Target = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

MAX_LENGTH = 500          # characters in an expression
MAX_DEPTH = 40            # nesting of the syntax tree
MAX_EXPONENT = 64.0       # |c| for a constant exponent in a ** c

# The variables: x1, x2 (x and y are accepted as their aliases) and two constants.
VARIABLES = {"x1": 0, "x2": 1, "x": 0, "y": 1}
CONSTANTS = {"pi": math.pi, "e": math.e}

# name -> (number of arguments, torch function of tensors)
FUNCTIONS: dict[str, tuple[int, Callable[..., torch.Tensor]]] = {
    "sin": (1, torch.sin),
    "cos": (1, torch.cos),
    "tan": (1, torch.tan),
    "exp": (1, torch.exp),
    "log": (1, torch.log),
    "sqrt": (1, torch.sqrt),
    "abs": (1, torch.abs),
    "tanh": (1, torch.tanh),
    "sigmoid": (1, torch.sigmoid),
    "relu": (1, torch.relu),
    "min": (2, torch.minimum),
    "max": (2, torch.maximum),
    "where": (3, lambda c, a, b: torch.where(c.bool(), a, b)),
}

_BINARY = {
    ast.Add: torch.add,
    ast.Sub: torch.sub,
    ast.Mult: torch.mul,
    ast.Div: torch.div,
    ast.Pow: torch.pow,
}
_COMPARE = {
    ast.Lt: torch.lt,
    ast.LtE: torch.le,
    ast.Gt: torch.gt,
    ast.GtE: torch.ge,
}
_ALLOWED = "numbers, x1 x2 (or x y), pi e, + - * / **, < <= > >=, and " + " ".join(FUNCTIONS)

# A node compiles to a function of the two coordinate tensors.
_Op = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def parse_expression(text: str) -> Target:
    """Parse a target expression into a function ``f(x1, x2) -> tensor``.

    Arguments:
        text: an expression in ``x1, x2`` (``x, y`` are aliases) using numbers, ``pi``, ``e``,
            ``+ - * / **``, comparisons ``< <= > >=`` (for ``where``) and the functions
            ``sin cos tan exp log sqrt abs tanh sigmoid relu min max where``.

    Returns:
        ``f(x1, x2)``: ``x1``, ``x2`` are tensors of one shape; the result has that shape and
        dtype (a constant expression is broadcast).

    Raises:
        ExpressionError: for anything else (unknown names, attribute access, other calls,
            lambda, comprehensions, exponents over ``MAX_EXPONENT``, nesting over
            ``MAX_DEPTH``, text over ``MAX_LENGTH`` characters), with a one-line reason.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("expression is empty; write e.g. 'x1**2 + x2**2 + 3'")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    try:
        # ast.parse only builds the syntax tree; it runs nothing.
        with warnings.catch_warnings():
            # e.g. "1for", or "\\;" in a string (DeprecationWarning): we report our own error
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {_short(text)}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError(f"cannot parse expression {_short(text)}: too complex or not text") from None
    op = _compile(tree.body, 1)

    def target(x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        out = op(x1, x2)
        return torch.broadcast_to(out, torch.broadcast_shapes(x1.shape, x2.shape)).to(x1.dtype)

    target.expression = text.strip()  # type: ignore[attr-defined]
    return target


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _compile(node: ast.AST, depth: int) -> _Op:
    """Turn one allowed syntax node into a function of ``(x1, x2)``; reject every other node."""
    if depth > MAX_DEPTH:
        raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels")
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, got {value!r}")
        number = float(value) if abs(value) < 1e308 else math.inf
        if not math.isfinite(number):
            raise ExpressionError(f"number {value!r} is not finite")
        return lambda x1, x2: torch.tensor(number, dtype=x1.dtype, device=x1.device)
    if isinstance(node, ast.Name):
        if node.id in VARIABLES:
            index = VARIABLES[node.id]
            return (lambda x1, x2: x1) if index == 0 else (lambda x1, x2: x2)
        if node.id in CONSTANTS:
            number = CONSTANTS[node.id]
            return lambda x1, x2: torch.tensor(number, dtype=x1.dtype, device=x1.device)
        raise ExpressionError(f"unknown name {node.id!r}; allowed: {_ALLOWED}")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _compile(node.operand, depth + 1)
        if isinstance(node.op, ast.USub):
            return lambda x1, x2: -inner(x1, x2)
        return inner
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        if isinstance(node.op, ast.Pow):
            _check_exponent(node.right)
        fn = _BINARY[type(node.op)]
        left, right = _compile(node.left, depth + 1), _compile(node.right, depth + 1)
        return lambda x1, x2: fn(left(x1, x2), right(x1, x2))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
        raise ExpressionError("'^' is not a power here; write x1**2")
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise ExpressionError("only single comparisons < <= > >= are allowed (inside where)")
        fn = _COMPARE[type(node.ops[0])]
        left = _compile(node.left, depth + 1)
        right = _compile(node.comparators[0], depth + 1)
        return lambda x1, x2: fn(left(x1, x2), right(x1, x2)).to(x1.dtype)
    if isinstance(node, ast.Call):
        return _compile_call(node, depth)
    raise ExpressionError(f"{_describe(node)} is not allowed in an expression; allowed: {_ALLOWED}")


def _compile_call(node: ast.Call, depth: int) -> _Op:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"only plain function calls are allowed, got {_describe(node.func)}")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name!r}; allowed: {' '.join(FUNCTIONS)}")
    arity, fn = FUNCTIONS[name]
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ExpressionError(f"{name}() takes plain positional arguments only")
    if len(node.args) != arity:
        raise ExpressionError(f"{name}() takes {arity} argument(s), got {len(node.args)}")
    args = [_compile(a, depth + 1) for a in node.args]
    if arity == 1:
        (a,) = args
        return lambda x1, x2: fn(a(x1, x2))
    if arity == 2:
        a, b = args
        return lambda x1, x2: fn(*torch.broadcast_tensors(a(x1, x2), b(x1, x2)))
    a, b, c = args
    return lambda x1, x2: fn(*torch.broadcast_tensors(a(x1, x2), b(x1, x2), c(x1, x2)))


def _check_exponent(node: ast.AST) -> None:
    """Reject constant exponents over ``MAX_EXPONENT`` (``x1**1e9``, ``2**2**2**2**2``)."""
    value = _constant_value(node)
    if value is not None and (not math.isfinite(value) or abs(value) > MAX_EXPONENT):
        raise ExpressionError(f"exponent {value:g} is too large; |exponent| must be <= {MAX_EXPONENT:g}")


def _constant_value(node: ast.AST) -> float | None:
    """The value of a constant sub-expression made of numbers, signs and powers (else None)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value) if abs(node.value) < 1e308 else math.inf
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _constant_value(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        base, exp = _constant_value(node.left), _constant_value(node.right)
        if base is None or exp is None:
            return None
        if not math.isfinite(exp) or abs(exp) > MAX_EXPONENT:
            return math.inf
        try:
            result = abs(base) ** exp
        except (OverflowError, ZeroDivisionError):
            return math.inf
        return result if isinstance(result, float) else math.inf
    return None


def _describe(node: ast.AST) -> str:
    names = {
        ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.ListComp: "a comprehension",
        ast.SetComp: "a comprehension", ast.DictComp: "a comprehension",
        ast.GeneratorExp: "a generator", ast.Subscript: "indexing", ast.IfExp: "if-else",
        ast.BoolOp: "and/or", ast.NamedExpr: "assignment", ast.JoinedStr: "an f-string",
    }
    return names.get(type(node), f"{type(node).__name__!r}")


# --- named targets --------------------------------------------------------------------------
# Each is an expression of the language above, so the names teach the syntax too.
NAMED_TARGETS: dict[str, str] = {
    "paraboloid": "x1**2 + x2**2 + 3",  # the seed's f
    "saddle": "x1**2 - x2**2",
    "ripple": "sin(6*sqrt(x1**2 + x2**2))",
    "gaussian": "exp(-4*(x1**2 + x2**2))",
    "peaks": ("3*(1-3*x1)**2*exp(-(3*x1)**2-(3*x2+1)**2)"
              " - 10*(3*x1/5-(3*x1)**3-(3*x2)**5)*exp(-(3*x1)**2-(3*x2)**2)"
              " - exp(-(3*x1+1)**2-(3*x2)**2)/3"),  # MATLAB's peaks on [-3,3]², scaled to [-1,1]²
    "sinc": "where(x1**2 + x2**2 < 1e-12, 1, sin(8*sqrt(x1**2 + x2**2))/(8*sqrt(x1**2 + x2**2)))",
    "step": "where(x1 > 0, 1, 0)",
}
NAMED_TARGETS["bump"] = NAMED_TARGETS["gaussian"]
DATASETS = ("circle", "xor", "gauss", "spiral", "moons", "spiral3", "blobs3")
CLASSES = {"spiral3": 3, "blobs3": 3}  # every other data set has 2 classes


def num_classes(name: str) -> int:
    """How many classes the data set ``name`` has."""
    return CLASSES.get(str(name).strip().lower(), 2)


def get_target(name_or_expr: str) -> Target:
    """A named target (``paraboloid saddle ripple gaussian peaks sinc step``) or an expression."""
    if not isinstance(name_or_expr, str):
        raise ExpressionError(f"target must be a name or an expression, got {type(name_or_expr).__name__}")
    key = name_or_expr.strip().lower()
    if key in DATASETS:
        raise field_error(ExpressionError, "target", f"{key!r} is a data set of the classification "
                          "task, not a function of x1, x2 (set the task to classification)")
    return parse_expression(NAMED_TARGETS.get(key, name_or_expr))


def target_expression(name_or_expr: str) -> str:
    """The expression text behind a named target (or the expression itself)."""
    return NAMED_TARGETS.get(name_or_expr.strip().lower(), name_or_expr.strip())


def evaluate_on(target: Target, points: torch.Tensor, *, what: str = "target") -> torch.Tensor:
    """``target`` at ``points`` `(N, 2)` → `(N,)`; raise InputError if any value is NaN or inf."""
    values = target(points[:, 0], points[:, 1])
    bad = ~torch.isfinite(values)
    if bool(bad.any()):
        where = points[bad.nonzero()[0, 0]].tolist()
        raise InputError(f"{what} is not finite on the domain (e.g. {values[bad][0].item()} at "
                         f"x1={where[0]:.4g}, x2={where[1]:.4g}); change the expression or the domain")
    return values


def regression_data(target: Target, n: int, *, domain=(-1.0, 1.0, -1.0, 1.0), noise: float = 0.0,
                    seed: int = 0, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points uniform on ``domain`` and ``target`` there plus N(0, noise²): `(n, 2)`, `(n,)`."""
    _check_n(n)
    gen = torch.Generator().manual_seed(seed)
    x0, x1, y0, y1 = domain
    u = torch.rand(n, 2, generator=gen, dtype=dtype)
    points = torch.stack([x0 + (x1 - x0) * u[:, 0], y0 + (y1 - y0) * u[:, 1]], dim=1)
    values = evaluate_on(target, points)
    if noise > 0:
        values = values + noise * torch.randn(n, generator=gen, dtype=dtype)
    return points, values


def surface_data(target: Target, n: int, *, domain=(-1.0, 1.0, -1.0, 1.0), on_fraction: float = 0.6,
                 gap: float = 0.25, spread: float = 1.0, noise: float = 0.0, seed: int = 0,
                 dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """The seed's experiment: points ``(x1, x2, z)`` on the surface ``z = f`` (label 1) and off it.

    Arguments:
        n: number of points; ``round(on_fraction * n)`` lie on the surface.
        gap, spread: off-surface points sit at ``z = f ± d`` with ``d`` uniform in
            ``[gap, gap + spread]`` (above or below with equal odds).
        noise: standard deviation of a jitter added to ``z`` of the on-surface points.

    Returns:
        ``X`` `(n, 3)` and labels ``y`` `(n,)` in {0, 1}.
    """
    _check_n(n)
    points, z = regression_data(target, n, domain=domain, seed=seed, dtype=dtype)
    gen = torch.Generator().manual_seed(seed + 1)
    labels = torch.zeros(n, dtype=dtype)
    n_on = int(round(on_fraction * n))
    labels[:n_on] = 1.0
    sign = torch.where(torch.rand(n, generator=gen, dtype=dtype) < 0.5, -1.0, 1.0).to(dtype)
    offset = sign * (gap + spread * torch.rand(n, generator=gen, dtype=dtype))
    jitter = noise * torch.randn(n, generator=gen, dtype=dtype)
    z = z + torch.where(labels > 0, jitter, offset)
    return torch.cat([points, z[:, None]], dim=1), labels


def make_dataset(name: str, n: int, noise: float = 0.0, seed: int = 0, *,
                 dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """A 2-D classification set like the TensorFlow Playground's, on about ``[-1, 1]²``.

    Arguments:
        name: ``circle`` (disc inside a ring), ``xor`` (quadrants), ``gauss`` (two blobs),
            ``spiral`` (two arms), ``moons`` (two interleaved half-circles); three classes:
            ``spiral3`` (three arms) and ``blobs3`` (three Gaussian blobs at 120°).
        n: number of points (an equal share per class).
        noise: jitter, in units of the domain (the Playground's noise slider / 100 × 2).

    Returns:
        ``X`` `(n, 2)` and labels ``y`` `(n,)` in {0, …, C − 1} (C = :func:`num_classes`).
    """
    _check_n(n)
    key = str(name).strip().lower()
    if key not in DATASETS:
        raise InputError(f"unknown data set {name!r}; allowed: {', '.join(DATASETS)}")
    if not (math.isfinite(noise) and noise >= 0):
        raise InputError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % num_classes(key)).astype(np.float64)
    if key == "spiral3":
        t = rng.uniform(0.05, 1, n)
        angle = 1.25 * t * 2 * np.pi + 2 * np.pi * labels / 3
        xy = np.stack([t * np.sin(angle), t * np.cos(angle)], axis=1)
    elif key == "blobs3":
        centre = 2 * np.pi * labels / 3 + np.pi / 2
        xy = 0.55 * np.stack([np.cos(centre), np.sin(centre)], axis=1) + rng.normal(0, 0.22, (n, 2))
    elif key == "circle":
        radius = np.where(labels > 0, rng.uniform(0, 0.5, n), rng.uniform(0.7, 1.0, n))
        angle = rng.uniform(0, 2 * np.pi, n)
        xy = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    elif key == "xor":
        xy = rng.uniform(-1, 1, (n, 2))
        xy += np.sign(xy) * 0.05  # keep a small margin off the axes, as the Playground does
        labels = (xy[:, 0] * xy[:, 1] > 0).astype(np.float64)
    elif key == "gauss":
        centre = np.where(labels[:, None] > 0, 0.5, -0.5)
        xy = centre + rng.normal(0, 0.2, (n, 2))
    elif key == "spiral":
        t = rng.uniform(0, 1, n)
        angle = 1.75 * t * 2 * np.pi + np.pi * labels
        xy = np.stack([t * np.sin(angle), t * np.cos(angle)], axis=1)
    else:  # moons
        angle = rng.uniform(0, np.pi, n)
        upper = np.stack([np.cos(angle) - 0.5, np.sin(angle) - 0.25], axis=1)
        lower = np.stack([0.5 - np.cos(angle), 0.25 - np.sin(angle)], axis=1)
        xy = np.where(labels[:, None] > 0, lower, upper) * 0.8
    xy = xy + noise * rng.normal(0, 1, xy.shape)
    return torch.as_tensor(xy, dtype=dtype), torch.as_tensor(labels, dtype=dtype)


def _check_n(n: int) -> None:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise InputError(f"the data set must have at least 1 point, got n={n!r}")
