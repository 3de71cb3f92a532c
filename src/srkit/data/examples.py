"""The example images bundled with srkit (synthetic, made by ``scripts/make_examples.py``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def example_folder() -> Path:
    """The folder of bundled example images (three 240x240 RGB PNGs: zone plate, drawing, texture)."""
    return Path(str(resources.files("srkit") / "assets" / "examples"))
