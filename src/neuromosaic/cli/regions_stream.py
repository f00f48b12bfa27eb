"""``neuromosaic regions --dask tcp://HOST:PORT`` and ``--parquet FILE``: the tiles on a Dask
cluster, the partition streamed to disk.

The regions command parses and builds the net as always; these options come here: the scheduler
is checked and connected to (:func:`neuromosaic.sweeps.runner.connect_dask`), and with
``--parquet`` the partition goes to the file (:mod:`neuromosaic.regions.stream`) and the PNG
(``-o``) is drawn from the file, chunk by chunk.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..errors import SpecError
from . import options as opt

Dask = Annotated[str | None, typer.Option(
    "--dask", help="Cut the tiles on a Dask cluster: the scheduler's tcp://HOST:PORT (each "
                   "worker needs neuromosaic). Needs neuromosaic[sweep].")]
Parquet = Annotated[Path | None, typer.Option(
    "--parquet", help="Stream the partition to this .parquet file (one row per region: pattern, "
                      "area, affine map, polygon) instead of holding it in memory; read it back "
                      "with Regions.open. Needs neuromosaic[sweep].")]


def check_options(dask: str | None, parquet: Path | None, **in_memory) -> None:
    """Refuse, before any work, a bad ``--dask`` address, a ``--parquet`` that is not a writable
    ``.parquet`` file, and (with ``--parquet``) the options that need the partition in memory
    (``in_memory``: option name → whether it was given)."""
    if dask is not None:
        from ..sweeps.runner import check_dask_address

        check_dask_address(dask)
    if parquet is None:
        return
    from ..regions.stream import check_out

    check_out(parquet, "--parquet")
    given = [name for name, on in in_memory.items() if on]
    if given:
        raise SpecError(f"--parquet streams the regions to disk; {', '.join(given)} need"
                        f"{'s' if len(given) == 1 else ''} them in memory: drop "
                        f"{'it' if len(given) == 1 else 'them'} or --parquet")


@contextmanager
def dask_client(address: str | None):
    """The ``distributed.Client`` on the scheduler at ``address`` (``None``: none), closed on
    leaving."""
    if address is None:
        yield None
        return
    from ..sweeps.runner import connect_dask

    client = connect_dask(address)
    try:
        yield client
    finally:
        client.close()


def stream_cmd(net, box, label: str, parquet: Path, *, dask: str | None, output: Path | None,
               max_regions: int | None, dpi: int, quiet: bool) -> None:
    """Cut ``net`` over ``box`` into ``parquet`` (on the cluster at ``dask`` if given), print the
    count and where the file is, and draw ``output`` (a PNG) from the file."""
    from ..regions import linear_regions
    from .progress import progress_bar

    with dask_client(dask) as client, progress_bar("cutting", enabled=not quiet) as bar:
        regions = linear_regions(net, domain=box, max_regions=max_regions, client=client,
                                 out=parquet, progress=lambda done, total, n: bar(done, total))
    print(f"{regions.count:,} regions over {list(box)} ({label})")
    widths = regions.net["hidden_widths"]
    if widths:
        from .regions import bound_lines

        print(f"bounds for widths {widths} and 2 inputs:")
        print("\n".join(bound_lines(widths)))
    size = parquet.stat().st_size
    tiles = len(regions.tiles)
    opt.wrote(parquet, f"{regions.count:,} regions from {tiles} tile{'s' * (tiles > 1)}, "
                       f"{regions.merged:,} joined across tile borders, {size / 2**20:.1f} MiB",
              quiet=quiet)
    if not quiet:
        print(f"cut in {regions.seconds:.2f} s", file=sys.stderr)
    if output is not None:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        from ..io.figures import save_figure

        fig = Figure(figsize=(7, 7))
        regions.plot(ax=fig.add_subplot(), resolution=max(256, dpi * 7))
        save_figure(fig, output, dpi=dpi, palette=False, tight=True)
        opt.wrote(output, quiet=quiet)
