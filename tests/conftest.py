import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

try:  # no test asserts wall-clock time: Hypothesis's per-example deadline would, on a busy machine
    from hypothesis import settings

    settings.register_profile("neuromosaic", deadline=None)
    settings.load_profile("neuromosaic")
except ImportError:  # pragma: no cover - hypothesis is in the dev extra
    pass

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEUROMOSAIC_SHARED", REPO.parent / "shared"))


@pytest.fixture
def shared_nets() -> Path:
    path = SHARED / "nets"
    if not path.is_dir():
        pytest.skip(f"shared nets not found at {path}")
    return path


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def playwright_instance():
    """The one Playwright (sync API) of this test process. Its event loop stays open for the
    session, and a second ``sync_playwright()`` in the same thread refuses to start beside it, so
    every browser test launches its browsers from this one (skipped when chromium or the
    playwright package is missing)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as p:
        yield p
