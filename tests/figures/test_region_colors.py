"""One region colour hash for the PNGs (Python) and the lab (colors.js), fed the same patterns."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from neuromosaic.figures.regions import pattern_colors
from neuromosaic.regions.patterns import color_hash

STATIC = Path(__file__).resolve().parents[2] / "src" / "neuromosaic" / "lab" / "static"


def _patterns() -> np.ndarray:
    rng = np.random.default_rng(7)
    rows = [rng.integers(0, 256, size=n, dtype=np.uint8) for n in (0, 1, 2, 3, 7, 8, 9, 33) for _ in range(8)]
    width = max(len(r) for r in rows)
    # rows of one width, as a Regions' patterns are; a short pattern is padded with zero bytes
    return np.array([np.pad(r, (0, width - len(r))) for r in rows], dtype=np.uint8)


def test_fnv1a_matches_the_reference_values():
    """FNV-1a 32-bit of known inputs (the published test vectors: "" and "a")."""
    assert int(color_hash(np.zeros((1, 0), np.uint8))[0]) == 0x811C9DC5
    assert int(color_hash(np.array([[ord("a")]], np.uint8))[0]) == 0xE40C292C
    assert int(color_hash(np.frombuffer(b"foobar", np.uint8)[None])[0]) == 0xBF9CF968


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_lab_and_python_give_every_pattern_the_same_colour(tmp_path):
    patterns = _patterns()
    module = tmp_path / "colors.mjs"
    module.write_text((STATIC / "colors.js").read_text())
    script = (f"import {{ patternRGB }} from {json.dumps(module.as_uri())};\n"
              f"const hexes = {json.dumps([bytes(p).hex() for p in patterns])};\n"
              "console.log(JSON.stringify(hexes.map(patternRGB)));\n")
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True,
                         text=True, check=True, timeout=60).stdout
    js = np.array(json.loads(out))
    py = np.rint(pattern_colors(patterns) * 255).astype(int)
    np.testing.assert_array_equal(js, py)
    assert len({tuple(c) for c in py}) > len(py) // 2  # and they do differ between patterns
