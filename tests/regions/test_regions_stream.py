"""Regions past one machine: tiles on a Dask LocalCluster, the partition streamed to Parquet and
read back lazily, each compared with the in-process, in-memory cut (the reference)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from regions_helpers import mlp
from torch import nn

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.errors import InputError, OutputError, SpecError, TooLargeError
from neuromosaic.regions import Regions

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")

DOMAIN = (-4.0, 4.0, -4.0, 4.0)
TILES = (3, 3)  # 1,407 regions, 169 of them cut by a tile border


@pytest.fixture(scope="module")
def net():
    return mlp([32, 32], seed=1)


@pytest.fixture(scope="module")
def reference(net):
    return nm.linear_regions(net, domain=DOMAIN, tiles=TILES, workers=1)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as client:
        yield client


def by_pattern(mem: Regions, f) -> np.ndarray:
    """For each row of the file, the index of the in-memory region with its pattern."""
    index = {bytes(p): i for i, p in enumerate(mem.patterns)}
    return np.array([index[bytes(p)] for p in f.patterns()])


def assert_same_partition(f, mem: Regions) -> None:
    assert f.count == mem.count
    rows = by_pattern(mem, f)
    assert sorted(rows.tolist()) == list(range(mem.count))  # the same set of patterns, once each
    np.testing.assert_allclose(f.areas(), mem.areas[rows], rtol=1e-12, atol=0)
    grads, offsets = f.affine()
    np.testing.assert_allclose(grads, mem.grads[rows], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(offsets, mem.offsets[rows], rtol=1e-12, atol=1e-15)
    for poly, r in zip(f.polygons(), rows.tolist(), strict=True):
        assert poly.shape == mem.polygons[r].shape
        np.testing.assert_allclose(poly, mem.polygons[r], rtol=1e-12, atol=1e-15)


def test_tiles_on_the_cluster_give_the_in_process_result(client, reference, net):
    remote = nm.linear_regions(net, domain=DOMAIN, tiles=TILES, client=client)
    assert remote.count == reference.count
    assert np.array_equal(remote.patterns, reference.patterns)  # the same tiles, the same order
    assert np.array_equal(remote.areas, reference.areas)
    remote.check()


def test_parquet_on_the_cluster_equals_the_in_memory_result(client, reference, net, tmp_path):
    path = tmp_path / "r.parquet"
    f = nm.linear_regions(net, domain=DOMAIN, tiles=TILES, client=client, out=path)
    assert isinstance(f, nm.regions.store.RegionsFile) and f.path == path
    assert 0 < f.merged < f.count and len(f.tiles) == 9
    assert_same_partition(f, reference)
    again = Regions.open(path)
    assert again.count == f.count and np.array_equal(again.patterns(), f.patterns())
    assert again.plane.extent == DOMAIN and again.layout == reference.layout
    assert again.net["hidden_widths"] == [32, 32]
    assert again.tiles == reference.tiles
    # the border regions come last; each names the first tile it was cut in
    tiles = np.concatenate([c.tiles for c in again.chunks(500, polygons=False)])
    assert (np.diff(tiles[:f.count - f.merged]) >= 0).all()
    assert set(tiles.tolist()) == set(range(9))


def test_the_file_is_the_same_bytes_every_run_everywhere(client, net, tmp_path):
    paths = [tmp_path / f"{name}.parquet" for name in ("dask1", "dask2", "pool", "here")]
    nm.linear_regions(net, domain=DOMAIN, tiles=TILES, client=client, out=paths[0])
    nm.linear_regions(net, domain=DOMAIN, tiles=TILES, client=client, out=paths[1])
    nm.linear_regions(net, domain=DOMAIN, tiles=TILES, workers=2, out=paths[2])
    nm.linear_regions(net, domain=DOMAIN, tiles=TILES, workers=1, out=paths[3])
    first = paths[0].read_bytes()
    assert all(p.read_bytes() == first for p in paths[1:])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temp files


def test_a_max_tournament_streams_like_the_in_memory_cut(tmp_path):
    # maxout pieces with one pattern in one tile are joined like border pieces
    net = nn.Sequential(nm.Maxout(2, 5, 3), nm.Maxout(5, 4, 2), nn.Linear(4, 1)).double()
    mem = nm.linear_regions(net, domain=(-3, 3, -2, 2), tiles=(2, 3))
    f = nm.linear_regions(net, domain=(-3, 3, -2, 2), tiles=(2, 3), out=tmp_path / "m.parquet")
    assert_same_partition(f, mem)


def test_the_lazy_reader(reference, net, tmp_path):
    f = nm.linear_regions(net, domain=DOMAIN, tiles=TILES, out=tmp_path / "r.parquet")
    n = f.count
    patterns, areas, (grads, offsets), polygons = f.patterns(), f.areas(), f.affine(), f.polygons()
    assert patterns.shape == (n, reference.patterns.shape[1]) and patterns.dtype == np.uint8
    assert areas.shape == (n,) and grads.shape == (n, 1, 2) and offsets.shape == (n, 1)
    assert len(f) == n == len(polygons)
    # by index: an int, a negative int, a slice with a step, an array in any order
    assert np.array_equal(f.patterns(5), patterns[5]) and f.areas(-1) == areas[-1]
    assert np.array_equal(f.polygons(7), polygons[7])
    g, o = f.affine(3)
    assert g.shape == (1, 2) and np.array_equal(g, grads[3]) and np.array_equal(o, offsets[3])
    assert np.array_equal(f.areas(slice(10, 400, 7)), areas[10:400:7])
    pick = np.array([n - 1, 0, 17, 17, 900])
    assert np.array_equal(f.patterns(pick), patterns[pick])
    assert [p.tolist() for p in f.polygons(pick)] == [polygons[i].tolist() for i in pick]
    assert f.areas(slice(5, 5)).shape == (0,)
    # in chunks (memory: one chunk), the same rows in the same order
    chunks = list(f.chunks(300))
    assert [c.start for c in chunks] == list(range(0, n, 300))
    assert np.array_equal(np.concatenate([c.patterns for c in chunks]), patterns)
    assert np.array_equal(np.concatenate([c.grads for c in chunks]), grads)
    assert all(np.array_equal(a, b) for a, b in zip(
        [p for c in chunks for p in c.polygons], polygons, strict=True))
    assert np.sum(areas) == pytest.approx(64.0, rel=1e-12)
    with pytest.raises(InputError, match="out of range"):
        f.areas(n)
    with pytest.raises(SpecError, match="index must be"):
        f.areas(np.array([[1]]))
    with pytest.raises(SpecError, match="size must be"):
        next(f.chunks(0))


def test_plot_rasterises_in_the_in_memory_colours(reference, net, tmp_path):
    from neuromosaic.display import polygons_raster
    from neuromosaic.figures.regions import pattern_colors

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = nm.linear_regions(net, domain=DOMAIN, tiles=TILES, out=tmp_path / "r.parquet")
    image = f.image(200)
    # the same polygons and colours drawn at once, in the file's order: the same pixels
    rows = by_pattern(reference, f)
    want = polygons_raster([reference.polygons[r] for r in rows],
                           pattern_colors(reference.patterns[rows]), DOMAIN, longest=200)
    assert np.array_equal(image, want)
    fig, ax = plt.subplots()
    art = f.plot(ax=ax, resolution=200)
    assert np.array_equal(np.asarray(art.get_array()), image)
    assert ax.get_title() == f"{f.count:,} linear regions"
    plt.close(fig)


def test_bad_arguments_are_one_line_and_leave_no_file(net, tmp_path):
    with pytest.raises(SpecError, match=r"out must be a \.parquet file, got '.*r\.csv'"):
        nm.linear_regions(net, domain=DOMAIN, out=tmp_path / "r.csv")
    with pytest.raises(SpecError, match="out must be a path"):
        nm.linear_regions(net, domain=DOMAIN, out=3)
    with pytest.raises(OutputError, match="does not exist"):
        nm.linear_regions(net, domain=DOMAIN, out=tmp_path / "missing" / "r.parquet")
    with pytest.raises(SpecError, match=r"client must be a dask.distributed.Client \(connect"):
        nm.linear_regions(net, domain=DOMAIN, client="tcp://127.0.0.1:8786")
    with pytest.raises(SpecError, match="client must be a dask.distributed.Client, got 3"):
        nm.linear_regions(net, domain=DOMAIN, client=3)
    # stopped part-way: the file that was there stays, no temp file is left
    path = tmp_path / "kept.parquet"
    path.write_bytes(b"old")
    with pytest.raises(TooLargeError, match="more than 100 regions"):
        nm.linear_regions(net, domain=DOMAIN, tiles=TILES, max_regions=100, out=path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.parquet"]


def test_open_refuses_what_is_not_a_regions_file(tmp_path):
    import pyarrow.parquet as pq

    with pytest.raises(InputError, match="does not exist"):
        Regions.open(tmp_path / "none.parquet")
    (tmp_path / "text.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot read .* as Parquet"):
        Regions.open(tmp_path / "text.parquet")
    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "other.parquet")
    with pytest.raises(InputError, match="not a neuromosaic regions file"):
        Regions.open(tmp_path / "other.parquet")


def _run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_dask_and_parquet(cluster, tmp_path, capsys):
    address = cluster.scheduler_address
    path, png = tmp_path / "r.parquet", tmp_path / "r.png"
    code, out, err = _run(capsys, "regions", "--widths", "16,16,16", "--seed", "2", "--domain",
                          "-3,3,-3,3", "--dask", address, "--parquet", path, "-o", png)
    assert code == 0, err
    spec = nm.NetSpec(inputs=2, widths=[16, 16, 16], outputs=1, activation="relu",
                      out_activation="identity", init="default", seed=2)
    mem = nm.linear_regions(spec, domain=(-3, 3, -3, 3))
    assert out.startswith(f"{mem.count:,} regions over [-3.0, 3.0, -3.0, 3.0]")
    assert f"wrote {path} ({mem.count:,} regions from 1 tile" in err and f"wrote {png}" in err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_same_partition(Regions.open(path), mem)
    # the API writes the same bytes for the same spec
    nm.linear_regions(spec, domain=(-3, 3, -3, 3), out=tmp_path / "api.parquet")
    assert (tmp_path / "api.parquet").read_bytes() == path.read_bytes()
    # --dask alone: the tiles on the cluster, the result in memory as always
    code, out2, err = _run(capsys, "regions", "--widths", "16,16,16", "--seed", "2", "--domain",
                           "-3,3,-3,3", "--dask", address, "--quiet")
    assert code == 0, err
    assert out2.splitlines()[0] == out.splitlines()[0]


@pytest.mark.parametrize("args,needle", [
    (["--parquet", "r.csv"], "--parquet must be a .parquet file"),
    (["--parquet", "missing/r.parquet"], "does not exist"),
    (["--parquet", "r.parquet", "--json", "r.json", "--check"],
     "--parquet streams the regions to disk; --json, --check need them in memory"),
    (["--parquet", "r.parquet", "--color-by", "output"], "--color-by needs them in memory"),
    (["--dask", "localhost"], "--dask must look like tcp://HOST:PORT"),
    (["--dask", "tcp://h:port"], "--dask must look like tcp://HOST:PORT"),
])
def test_cli_bad_values_are_one_line(tmp_path, capsys, monkeypatch, args, needle):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "regions", "--widths", "8", *args)
    assert code == 2 and needle in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_cli_dataset_takes_neither(capsys):
    code, _, err = _run(capsys, "regions", "--dataset", "digits", "--parquet", "r.parquet")
    assert code == 2 and "--dask and --parquet cut a net given by --widths or --weights" in err
