"""Files in and out under hostile input: special files are never replaced, bombs never inflate,
deep nesting never recurses; each is one line and exit 2 on the CLI."""

import io
import os
import socket
import struct
import zipfile
import zlib

import numpy as np
import pytest

from neuromosaic.cli.app import main
from neuromosaic.errors import NeuromosaicError, OutputError, TooLargeError
from neuromosaic.io.atomic import atomic_write_text, check_folder, check_writable
from neuromosaic.io.png import read_png_metadata
from neuromosaic.io.weights import load_npz_net


def _one_line_exit_2(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:") and "Traceback" not in err, err
    return err


def test_a_fifo_a_socket_and_a_directory_are_never_replaced(tmp_path, capsys):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    folder = tmp_path / "dir.png"
    folder.mkdir()
    try:
        for path, kind in ((fifo, "a FIFO"), (sock_path, "a socket"), (folder, "a directory")):
            with pytest.raises(OutputError, match=kind):
                atomic_write_text(path, "x")
            err = _one_line_exit_2(capsys, ["regions", "--widths", "4", "--json", str(path), "--quiet"])
            assert kind in err
            if path is folder:  # paint writes .png files only: a folder named like one
                _one_line_exit_2(capsys, ["paint", "--size", "8", "-o", str(path)])
        assert fifo.is_fifo() and sock_path.is_socket() and folder.is_dir()
    finally:
        sock.close()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_device_is_never_replaced(capsys):
    with pytest.raises(OutputError, match="a device"):
        check_writable("/dev/full")
    before = os.stat("/dev/full")
    _one_line_exit_2(capsys, ["bounds", "--widths", "4", "--json", "/dev/full"])
    assert os.stat("/dev/full").st_rdev == before.st_rdev  # still the device
    err = _one_line_exit_2(capsys, ["gallery", "-o", "/dev/full/x", "--size", "8"])
    assert "not a directory" in err


def test_a_symlink_to_a_fifo_counts_as_the_fifo(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link.json"
    link.symlink_to(fifo)
    with pytest.raises(OutputError, match="a FIFO"):
        check_writable(link)


def test_folder_outputs_must_be_folders(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        check_folder(tmp_path / "file")
    with pytest.raises(OutputError, match="not a directory"):
        check_folder(tmp_path / "file" / "sub")
    assert check_folder(tmp_path / "new" / "sub") == tmp_path / "new" / "sub"


def _bomb(shape=(2, 60_000_000), real=960_000_000) -> bytes:
    """An .npz whose W0 unpacks to ~1 GB of zeros from ~1 MB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("W0.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": shape})
            chunk = bytes(8_000_000)
            for _ in range(real // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


def test_an_npz_bomb_is_refused_from_its_directory(tmp_path, capsys):
    data = _bomb()
    assert len(data) < 2_000_000
    with pytest.raises(TooLargeError, match="unpacks to 960,000,128 bytes"):
        load_npz_net(data)
    path = tmp_path / "bomb.npz"
    path.write_bytes(data)
    assert "unpacks to" in _one_line_exit_2(capsys, ["regions", "--weights", str(path), "--quiet"])


def test_an_npz_whose_header_claims_more_than_its_directory(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        with zf.open("W0.npy", "w") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                                     "shape": (100000, 100000)})
            f.write(bytes(64))
    with pytest.raises(TooLargeError, match="claim 80,000,000,000 bytes"):
        load_npz_net(buf.getvalue())


def _png_with_header(width: int, height: int, text: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", ihdr)]
    if text:
        parts.append(chunk(b"tEXt", b"neuromosaic\x00" + text))
    row = b"\x00" * (1 + 3 * width) if width * height <= 10**6 else b"\x00"
    parts += [chunk(b"IDAT", zlib.compress(row * (height if width * height <= 10**6 else 1))),
              chunk(b"IEND", b"")]
    return b"".join(parts)


def test_a_png_claiming_ten_gigapixels_is_one_line(tmp_path, capsys):
    path = tmp_path / "huge.png"
    path.write_bytes(_png_with_header(100_000, 100_000))
    with pytest.raises(TooLargeError):
        read_png_metadata(path)
    _one_line_exit_2(capsys, ["paint", "--from", str(path), "-o", str(tmp_path / "o.png")])


def test_a_deeply_nested_config_chunk_is_one_line(tmp_path, capsys):
    path = tmp_path / "deep.png"
    path.write_bytes(_png_with_header(4, 4, b"[" * 100_000))
    with pytest.raises(NeuromosaicError, match="nested deeper than 64"):
        read_png_metadata(path)
    assert "nested" in _one_line_exit_2(capsys, ["paint", "--from", str(path), "-o", str(tmp_path / "o.png")])


def test_a_png_between_pillows_warning_and_error_limits_is_one_line(tmp_path, capsys):
    """12000 × 12000 passes Pillow's error limit but trips its warning: the config is read
    without decoding the pixels, and Pillow's warning is not printed beside our line."""
    import warnings

    from neuromosaic.painting.config import PaintConfig

    path = tmp_path / "big.png"
    path.write_bytes(_png_with_header(12_000, 12_000))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the read
        with pytest.raises(NeuromosaicError, match="no 'neuromosaic' chunk"):
            read_png_metadata(path)
    text = PaintConfig(size=12_000).model_dump_json().encode()
    path.write_bytes(_png_with_header(12_000, 12_000, text))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_png_metadata(path)["size"] == [12_000, 12_000]
    _one_line_exit_2(capsys, ["paint", "--from", str(tmp_path / "nope.png"), "-o", str(tmp_path / "o.png")])


def test_a_fit_whose_training_would_not_fit_in_memory_is_refused_before_it_starts(capsys):
    from neuromosaic.fitting import FitConfig

    with pytest.raises(TooLargeError, match="training \\[4096, 4096\\] on 1,000,000 points"):
        FitConfig(hidden=[4096, 4096], n_train=1_000_000)
    err = _one_line_exit_2(capsys, ["fit", "-o", "never.png", "--hidden", "4096,4096",
                                    "--n-train", "1000000"])
    assert "GiB" in err and not os.path.exists("never.png")


def test_a_gallery_too_big_for_memory_leaves_no_folder(tmp_path, capsys):
    out = tmp_path / "gallery"
    _one_line_exit_2(capsys, ["gallery", "-o", str(out), "--size", "60000"])
    assert not out.exists()


def test_a_sweep_onto_a_fifo_is_refused_before_any_cell(tmp_path, capsys):
    fifo = tmp_path / "table.csv"
    os.mkfifo(fifo)
    grid = tmp_path / "grid.toml"
    grid.write_text('experiment = "regions"\noutput = "table.csv"\nseeds = [0]\n[fixed]\n'
                    'depth = 1\n[grid]\nwidth = [2, 3]\n')
    _one_line_exit_2(capsys, ["sweep", str(grid)])
    assert not (tmp_path / "table.cells").exists() and fifo.is_fifo()
    _one_line_exit_2(capsys, ["sweep", str(grid), "--connect-timeout", "1e308"])


def test_a_seed_past_2_63_is_one_line_everywhere():
    from neuromosaic.errors import SpecError
    from neuromosaic.spec import NetSpec

    with pytest.raises(SpecError, match="seed"):
        NetSpec(inputs=2, widths=[4], outputs=1, seed=10**30)


@pytest.mark.parametrize("argv", [
    ["paint", "--layers", "256", "--width", "100000", "-o", "x.png"],
    ["regions", "--arch", "2,100000,1"],
    ["gradcheck", "--sizes", "100000,100000,1"],
    ["bounds", "--widths", "100000", "--n0", "0"],
])
def test_a_deprecated_spelling_with_a_bad_value_is_still_one_line(argv, capsys):
    """The deprecation note is printed when a command ends well; a failure is its error alone."""
    _one_line_exit_2(capsys, argv)
