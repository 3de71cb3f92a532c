"""ZSSR on the CPU: the paper's schedule against srkit's fast one, PSNR and seconds per image.

For each HR image (files or folders; default Set5 and Set14 from ``$SRKIT_SHARED_DATA`` or ``../shared/data``):
mod-crop to the scale, make the LR image with MATLAB bicubic (``srkit.degradations.bicubic_degradation``, uint8),
then run :func:`srkit.unsupervised.zssr` with each schedule (``--modes paper fast``; same seed) and report Y-PSNR
(shave = scale) of bicubic upscaling, of each schedule, their wall seconds, steps and learning-rate changes. The
issue's bar: the fast schedule does x2 of a 256 x 256 LR image (Set5 ``baby``) in under 2 minutes on this 2-core
CPU with no PSNR loss against the paper's schedule (means over Set5 and Set14 x2).

The paper's schedule takes about 10 minutes per image here (up to 3000 steps on 128 x 128 crops): Set5 + Set14 x2
with both schedules is a few hours of CPU. ``--max-images`` and ``--steps`` shorten a trial run.

Usage::

    python benchmarks/zssr_speed.py [HR ...] [--scale 2] [--modes paper fast] [--threads 2] [--json OUT]
    python benchmarks/zssr_speed.py ../shared/data/bench/Set5/baby.png --modes fast   # the 2-minute bar
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srkit import imresize, psnr, read_image
from srkit.data.io import list_images
from srkit.degradations.classic import bicubic_degradation
from srkit.functional.image import modcrop
from srkit.unsupervised import ZSSRConfig, zssr

MODES = {"paper": ZSSRConfig.paper, "fast": ZSSRConfig.fast, "gradual": ZSSRConfig.gradual_x2}


def _default_sets() -> list[Path]:
    root = Path(os.environ.get("SRKIT_SHARED_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
    return [root / "bench" / "Set5", root / "bench" / "Set14"]


def compare(
    lr: np.ndarray,
    scale: int,
    modes: list[str],
    *,
    hr: np.ndarray | None = None,
    steps: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Run ZSSR on ``lr`` with each schedule of ``modes``; with ``hr``, measure Y-PSNR (shave = scale).

    Returns:
        ``{"bicubic": {...}, "paper": {"psnr", "seconds", "steps", "lr_changes", "ended"}, "fast": {...}}``.
    """
    row: dict[str, Any] = {"lr_size": list(lr.shape[:2])}
    if hr is not None:
        row["bicubic"] = {"psnr": psnr(imresize(lr, scale), hr, crop_border=scale)}
    for mode in modes:
        start = time.perf_counter()
        out = zssr(lr, scale, config=MODES[mode](), steps=steps, seed=seed, progress=False)
        seconds = time.perf_counter() - start
        stages = out.info["stages"]
        row[mode] = {
            "seconds": seconds,
            "steps": out.log.steps,
            "lr_changes": [st["lr_changes"] for st in stages],
            "ended": stages[-1]["ended"],
        }
        if hr is not None:
            row[mode]["psnr"] = psnr(out.image, hr, crop_border=scale)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="*", type=Path, help="HR images or folders (default: Set5 and Set14)")
    parser.add_argument("--scale", type=int, default=2, help="SR scale (default 2)")
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=["paper", "fast"])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2: this CPU's cores)")
    parser.add_argument("--steps", type=int, help="most steps per scale for every mode (a trial run)")
    parser.add_argument("--max-images", type=int, help="only the first N images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the numbers here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    files: list[Path] = []
    for p in args.inputs or _default_sets():
        files += list_images(p) if p.is_dir() else [p]
    files = files[: args.max_images]
    rows: dict[str, Any] = {}
    for f in files:
        hr = modcrop(read_image(f, gray_to_rgb=True), args.scale)
        lr = bicubic_degradation(hr, args.scale)
        row = compare(lr, args.scale, args.modes, hr=hr, steps=args.steps, seed=args.seed)
        rows[f"{f.parent.name}/{f.name}"] = row
        cells = [f"bicubic {row['bicubic']['psnr']:.2f}"] + [
            f"{m} {row[m]['psnr']:.2f} dB {row[m]['seconds']:.0f} s {row[m]['steps']} steps" for m in args.modes
        ]
        print(f"{f.parent.name}/{f.name} LR {lr.shape[1]}x{lr.shape[0]}: " + ", ".join(cells), flush=True)
    sets = sorted({name.split("/")[0] for name in rows})
    for s in sets:
        mine = [r for name, r in rows.items() if name.startswith(s + "/")]
        means = {m: statistics.mean(r[m]["psnr"] for r in mine) for m in ["bicubic", *args.modes]}
        secs = {m: statistics.mean(r[m]["seconds"] for r in mine) for m in args.modes}
        print(
            f"{s} x{args.scale} mean Y-PSNR: "
            + ", ".join(f"{m} {v:.2f}" for m, v in means.items())
            + "; mean seconds: "
            + ", ".join(f"{m} {v:.0f}" for m, v in secs.items())
        )
    if args.json:
        meta = {"cpu": platform.processor() or platform.machine(), "threads": args.threads, "torch": torch.__version__}
        args.json.write_text(json.dumps({"meta": meta, "scale": args.scale, "images": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
