"""The training curve as a PNG, drawn with Pillow (no plotting dependency)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from PIL import Image, ImageDraw

from srkit._core.fileio import atomic_path

_W, _H, _M = 800, 360, 50


def _series(rows: list[dict[str, str]], key: str) -> list[tuple[float, float]]:
    return [(float(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]


def _panel(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    points: list[tuple[float, float]],
    title: str,
    colour: tuple[int, int, int],
    log: bool,
) -> None:
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(160, 160, 160))
    draw.text((x0 + 4, y0 - 14), title, fill=(0, 0, 0))
    if not points:
        draw.text((x0 + 10, (y0 + y1) // 2), "no data", fill=(120, 120, 120))
        return
    xs = [p[0] for p in points]
    ys = [math.log10(max(p[1], 1e-12)) if log else p[1] for p in points]
    lo_x, hi_x, lo_y, hi_y = 0.0, max(xs), min(ys), max(ys)  # both panels start at step 0
    span_x, span_y = (hi_x - lo_x) or 1.0, (hi_y - lo_y) or 1.0
    pix = [
        (x0 + (x - lo_x) / span_x * (x1 - x0), y1 - (y - lo_y) / span_y * (y1 - y0))
        for x, y in zip(xs, ys, strict=True)
    ]
    if len(pix) > 1:
        draw.line(pix, fill=colour, width=2)
    for px, py in pix[-1:]:
        draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=colour)
    fmt = (lambda v: f"{10**v:.3g}") if log else (lambda v: f"{v:.2f}")
    draw.text((x0 + 4, y0 + 2), fmt(hi_y), fill=(80, 80, 80))
    draw.text((x0 + 4, y1 - 14), fmt(lo_y), fill=(80, 80, 80))
    draw.text((x1 - 60, y1 + 4), f"step {int(hi_x)}", fill=(80, 80, 80))


def plot_curves(log_csv: str | Path, png: str | Path) -> None:
    """Draw training loss (log scale) and validation PSNR against the step from ``log.csv``."""
    with open(log_csv, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    image = Image.new("RGB", (_W, _H), "white")
    draw = ImageDraw.Draw(image)
    half = _W // 2
    _panel(draw, (_M, _M, half - 20, _H - _M), _series(rows, "loss"), "training loss (log)", (30, 90, 200), True)
    _panel(
        draw,
        (half + _M - 20, _M, _W - 20, _H - _M),
        _series(rows, "val_psnr"),
        "validation PSNR (dB)",
        (200, 60, 40),
        False,
    )
    with atomic_path(png) as tmp:
        image.save(tmp, format="PNG")
