"""CPPN painting: a network maps pixel coordinates to colours."""

from .config import PaintConfig, config_from_metadata, png_bytes, render_config
from .recipes import RECIPES, Recipe, get_recipe
from .render import paint, parse_size, pixel_axes

__all__ = [
    "RECIPES",
    "PaintConfig",
    "Recipe",
    "config_from_metadata",
    "get_recipe",
    "paint",
    "parse_size",
    "pixel_axes",
    "png_bytes",
    "render_config",
]
