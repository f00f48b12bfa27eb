"""The safe expression parser, named targets and the data sets."""

import ast
import builtins
import contextlib
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from neuromosaic.errors import ExpressionError, InputError, NeuromosaicError
from neuromosaic.fitting.targets import (
    DATASETS,
    NAMED_TARGETS,
    get_target,
    make_dataset,
    num_classes,
    parse_expression,
    regression_data,
    surface_data,
)

X = torch.linspace(-0.9, 0.9, 7, dtype=torch.float64)
X1, X2 = torch.meshgrid(X, X + 0.05, indexing="xy")


@pytest.mark.parametrize("text, reference", [
    ("x1**2 + x2**2 + 3", lambda a, b: a**2 + b**2 + 3),
    ("x**2 - y", lambda a, b: a**2 - b),
    ("-x1 / (1 + x2**2)", lambda a, b: -a / (1 + b**2)),
    ("sin(pi*x1) * cos(x2) + tan(x1/2)", lambda a, b: np.sin(np.pi * a) * np.cos(b) + np.tan(a / 2)),
    ("exp(-x1) + log(2 + x2) + sqrt(abs(x1))", lambda a, b: np.exp(-a) + np.log(2 + b) + np.sqrt(abs(a))),
    ("tanh(x1) + sigmoid(x2) + relu(x1 - x2)",
     lambda a, b: np.tanh(a) + 1 / (1 + np.exp(-b)) + np.maximum(a - b, 0)),
    ("min(x1, x2) + 2*max(x1, 0.1)", lambda a, b: np.minimum(a, b) + 2 * np.maximum(a, 0.1)),
    ("where(x1 > x2, 1, -1) + where(x1 <= 0, x2, 0)",
     lambda a, b: np.where(a > b, 1.0, -1.0) + np.where(a <= 0, b, 0.0)),
    ("3", lambda a, b: np.full_like(a, 3.0)),
    ("e**x1 - 2**-x2", lambda a, b: np.e**a - 2.0**-b),
])
def test_expressions_match_numpy(text, reference):
    out = parse_expression(text)(X1, X2)
    assert out.shape == X1.shape
    np.testing.assert_allclose(out.numpy(), reference(X1.numpy(), X2.numpy()), rtol=1e-12, atol=1e-12)


def test_named_targets_are_finite_and_paraboloid_is_the_seeds():
    for name in NAMED_TARGETS:
        assert torch.isfinite(get_target(name)(X1, X2)).all(), name
    np.testing.assert_allclose(get_target("paraboloid")(X1, X2), X1**2 + X2**2 + 3)
    assert float(get_target("sinc")(torch.zeros(1), torch.zeros(1))) == 1.0


@pytest.mark.parametrize("text, words", [
    ("foo + x1", "unknown name 'foo'"),
    ("x1.real", "attribute access"),
    ("open('f')", "unknown function 'open'"),
    ("__import__('os').system('true')", "only plain function calls"),
    ("lambda: 1", "lambda"),
    ("[x1 for x1 in (1, 2)]", "comprehension"),
    ("sum(x for x in (1,))", "unknown function"),
    ("x1**1000", "exponent 1000"),
    ("2**2**2**2**2", "exponent"),
    ("x1 ** (3 ** 5)", "exponent 243"),
    ("-" * 60 + "x1", "nested deeper"),
    ("sin(" * 60 + "x1" + ")" * 60, "nested deeper"),
    ("x1 + " * 200 + "1", "characters long"),
    ("x1 ^ 2", "write x1**2"),
    ("1e999 * x1", "not finite"),
    ("'text'", "only numbers"),
    ("sin(x1, x2)", "takes 1 argument"),
    ("max(x1, y=2)", "positional"),
    ("x1 if x2 else 0", "if-else"),
    ("x1 < x2 < 1", "single comparisons"),
    ("", "empty"),
    ("x1 +", "cannot parse"),
    ("x1; import os", "cannot parse"),
])
def test_bad_expressions_are_one_line_errors(text, words):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    message = str(info.value)
    assert words in message and "\n" not in message


def test_target_not_finite_on_the_domain_names_the_point():
    with pytest.raises(InputError, match="not finite on the domain"):
        regression_data(get_target("log(x1)"), 100, domain=(-1, 1, -1, 1), seed=0)
    with pytest.raises(InputError, match="not finite"):
        regression_data(get_target("1/(x1 - x1)"), 10)


