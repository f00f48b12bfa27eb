"""Run a case in a fresh process and sample its peak memory (the benchmarks' shared runner)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    total, todo = 0, [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, ValueError):
            pass
        todo.extend(children.get(p, []))
    return total


def run_sampled(argv: list[str], *, env: dict | None = None, interval: float = 0.01):
    """Run ``argv``, sampling the resident memory of it and its children every ``interval`` s.
    Returns ``(result, stderr)``: ``result`` is the JSON after the first stdout line starting with
    ``RESULT`` (None if there is none), with ``peak_mb`` added."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(interval)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    th.join()
    for line in out.splitlines():
        if line.startswith("RESULT"):
            res = json.loads(line[6:])
            res["peak_mb"] = peak[0] / 2**20
            return res, err
    return None, err
