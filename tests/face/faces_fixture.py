"""A tiny folder of synthetic aligned faces with landmark files, for the face tests (no shared data needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from srkit.face.api import mean_shape


def tiny_faces(folder: Path, n: int = 12, size: int = 32) -> Path:
    """``n`` faces ``PHOTO_1.png`` (``size`` x ``size``, smooth random colours) with ``PHOTO_1.txt``: the mean
    shape scaled to ``size`` and jittered; two faces per photo for the split."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    base = mean_shape() * (size / 128)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for i in range(n):
        colour = rng.random(3) * 255
        img = (colour * (0.5 + 0.5 * np.sin(6 * xx + i)[..., None] * np.cos(4 * yy)[..., None])).clip(0, 255)
        Image.fromarray(img.astype(np.uint8)).save(folder / f"{1000 + i // 2}_{i % 2 + 1}.png")
        pts = base + rng.normal(0, 0.3, base.shape)
        (folder / f"{1000 + i // 2}_{i % 2 + 1}.txt").write_text("\n".join(f"{x:.2f} {y:.2f}" for x, y in pts) + "\n")
    return folder
