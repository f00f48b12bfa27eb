"""A real sweep through a dask.distributed LocalCluster on loopback, and the scheduler errors."""


import pytest

from neuromosaic.cli.app import main
from neuromosaic.errors import InputError
from neuromosaic.sweeps import build_grid, check_dask_address, read_table, run_sweep

distributed = pytest.importorskip("distributed")

GRID = {"experiment": "paint", "output": "d.parquet", "figures": "figs", "seeds": [0, 1, 2],
        "fixed": {"size": 10, "width": 4}, "grid": {"layers": [2, 5]}}


def _strip(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.mark.slow
def test_sweep_on_a_local_cluster_equals_the_local_run(tmp_path, capsys):
    (tmp_path / "local").mkdir()
    (tmp_path / "dask").mkdir()
    local = run_sweep(build_grid(GRID, base_dir=tmp_path / "local"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as cluster:
        grid = build_grid(GRID, base_dir=tmp_path / "dask")
        remote = run_sweep(grid, dask=cluster.scheduler_address)
        assert (remote.computed, remote.lost) == (6, 0)
        assert _strip(remote.rows) == _strip(local.rows)
        assert _strip(read_table(grid.output)) == _strip(read_table(tmp_path / "local/d.parquet"))
        # the workers sent the figures back; this process wrote them, byte for byte the same
        for row in local.rows:
            a = (tmp_path / "local" / row["figure"]).read_bytes()
            assert (tmp_path / "dask" / row["figure"]).read_bytes() == a

        # the CLI through the same cluster: one cell removed, only that one is recomputed
        (grid.cells_dir / f"{grid.cells[4].key}.json").unlink()
        path = tmp_path / "dask" / "grid.toml"
        path.write_text(_toml(GRID))
        code = main(["sweep", str(path), "--dask", cluster.scheduler_address,
                     "-o", str(grid.output)])
        assert code == 0
        assert "(1 computed, 5 already done, 0 with an error)" in capsys.readouterr().err
        assert _strip(read_table(grid.output)) == _strip(local.rows)


def _toml(data):
    lines = [f'experiment = "{data["experiment"]}"', f'figures = "{data["figures"]}"',
             f'seeds = {data["seeds"]}', "[fixed]"]
    lines += [f"{k} = {v}" for k, v in data["fixed"].items()]
    lines += ["[grid]"] + [f"{k} = {v}" for k, v in data["grid"].items()]
    return "\n".join(lines) + "\n"


def test_unreachable_scheduler_fails_fast_with_one_line(tmp_path, capsys):
    grid = build_grid(GRID, base_dir=tmp_path)
    with pytest.raises(InputError) as info:
        run_sweep(grid, dask="tcp://127.0.0.1:1", connect_timeout=1.0)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in str(info.value)
    assert not grid.cells_dir.exists() and not grid.output.exists()  # nothing written

    path = tmp_path / "grid.toml"
    path.write_text(_toml(GRID))
    assert main(["sweep", str(path), "--dask", "tcp://127.0.0.1:1", "--connect-timeout", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the Dask scheduler") and err.count("\n") == 1


@pytest.mark.parametrize("address", ["localhost", "http://h:1", "tcp://:8786", "tcp://h:port"])
def test_bad_scheduler_address(tmp_path, capsys, address):
    with pytest.raises(InputError, match="tcp://HOST:PORT"):
        check_dask_address(address)
    path = tmp_path / "grid.toml"
    path.write_text(_toml(GRID))
    assert main(["sweep", str(path), "--dask", address]) == 2
    assert "tcp://HOST:PORT" in capsys.readouterr().err


def test_host_port_without_scheme_means_tcp():
    assert check_dask_address(" 10.0.0.5:8786 ") == "tcp://10.0.0.5:8786"


@pytest.mark.slow
def test_scheduler_without_workers_is_reported(tmp_path):
    with distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as cluster:
        with pytest.raises(InputError, match="has no workers"):
            run_sweep(build_grid(GRID, base_dir=tmp_path), dask=cluster.scheduler_address,
                      connect_timeout=1.0)
