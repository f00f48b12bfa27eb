"""Weights in and out: safetensors (our format, no pickle) and ``.npz`` import.

``.npz`` files use keys ``W0, b0, W1, b1, …`` in PyTorch ``Linear`` layout (out × in) and an
optional string entry ``activation`` naming the hidden activation (default ``relu``).
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import InputError, NeuromosaicError, TooLargeError, one_line
from .atomic import atomic_writer

MAX_NPZ_BYTES = 256 * 1024 * 1024  # on disk, and unpacked
MAX_MEMBERS = 4097  # W_i, b_i for 2048 layers, and the activation


def save_safetensors(path: str | Path, net: nn.Module, metadata: dict[str, str] | None = None) -> Path:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    with atomic_writer(path) as tmp:
        save_file(state, str(tmp), metadata=metadata or {})
    return Path(path)


def load_safetensors(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise InputError(f"weights file {str(path)!r} does not exist")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"{str(path)!r} is not a safetensors file: {exc}") from None
    return state, meta


def check_npz_archive(source, name: str, *, max_uncompressed: int = MAX_NPZ_BYTES) -> None:
    """Refuse, before anything is decompressed, an ``.npz`` whose directory says more than
    ``MAX_MEMBERS`` members or more than ``max_uncompressed`` bytes, or whose arrays' headers
    (read from each member's first bytes) claim more than that or hold Python objects.
    A zip member is never read past the size its directory states, so these caps bound the memory
    of the load, whatever the archive claims elsewhere (a decompression bomb stops here)."""
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise InputError(f"{name} has {len(infos):,} members; at most {MAX_MEMBERS:,}")
            total = sum(i.file_size for i in infos)
            if total > max_uncompressed:
                raise TooLargeError(f"{name} unpacks to {total:,} bytes; at most {max_uncompressed:,}")
            claimed = 0
            for info in infos:
                with zf.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version not in ((1, 0), (2, 0), (3, 0)):
                        raise InputError(f"{name}: member {info.filename!r} is not a NumPy array")
                    reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                              else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = reader(member)
                if dtype.hasobject:
                    raise InputError(f"{name}: holds pickled objects, which are refused (allow_pickle=False)")
                claimed += math.prod(shape) * dtype.itemsize
                if claimed > max_uncompressed or claimed > total:
                    raise TooLargeError(f"{name}: its arrays claim {claimed:,} bytes, more than the "
                                        f"{min(total, max_uncompressed):,} its directory allows")
    except NeuromosaicError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(f"{name} is not an .npz file: {one_line(exc)}") from None


def load_npz_weights(source, *, max_bytes: int = MAX_NPZ_BYTES,
                     max_uncompressed: int = MAX_NPZ_BYTES) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    """Read ``W0, b0, W1, b1, …`` (+ optional ``activation``) from an ``.npz`` path, bytes or file.

    Returns ``([(W0, b0), (W1, b1), …], activation)`` as float64 arrays, after checking that keys
    are consecutive, shapes chain (``W_i`` is ``(out, in)``, ``b_i`` is ``(out,)``, ``W_{i+1}`` takes
    ``out`` inputs) and every value is finite. Pickled objects are refused (``allow_pickle=False``).
    """
    import io

    name = "<upload>"
    if isinstance(source, (str, Path)):
        name = str(source)
        p = Path(source)
        if not p.is_file():
            raise InputError(f"weights file {name!r} does not exist")
        if p.stat().st_size > max_bytes:
            raise InputError(f"weights file {name!r} is over the {max_bytes} byte cap")
        source = p.read_bytes()
    if isinstance(source, (bytes, bytearray)):
        if len(source) > max_bytes:
            raise InputError(f"weights upload of {len(source)} bytes is over the {max_bytes} byte cap")
        source = io.BytesIO(source)
    head = source.read(4)
    source.seek(0)
    if head != b"PK\x03\x04":  # an .npz is a zip archive; anything else np.load would try to unpickle
        raise InputError(f"{name} is not an .npz file (no zip header)")
    check_npz_archive(source, name, max_uncompressed=max_uncompressed)
    source.seek(0)
    try:
        with np.load(source, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise InputError(f"{name}: holds pickled objects, which are refused (allow_pickle=False)") from None
        raise InputError(f"{name} is not an .npz file: {exc}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"{name} is not an .npz file: {exc}") from None
    activation = "relu"
    if "activation" in arrays:
        act = arrays.pop("activation")
        if act.dtype.kind not in "US" or act.size != 1:
            raise InputError(f"{name}: 'activation' must be one string, got dtype {act.dtype}")
        activation = str(act.reshape(()).item())
        if isinstance(activation, bytes):
            activation = activation.decode()
    n = 0
    while f"W{n}" in arrays:
        n += 1
    if n == 0:
        raise InputError(f"{name}: no key 'W0'; expected keys W0, b0, W1, b1, … (got {sorted(arrays)})")
    expected = {f"{p}{i}" for i in range(n) for p in "Wb"}
    missing = sorted(expected - set(arrays))
    extra = sorted(set(arrays) - expected)
    if missing:
        raise InputError(f"{name}: missing keys {missing}; expected W0, b0, …, W{n-1}, b{n-1}")
    if extra:
        raise InputError(f"{name}: unexpected keys {extra}; allowed W0, b0, …, W{n-1}, b{n-1}, activation")
    layers = []
    prev_out = None
    for i in range(n):
        W, b = arrays[f"W{i}"], arrays[f"b{i}"]
        if W.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":
            raise InputError(f"{name}: W{i}/b{i} must be numeric, got {W.dtype}/{b.dtype}")
        if W.ndim != 2:
            raise InputError(f"{name}: W{i} must be 2-D (out × in), got shape {W.shape}")
        if b.shape != (W.shape[0],):
            raise InputError(f"{name}: b{i} must have shape ({W.shape[0]},) to match W{i}, got {b.shape}")
        if prev_out is not None and W.shape[1] != prev_out:
            raise InputError(f"{name}: W{i} takes {W.shape[1]} inputs but layer {i-1} gives {prev_out}")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise InputError(f"{name}: W{i}/b{i} contain NaN or inf")
        layers.append((W.astype(np.float64), b.astype(np.float64)))
        prev_out = W.shape[0]
    return layers, activation


def net_from_layers(layers: list[tuple[np.ndarray, np.ndarray]], activation: str = "relu",
                    *, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A ``Linear, act, …, Linear`` Sequential (no output activation) from ``(W, b)`` pairs."""
    from ..spec import make_activation

    modules: list[nn.Module] = []
    for i, (W, b) in enumerate(layers):
        lin = nn.Linear(W.shape[1], W.shape[0]).to(dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.as_tensor(W, dtype=dtype))
            lin.bias.copy_(torch.as_tensor(b, dtype=dtype))
        modules.append(lin)
        if i < len(layers) - 1:
            modules.append(make_activation(activation).to(dtype))
    return nn.Sequential(*modules)


def load_npz_net(source, *, dtype: torch.dtype = torch.float64,
                 max_uncompressed: int = MAX_NPZ_BYTES) -> nn.Sequential:
    """Load an ``.npz`` (see :func:`load_npz_weights`) as a ``torch.nn.Sequential``."""
    from ..spec import check_activation

    layers, activation = load_npz_weights(source, max_uncompressed=max_uncompressed)
    try:
        activation = check_activation(activation)
    except Exception as exc:
        raise InputError(f"weights: {exc}") from None
    return net_from_layers(layers, activation, dtype=dtype)
