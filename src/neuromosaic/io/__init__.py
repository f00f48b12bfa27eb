"""Files in and out: atomic writes, PNG metadata, weights (safetensors and .npz)."""

from .atomic import atomic_write_bytes, atomic_write_text, atomic_writer
from .weights import load_npz_weights, load_safetensors, save_safetensors

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "load_npz_weights",
    "load_safetensors",
    "save_safetensors",
]
