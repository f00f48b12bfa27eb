"""The one place that changes torch's thread count.

The painter's row workers and the trainer's tiny matrix products run best with one torch
thread each; the lab runs both at once in its thread pool. ``torch.set_num_threads`` sets the
calling thread's OpenMP count *and* a process-wide value that every thread started later takes
up, so saving and restoring it around each call races: a second caller saves the first one's 1,
the first restores the user's value while the second still runs (threads the second starts now
get every core), the second then "restores" 1 for good. :func:`one_torch_thread` counts who is
inside under a lock: the first to enter saves the setting, every block runs with one thread,
the last to leave puts the setting back, whatever the interleaving.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_inside = 0
_saved: int | None = None


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block with ``torch.get_num_threads() == 1`` (also in threads it starts); the
    setting before the first of the overlapping blocks comes back after the last. A thread that
    leaves while others are still inside keeps one thread."""
    import torch

    global _inside, _saved
    with _lock:
        if _inside == 0:
            _saved = torch.get_num_threads()
        _inside += 1
        if torch.get_num_threads() != 1:  # this thread's count (the process-wide one is 1 now)
            torch.set_num_threads(1)
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _saved is not None and _saved != 1:
                torch.set_num_threads(_saved)


#: held while the package seeds torch's global generator and draws from it (``NetSpec.build``,
#: the digits models): ``fork_rng`` restores the caller's state afterwards, but two threads
#: seeding and drawing at once would interleave their draws (found with 8 poster tiles building
#: nets at once: 23 of 160 nets came out with another's weights)
SEEDED_RNG = threading.Lock()
