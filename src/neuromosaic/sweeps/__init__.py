"""Sweeps: run a grid of experiments — locally on all cores or on a Dask cluster — into one table.

>>> from neuromosaic.sweeps import load_grid, run_sweep
>>> grid = load_grid("examples/sweep_depth.toml")          # doctest: +SKIP
>>> result = run_sweep(grid, workers=4)                     # doctest: +SKIP
>>> result.table, result.computed, result.skipped           # doctest: +SKIP

The grid file format is in :mod:`neuromosaic.sweeps.grid` and docs/sweeps.md; the experiments a
cell can run are in :data:`EXPERIMENTS` (:mod:`.experiments`); :mod:`.runner` runs the cells. Each finished cell is saved at once under
``<output>.cells/``, so running the same grid again only computes what is missing.
"""

from .experiments import EXPERIMENTS, Experiment, Outcome
from .grid import Cell, Grid, build_grid, cell_key, load_grid
from .measures import image_stats
from .runner import SweepResult, check_dask_address, connect_dask, run_cell, run_sweep
from .table import read_table

__all__ = [
    "EXPERIMENTS",
    "Cell",
    "Experiment",
    "Grid",
    "Outcome",
    "SweepResult",
    "build_grid",
    "cell_key",
    "check_dask_address",
    "connect_dask",
    "image_stats",
    "load_grid",
    "read_table",
    "run_cell",
    "run_sweep",
]
