import warnings

import pytest

warnings.filterwarnings("ignore", message=".*install `httpx2`.*")

from fastapi.testclient import TestClient  # noqa: E402

from neuromosaic.lab import Limits, create_app  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def make_client():
    """``make_client(**caps)``: a client of an app with some caps changed (others default)."""

    def make(**limits) -> TestClient:
        return TestClient(create_app(Limits(**limits)))

    return make
