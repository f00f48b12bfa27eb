"""One weights story: ``nm.save(path, net)`` and ``nm.load(path)`` for every net the tool makes.

Formats (chosen by the file's suffix):

- ``.safetensors`` (ours): the weights, and in the file's metadata the architecture as JSON
  (``neuromosaic_arch``: a list of layers — Linear, the activations, Maxout, Residual, Flatten —
  that rebuilds the same ``nn.Sequential``) and, when the net came from one, its ``NetSpec``.
  A plain state dict saved by ``safetensors.torch.save_file(model.state_dict(), path)`` has no
  architecture: load it into one with ``into=`` (a module, or a NetSpec).
- ``.npz``: keys ``W0, b0, W1, b1, …`` (PyTorch ``Linear`` layout, out × in) and an optional
  string ``activation``: an MLP of Linear layers with one hidden activation.
- ``.pt`` / ``.pth`` are refused: ``torch.load`` is an unpickler even with ``weights_only``; the
  message shows the two lines that convert such a file once.

Every read is bounded before it allocates: the file size, and the tensor sizes the safetensors
header (or the .npz directory) declares.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import nn

from ..errors import InputError, SpecError, TooLargeError, one_line
from .atomic import check_writable

MAX_FILE_BYTES = 2 << 30
SUFFIXES = (".safetensors", ".npz")
PT_HINT = ("pickled PyTorch files (.pt, .pth) are refused: loading one runs code from the file. "
           "Convert it once where you trust it: import torch, safetensors.torch; "
           "safetensors.torch.save_file(torch.load('net.pt', weights_only=True), 'net.safetensors'); "
           "then load net.safetensors with into=YourModule()")


# -- the architecture as JSON ----------------------------------------------------------------
def _describe(module: nn.Module) -> dict:
    from ..layers import Abs, Gaussian, Maxout, Residual, Sin

    if isinstance(module, nn.Linear):
        return {"type": "Linear", "in": module.in_features, "out": module.out_features,
                "bias": module.bias is not None}
    if isinstance(module, nn.Sequential):
        return {"type": "Sequential", "layers": [_describe(m) for m in module]}
    if isinstance(module, Residual):
        return {"type": "Residual", "body": _describe(module.body)}
    if isinstance(module, Maxout):
        return {"type": "Maxout", "in": module.in_features, "out": module.out_features, "rank": module.rank}
    if isinstance(module, nn.LeakyReLU):
        return {"type": "LeakyReLU", "slope": float(module.negative_slope)}
    if isinstance(module, nn.PReLU):
        return {"type": "PReLU", "parameters": module.num_parameters}
    if isinstance(module, nn.Hardtanh) and type(module) is nn.Hardtanh:
        return {"type": "Hardtanh", "lo": float(module.min_val), "hi": float(module.max_val)}
    if isinstance(module, nn.Flatten):
        return {"type": "Flatten", "start": module.start_dim, "end": module.end_dim}
    simple = {nn.ReLU: "ReLU", nn.Tanh: "Tanh", nn.Sigmoid: "Sigmoid", nn.Identity: "Identity",
              nn.ELU: "ELU", nn.GELU: "GELU", nn.Softplus: "Softplus", nn.ReLU6: "ReLU6",
              Abs: "Abs", Sin: "Sin", Gaussian: "Gaussian"}
    name = simple.get(type(module))
    if name is None:
        raise SpecError(f"{type(module).__name__} has no saved architecture; nm.save writes the "
                        "layers of an nn.Sequential of Linear, the activations, Maxout, Residual "
                        "and Flatten (save a custom module's state_dict and load it with into=)")
    return {"type": name}


def _build(desc: dict) -> nn.Module:
    from ..layers import Abs, Gaussian, Maxout, Residual, Sin

    kind = desc.get("type") if isinstance(desc, dict) else None

    def size(key: str) -> int:
        v = desc.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1 << 20:
            raise InputError(f"saved layer {kind}: {key} must be an integer in 1..{1 << 20}, got {v!r}")
        return v

    if kind == "Linear":
        return nn.Linear(size("in"), size("out"), bias=bool(desc.get("bias", True)))
    if kind == "Sequential":
        return nn.Sequential(*[_build(d) for d in desc.get("layers", [])])
    if kind == "Residual":
        return Residual(_build(desc.get("body", {})))
    if kind == "Maxout":
        return Maxout(size("in"), size("out"), size("rank"))
    if kind == "LeakyReLU":
        return nn.LeakyReLU(float(desc.get("slope", 0.01)))
    if kind == "PReLU":
        return nn.PReLU(size("parameters"))
    if kind == "Hardtanh":
        return nn.Hardtanh(float(desc.get("lo", -1.0)), float(desc.get("hi", 1.0)))
    if kind == "Flatten":
        return nn.Flatten(int(desc.get("start", 1)), int(desc.get("end", -1)))
    simple = {"ReLU": nn.ReLU, "Tanh": nn.Tanh, "Sigmoid": nn.Sigmoid, "Identity": nn.Identity,
              "ELU": nn.ELU, "GELU": nn.GELU, "Softplus": nn.Softplus, "ReLU6": nn.ReLU6, "Abs": Abs,
              "Sin": Sin, "Gaussian": Gaussian}
    if kind in simple:
        return simple[kind]()
    raise InputError(f"the file's architecture has a layer of unknown type {kind!r}")


def architecture_params(desc: dict) -> int:
    """Parameters an architecture description implies (checked before anything is built)."""
    kind = desc.get("type")
    if kind == "Linear":
        return desc["in"] * desc["out"] + (desc["out"] if desc.get("bias", True) else 0)
    if kind == "Maxout":
        return (desc["in"] + 1) * desc["out"] * desc["rank"]
    if kind == "Sequential":
        return sum(architecture_params(d) for d in desc.get("layers", []))
    if kind == "Residual":
        return architecture_params(desc.get("body", {}))
    if kind == "PReLU":
        return desc.get("parameters", 1)
    return 0


# -- save ------------------------------------------------------------------------------------
def save(path: str | Path, net, *, spec=None) -> Path:
    """Write ``net`` (an ``nn.Module`` or a :class:`~neuromosaic.spec.NetSpec`, built then) to
    ``path`` (``.safetensors`` or ``.npz``), atomically; returns the path.

    ``spec``: the NetSpec the net was built from, stored beside the architecture (a NetSpec
    given as ``net`` is its own). A module with no describable architecture (a custom
    ``forward``) is saved as its state dict, to load with ``into=``."""
    from ..spec import NetSpec

    path = Path(path)
    if isinstance(net, NetSpec):
        spec, net = net, net.build()
    if not isinstance(net, nn.Module):
        raise SpecError(f"net must be a torch.nn.Module or a NetSpec, got {type(net).__name__}")
    suffix = path.suffix.lower()
    check_writable(path)
    if suffix == ".npz":
        return _save_npz(path, net)
    if suffix != ".safetensors":
        raise SpecError(f"weights go to a .safetensors or .npz file, got {str(path)!r}")
    from .weights import save_safetensors

    meta = {"format": "pt", "neuromosaic": "1"}
    try:
        meta["neuromosaic_arch"] = json.dumps(_describe(net), separators=(",", ":"))
    except SpecError:
        meta["neuromosaic_arch"] = ""  # a custom module: its state dict only
    if spec is not None:
        meta["neuromosaic_spec"] = spec.to_json()
    return save_safetensors(path, net, metadata=meta)


def _save_npz(path: Path, net: nn.Module) -> Path:
    import io

    import numpy as np

    from ..spec import ACTIVATIONS
    from .atomic import atomic_write_bytes

    if not isinstance(net, nn.Sequential):
        raise SpecError(".npz holds an nn.Sequential MLP (Linear layers and one activation); "
                        "use .safetensors for other nets")
    arrays, acts = {}, set()
    for m in net:
        if isinstance(m, nn.Linear):
            i = len(arrays) // 2
            arrays[f"W{i}"] = m.weight.detach().cpu().double().numpy()
            arrays[f"b{i}"] = (m.bias.detach().cpu().double().numpy() if m.bias is not None
                               else np.zeros(m.out_features))
        else:
            names = [n for n, f in ACTIVATIONS.items() if type(f()) is type(m)]
            if not names:
                raise SpecError(f".npz holds Linear layers and one activation; {type(m).__name__} "
                                "does not fit: use .safetensors")
            acts.add(names[0])
    hidden = {a for a in acts if a != "identity"}
    if len(hidden) > 1:
        raise SpecError(f".npz names one hidden activation; this net has {sorted(hidden)}: use .safetensors")
    buf = io.BytesIO()
    np.savez(buf, **arrays, activation=np.array(hidden.pop() if hidden else "relu"))
    return atomic_write_bytes(path, buf.getvalue())


# -- load ------------------------------------------------------------------------------------
def load(path: str | Path, *, into=None, dtype: torch.dtype = torch.float32) -> nn.Module:
    """The net saved at ``path``, as an ``nn.Module`` in ``dtype``.

    Arguments:
        path: a ``.safetensors`` file (ours, or a plain state dict), an ``.npz``, or the
            ``.json`` of :meth:`NetSpec.save` (the weights beside it).
        into: a module (filled in place and returned) or a NetSpec (built, then filled) to load a
            plain state dict into; with our files it may be given to check the architecture.
        dtype: the parameters' dtype (float32; float64 for exact region work).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle"):
        raise InputError(f"{str(path)!r}: {PT_HINT}")
    if suffix == ".json":  # NetSpec.save's pair: the spec and the weights beside it
        from ..spec import NetSpec

        spec = NetSpec.from_json(_read_text(path))
        weights = path.with_suffix(".safetensors")
        return load(weights, into=spec if into is None else into, dtype=dtype)
    if not path.is_file():
        raise InputError(f"weights file {str(path)!r} does not exist")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise TooLargeError(f"weights file {str(path)!r} is over the {MAX_FILE_BYTES:,} byte cap")
    if suffix == ".npz":
        from .weights import load_npz_net

        net = load_npz_net(path, dtype=dtype)
        return _into(net.state_dict(), into, path, dtype) if into is not None else net
    if suffix != ".safetensors":
        raise InputError(f"weights must be a .safetensors or .npz file, got {str(path)!r}")
    state, meta = _read_safetensors(path)
    arch = meta.get("neuromosaic_arch")
    if into is not None:
        return _into(state, into, path, dtype)
    if meta.get("neuromosaic_spec"):
        from ..spec import NetSpec

        return _into(state, NetSpec.from_json(meta["neuromosaic_spec"]), path, dtype)
    if not arch:
        raise InputError(f"{str(path)!r} holds weights without an architecture (a plain state "
                         "dict): give the net to load them into, into=YourModule() or a NetSpec "
                         "(CLI: --weights PATH --widths …)")
    from ..values import load_json

    desc = load_json(arch, what=f"{str(path)!r}: its architecture")
    params = architecture_params(desc)
    from ..spec import MAX_PARAMS

    if params > MAX_PARAMS:
        raise TooLargeError(f"{str(path)!r} describes {params:,} parameters; at most {MAX_PARAMS:,}")
    return _into(state, _build(desc), path, dtype)


