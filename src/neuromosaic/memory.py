"""How much memory a request may use: the caps follow what the machine has, checked before
allocating (a request that would not fit is one line, not an out-of-memory kill)."""

from __future__ import annotations

import os


def available_bytes() -> int:
    """Bytes of memory available now: the free physical memory (``SC_AVPHYS_PAGES``; 8 GiB where
    the OS does not say), or less when the process's address space is limited (``ulimit -v``,
    ``RLIMIT_AS``): what is left of that limit."""
    try:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        avail = 8 << 30
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            with open("/proc/self/statm") as f:
                used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            avail = min(avail, max(0, soft - used))
    except (ImportError, OSError, ValueError):
        pass
    return avail


def check_fits(what: str, need: int, *, share: int = 4) -> None:
    """Raise ``TooLargeError`` when ``need`` bytes are over ``1/share`` of the available memory."""
    from .errors import TooLargeError

    avail = available_bytes()
    if need > avail // share:
        raise TooLargeError(f"{what} needs {need / 2**30:.1f} GiB; at most {avail / share / 2**30:.1f} "
                            f"GiB may be used")
