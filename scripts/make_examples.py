"""Regenerate srkit's bundled example images (src/srkit/assets/examples/*.png).

They are synthetic, made here from formulas and drawing commands (no third-party image data), so they can be
shipped with the package: a zone plate (all frequencies and orientations), a drawing with sharp edges and text,
and a smooth multi-scale texture. Run: python scripts/make_examples.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parents[1] / "src" / "srkit" / "assets" / "examples"
SIZE = 240  # divisible by 2, 3 and 4


def zone_plate() -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64) - SIZE / 2
    r2 = x**2 + y**2
    base = 0.5 + 0.5 * np.cos(np.pi * r2 / (2.2 * SIZE))
    hue = np.stack([base, 0.5 + 0.5 * np.cos(np.pi * r2 / (2.2 * SIZE) + 1.0), 1 - base * 0.6], axis=-1)
    return np.round(255 * np.clip(hue, 0, 1)).astype(np.uint8)


def drawing() -> np.ndarray:
    big = 4 * SIZE  # draw large, then shrink: anti-aliased edges
    im = Image.new("RGB", (big, big), (236, 230, 214))
    d = ImageDraw.Draw(im)
    d.rectangle((60, 80, 420, 380), fill=(30, 90, 170))
    d.ellipse((380, 200, 860, 680), fill=(200, 60, 40), outline=(20, 20, 20), width=12)
    d.polygon([(120, 900), (480, 420), (700, 900)], fill=(250, 190, 30))
    for i in range(12):
        d.line((560 + 28 * i, 40, 920, 60 + 28 * i), fill=(20, 20, 20), width=6)
    for i in range(9):
        d.text((70, 430 + 46 * i), "srkit 0123456789 ABCDEF", fill=(10, 10, 10), font_size=40)
    return np.asarray(im.resize((SIZE, SIZE), Image.Resampling.LANCZOS))


def texture() -> np.ndarray:
    rng = np.random.default_rng(2024)
    acc = np.zeros((SIZE, SIZE, 3))
    for octave in range(6):
        n = 4 * 2**octave
        noise = rng.random((n, n, 3))
        layer = Image.fromarray(np.uint8(255 * noise)).resize((SIZE, SIZE), Image.Resampling.BICUBIC)
        acc += np.asarray(layer, dtype=np.float64) / 255.0 / 2**octave
    acc = (acc - acc.min()) / (acc.max() - acc.min())
    img = Image.fromarray(np.uint8(255 * acc)).filter(ImageFilter.UnsharpMask(radius=2, percent=80))
    return np.asarray(img)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in (("zoneplate", zone_plate), ("drawing", drawing), ("texture", texture)):
        Image.fromarray(make()).save(OUT / f"{name}.png", optimize=True)
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
