"""schemathesis against the app's own OpenAPI schema: no generated input gets a 5xx.

The app runs with small caps so that every generated request finishes quickly (a request that
reaches a cap must be refused with 413/422, which is what this checks too).
"""

import warnings

from hypothesis import HealthCheck, settings

warnings.filterwarnings("ignore", message=".*install `httpx2`.*")

import schemathesis  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from neuromosaic.lab import Limits, create_app  # noqa: E402

LIMITS = Limits(max_pixels=64 * 64, max_units=64, max_work=5_000_000, max_region_units=32, max_regions=500,
                max_fit_units=16, max_fit_steps=40, max_fit_points=300, max_upload_bytes=64 * 1024,
                time_limit=20.0)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(LIMITS, allow_hosts=("testserver",)))


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_server_error(case):
    # a generous read timeout: the first phase diagram takes a few seconds on a busy 2-core box
    case.call_and_validate(checks=[not_a_server_error], timeout=120)
