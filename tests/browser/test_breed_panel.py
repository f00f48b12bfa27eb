"""The Breed panel in a real browser: a clicked child becomes the picture (the library's picture
of its lineage), undo goes back, shift-click crosses two children.

With NEUROMOSAIC_DOCS_IMG=docs/img the test also records the panel as docs/img/breed.gif."""

import base64
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from neuromosaic.painting import PaintConfig, render_config

pytestmark = pytest.mark.browser

ROOT = {"seed": 2, "layers": 8, "width": 16}


class Recorder:
    """Frames of the panel for the docs' GIF (nothing unless NEUROMOSAIC_DOCS_IMG is set)."""

    def __init__(self, page):
        self.page, self.frames = page, []
        self.folder = os.environ.get("NEUROMOSAIC_DOCS_IMG")

    def shot(self, hold: int = 1) -> None:
        if self.folder:
            box = self.page.locator("#panel-breed").bounding_box()
            grid = self.page.locator("#breed-grid").bounding_box()  # the panel up to the grid's edge
            png = self.page.screenshot(clip={"x": box["x"], "y": box["y"],
                                             "width": grid["x"] + grid["width"] + 16 - box["x"],
                                             "height": min(box["height"], 640)})
            self.frames += [Image.open(io.BytesIO(png)).convert("RGB")] * hold

    def save(self, name: str = "breed.gif") -> None:
        if not self.folder or not self.frames:
            return
        width = 860  # keeps the GIF well under 1.5 MB
        frames = [f.resize((width, round(f.height * width / f.width)), Image.LANCZOS) for f in self.frames]
        palette = frames[0].quantize(colors=255)
        frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
        frames[0].save(Path(self.folder) / name, save_all=True, append_images=frames[1:], duration=700,
                       loop=0, optimize=True)


def lineage_shown(page) -> str:
    return page.get_attribute("#breed-parent", "data-lineage")


def wait_for_lineage(page, lineage: str) -> None:
    page.wait_for_function("l => document.querySelector('#breed-parent').dataset.lineage === l", arg=lineage,
                           timeout=60_000)


def shown_pixels(page) -> np.ndarray:
    src = page.get_attribute("#breed-parent", "src")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB"))


def child(page, i: int):
    return page.locator(f".breed-child[data-index='{i}']")


def test_click_a_child_then_undo_then_cross(page, lab_url):
    rec = Recorder(page)
    query = "&".join(f"{k}={v}" for k, v in ROOT.items())
    page.goto(f"{lab_url}/#breed?{query}")  # strength 0.1, the default
    page.wait_for_selector("#breed-parent[data-lineage='']", timeout=60_000)
    rec.shot(2)

    picked = child(page, 4).get_attribute("data-lineage")
    assert picked == "m0.1s4"
    child(page, 4).hover()
    rec.shot()
    child(page, 4).click()
    wait_for_lineage(page, picked)
    assert "lineage=m0.1s4" in page.url  # the state is in the URL
    assert np.array_equal(shown_pixels(page), render_config(PaintConfig(size=256, **ROOT, lineage=picked)))
    assert page.locator("#breed-history img").count() == 1
    rec.shot(2)

    grandchild = child(page, 7).get_attribute("data-lineage")
    assert grandchild == "m0.1s4_m0.1s7"
    child(page, 7).click()
    wait_for_lineage(page, grandchild)
    rec.shot(2)

    page.click("#breed-undo")  # back one step: the first child is the picture again
    wait_for_lineage(page, picked)
    assert page.locator("#breed-history img").count() == 1
    rec.shot(2)

    child(page, 1).click(modifiers=["Shift"])
    assert "picked" in child(page, 1).get_attribute("class")
    rec.shot()
    child(page, 6).click(modifiers=["Shift"])  # cross two siblings: one step records it
    crossed = "m0.1s4_m0.1s1_c0f1(m0.1s6)"
    wait_for_lineage(page, crossed)
    assert page.inner_text("#breed-lineage") == crossed
    assert np.array_equal(shown_pixels(page), render_config(PaintConfig(size=256, **ROOT, lineage=crossed)))
    rec.shot(3)

    page.click("#breed-history img >> nth=0")  # the history strip goes back to the root
    wait_for_lineage(page, "")
    rec.shot(2)
    assert page.errors == []
    rec.save()
