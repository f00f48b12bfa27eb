"""Small picklable jobs run in order, a bounded number ahead: on local workers or a Dask cluster.

The poster painter (:mod:`neuromosaic.painting.poster`) and the region streamer
(:mod:`neuromosaic.regions.stream`) both hand out many independent tiles and write the results in
a fixed order, so that the file is the same whatever finishes first; :func:`ordered` keeps at most
``depth`` jobs in flight ahead of the writer, so memory holds a few results, never all of them.
"""

from __future__ import annotations

import itertools
import uuid
from collections import deque
from collections.abc import Callable, Iterator


def ordered(jobs: Iterator, submit: Callable, depth: int) -> Iterator:
    """The results of ``submit(job)`` for each job, in the jobs' order, with at most ``depth``
    submitted and not yet yielded (a bounded window ahead of the consumer). Leaving early
    cancels what is still pending."""
    pending: deque = deque()
    try:
        for job in jobs:
            pending.append(submit(job))
            if len(pending) >= depth:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def client_threads(client) -> int:
    """The worker threads of a ``distributed.Client``'s cluster (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def dask_submitter(client, fn: Callable, name: str) -> Callable:
    """``submit(args)``: ``fn(*args)`` as a task of ``client`` under a key of its own
    (``neuromosaic-NAME-RUN-I``: a fresh run id, so two runs never share results)."""
    run = uuid.uuid4().hex[:8]
    count = itertools.count()

    def submit(args: tuple):
        return client.submit(fn, *args, key=f"neuromosaic-{name}-{run}-{next(count)}", pure=False)

    return submit