def _read_text(path: Path, cap: int = 1 << 20) -> str:
    if not path.is_file():
        raise InputError(f"spec file {str(path)!r} does not exist")
    if path.stat().st_size > cap:
        raise TooLargeError(f"spec file {str(path)!r} is over {cap:,} bytes")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {str(path)!r}: {one_line(exc)}") from None


def _read_safetensors(path: Path) -> tuple[dict, dict]:
    from safetensors import SafetensorError, safe_open

    from ..memory import check_fits

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            sizes = 0
            for k in f.keys():
                sl = f.get_slice(k)
                sizes += math.prod(sl.get_shape()) * 8
            check_fits(f"the tensors of {str(path)!r}", sizes)
            state = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        if isinstance(exc, TooLargeError):
            raise
        raise InputError(f"{str(path)!r} is not a safetensors file: {one_line(exc)}") from None
    return state, meta


def _into(state: dict, into, path: Path, dtype: torch.dtype) -> nn.Module:
    from ..spec import NetSpec

    module = into.build(dtype=dtype) if isinstance(into, NetSpec) else into
    if not isinstance(module, nn.Module):
        raise SpecError(f"into must be an nn.Module or a NetSpec, got {type(into).__name__}")
    module = module.to(dtype)
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        text = one_line(exc)
        raise InputError(f"the weights in {str(path)!r} do not fit the net: {text[:300]}") from None
    for name, p in module.state_dict().items():
        if p.is_floating_point() and not torch.isfinite(p).all():
            raise InputError(f"{str(path)!r}: {name} has NaN or inf values")
    return module
