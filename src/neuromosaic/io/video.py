"""GIF and MP4 writers that stream frames and write atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from ..errors import SpecError
from .atomic import atomic_writer

FORMATS = (".gif", ".mp4")


def check_video_path(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SpecError(f"animation file must end in .gif or .mp4, got {str(path)!r}")
    return suffix


def write_video(path: str | Path, frames: Iterable[np.ndarray], *, fps: float = 24.0,
                total: int | None = None, progress: Callable[[int, int], None] | None = None) -> Path:
    """Write ``frames`` (uint8 `(H, W, C)`) to a looping GIF or an H.264 MP4 (imageio-ffmpeg)."""
    suffix = check_video_path(path)
    if not (0 < fps <= 240):
        raise SpecError(f"fps must be in (0, 240], got {fps}")
    with atomic_writer(path, suffix=suffix) as tmp:
        if suffix == ".gif":
            from PIL import Image

            images = []
            for i, frame in enumerate(frames):
                arr = frame[:, :, 0] if frame.shape[2] == 1 else frame
                images.append(Image.fromarray(arr).convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
                              if arr.ndim == 3 else Image.fromarray(arr))
                if progress:
                    progress(i + 1, total or 0)
            if not images:
                raise SpecError("no frames to write")
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                           duration=round(1000 / fps), loop=0, optimize=False, disposal=1)
        else:
            import imageio.v2 as imageio

            writer = imageio.get_writer(str(tmp), format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                        quality=8, pixelformat="yuv420p", macro_block_size=2)
            try:
                for i, frame in enumerate(frames):
                    writer.append_data(np.repeat(frame, 3, axis=2) if frame.shape[2] == 1 else frame)
                    if progress:
                        progress(i + 1, total or 0)
            finally:
                writer.close()
    return Path(path)
