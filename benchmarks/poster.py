"""Posters: time and peak memory of ``neuromosaic paint --size N -o poster.tif``.

Each size runs the real command in a fresh process (its peak RSS is its own, read from
``os.wait4``); a small PNG painted the same way gives the baseline RSS of the import, torch and
the kernel. After each poster a few tiles are read back from the file and compared with
``nm.paint`` of the same windows (the centre tile, the last tile, and the top level whole).
The net is ``paint``'s default: 8 hidden layers × 16, tanh, sigmoid out, normal:1, inputs x, y, r.

Usage: python benchmarks/poster.py [--big] [--docs] [--keep DIR]
  --big   also 32768² (about 2.5 min on 2 cores and 1 GB of disk)
  --docs  write docs/img/poster_overview.png and poster_crop.png from the 16384² poster
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TILE = 512

CHECK = r"""
import json, sys
import numpy as np, tifffile
from neuromosaic.painting import PaintConfig
from neuromosaic.painting.render import paint
from neuromosaic.painting.poster import pyramid, tile_windows
path = sys.argv[1]
with tifffile.TiffFile(path) as tif, open(path, "rb") as fh:
    page = tif.pages[0]
    cfg = PaintConfig.model_validate(json.loads(page.description)["config"])
    net = cfg.net_spec().build()
    windows = tile_windows(*cfg.size, 512)
    ok = True
    for index in (len(windows) // 2 + int(cfg.size[0] // 1024), len(windows) - 1):
        fh.seek(page.dataoffsets[index])
        tile = page.decode(fh.read(page.databytecounts[index]), index)[0][0]
        x0, y0, w, h = windows[index]
        want = np.asarray(paint(net, cfg.size, window=windows[index], workers=1))
        ok &= bool(np.array_equal(tile[:h, :w], want))
    top = tif.series[0].levels[-1].asarray()
    ok &= bool(np.array_equal(top, np.asarray(paint(net, pyramid(*cfg.size, 512)[-1]))))
    where = page.tags["ImageDescription"].valueoffset
print(json.dumps({"equal": ok, "description_at": where}))
"""

DOCS = r"""
import sys
import numpy as np, tifffile
from PIL import Image, ImageDraw
path, out = sys.argv[1], sys.argv[2]
with tifffile.TiffFile(path) as tif, open(path, "rb") as fh:
    page = tif.pages[0]
    W = page.shape[1]
    overview = tif.series[0].levels[-1].asarray()  # the top level, painted at its own size
    # the crop: the full-level tile under the busiest patch of the overview (most colour change)
    n = -(-W // 512)
    s = overview.shape[1] / n
    busy = np.abs(np.diff(overview.astype(int), axis=1)).sum(axis=2)[:-1] + \
        np.abs(np.diff(overview.astype(int), axis=0)).sum(axis=2)[:, :-1]
    score = [[busy[int(y * s):int((y + 1) * s), int(x * s):int((x + 1) * s)].mean()
              for x in range(1, n - 1)] for y in range(1, n - 1)]
    ty, tx = np.unravel_index(np.argmax(score), np.shape(score))
    ty, tx = int(ty) + 1, int(tx) + 1
    index = ty * n + tx
    fh.seek(page.dataoffsets[index])
    tile = page.decode(fh.read(page.databytecounts[index]), index)[0][0]
crop = tile[64:448, 64:448]  # 384² pixels of the full level at 1:1, read from one of its tiles
f = 384 / W
img = Image.fromarray(overview).resize((384, 384), Image.LANCZOS)
x0, y0 = (tx * 512 + 64) * f, (ty * 512 + 64) * f
draw = ImageDraw.Draw(img)
draw.rectangle([x0 - 3, y0 - 3, x0 + 384 * f + 3, y0 + 384 * f + 3], outline=(0, 0, 0), width=1)
draw.rectangle([x0 - 2, y0 - 2, x0 + 384 * f + 2, y0 + 384 * f + 2], outline=(255, 255, 255), width=2)
img.save(f"{out}/poster_overview.png", optimize=True)
Image.fromarray(crop).save(f"{out}/poster_crop.png", optimize=True)
"""


def run(argv: list[str]) -> dict:
    """Run ``argv``; its seconds and its own peak RSS in MB (``os.wait4``)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read(), proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {err.decode()[-2000:]}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "stdout": out.decode()}


def main() -> None:
    args = sys.argv[1:]
    sizes = [16384] + ([32768] if "--big" in args else [])
    cli = [sys.executable, "-m", "neuromosaic", "paint", "-q"]
    keep = Path(args[args.index("--keep") + 1]) if "--keep" in args else None
    folder = keep or Path(tempfile.mkdtemp(prefix="poster-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
          f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"command: python benchmarks/poster.py {' '.join(args)}".rstrip() + "\n")
    base = run([*cli, "--size", "64", "-o", str(folder / "base.png")])
    print(f"baseline (paint --size 64 -o base.png: import, torch, kernel): {base['peak_mb']:.0f} MB, "
          f"{base['seconds']:.1f} s\n")
    print("| size | levels | tiles | seconds | Mpx/s (all levels) | file MB | peak RSS MB | tiles = nm.paint |")
    print("|---|---|---|---|---|---|---|---|")
    sys.path.insert(0, str(REPO / "src"))
    from neuromosaic.painting.poster import pyramid, tile_windows

    for size in sizes:
        path = folder / f"poster{size}.tif"
        result = run([*cli, "--size", str(size), "-o", str(path)])
        levels = pyramid(size, size, TILE)
        tiles = sum(len(tile_windows(w, h, TILE)) for w, h in levels)
        pixels = sum(w * h for w, h in levels)
        check = json.loads(run([sys.executable, "-c", CHECK, str(path)])["stdout"])
        print(f"| {size}² | {len(levels)} | {tiles:,} | {result['seconds']:.1f} | "
              f"{pixels / result['seconds'] / 1e6:.1f} | {path.stat().st_size / 2**20:.0f} | "
              f"{result['peak_mb']:.0f} | {'yes' if check['equal'] else 'NO'} |", flush=True)
        if "--docs" in args and size == 16384:
            run([sys.executable, "-c", DOCS, str(path), str(REPO / "docs" / "img")])
        if keep is None:
            path.unlink()
    print(f"\nthe ImageDescription starts at byte {check['description_at']} (the lab's drop sends "
          "the first 1 MiB)")


if __name__ == "__main__":
    main()
