"""The gallery of docs/real_photos.md: real photos from ../shared/data through bicubic and srkit's models, x4.

Two grids, made by ``scripts/picture_grid.py``'s :func:`make_grid` (columns: the LR crop enlarged with nearest
neighbours, bicubic, ``srkit``, ``srkit_real``, ``srkit_real_gan``):

* JPEG photos: CelebA faces (``face/CelebA_1000``, JPEG files, 89x109): real compression artefacts;
* camera shots: CameraSR's City100 iPhone X short-focal shots (``real/City100_iPhoneX_40``, held-out pairs 031 and
  036): real lens blur and sensor processing.

It writes ``docs/img/real_gallery_jpeg.png`` and ``docs/img/real_gallery_camera.png`` and replaces the block
between ``<!-- gallery:start -->`` and ``<!-- gallery:end -->`` of docs/real_photos.md.

Run: python scripts/real_gallery.py [--data ../shared/data] [--docs docs/real_photos.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from picture_grid import make_grid  # noqa: E402

from _docs import replace_block  # noqa: E402
from srkit._core.fileio import atomic_path  # noqa: E402
from srkit.data.paths import resolve_data_path  # noqa: E402

METHODS = ["input", "bicubic", "srkit", "srkit_real", "srkit_real_gan"]
GRIDS = {
    "jpeg": (["face/CelebA_1000/000002.jpg", "face/CelebA_1000/000008.jpg"], ["25,30,40,40", "25,35,40,40"]),
    "camera": (
        ["real/City100_iPhoneX_40/031_LR.png", "real/City100_iPhoneX_40/036_LR.png"],
        ["200,120,48,32", "180,140,48,32"],
    ),
}
CAPTIONS = {
    "jpeg": "JPEG photos (CelebA faces 000002 and 000008, 89x109 JPEG files): a 40x40 crop, x4",
    "camera": "Camera shots (City100 iPhone X short-focal shots 031 and 036, held out): a 48x32 crop, x4",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "real_photos.md")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = resolve_data_path(args.data, key="--data").path
    lines = []
    for key, (files, crops) in GRIDS.items():
        grid = make_grid([data / f for f in files], METHODS, 4, list(crops))
        out = args.docs.parent / "img" / f"real_gallery_{key}.png"
        out.parent.mkdir(exist_ok=True)
        with atomic_path(out, overwrite=True) as tmp:
            Image.fromarray(grid).save(tmp, format="PNG", optimize=True)
        print(f"wrote {out} ({grid.shape[1]}x{grid.shape[0]}, {out.stat().st_size / 1e3:.0f} kB)")
        lines += [f"**{CAPTIONS[key]}**", "", f"![{key}](img/{out.name})", ""]
    lines.append(
        "Columns: the LR crop (nearest-neighbour enlarged), bicubic, `srkit`, `srkit_real`, `srkit_real_gan`; every "
        "model through `srkit.upscale` (what `srkit upscale` writes). Made by `python scripts/real_gallery.py` "
        "(which calls `scripts/picture_grid.py`)."
    )
    replace_block(args.docs, "<!-- gallery:start -->", "<!-- gallery:end -->", "\n".join(lines))


if __name__ == "__main__":
    main()
