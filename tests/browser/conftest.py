"""A real lab server (``neuromosaic lab`` in a subprocess on a free loopback port) and headless
Debian chromium driven by Playwright. Skipped with a reason when either is missing."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from browser_helpers import recording_page

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab_url():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "neuromosaic", "lab", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/paint/options", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.poll() is not None else ""
                pytest.fail(f"the lab server did not start: {out[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser, lab_url):
    """A fresh page that records console errors, page errors and every request's URL."""
    context, pg = recording_page(browser, 1280, 900)
    yield pg
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name)``: see :func:`save_screenshot`."""
    return save_screenshot


def save_screenshot(page, name: str) -> Path:
    """Save to test-artifacts/ (ignored by git); with NEUROMOSAIC_DOCS_IMG=docs/img also there,
    for the README."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"lab_{name}.png"
    page.screenshot(path=str(path))
    docs = os.environ.get("NEUROMOSAIC_DOCS_IMG")
    if docs:  # 256 colours keep a README picture under ~300 KB
        from PIL import Image

        Image.open(path).convert("RGB").quantize(colors=256).save(Path(docs) / path.name, optimize=True)
    return path
