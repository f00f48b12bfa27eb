import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEUROMOSAIC_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared_nets() -> Path:
    path = SHARED / "nets"
    if not path.is_dir():
        pytest.skip(f"shared nets not found at {path}")
    return path
