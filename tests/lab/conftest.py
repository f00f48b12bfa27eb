import warnings

import pytest

warnings.filterwarnings("ignore", message=".*install `httpx2`.*")

from fastapi.testclient import TestClient  # noqa: E402

from neuromosaic.lab import Limits, create_app  # noqa: E402

# Starlette's test client sends "Host: testserver" on WebSockets whatever its base_url: the tests
# allow that name as a user would allow one with --allow-host
TEST_HOSTS = ("testserver",)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(allow_hosts=TEST_HOSTS), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture
def make_client():
    """``make_client(clock=None, **caps)``: a client of an app with some caps changed (others
    default) and, if given, its own clock."""

    def make(clock=None, **limits) -> TestClient:
        return TestClient(create_app(Limits(**limits), clock=clock, allow_hosts=TEST_HOSTS),
                          base_url="http://127.0.0.1")

    return make
