"""How much memory a request may use: the caps follow what the machine has, checked before
allocating (a request that would not fit is one line, not an out-of-memory kill)."""

from __future__ import annotations

import os


def available_bytes() -> int:
    """Bytes of memory available now (``SC_AVPHYS_PAGES``; 8 GiB where the OS does not say)."""
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def check_fits(what: str, need: int, *, share: int = 4) -> None:
    """Raise ``TooLargeError`` when ``need`` bytes are over ``1/share`` of the available memory."""
    from .errors import TooLargeError

    avail = available_bytes()
    if need > avail // share:
        raise TooLargeError(f"{what} needs {need / 2**30:.1f} GiB; at most {avail / share / 2**30:.1f} "
                            f"GiB may be used")
