"""Tiled, pyramidal BigTIFF posters that carry their own configuration.

Layout (written with ``tifffile``): BigTIFF; the full-resolution level is the first IFD, each
reduced level a SubIFD of it (``NewSubfileType`` 1, the layout of OME-TIFF and libvips
pyramids); RGB (or gray) 8-bit, square tiles, deflate with the horizontal predictor. The first
IFD's ``ImageDescription`` is the JSON a PNG's ``neuromosaic`` chunk holds (plus a ``"poster"``
record: the levels and the tile side) in place of tifffile's own, so ``paint --from poster.tif``
re-renders it. That JSON is read from the first IFD alone (:func:`read_tiff_metadata`): no
pixel is decoded, and the first megabyte of the file is enough (what the lab's drop sends).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import struct
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError, TooLargeError
from ..values import load_json
from .atomic import atomic_writer

DESCRIPTION_TAG = 270
MAX_DESCRIPTION = 1 << 20  # bytes of ImageDescription read; a config is about 1 KiB
MAX_IFD_ENTRIES = 4096
# deflate level: on 512² tiles of a 16384² poster (with the predictor) level 1 packs 9.8× in
# ~7 ms a tile, 3 packs 12.6× in ~15 ms, 6 packs 17.7× in ~46 ms, against ~35 ms to paint one
ZLIB_LEVEL = 3
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def encode_tile(pixels: np.ndarray, tile: int) -> bytes:
    """A tile as the file stores it: `(h, w, C)` or `(h, w)` uint8 pixels padded with zeros to
    ``tile`` × ``tile``, each row differenced sample by sample (TIFF predictor 2: smooth
    pictures compress several times better) and deflated."""
    arr = np.asarray(pixels, dtype=np.uint8)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    h, w = arr.shape[:2]
    padded = np.zeros((tile, tile, *arr.shape[2:]), np.uint8)
    padded[:h, :w] = arr
    diff = padded.copy()
    diff[:, 1:] -= padded[:, :-1]  # uint8 arithmetic wraps modulo 256, as the predictor's does
    return zlib.compress(diff.tobytes(), ZLIB_LEVEL)


def write_pyramid(path: str | Path, tiles: Iterator[bytes], levels: Sequence[Sequence[int]], *,
                  tile: int, channels: int, description: dict) -> Path:
    """Write a pyramidal BigTIFF from encoded tiles (:func:`encode_tile`) atomically.

    Arguments:
        path: the file; a temp file beside it is renamed onto it at the end, and deleted if
            anything fails (a bad tile, Ctrl-C, a full disk), so no half-written file is left.
        tiles: every level's tiles in order, each level's row by row (the full level first).
        levels: `(W, H)` of each level, the full one first.
        tile: the tile side (a multiple of 16).
        channels: 3 (RGB) or 1 (gray).
        description: the JSON stored as the first IFD's ImageDescription.
    """
    import tifffile

    from .. import __version__

    text = json.dumps(description, sort_keys=True, separators=(",", ":"))  # ASCII: \u escapes
    with atomic_writer(path) as tmp, tifffile.TiffWriter(tmp, bigtiff=True) as tif:
        for k, (w, h) in enumerate(levels):
            count = math.ceil(w / tile) * math.ceil(h / tile)
            tif.write(itertools.islice(tiles, count),
                      shape=(h, w, 3) if channels == 3 else (h, w), dtype=np.uint8,
                      photometric="rgb" if channels == 3 else "minisblack", tile=(tile, tile),
                      compression="zlib", predictor=True, metadata=None,
                      subifds=len(levels) - 1 if k == 0 and len(levels) > 1 else None,
                      subfiletype=1 if k else 0, description=text if k == 0 else None,
                      software=f"neuromosaic {__version__}" if k == 0 else False)
    return Path(path)


def is_tiff(head: bytes) -> bool:
    return head[:4] in TIFF_MAGIC


def read_tiff_description(fh, name: str = "<bytes>") -> str:
    """The first IFD's ImageDescription of a TIFF or BigTIFF open as ``fh`` (a binary file:
    seek and read), read from the IFD alone; ``InputError`` if it has none or the file is cut
    before it."""

    def read(offset: int, size: int) -> bytes:
        fh.seek(offset)
        data = fh.read(size)
        if len(data) != size:
            raise InputError(f"{name!r} ends before its first TIFF directory does (cut short?)")
        return data

    fh.seek(0)
    head = fh.read(16)
    if len(head) < 8:
        raise InputError(f"{name!r} is too short to be a TIFF image")
    order = "<" if head[:2] == b"II" else ">"
    big = head[2:4] in (b"+\x00", b"\x00+")
    if big:
        if len(head) < 16:
            raise InputError(f"{name!r} is too short to be a BigTIFF image")
        ifd = struct.unpack(order + "Q", head[8:16])[0]
        count = struct.unpack(order + "Q", read(ifd, 8))[0]
        entry, first, fmt = 20, ifd + 8, order + "HHQQ"
    else:
        ifd = struct.unpack(order + "I", head[4:8])[0]
        count = struct.unpack(order + "H", read(ifd, 2))[0]
        entry, first, fmt = 12, ifd + 2, order + "HHII"
    if not 0 < count <= MAX_IFD_ENTRIES:
        raise InputError(f"{name!r}: its first TIFF directory has {count} entries")
    table = read(first, count * entry)
    for i in range(count):
        tag, kind, n, value = struct.unpack(fmt, table[i * entry:(i + 1) * entry])
        if tag != DESCRIPTION_TAG:
            continue
        if kind != 2:  # ASCII
            break
        if n > MAX_DESCRIPTION:
            raise TooLargeError(f"{name!r}: its ImageDescription is {n:,} bytes, over the "
                                f"{MAX_DESCRIPTION:,} read")
        inline = 8 if big else 4
        end = (i + 1) * entry
        raw = table[end - inline:end][:n] if n <= inline else read(value, n)
        return raw.split(b"\x00", 1)[0].decode("latin-1")
    raise InputError(f"{name!r} has no ImageDescription: it was not made by neuromosaic")


def read_tiff_metadata(source: str | Path | bytes) -> dict:
    """The JSON a poster carries in its ImageDescription (path, or the file's bytes — its first
    megabyte is enough); ``InputError`` if it is not a TIFF made by neuromosaic."""
    name = "<bytes>" if isinstance(source, (bytes, bytearray)) else str(source)
    try:
        if isinstance(source, (bytes, bytearray)):
            fh = io.BytesIO(source)
        else:
            if not Path(source).is_file():
                raise InputError(f"--from file {name!r} does not exist")
            fh = open(source, "rb")  # noqa: SIM115 - closed below
        with fh:
            if not is_tiff(fh.read(4)):
                raise InputError(f"{name!r} is not a TIFF image")
            text = read_tiff_description(fh, name)
    except OSError as exc:
        raise InputError(f"cannot read {name!r}: {exc.strerror or exc}") from None
    if not text.lstrip().startswith("{"):
        raise InputError(f"{name!r}: its ImageDescription is not neuromosaic's JSON (a TIFF "
                         "made by another program?)")
    data = load_json(text, what=f"{name!r}: the ImageDescription")
    if not isinstance(data, dict) or "kind" not in data:
        raise InputError(f"{name!r}: its ImageDescription is not neuromosaic's JSON")
    return data


def read_picture_metadata(source: str | Path | bytes) -> dict:
    """The configuration a picture made by neuromosaic carries: a PNG's ``neuromosaic`` chunk
    (:func:`~.png.read_png_metadata`) or a poster TIFF's ImageDescription, told apart by their
    first bytes; no pixel is decoded."""
    if isinstance(source, (bytes, bytearray)):
        head = bytes(source[:4])
    else:
        try:
            with open(source, "rb") as f:
                head = f.read(4)
        except OSError:
            head = b""  # the PNG reader says what is wrong with the path
    if is_tiff(head):
        return read_tiff_metadata(source)
    from .png import read_png_metadata

    return read_png_metadata(source)
