"""A before/after picture grid: the same crop of one or more images upscaled by several methods, side by side.

Each row is one input image; each column one method: ``input`` (the LR crop, enlarged with nearest neighbours so
its pixels show), ``bicubic`` (MATLAB bicubic), a shipped model name (``srkit``, ``srkit_real``, ...) or a
checkpoint file; ``hr:FOLDER`` adds the ground truth (the file of the same name in FOLDER, or ``NNN_HR`` for an
``NNN_LR`` input). The crop is given in LR pixels and each method's output is cut at the same place, scaled up.
Every model runs through srkit's one image path (``srkit.upscale``: what ``srkit upscale`` writes).

Run::

    python scripts/picture_grid.py photo.jpg other.png --methods input bicubic srkit srkit_real srkit_real_gan \\
        --scale 4 --crop 40,30,48,48 -o grid.png [--labels]

``--crop X,Y,W,H`` (LR pixels; one per image, or one for all; default: the centre 48x48).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

import srkit
from srkit._core.fileio import atomic_path
from srkit.data.io import read_image

LABEL_HEIGHT = 16


def _crop_box(text: str | None, lr: np.ndarray) -> tuple[int, int, int, int]:
    h, w = lr.shape[:2]
    if text is None:
        side = min(48, h, w)
        return (w - side) // 2, (h - side) // 2, side, side
    try:
        x, y, cw, ch = (int(v) for v in text.split(","))
    except ValueError:
        raise SystemExit(f"--crop takes X,Y,W,H in LR pixels, got {text!r}") from None
    if x < 0 or y < 0 or cw < 1 or ch < 1 or x + cw > w or y + ch > h:
        raise SystemExit(f"--crop {text} leaves the {w}x{h} image")
    return x, y, cw, ch


def _hr_for(path: Path, folder: Path) -> np.ndarray:
    for name in (path.name, path.name.replace("_LR", "_HR")):
        for candidate in folder.glob(Path(name).stem + ".*"):
            return read_image(candidate, gray_to_rgb=True)[..., :3]
    raise SystemExit(f"no ground truth for {path.name} in {folder}")


def _tile(method: str, path: Path, lr: np.ndarray, box: tuple[int, int, int, int], scale: int) -> np.ndarray:
    x, y, w, h = box
    if method == "input":
        return np.kron(lr[y : y + h, x : x + w], np.ones((scale, scale, 1), dtype=np.uint8))
    if method.startswith("hr:"):
        out = _hr_for(path, Path(method[3:]))
    elif method == "bicubic":
        out = srkit.imresize(lr, float(scale))
    else:
        out = srkit.upscale(lr, scale=scale, model=method)
    return out[y * scale : (y + h) * scale, x * scale : (x + w) * scale]


def _label(method: str) -> str:
    if method.startswith("hr:"):
        return "HR (ground truth)"
    return Path(method).stem if method.endswith((".safetensors", ".pth", ".pt")) else method


def make_grid(
    images: list[Path], methods: list[str], scale: int, crops: list[str | None], *, labels: bool = True
) -> np.ndarray:
    """The grid as a uint8 RGB array: one row per image, one column per method, 2-pixel white gutters."""
    rows, size = [], None
    for path, crop in zip(images, crops, strict=True):
        lr = read_image(path, gray_to_rgb=True)[..., :3]
        box = _crop_box(crop, lr)
        if size is not None and box[2:] != size:
            raise SystemExit(f"every row needs a crop of the same size: {box[2]}x{box[3]} after {size[0]}x{size[1]}")
        size = box[2:]
        tiles = [_tile(m, path, lr, box, scale) for m in methods]
        gutter = np.full((tiles[0].shape[0], 2, 3), 255, dtype=np.uint8)
        row = np.concatenate([t for tile in tiles for t in (tile, gutter)][:-1], axis=1)
        rows.extend([row, np.full((2, row.shape[1], 3), 255, dtype=np.uint8)])
    grid = np.concatenate(rows[:-1], axis=0)
    if not labels:
        return grid
    width = (grid.shape[1] + 2) // len(methods)
    strip = Image.new("RGB", (grid.shape[1], LABEL_HEIGHT), "white")
    draw = ImageDraw.Draw(strip)
    for i, m in enumerate(methods):
        draw.text((i * width + 3, 2), _label(m), fill="black")
    return np.concatenate([np.asarray(strip), grid], axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", type=Path, help="LR input images (one grid row each)")
    parser.add_argument("--methods", nargs="+", default=["input", "bicubic", "srkit"])
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--crop", nargs="+", default=None, help="X,Y,W,H in LR pixels: one, or one per image")
    parser.add_argument("--no-labels", action="store_true", help="no method names above the columns")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    crops = args.crop or [None]
    if len(crops) == 1:
        crops = crops * len(args.images)
    if len(crops) != len(args.images):
        raise SystemExit(f"give one --crop or one per image ({len(args.images)})")
    grid = make_grid(args.images, args.methods, args.scale, crops, labels=not args.no_labels)
    with atomic_path(args.output, overwrite=True) as tmp:
        Image.fromarray(grid).save(tmp, format="PNG", optimize=True)
    print(f"wrote {args.output} ({grid.shape[1]}x{grid.shape[0]})")


if __name__ == "__main__":
    main()
