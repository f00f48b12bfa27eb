"""Posters: a tiled, pyramidal BigTIFF painted tile by tile is nm.paint's picture, level by level.

The reference is an independent render: ``nm.paint`` of the whole picture at each level's size,
compared byte for byte with what tifffile decodes from the file."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tifffile
import torch

from neuromosaic.cli.app import main
from neuromosaic.errors import SpecError
from neuromosaic.io.png import read_png_metadata
from neuromosaic.io.tiff import read_picture_metadata, read_tiff_metadata
from neuromosaic.painting import PaintConfig, config_from_metadata, render_config
from neuromosaic.painting import poster as poster_mod
from neuromosaic.painting.config import config_range
from neuromosaic.painting.poster import pyramid, tile_windows, write_poster
from neuromosaic.painting.render import paint

SIZE, TILE = (300, 200), 64
LEVELS = [(300, 200), (150, 100), (75, 50), (38, 25)]


def levels_of(path):
    """Every level's pixels as tifffile decodes them, and the first page."""
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        info = dict(bigtiff=tif.is_bigtiff, tiled=page.is_tiled, tile=page.tile,
                    compression=page.compression, predictor=page.predictor,
                    subifds=len(page.subifds or ()), photometric=page.photometric)
        return [level.asarray() for level in tif.series[0].levels], info


def test_the_pyramid_halves_until_one_tile_and_the_tiles_cover_each_level_once():
    assert pyramid(*SIZE, TILE) == LEVELS
    assert pyramid(64, 64, 64) == [(64, 64)] and pyramid(1, 1, 16) == [(1, 1)]
    assert pyramid(65536, 1, 512)[-1] == (512, 1) and len(pyramid(65536, 65536, 512)) == 8
    for w, h in LEVELS:
        seen = np.zeros((h, w), int)
        for x0, y0, tw, th in tile_windows(w, h, TILE):
            seen[y0:y0 + th, x0:x0 + tw] += 1
        assert (seen == 1).all()


@pytest.mark.parametrize("fields", [dict(layers=4, seed=2), dict(layers=3, color="gray", seed=5)])
def test_every_level_is_nm_paint_at_its_own_size(tmp_path, fields):
    cfg = PaintConfig(size=SIZE, **fields)
    path = tmp_path / "p.tif"
    seen = []
    write_poster(path, cfg, tile=TILE, workers=2, progress=lambda d, t: seen.append((d, t)))
    levels, info = levels_of(path)
    assert info == dict(bigtiff=True, tiled=True, tile=(TILE, TILE), compression=8, predictor=2,
                        subifds=3, photometric=2 if cfg.color == "rgb" else 1)
    assert [lv.shape[:2] for lv in levels] == [(h, w) for w, h in LEVELS]
    for (w, h), got in zip(LEVELS, levels, strict=True):
        want = np.asarray(render_config(cfg.replace(size=(w, h))))
        assert np.array_equal(got.reshape(want.shape), want), (w, h)
    total = sum(w * h for w, h in LEVELS)
    assert seen[-1] == (total, total) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_an_unbounded_output_maps_every_level_from_the_pictures_range(tmp_path):
    cfg = PaintConfig(size=SIZE, layers=3, out_activation="identity", seed=1)
    rng = config_range(cfg)
    path = tmp_path / "p.tif"
    painted = write_poster(path, cfg, tile=TILE, workers=1)
    assert painted.range == pytest.approx(rng)
    levels, _ = levels_of(path)
    for (w, h), got in zip(LEVELS, levels, strict=True):
        assert np.array_equal(got, np.asarray(render_config(painted.replace(size=(w, h)))))
    # the description carries that range: the file re-renders itself
    meta = read_tiff_metadata(path)
    assert config_from_metadata(meta) == painted.replace(z=painted.latent())
    assert meta["poster"] == {"levels": [list(s) for s in LEVELS], "tile": TILE}


def test_the_config_is_read_from_the_first_directory_alone(tmp_path):
    cfg = PaintConfig(size=SIZE, layers=2, seed=9, inputs="xyrz", z_dim=3)
    path = tmp_path / "p.tif"
    write_poster(path, cfg, tile=TILE)
    head = path.read_bytes()[:4096]  # no tile is in it: the pixels are never needed
    assert read_picture_metadata(head) == read_tiff_metadata(path) == read_picture_metadata(path)
    assert config_from_metadata(read_tiff_metadata(head)) == cfg.replace(z=cfg.latent())


def test_a_tile_is_a_window_of_the_whole_picture_byte_for_byte():
    cfg = PaintConfig(size=SIZE, layers=4, seed=3)
    net = cfg.net_spec().build()
    whole = np.asarray(paint(net, SIZE))
    tiles = np.zeros_like(whole)
    for x0, y0, w, h in tile_windows(*SIZE, TILE):
        tiles[y0:y0 + h, x0:x0 + w] = paint(net, SIZE, window=(x0, y0, w, h), workers=1)
    assert np.array_equal(tiles, whole)
    with pytest.raises(SpecError, match="inside the 300x200 picture"):
        paint(net, SIZE, window=(290, 0, 20, 10))


