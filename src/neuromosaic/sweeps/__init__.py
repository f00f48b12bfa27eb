"""Sweeps: run a grid of experiments locally or on a Dask cluster (entry: ``neuromosaic.sweep``).

``grid``: the TOML grid file and its cells; ``experiments``: what a cell can run;
``engine``: running cells and writing each one atomically; ``table``: the results table;
``measures``: image busyness numbers.
"""
