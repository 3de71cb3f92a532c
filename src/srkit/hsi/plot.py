"""Pictures of cubes, drawn with Pillow (no plotting dependency): spectral signatures and false-colour views.

- :func:`signature_plot`: one panel per chosen pixel, the spectrum of each cube at that pixel against the
  wavelength (the reference in black), with a legend: how faithfully a method keeps the spectra.
- :func:`false_colour`: three bands of a cube as an 8-bit RGB picture (each band stretched to its 1st-99th
  percentile), with the chosen pixels marked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path

__all__ = ["false_colour", "signature_plot"]

_COLOURS = [(0, 0, 0), (200, 60, 40), (30, 90, 200), (40, 150, 60), (160, 60, 170), (220, 140, 20), (90, 90, 90)]
_PANEL_W, _PANEL_H, _M = 320, 220, 40


def _panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    wavelengths: np.ndarray,
    spectra: list[np.ndarray],
    title: str,
) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(160, 160, 160))
    draw.text((x0 + 4, y0 - 14), title, fill=(0, 0, 0))
    lo, hi = min(float(s.min()) for s in spectra), max(float(s.max()) for s in spectra)
    span_y = (hi - lo) or 1.0
    w_lo, w_hi = float(wavelengths.min()), float(wavelengths.max())
    span_x = (w_hi - w_lo) or 1.0
    for colour, spectrum in zip(_COLOURS, spectra, strict=False):
        pts = [
            (x0 + (w - w_lo) / span_x * (x1 - x0), y1 - (v - lo) / span_y * (y1 - y0))
            for w, v in zip(wavelengths, spectrum, strict=True)
        ]
        draw.line(pts, fill=colour, width=2 if colour == _COLOURS[0] else 1)
    draw.text((x0 + 2, y0 + 2), f"{hi:.3g}", fill=(80, 80, 80))
    draw.text((x0 + 2, y1 - 12), f"{lo:.3g}", fill=(80, 80, 80))
    draw.text((x0, y1 + 3), f"{w_lo:.0f} nm", fill=(80, 80, 80))
    draw.text((x1 - 48, y1 + 3), f"{w_hi:.0f} nm", fill=(80, 80, 80))


def signature_plot(
    path: str | os.PathLike[str],
    cubes: Mapping[str, np.ndarray],
    pixels: Sequence[tuple[int, int]],
    wavelengths: np.ndarray | None = None,
) -> Path:
    """Write a PNG of the spectra of ``cubes`` (label -> ``(bands, H, W)``, the first is the reference) at
    ``pixels`` (``(row, column)``); ``wavelengths`` label the x axis (default: band numbers)."""
    if not cubes or not pixels:
        raise SrkitError("a signature plot needs at least one cube and one pixel")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in cubes.items()}
    shapes = {a.shape for a in arrays.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 3:
        raise SrkitError(f"the cubes of a signature plot need one (bands, H, W) shape, got {sorted(shapes)}")
    b, h, w = next(iter(shapes))
    wl = np.arange(1.0, b + 1) if wavelengths is None else np.asarray(wavelengths, dtype=np.float64)
    for y, x in pixels:
        if not (0 <= y < h and 0 <= x < w):
            raise SrkitError(f"pixel ({y}, {x}) is outside the {w}x{h} cube")
    cols = min(3, len(pixels))
    rows = (len(pixels) + cols - 1) // cols
    legend_h = 18 * len(arrays) + 10
    image = Image.new("RGB", (cols * (_PANEL_W + _M) + _M, rows * (_PANEL_H + _M + 10) + _M + legend_h), "white")
    draw = ImageDraw.Draw(image)
    for i, (y, x) in enumerate(pixels):
        r, c = divmod(i, cols)
        left, top = _M + c * (_PANEL_W + _M), _M + r * (_PANEL_H + _M + 10)
        spectra = [a[:, y, x] for a in arrays.values()]
        _panel(draw, (left, top, left + _PANEL_W, top + _PANEL_H), wl, spectra, f"pixel (row {y}, col {x})")
    base = rows * (_PANEL_H + _M + 10) + _M
    for i, (label, colour) in enumerate(zip(arrays, _COLOURS, strict=False)):
        draw.line((_M, base + 18 * i + 7, _M + 30, base + 18 * i + 7), fill=colour, width=2)
        draw.text((_M + 38, base + 18 * i), label, fill=(0, 0, 0))
    out = Path(path)
    with atomic_path(out) as tmp:
        image.save(tmp, format="PNG")
    return out


def false_colour(cube: np.ndarray, bands: tuple[int, int, int], pixels: Sequence[tuple[int, int]] = ()) -> np.ndarray:
    """``(H, W, 3)`` uint8: ``bands`` (red, green, blue) of ``cube`` stretched, ``pixels`` marked with crosses."""
    a = np.asarray(cube, dtype=np.float64)
    if a.ndim != 3 or any(not 0 <= i < a.shape[0] for i in bands):
        raise SrkitError(f"bands {bands} are not all in a cube of shape {a.shape}")
    planes = []
    for i in bands:
        lo, hi = np.percentile(a[i], [1, 99])
        planes.append(np.clip((a[i] - lo) / ((hi - lo) or 1.0), 0, 1))
    rgb = (np.stack(planes, axis=-1) * 255).round().astype(np.uint8)
    for y, x in pixels:
        rgb[max(0, y - 3) : y + 4, x] = (255, 0, 255)
        rgb[y, max(0, x - 3) : x + 4] = (255, 0, 255)
    return rgb
