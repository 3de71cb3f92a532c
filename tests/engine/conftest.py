"""Fixtures of the engine's tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four 48x48 images (smooth: bicubic enlargements of random 8x8 ones)."""
    folder = tmp_path_factory.mktemp("hr")
    rng = np.random.default_rng(0)
    for i in range(4):
        small = (rng.random((8, 8, 3)) * 255).astype(np.uint8)
        Image.fromarray(small).resize((48, 48), Image.Resampling.BICUBIC).save(folder / f"{i}.png")
    return folder