def test_tiles_painted_at_once_share_one_net_with_the_right_weights():
    # NetSpec.build seeds torch's global generator: two threads building at once would draw
    # each other's weights (a poster's first tiles are painted by every thread at once)
    cfg = PaintConfig(size=8, seed=11)
    want = [p.detach().clone() for p in cfg.net_spec().build().parameters()]
    for _ in range(5):
        poster_mod._cached_net.cache_clear()
        with ThreadPoolExecutor(8) as pool:
            nets = list(pool.map(lambda _: poster_mod._net_for(cfg.model_dump_json())[1], range(8)))
        for net in nets:
            assert all(torch.equal(a, b) for a, b in zip(want, net.parameters(), strict=True))


def run(argv, capsys):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_paint_from_a_poster_gives_the_same_bytes(tmp_path, capsys):
    poster, png, again = tmp_path / "poster.tif", tmp_path / "copy.png", tmp_path / "again.tif"
    code, err = run(["paint", "--size", "300x200", "--widths", "8,8", "--out-activation",
                     "identity", "--seed", "4", "-o", poster], capsys)
    assert code == 0, err
    assert f"wrote {poster} (300×200, 1 level of 512² tiles" in err
    code, err = run(["paint", "--from", poster, "-o", png, "-q"], capsys)
    assert code == 0, err
    from PIL import Image

    levels, _ = levels_of(poster)
    assert np.array_equal(np.asarray(Image.open(png)), levels[0])
    assert read_png_metadata(png)["config"] == read_tiff_metadata(poster)["config"]
    assert run(["paint", "--from", poster, "-o", again, "-q"], capsys)[0] == 0
    assert again.read_bytes() == poster.read_bytes()


@pytest.mark.parametrize("argv, words", [
    (["--size", "0x10"], "size"),
    (["--size", "70000x10"], "65536"),
    (["--dask", "no-port"], "--dask must look like tcp://HOST:PORT"),
    (["--weights", "net.safetensors"], "a --weights net paints a .png"),
])
def test_bad_input_is_one_line_and_no_file(tmp_path, capsys, argv, words):
    out = tmp_path / "p.tif"
    code, err = run(["paint", "-o", out, *argv], capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith("error:") and words in err, err
    assert list(tmp_path.iterdir()) == []


def test_bad_outputs_and_foreign_tiffs_are_one_line(tmp_path, capsys):
    code, err = run(["paint", "-o", tmp_path / "p.jpg"], capsys)
    assert code == 2 and "-o must be a .png file, or .tif for a tiled poster" in err
    code, err = run(["paint", "--dask", "tcp://127.0.0.1:9", "-o", tmp_path / "p.png"], capsys)
    assert code == 2 and "give -o FILE.tif" in err
    foreign = tmp_path / "foreign.tif"
    tifffile.imwrite(foreign, np.zeros((8, 8), np.uint8), description="hello", metadata=None)
    code, err = run(["paint", "--from", foreign, "-o", tmp_path / "x.png"], capsys)
    assert code == 2 and err.count("\n") == 1 and "not neuromosaic's JSON" in err, err
    cut = tmp_path / "cut.tif"
    cut.write_bytes(b"II+\x00\x08\x00\x00\x00" + (1 << 40).to_bytes(8, "little"))
    code, err = run(["paint", "--from", cut, "-o", tmp_path / "x.png"], capsys)
    assert code == 2 and err.count("\n") == 1 and "cut short" in err, err


def test_a_failure_leaves_no_file_and_replaces_none(tmp_path, monkeypatch):
    path = tmp_path / "p.tif"
    path.write_bytes(b"the old poster")
    calls = []
    real = poster_mod.render_tile

    def failing(job):
        calls.append(job)
        if len(calls) == 9:
            raise RuntimeError("the worker died")
        return real(job)

    monkeypatch.setattr(poster_mod, "render_tile", failing)
    with pytest.raises(RuntimeError, match="the worker died"):
        write_poster(path, PaintConfig(size=SIZE, layers=2), tile=TILE, workers=2)
    assert path.read_bytes() == b"the old poster"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.tif"]  # no temp file left


@pytest.mark.slow
def test_a_dask_cluster_writes_the_same_file(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    cfg = PaintConfig(size=SIZE, layers=3, seed=6)
    local, remote, cli = tmp_path / "local.tif", tmp_path / "remote.tif", tmp_path / "cli.tif"
    write_poster(local, cfg, tile=TILE)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp://", host="127.0.0.1", dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        write_poster(remote, cfg, tile=TILE, client=client)
        assert remote.read_bytes() == local.read_bytes()
        code, err = run(["paint", "--size", "300x200", "--widths", "16,16,16", "--seed", "6",
                         "--dask", cluster.scheduler_address, "-o", cli, "-q"], capsys)
        assert code == 0, err
    levels, _ = levels_of(cli)
    assert np.array_equal(levels[0], np.asarray(render_config(cfg)))
