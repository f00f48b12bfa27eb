"""NetSpec: the one validated description of an MLP that every stage shares.

A ``NetSpec`` says how many inputs, the hidden widths, the outputs, the activations, how the
weights are drawn, and the seed. ``spec.build()`` turns it into a plain ``torch.nn.Sequential``
(``Linear, act, Linear, act, …, Linear, out_act``) that any torch code can use.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import torch
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError, field_validator
from torch import nn

from .errors import InputError, SpecError, one_line
from .layers import Abs, Gaussian, Sin

# name -> module factory. Piecewise-linear ones are marked for the region engine.
ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "sigmoid": nn.Sigmoid,
    "sin": Sin,
    "gaussian": Gaussian,
    "softplus": nn.Softplus,
    "abs": Abs,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
    "hardtanh": nn.Hardtanh,
    "prelu": lambda: nn.PReLU(init=0.25),
}
PIECEWISE_LINEAR = frozenset({"relu", "leaky_relu", "abs", "identity", "hardtanh", "prelu"})
#: the largest scale of normal:S / uniform:A: weights far past it overflow float32 sums at once
#: (and torch refuses a uniform range wider than the float range)
MAX_INIT_SCALE = 1e15
#: parameters one built net may hold (float64: 8 GB would not fit most machines; 2 GB here)
MAX_PARAMS = 256_000_000

#: which Linear layers have a bias: every one, only the first (the article's CPPN), or none
BIASES = ("all", "first", "none")


class InitSpec(BaseModel):
    """How one kind of parameter is drawn: ``default`` (PyTorch's own ``nn.Linear`` init),
    ``normal:S`` (N(0, S²)), ``uniform:A`` (U(−A, A)), ``xavier`` (Glorot normal), ``kaiming``
    (He normal, fan-in) or ``zeros``.
    """

    model_config = ConfigDict(frozen=True)
    kind: str
    param: float | None = None

    @classmethod
    def parse(cls, text: str, *, what: str = "init") -> InitSpec:
        """Parse ``"normal:1"``, ``"uniform:100"``, ``"default"``, … into an ``InitSpec``."""
        allowed = "default, normal:S, uniform:A, xavier, kaiming, zeros"
        if not isinstance(text, str) or not text.strip():
            raise SpecError(f"{what} must be one of {allowed}, got {text!r}")
        kind, _, arg = text.strip().lower().partition(":")
        if kind in ("default", "xavier", "kaiming", "zeros"):
            if arg:
                raise SpecError(f"{what} {kind!r} takes no parameter, got {text!r}")
            return cls(kind=kind)
        if kind in ("normal", "uniform"):
            try:
                value = float(arg) if arg else 1.0
            except ValueError:
                raise SpecError(f"{what} {kind} needs a number after ':', got {text!r}") from None
            if not math.isfinite(value) or not 0 < value <= MAX_INIT_SCALE:
                raise SpecError(f"{what} {kind} needs a positive scale up to {MAX_INIT_SCALE:g}, "
                                f"got {text!r}")
            return cls(kind=kind, param=value)
        raise SpecError(f"unknown {what} {text!r}; allowed: {allowed}")

    def __str__(self) -> str:
        if self.param is None:
            return self.kind
        return f"{self.kind}:{self.param:g}"

    def variance(self, fan_in: int, fan_out: int) -> float:
        """Variance of one weight drawn this way for a layer of shape ``(fan_out, fan_in)``."""
        if self.kind == "default":
            return 1.0 / (3.0 * fan_in)  # U(±1/√fan_in): var(U(-a, a)) = a**2 / 3
        if self.kind == "uniform":
            return self.param**2 / 3.0
        if self.kind == "normal":
            return self.param**2
        if self.kind == "xavier":
            return 2.0 / (fan_in + fan_out)
        if self.kind == "kaiming":
            return 2.0 / fan_in
        return 0.0

    def bias_variance(self, fan_in: int) -> float:
        """Variance of one bias drawn this way (``xavier``/``kaiming`` biases are zero)."""
        if self.kind == "default":
            return 1.0 / (3.0 * fan_in)
        if self.kind in ("xavier", "kaiming", "zeros"):
            return 0.0
        return self.variance(fan_in, 1)

    def apply_(self, tensor: torch.Tensor, *, fan_in: int, is_bias: bool) -> None:
        """Draw ``tensor`` in place from the global RNG (the caller forks and seeds it)."""
        if self.kind == "default":
            bound = 1.0 / math.sqrt(fan_in)  # what nn.Linear.reset_parameters draws
            nn.init.uniform_(tensor, -bound, bound)
        elif self.kind == "normal":
            nn.init.normal_(tensor, 0.0, self.param)
        elif self.kind == "uniform":
            nn.init.uniform_(tensor, -self.param, self.param)
        elif self.kind == "zeros" or is_bias:  # xavier and kaiming biases start at zero
            nn.init.zeros_(tensor)
        elif self.kind == "xavier":
            nn.init.xavier_normal_(tensor)
        elif self.kind == "kaiming":
            nn.init.kaiming_normal_(tensor, nonlinearity="relu")


def check_activation(name: str, *, what: str = "activation") -> str:
    """Return ``name`` normalised, or raise ``SpecError`` listing the allowed names."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise SpecError(f"unknown {what} {name!r}; allowed: {', '.join(sorted(ACTIVATIONS))}")
    return key


def _init_name(text: str) -> str:
    return str(InitSpec.parse(text))


def _bias_init_name(text: str | None) -> str | None:
    return None if text in (None, "") else str(InitSpec.parse(text, what="bias_init"))


def check_bias(value: str) -> str:
    """``value`` if it is one of ``BIASES``, else a ``SpecError`` listing them."""
    if value not in BIASES:
        raise SpecError(f"must be one of {', '.join(BIASES)}, got {value!r}")
    return value


# Field types shared by every model that names an activation or an init (NetSpec, PaintConfig,
# FitConfig, the lab's and the sweep's models): one validation, one error message.
ActivationName = Annotated[str, AfterValidator(check_activation)]
InitName = Annotated[str, AfterValidator(_init_name)]
BiasInitName = Annotated[str | None, AfterValidator(_bias_init_name)]
BiasName = Annotated[str, AfterValidator(check_bias)]


def make_activation(name: str) -> nn.Module:
    """A fresh module for activation ``name`` (see ``ACTIVATIONS``)."""
    return ACTIVATIONS[check_activation(name)]()


MAX_SEED = 2**63 - 1  # torch.manual_seed and NumPy's generators take it


class Validated(BaseModel):
    """A pydantic model whose validation errors are one-line ``SpecError``s (exit 2 on the CLI,
    HTTP 422 in the lab). NetSpec, PaintConfig and FitConfig build on it."""

    def __init__(self, **data: Any):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            error = SpecError(validation_message(exc))
            errors = exc.errors()
            error.field = str(errors[0]["loc"][0]) if errors and errors[0].get("loc") else None
            raise error from None


class NetSpec(Validated):
    """A validated description of an MLP ``inputs → widths… → outputs``.

    Arguments:
        inputs: input dimension (a CPPN: 2 for x,y; 3 for x,y,r; 3 + z_dim with a latent).
        widths: hidden widths, e.g. ``[16]*8``; ``[]`` means no hidden layer (inputs → outputs).
        outputs: output dimension (3 for RGB, 1 for gray or a scalar regression).
        activation: hidden activation name (see ``neuromosaic.spec.ACTIVATIONS``).
        out_activation: activation after the last layer.
        init: how weights are drawn: ``default`` (PyTorch's ``nn.Linear`` init, exactly),
            ``normal:S``, ``uniform:A``, ``xavier`` or ``kaiming``.
        bias_init: how biases are drawn; ``None`` keeps PyTorch's default bias init
            (U(±1/√fan_in)), as the article's ``nn.init.normal_(m.weight)`` did.
        bias: which Linear layers have a bias: ``"all"`` (default), ``"first"`` (only the first,
            as in the article's CPPN: ``Linear(2, 16)`` with a bias, every later one
            ``bias=False``) or ``"none"``.
        seed: the seed of the weights; the same spec builds the same weights.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    inputs: int = 3
    widths: tuple[int, ...] = (16,) * 8
    outputs: int = 3
    activation: ActivationName = "tanh"
    out_activation: ActivationName = "sigmoid"
    init: InitName = "normal:1"
    bias_init: BiasInitName = None
    bias: BiasName = "all"
    seed: int = 0

    @field_validator("inputs", "outputs")
    @classmethod
    def _positive(cls, v: int, info) -> int:
        if v < 1:
            raise ValueError(f"must be >= 1, got {v}")
        return v

    @field_validator("widths")
    @classmethod
    def _widths(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        bad = [w for w in v if w < 1]
        if bad:
            raise ValueError(f"every width must be >= 1, got {list(v)}")
        return tuple(v)

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        if not 0 <= v <= MAX_SEED:
            raise ValueError(f"must be in 0..{MAX_SEED} (2**63 - 1), got {v}")
        return v

    def _repr_html_(self) -> str:
        """Jupyter: architecture, parameter count, init and mean field's χ1 of the init."""
        from .display import netspec_html

        return netspec_html(self)

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.widths)

    @property
    def layer_sizes(self) -> list[int]:
        return [self.inputs, *self.widths, self.outputs]

    def has_bias(self, layer: int) -> bool:
        """Whether Linear layer ``layer`` (0 = the first) has a bias."""
        return self.bias == "all" or (self.bias == "first" and layer == 0)

    @property
    def num_params(self) -> int:
        sizes = self.layer_sizes
        return sum((a + self.has_bias(i)) * b
                   for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)))

    def check_size(self, dtype: torch.dtype = torch.float32) -> None:
        """Refuse, before anything is allocated, a net of more than ``MAX_PARAMS`` parameters or
        one whose weights would take over a quarter of the available memory."""
        from .errors import TooLargeError
        from .memory import available_bytes

        n = self.num_params
        need = n * torch.empty(0, dtype=dtype).element_size()
        if n > MAX_PARAMS or need > available_bytes() // 4:
            raise TooLargeError(f"the net {self.layer_sizes[:6]}{'…' if len(self.layer_sizes) > 6 else ''} "
                                f"has {n:,} parameters ({need / 2**30:.1f} GiB); at most "
                                f"{MAX_PARAMS:,} and a quarter of the free memory")

    def replace(self, **changes: Any) -> NetSpec:
        """A copy with some fields changed (validated again)."""
        return NetSpec(**{**self.model_dump(), **changes})

    def build(self, *, device: str | torch.device | None = None,
              dtype: torch.dtype = torch.float32) -> nn.Sequential:
        """Build the network: ``Linear, act, …, Linear, out_act`` as a ``torch.nn.Sequential``.

        The weights depend only on the spec (the seed included): the global RNG is forked, so the
        caller's random state is untouched. With ``init="default"`` the weights equal those of
        ``torch.manual_seed(seed); nn.Sequential(nn.Linear(...), ...)`` exactly (with
        ``bias=False`` on the Linear layers ``bias`` leaves without one).
        """
        self.check_size(dtype)
        weight_init = InitSpec.parse(self.init)
        bias_init = InitSpec.parse(self.bias_init) if self.bias_init else None
        sizes = self.layer_sizes
        modules: list[nn.Module] = []
        from .threads import SEEDED_RNG

        with SEEDED_RNG, torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
                with_bias = self.has_bias(i)
                layer = nn.Linear(fan_in, fan_out, bias=with_bias)  # draws PyTorch's default init
                if weight_init.kind != "default":
                    weight_init.apply_(layer.weight.data, fan_in=fan_in, is_bias=False)
                if with_bias and bias_init is not None:
                    bias_init.apply_(layer.bias.data, fan_in=fan_in, is_bias=True)
                elif with_bias and weight_init.kind in ("xavier", "kaiming"):
                    nn.init.zeros_(layer.bias.data)
                modules.append(layer)
                last = i == len(sizes) - 2
                modules.append(make_activation(self.out_activation if last else self.activation))
        net = nn.Sequential(*modules)
        return net.to(device=device, dtype=dtype)

    # -- persistence -------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | dict) -> NetSpec:
        from .values import load_json

        data = load_json(text, what="the spec") if isinstance(text, str) else dict(text)
        if not isinstance(data, dict):
            raise InputError(f"spec JSON must be an object, got {type(data).__name__}")
        return cls(**data)

    def save(self, path: str | Path, net: nn.Module | None = None) -> Path:
        """Save the spec as JSON at ``path`` and the weights (``net``'s, or freshly built) beside it
        as ``.safetensors`` with the spec in its metadata. Returns the weights path."""
        from .io.atomic import atomic_write_text
        from .io.weights import save_safetensors

        path = Path(path)
        atomic_write_text(path, self.to_json() + "\n")
        weights_path = path.with_suffix(".safetensors")
        save_safetensors(weights_path, net if net is not None else self.build(),
                         metadata={"neuromosaic_spec": self.to_json()})
        return weights_path

    @classmethod
    def load(cls, path: str | Path) -> tuple[NetSpec, nn.Sequential]:
        """Load what :meth:`save` wrote (give the ``.json`` or the ``.safetensors`` path):
        returns ``(spec, net)`` with the saved weights."""
        from .io.weights import load_safetensors

        path = Path(path)
        json_path, weights_path = path.with_suffix(".json"), path.with_suffix(".safetensors")
        if json_path.exists():
            spec = cls.from_json(json_path.read_text())
            state, _ = load_safetensors(weights_path)
        else:
            state, meta = load_safetensors(weights_path)
            if "neuromosaic_spec" not in meta:
                raise InputError(f"{weights_path} carries no neuromosaic spec in its metadata")
            spec = cls.from_json(meta["neuromosaic_spec"])
        net = spec.build()
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:
            raise InputError(f"weights in {weights_path} do not fit the spec: {one_line(exc)}") from None
        return spec, net


def validation_message(exc: ValidationError) -> str:
    """One line from a pydantic ``ValidationError``: ``field: message (got value)``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "value"
        msg = err.get("msg", "invalid")
        msg = msg.removeprefix("Value error, ")
        got = err.get("input")
        if err.get("type") == "extra_forbidden":
            parts.append(f"unknown field {loc!r}")
        elif "got" in msg or repr(got) in msg:
            parts.append(f"{loc}: {msg}")
        else:
            parts.append(f"{loc}: {msg} (got {got!r})")
    return "; ".join(parts)

