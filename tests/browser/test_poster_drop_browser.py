"""Dropping a poster (or any file) on the lab's infinite canvas, in chromium: drop.js end to end."""

import base64

import pytest

from neuromosaic.painting import PaintConfig
from neuromosaic.painting.poster import write_poster

pytestmark = pytest.mark.browser

DROP = """([name, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name));
  const section = document.getElementById("panel-canvas");
  for (const type of ["dragover", "drop"])
    section.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
}"""


def test_dropping_a_poster_opens_its_picture_and_a_stranger_is_one_line(page, lab_url, tmp_path):
    cfg = PaintConfig(size=(64, 48), layers=5, width=12, seed=77, scale=0.25, center=(0.5, -0.25))
    path = tmp_path / "p.tif"
    write_poster(path, cfg, tile=16)
    page.goto(f"{lab_url}/#canvas")
    page.wait_for_selector("#panel-canvas .drop-status", state="attached", timeout=30_000)
    page.evaluate(DROP, ["p.tif", base64.b64encode(path.read_bytes()).decode()])
    page.wait_for_function("() => location.hash.includes('seed=77')", timeout=30_000)
    params = dict(p.split("=") for p in page.evaluate("location.hash").split("?")[1].split("&"))
    assert {k: params[k] for k in ("layers", "width", "x", "y", "span")} == {
        "layers": "5", "width": "12", "x": "0.5", "y": "-0.25", "span": "0.25"}
    assert page.locator("#panel-canvas .drop-status").text_content() == "opened p.tif"

    page.evaluate(DROP, ["notes.txt", base64.b64encode(b"not a picture").decode()])
    line = page.locator("#panel-canvas .drop-status.error")
    line.wait_for(timeout=10_000)
    assert line.text_content().startswith("notes.txt: 422: ") and "\n" not in line.text_content()
    assert "seed=77" in page.evaluate("location.hash")  # the view stays
    assert [e for e in page.errors if "status of 422" not in e] == []  # the browser logs the 422