def test_empty_data_set_is_an_error():
    with pytest.raises(InputError, match="at least 1 point"):
        make_dataset("circle", 0)
    with pytest.raises(InputError, match="unknown data set"):
        make_dataset("swirl", 10)


@pytest.mark.parametrize("name", DATASETS)
def test_data_sets_are_balanced_and_inside_the_playground(name):
    x, y = make_dataset(name, 400, noise=0.0, seed=3)
    assert x.shape == (400, 2) and y.shape == (400,)
    classes = num_classes(name)
    assert set(y.unique().tolist()) == set(map(float, range(classes)))
    shares = torch.bincount(y.long()).double() / len(y)
    assert float(shares.min()) > 0.3 / (classes - 1) and float(shares.max()) < 0.7
    assert float(x.abs().max()) < 1.6
    x2, _ = make_dataset(name, 400, noise=0.0, seed=3)
    assert torch.equal(x, x2)


def test_circle_and_xor_labels_follow_their_rule():
    x, y = make_dataset("circle", 500, seed=1)
    r = x.norm(dim=1)
    assert bool(((r < 0.5) == (y > 0)).all())
    x, y = make_dataset("xor", 500, seed=1)
    assert bool(((x[:, 0] * x[:, 1] > 0) == (y > 0)).all())


def test_surface_data_puts_label_one_on_the_surface():
    f = get_target("paraboloid")
    x, y = surface_data(f, 300, gap=0.25, spread=1.0, seed=2)
    distance = (x[:, 2] - f(x[:, 0], x[:, 1])).abs()
    assert bool((distance[y > 0] < 1e-12).all())
    assert bool((distance[y == 0] >= 0.25).all()) and bool((distance[y == 0] <= 1.25).all())


# --- fuzzing: any text parses or raises our error, and nothing is ever executed --------------

ALPHABET = "x12y+-*/()., <>=^_abcdefghilmnopqrstuvwxz0123456789'\"[]{}:;!@#%&|~`\\\n\t"
TOKENS = ["x1", "x2", "x", "y", "sin", "cos", "exp", "log", "sqrt", "where", "min", "max", "pi",
          "e", "**", "+", "-", "*", "/", "(", ")", ",", "<", ">=", "1", "2.5", "1e3", "lambda",
          "__import__", ".", "[", "]", "for", "in", "if", "else", "os", "open", "eval", ":", " "]


@contextlib.contextmanager
def no_code_execution():
    """Make eval/exec, compile-to-code and imports of os & co raise while the parser runs,
    so a parser that used them would fail loudly (hypothesis itself needs exec, so the guard is
    on only around each parse)."""
    real = {name: getattr(builtins, name) for name in ("eval", "exec", "compile", "__import__")}

    def forbid(*args, **kwargs):
        raise AssertionError("the parser must never execute code")

    def compile_ast_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("the parser must never compile code")
        return real["compile"](source, filename, mode, flags, *args, **kwargs)

    def guarded_import(name, *args, **kwargs):
        if name.split(".")[0] in ("os", "subprocess", "sys", "shutil", "socket", "builtins"):
            raise AssertionError(f"the parser imported {name}")
        return real["__import__"](name, *args, **kwargs)

    builtins.eval = builtins.exec = forbid
    builtins.compile = compile_ast_only
    builtins.__import__ = guarded_import
    try:
        yield
    finally:
        for name, fn in real.items():
            setattr(builtins, name, fn)


def _check_parse(text: str) -> None:
    try:
        with no_code_execution():
            f = parse_expression(text)
            out = f(X1, X2)
    except NeuromosaicError as exc:
        assert isinstance(exc, ExpressionError)
        assert "\n" not in str(exc)
        return
    assert out.shape == X1.shape and out.dtype == X1.dtype


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_fuzz_random_text(text):
    _check_parse(text)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_fuzz_token_soup(tokens):
    _check_parse("".join(tokens))


def test_fuzz_guard_catches_eval_and_the_parser_passes_it():
    """The guard itself works (eval and os are unusable under it) and the parser runs under it."""
    with no_code_execution():
        with pytest.raises(AssertionError):
            eval("1")  # noqa: S307
        with pytest.raises(AssertionError):
            __import__("os")
        value = float(parse_expression("sin(x1) + x2**2 + 1")(X1, X2).sum())
    assert math.isfinite(value)
