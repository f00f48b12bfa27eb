"""``neuromosaic paint -o poster.tif``: a tiled, pyramidal BigTIFF, painted tile by tile.

The paint command parses and builds the config as for a PNG; an output ending in ``.tif`` or
``.tiff`` comes here for the writing (:func:`neuromosaic.painting.poster.write_poster`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError
from . import options as opt
from .progress import progress_bar

TIFF_SUFFIXES = (".tif", ".tiff")

Dask = Annotated[str | None, typer.Option(
    "--dask", help="Paint a poster's tiles (-o FILE.tif) on a Dask cluster: the scheduler's "
                   "tcp://HOST:PORT; this process writes them in order. Needs neuromosaic[sweep].")]


def check_output(path: Path, *, dask: str | None = None, weights: Path | None = None) -> bool:
    """Refuse, before any work, an ``-o`` that is neither ``.png`` nor ``.tif``/``.tiff`` or
    cannot be written, and options a poster or a PNG cannot take; ``True`` for a poster."""
    from ..io.atomic import check_writable

    if path.suffix.lower() not in TIFF_SUFFIXES:
        if dask is not None:
            raise SpecError("--dask paints a poster's tiles on a cluster: give -o FILE.tif")
        if path.suffix.lower() != ".png":
            raise SpecError(f"-o must be a .png file, or .tif for a tiled poster, got {str(path)!r}")
        opt.check_png(path, "-o")
        return False
    if weights is not None:
        raise SpecError("a poster (-o FILE.tif) paints a net built from options, --from or "
                        "--recipe; a --weights net paints a .png")
    if dask is not None:
        from ..sweeps.runner import check_dask_address

        check_dask_address(dask)
    check_writable(path)
    return True


def write_cmd(output: Path, cfg, meta: dict, *, net, spec, save: Path | None, dask: str | None,
              quiet: bool) -> None:
    """Paint ``cfg``'s poster into ``output`` (on the cluster at ``dask`` if given), then say so
    and write ``--save``'s net, as the PNG path does."""
    from ..painting.poster import TILE, pyramid, write_poster

    client = None
    if dask is not None:
        from ..sweeps.runner import connect_dask

        client = connect_dask(dask)
    start = time.perf_counter()
    try:
        with progress_bar("painting the poster", enabled=not quiet) as update:
            write_poster(output, cfg, client=client, metadata=meta, progress=update)
    finally:
        if client is not None:
            client.close()
    w, h = cfg.size
    levels = len(pyramid(w, h, TILE))
    opt.wrote(output, f"{w}×{h}, {levels} level{'s' * (levels > 1)} of {TILE}² tiles, "
                      f"{time.perf_counter() - start:.2f} s", quiet=quiet)
    if save is not None:
        from ..io.nets import save as save_net

        save_net(save, net, spec=spec)
        opt.wrote(save, "the net", quiet=quiet)
