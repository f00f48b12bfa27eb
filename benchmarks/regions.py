"""Exact linear regions: neuromosaic's engine against regioncam (Rust, float32) in one run.

Both cut the reference nets of shared/nets (random ReLU MLPs 2 → [w]*d → 1, PyTorch default init)
over [-R, R]². Each case runs in a fresh subprocess; its peak memory is the largest sum of the
resident sets of the process and all its children, sampled every 10 ms (shared pages counted
in every process: an upper bound). Prints a markdown table with the ratios.

Usage: python benchmarks/regions.py [--quick] [--full] [--verify]
  --quick   only the nets up to [64]*4
  --full    also regioncam on [256]*4 (about 70 s and 16 GB for R=10 on the issue's machine)
  --verify  exact re-derivation (rationals) of every region of [64]*4 (R=1, R=10) and [128]*4 R=1
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

NETS = Path(os.environ.get("NEUROMOSAIC_SHARED", Path(__file__).resolve().parents[2] / "shared")) / "nets"

CASE = r"""
import json, sys, time
import numpy as np
tool, path, R = sys.argv[1], sys.argv[2], float(sys.argv[3])
from neuromosaic.io.weights import load_npz_weights, load_npz_net
if tool == "neuromosaic":
    import neuromosaic as nm
    net = load_npz_net(path)
    t = time.perf_counter()
    reg = nm.linear_regions(net, domain=(-R, R, -R, R))
    dt = time.perf_counter() - t
    out = dict(count=reg.count, seconds=dt, tiles=len(reg.tiles), min_area=float(reg.areas.min()))
    if len(sys.argv) > 4 and sys.argv[4] == "verify":
        from neuromosaic.regions.exact import verify_exact
        t = time.perf_counter()
        rep = verify_exact(reg)
        out.update(verify_ok=rep.ok, verify_seconds=time.perf_counter() - t, exact_min_area=rep.smallest_area,
                   infeasible=rep.infeasible, area_sum=str(rep.area_sum), domain_area=str(rep.domain_area))
else:
    import regioncam
    layers, _ = load_npz_weights(path)
    t = time.perf_counter()
    rc = regioncam.Regioncam(size=R)
    for i, (W, b) in enumerate(layers):
        rc.linear(W.T.astype(np.float32), b.astype(np.float32))
        if i < len(layers) - 1:
            rc.relu()
    n = rc.num_faces
    dt = time.perf_counter() - t
    out = dict(count=n, seconds=dt)
print("RESULT" + json.dumps(out))
"""


def _tree_rss(pid: int) -> int:
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


def run_case(tool: str, net: str, R: float, *extra: str) -> dict:
    proc = subprocess.Popen([sys.executable, "-c", CASE, tool, str(NETS / f"{net}.npz"), str(R), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.01)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    th.join()
    for line in out.splitlines():
        if line.startswith("RESULT"):
            res = json.loads(line[6:])
            res["peak_mb"] = peak[0] / 2**20
            return res
    raise RuntimeError(f"{tool} {net} R={R} failed: {err.strip()[-500:]}")


def main(argv: list[str]) -> int:
    quick, full, verify = "--quick" in argv, "--full" in argv, "--verify" in argv
    nets = ["mlp_w16_d2_s0", "mlp_w32_d3_s0", "mlp_w64_d4_s0"]
    if not quick:
        nets += ["mlp_w128_d4_s0", "mlp_w256_d4_s0"]
    if not NETS.is_dir():
        print(f"shared nets not found at {NETS}", file=sys.stderr)
        return 1
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"python {platform.python_version()}\n")
    print("| net | R | neuromosaic regions | regioncam regions | neuromosaic s | regioncam s | speed-up | "
          "neuromosaic peak MB | regioncam peak MB | tiles |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for net in nets:
        for R in (1.0, 10.0):
            ours = run_case("neuromosaic", net, R)
            theirs = None
            if "w256" not in net or full:
                theirs = run_case("regioncam", net, R)
            rc_count = f"{theirs['count']:,}" if theirs else "(skipped; --full)"
            rc_s = f"{theirs['seconds']:.2f}" if theirs else "–"
            ratio = f"{theirs['seconds'] / ours['seconds']:.2f}×" if theirs else "–"
            rc_mb = f"{theirs['peak_mb']:.0f}" if theirs else "–"
            print(f"| {net} | {R:g} | {ours['count']:,} | {rc_count} | {ours['seconds']:.2f} | {rc_s} | "
                  f"{ratio} | {ours['peak_mb']:.0f} | {rc_mb} | {ours['tiles']} |", flush=True)
    cases = [("mlp_w32_d3_s0", 10.0)]
    if verify:
        cases += [("mlp_w64_d4_s0", 1.0), ("mlp_w64_d4_s0", 10.0), ("mlp_w128_d4_s0", 1.0)]
    print("\nExact verify mode (every region re-derived from its pattern in rationals):\n")
    print("| net | R | regions | all feasible | exact areas sum to the domain | smallest area | seconds |")
    print("|---|---|---|---|---|---|---|")
    for net, R in cases:
        v = run_case("neuromosaic", net, R, "verify")
        print(f"| {net} | {R:g} | {v['count']:,} | {v['infeasible'] == 0} | "
              f"{v['area_sum'] == v['domain_area']} ({v['area_sum']}) | {v['exact_min_area']:.3g} | "
              f"{v['verify_seconds']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
