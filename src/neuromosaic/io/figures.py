"""The one figure writer: a matplotlib figure → a PNG file, written atomically.

Plots become 256-colour PNGs (a third of the bytes of the RGBA file, no visible change for line
art and flat regions); pictures with smooth shading can keep full colour. Metadata that would make
two runs differ (matplotlib's "Software" text, a timestamp) is not written, so the same figure
gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import SpecError
from .atomic import atomic_write_bytes


def figure_png(fig, *, dpi: int = 100, palette: bool = True, tight: bool = False) -> bytes:
    """PNG bytes of ``fig`` (a ``matplotlib.figure.Figure``) at ``dpi``; ``palette``: quantise to
    256 colours; ``tight``: crop to the drawn area (``bbox_inches="tight"``)."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png", metadata={"Software": None},
                bbox_inches="tight" if tight else None)
    image = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    if palette:
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def save_figure(fig, path: str | Path, *, dpi: int = 100, palette: bool = True,
                tight: bool = False, close: bool = True) -> Path:
    """Write ``fig`` to ``path`` (a ``.png``) atomically; the figure is closed unless ``close=False``."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise SpecError(f"figure output must be a .png file, got {str(path)!r}")
    data = figure_png(fig, dpi=dpi, palette=palette, tight=tight)
    atomic_write_bytes(path, data)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return path
