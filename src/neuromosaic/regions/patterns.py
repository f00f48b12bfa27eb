"""Activation patterns as bytes: a stable hash (region colours, grouping) and grouping of equal rows."""

from __future__ import annotations

import numpy as np


def pattern_hash(codes: np.ndarray) -> np.ndarray:
    """A stable 64-bit hash `(n,)` uint64 of each row of `(n, nbytes)` uint8 (splitmix64's
    finaliser on every salted 8-byte word, summed): the same pattern gets the same hash (and
    colour) in every run."""
    n, nb = codes.shape
    nw = (nb + 7) // 8
    salt = np.random.default_rng(12345).integers(0, 2**63, size=nw, dtype=np.uint64)
    out = np.empty(n, dtype=np.uint64)
    step = 1 << 16  # in chunks: a few MB of temporaries, whatever n
    for lo in range(0, n, step):
        words = np.zeros((min(step, n - lo), nw * 8), np.uint8)
        words[:, :nb] = codes[lo:lo + step]
        with np.errstate(over="ignore"):
            x = words.view(np.uint64) ^ salt
            x ^= x >> np.uint64(30)
            x *= np.uint64(0xBF58476D1CE4E5B9)
            x ^= x >> np.uint64(27)
            x *= np.uint64(0x94D049BB133111EB)
            x ^= x >> np.uint64(31)
            out[lo:lo + step] = x.sum(axis=1, dtype=np.uint64)
    return out


def group_rows(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group equal rows of `(n, nbytes)` uint8: ``(first, inverse)`` as ``np.unique`` gives.
    Rows are grouped by their 64-bit hash first (fast); a collision is detected and then the rows
    are compared byte by byte instead."""
    key = pattern_hash(codes)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    step = 1 << 16  # compare in chunks: no second copy of all the codes
    if all(np.array_equal(codes[first[inv[lo:lo + step]]], codes[lo:lo + step])
           for lo in range(0, len(codes), step)):
        return first, inv
    rows = np.ascontiguousarray(codes).view(np.dtype((np.void, codes.shape[1]))).ravel()
    _, first, inv = np.unique(rows, return_index=True, return_inverse=True)
    return first, inv.reshape(-1)


def color_hash(codes: np.ndarray) -> np.ndarray:
    """FNV-1a (32 bits) of each row of `(n, nbytes)` uint8: `(n,)` uint32; the hash region
    colours are drawn from (here and in the lab's ``colors.js``)."""
    codes = np.asarray(codes, dtype=np.uint8).reshape(len(codes), -1)
    h = np.full(codes.shape[0], 0x811C9DC5, dtype=np.uint64)
    for col in range(codes.shape[1]):  # one byte column at a time, every row at once
        h ^= codes[:, col].astype(np.uint64)
        h = (h * np.uint64(16777619)) & np.uint64(0xFFFFFFFF)
    return h.astype(np.uint32)
