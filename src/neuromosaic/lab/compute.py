"""Running the library's CPU work off the event loop, with a time limit and size caps.

Every endpoint hands its computation to :class:`Runner`, a bounded thread pool. The event loop
only parses requests and sends bytes, so one slow request never freezes the others. Python
threads cannot be killed, so the work stops itself: the long loops (the painter's row chunks,
the region engine's layers, the trainer's steps) call :func:`cancel_point` through their progress
callbacks, which raises :class:`ComputeTimeout` (→ 503) once the request's time is up; the caps
below keep the time between two such points short (``benchmarks/lab.py`` measures it). The clock
is the runner's (``time.monotonic`` unless a test gives its own), so the tests decide when time
is up instead of racing real seconds.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from ..errors import TooLargeError

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. Over a cap → HTTP 413 (or 422 for a bad value).

    Attributes:
        max_pixels: pixels in one painted image (2048² by default).
        max_units: hidden units in one network (sum of the widths).
        max_work: pixels × multiply-adds per pixel of one painting.
        max_region_units: hidden units of a network cut into regions.
        max_regions: linear regions in one answer.
        max_fit_units: hidden units of a network trained in the lab.
        max_fit_steps: training steps of one fit session (or one POST /api/fit).
        max_fit_points: training + test points of one fit.
        max_upload_bytes: bytes of one request body (an uploaded ``.npz``).
        time_limit: seconds one computation may take.
        threads: worker threads of the pool.
        max_queue: computations running or waiting at once; past it a request is answered 503
            with Retry-After (at least 32, so 16 steady clients never see it).
        max_fit_sockets: live Fit sessions (WebSockets) open at once.
    """

    max_pixels: int = 2048 * 2048
    max_units: int = 2048
    max_work: int = 20_000_000_000
    max_region_units: int = 512
    max_regions: int = 200_000
    max_fit_units: int = 512
    max_fit_steps: int = 200_000
    max_fit_points: int = 20_000
    max_upload_bytes: int = 8 * 1024 * 1024
    time_limit: float = 30.0
    threads: int = max(2, os.cpu_count() or 2)
    max_queue: int = 64
    max_fit_sockets: int = 16


class ComputeTimeout(Exception):
    """A computation ran past :attr:`Limits.time_limit`."""


class Busy(Exception):
    """More computations are queued than :attr:`Limits.max_queue`: answered 503, Retry-After."""


_DEADLINE = threading.local()  # .at: the clock's time after which this thread's work stops

#: seconds past the time limit after which a request is answered 503 even if its work has not
#: reached a check point (a backstop: the work stops itself long before)
BACKSTOP_S = 10.0


def cancel_point(*_progress) -> None:
    """Raise :class:`ComputeTimeout` when the current request's time is up (a no-op outside
    :meth:`Runner.run`). Takes any arguments, so it can be passed as a ``progress`` callback."""
    at = getattr(_DEADLINE, "at", None)
    if at is not None and _DEADLINE.clock() > at:
        raise ComputeTimeout("the computation took longer than the lab's time limit; ask for a "
                             "smaller size or network")


def _with_deadline(at: float, clock: Callable[[], float], fn: Callable[..., T], *args) -> T:
    _DEADLINE.at, _DEADLINE.clock = at, clock
    try:
        return fn(*args)
    finally:
        _DEADLINE.at = None


class Runner:
    """A thread pool that runs one callable per request under a time limit.

    ``clock``: seconds as a float, read at the start of a request and at every check point
    (default ``time.monotonic``)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._pool: ThreadPoolExecutor | None = None
        self.queued = 0  # submitted and not finished (only the event loop's thread changes it)

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The pool, started on first use (again after :meth:`close`: an app can be restarted)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.limits.threads, thread_name_prefix="lab")
        return self._pool

    async def run(self, fn: Callable[..., T], *args, timeout: float | None = None) -> T:
        """``fn(*args)`` in the pool; :class:`ComputeTimeout` after ``timeout`` seconds
        (default: the limits' ``time_limit``)."""
        if self.queued >= self.limits.max_queue:
            raise Busy(f"the lab is busy ({self.queued} computations queued); try again in a moment")
        limit = self.limits.time_limit if timeout is None else timeout
        # the deadline counts from now, queueing included: work that starts late stops on time
        future = asyncio.wrap_future(self.pool.submit(_with_deadline, self.clock() + limit,
                                                      self.clock, fn, *args))
        # the backstop is in real seconds, so only with the real clock: under a test's clock
        # the work alone decides, at its check points
        backstop = limit + BACKSTOP_S if self.clock is time.monotonic else None
        self.queued += 1
        future.add_done_callback(lambda _f: setattr(self, "queued", self.queued - 1))
        try:
            return await asyncio.wait_for(asyncio.shield(future), backstop)
        except asyncio.TimeoutError:
            raise ComputeTimeout(f"the computation took longer than the {limit:g} s time limit; "
                                 f"ask for a smaller size or network") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def check_cap(what: str, value: int, cap: int) -> None:
    """Raise :class:`TooLargeError` (→ 413) when ``value`` is over ``cap``."""
    if value > cap:
        raise TooLargeError(f"{what} ({value:,}) is over the lab's cap of {cap:,}")
