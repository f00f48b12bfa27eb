"""The article's gallery: every recipe (every seed of it) and a contact sheet describing each."""

from __future__ import annotations

import html
from dataclasses import dataclass

from .config import PaintConfig
from .recipes import RECIPES, Recipe


@dataclass(frozen=True)
class GalleryItem:
    filename: str
    recipe: Recipe
    config: PaintConfig

    @property
    def command(self) -> str:
        w, h = self.config.size
        cmd = f"neuromosaic paint --recipe {self.recipe.name} --size {w if w == h else f'{w}x{h}'}"
        if self.config.seed:
            cmd += f" --seed {self.config.seed}"
        if self.config.fast:
            cmd += " --fast"
        return cmd + f" -o {self.filename}"


def gallery_items(size=256, *, fast: bool = False) -> list[GalleryItem]:
    """One item per recipe and seed, in the article's order."""
    items = []
    for recipe in RECIPES.values():
        for seed in recipe.seeds:
            name = recipe.name if len(recipe.seeds) == 1 else f"{recipe.name}-s{seed}"
            items.append(GalleryItem(f"{name}.png", recipe, recipe.config(size=size, seed=seed, fast=fast)))
    return items


def index_html(items: list[GalleryItem]) -> str:
    """A self-contained contact sheet: each picture beside its title, caption and command."""
    cards = []
    for it in items:
        seed = f" (seed {it.config.seed})" if len(it.recipe.seeds) > 1 else ""
        cards.append(
            f'<figure><img src="{html.escape(it.filename)}" alt="{html.escape(it.recipe.title)}" '
            f'width="256" height="256"><figcaption><b>{html.escape(it.recipe.title)}{seed}</b>'
            f"<p>{html.escape(it.recipe.caption)}</p><code>{html.escape(it.command)}</code>"
            "</figcaption></figure>")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>neuromosaic — the article's gallery</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;background:#fafafa;color:#222}"
        "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1.5rem}"
        "figure{margin:0;background:#fff;padding:.8rem;border-radius:8px;box-shadow:0 1px 3px #0002}"
        "img{width:100%;height:auto;image-rendering:pixelated}code{font-size:.75rem;color:#555}"
        "</style></head><body><h1>Making deep neural networks paint</h1>"
        "<p>Each picture is a CPPN: an MLP that maps a pixel's coordinates to its colour. "
        "Every PNG carries its configuration; <code>neuromosaic paint --from FILE.png --size 2048 "
        "-o big.png</code> re-renders it bigger.</p><main>" + "".join(cards) + "</main></body></html>\n")
