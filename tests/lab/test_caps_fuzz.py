"""Values that pass the lab's schema but not its caps (beyond schemathesis, which fuzzes the
schema): every answer is 200, 413, 422 or 503 (never 500), one line, with the security headers."""

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuromosaic.lab import Limits, create_app

LIMITS = Limits(max_pixels=96 * 96, max_units=64, max_work=20_000_000, max_region_units=48,
                max_regions=2000, max_fit_units=16, max_fit_steps=30, max_fit_points=400,
                max_upload_bytes=32 * 1024, time_limit=60.0)
BIG = st.sampled_from([0, 1, 2, 3, 47, 48, 49, 63, 64, 65, 2**31, 2**63 - 1, 10**30, -1])
FLOAT = st.sampled_from([0.0, 1e-300, 0.5, 1.0, 3.0, 1e9, 1e300, -1.0]) | st.floats(allow_nan=False,
                                                                                   allow_infinity=False)
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def lab():
    with TestClient(create_app(LIMITS), base_url="http://127.0.0.1") as c:
        yield c


def _ok(r) -> None:
    assert r.status_code in (200, 413, 422, 503), (r.status_code, r.text[:300])
    assert r.headers["content-security-policy"] and r.headers["x-content-type-options"] == "nosniff"
    if r.status_code != 200:
        detail = r.json()["detail"]
        assert isinstance(detail, str) and "\n" not in detail and "Traceback" not in detail


@SETTINGS
@given(size=st.sampled_from(["8", "95", "96", "97", "96x97", "1x9216", "1x9217", "0", "2x0"]),
       layers=BIG, width=BIG, widths=st.sampled_from([None, "4", "64", "65", "32,33", "1," * 70]),
       z_dim=BIG, scale=FLOAT)
def test_paint_caps(lab, size, layers, width, widths, z_dim, scale):
    params = {"size": size, "layers": layers, "width": width, "z_dim": z_dim, "scale": scale,
              "inputs": "xyrz"}
    if widths is not None:
        params["widths"] = widths.rstrip(",")
    _ok(lab.get("/api/paint.png", params=params))


@SETTINGS
@given(widths=st.lists(BIG, max_size=4), out_dim=BIG,
       domain=st.lists(FLOAT, min_size=4, max_size=4))
def test_regions_caps(lab, widths, out_dim, domain):
    _ok(lab.post("/api/regions", json={"widths": widths, "out_dim": out_dim, "domain": domain}))


@SETTINGS
@given(hidden=st.lists(BIG, min_size=1, max_size=3), n_train=BIG, n_test=BIG, steps=BIG,
       restarts=BIG, lr=FLOAT)
def test_fit_caps(lab, hidden, n_train, n_test, steps, restarts, lr):
    _ok(lab.post("/api/fit", json={"target": "x1*x2", "hidden": hidden, "n_train": n_train,
                                   "n_test": n_test, "steps": steps, "restarts": restarts, "lr": lr}))


@SETTINGS
@given(n=BIG, sides=st.sampled_from([None, 2, 3, 1024, 1025, 10**9]), grid=BIG, steepness=FLOAT)
def test_towers_caps(lab, n, sides, grid, steepness):
    _ok(lab.post("/api/towers", json={"n": n, "sides": sides, "grid": grid, "steepness": steepness}))
