"""Atomic writes: write to a temporary file in the target's directory, then rename.

A crash or a bad value never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError


def check_writable(path: str | Path) -> Path:
    """Raise ``OutputError`` unless ``path`` can be written as a regular file: its directory
    exists and is writable, and ``path`` is either missing or a regular file (never a device,
    FIFO, socket or directory: the atomic rename would put a regular file where it was)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"output directory {str(parent)!r} does not exist (for {str(path)!r})")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"output directory {str(parent)!r} is not writable (for {str(path)!r})")
    try:
        mode = os.stat(path).st_mode  # follows a symlink: what it points to counts
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise OutputError(f"cannot use {str(path)!r} as an output: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise OutputError(f"output path {str(path)!r} is a directory; give a file name")
    if not stat.S_ISREG(mode):
        kind = ("a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise OutputError(f"output path {str(path)!r} is {kind}; only a regular file (or a new "
                          "name) is written, never replaced")
    return path


def check_folder(path: str | Path) -> Path:
    """Raise ``OutputError`` unless ``path`` is a directory or can be made one: it does not
    exist (and its nearest existing ancestor is a writable directory) or it is a directory."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise OutputError(f"output folder {str(path)!r} exists and is not a directory")
        if not os.access(path, os.W_OK):
            raise OutputError(f"output folder {str(path)!r} is not writable")
        return path
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK):
        raise OutputError(f"cannot make the output folder {str(path)!r}: {str(ancestor)!r} is "
                          f"{'not a directory' if not ancestor.is_dir() else 'not writable'}")
    return path


def make_folder(path: str | Path) -> Path:
    """:func:`check_folder`, then make it (and its missing parents)."""
    path = check_folder(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot make the output folder {str(path)!r}: {exc.strerror or exc}") from None
    return path


@contextlib.contextmanager
def atomic_writer(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, on error delete it.

    ``suffix`` keeps the file extension for writers that look at it (imageio picks the format so).
    """
    path = check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                   suffix=suffix if suffix is not None else path.suffix)
    except OSError as exc:
        raise OutputError(f"cannot write in {str(path.parent)!r} (for {str(path)!r}): "
                          f"{exc.strerror or exc}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_writer(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))
