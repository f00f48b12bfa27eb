import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_grid(tmp_path):
    """Write a grid file into tmp_path and return its path."""

    def write(text: str, name: str = "grid.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path

    return write
