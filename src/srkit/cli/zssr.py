"""``srkit zssr IMG --scale 2|4 [--kernel bicubic|estimate|FILE] [-o OUT] [--steps N] [--max-time S] [--seed N]
[--fast]``: super-resolve one image with ZSSR (a small network trained on the image alone)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from srkit._core.errors import SrkitError
from srkit.cli._per_image import add_run_options, image_target, kernel_option, write_like
from srkit.data.imagefile import read_picture
from srkit.unsupervised.zssr import MIN_SCALE, zssr


def _scale(value: str) -> float:
    try:
        s = float(value)
    except ValueError:
        s = math.nan
    if not (math.isfinite(s) and s >= MIN_SCALE):
        raise argparse.ArgumentTypeError(f"--scale takes a number >= {MIN_SCALE} (2 or 4 in the paper), not {value!r}")
    return s


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "zssr",
        help="super-resolve one image with ZSSR (a network trained on the image alone; minutes on a CPU)",
        description="'Zero-Shot' SR (Shocher et al., CVPR 2018): a small network learns to undo the image's own "
        "downscaling on its downscaled versions, then super-resolves the image. The paper's schedule by default "
        "(up to 3000 steps per scale, ~10 minutes for x2 of 256x256 on a 2-core CPU); --fast is srkit's shorter "
        "schedule (see docs/unsupervised/zssr.md). Gray images stay gray; 16-bit stays 16-bit; alpha is "
        "refused. The output is written atomically.",
    )
    p.add_argument("input", metavar="IMG", help="the low-resolution image")
    p.add_argument(
        "--scale", type=_scale, default=2.0, help=f"2 or 4 (default 2); any number >= {MIN_SCALE} with bicubic"
    )
    p.add_argument(
        "--kernel",
        default="bicubic",
        metavar="bicubic|estimate|FILE",
        help="how the image was downscaled: bicubic (default, MATLAB imresize), estimate (KernelGAN first), or "
        "a kernel file (.npy, .mat, .png; a 2-D non-negative array, normalised)",
    )
    p.add_argument("-o", "--output", help="output file (default: beside the input, as NAME_zssr_xS.EXT)")
    p.add_argument(
        "--fast",
        action="store_true",
        help="srkit's fast schedule (about 1 minute for x2 of 256x256 on a CPU with native bf16, twice as long "
        "without): the paper's learning-rate policy on 64x64 crops, channels-last inference, bf16 where the CPU "
        "computes it natively",
    )
    add_run_options(p, steps_help="most training steps per scale (default: the paper's 3000)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    src = Path(args.input)
    kernel = kernel_option(args.kernel, ("bicubic", "estimate"))
    picture = read_picture(src)
    dst = image_target(src, args.output, f"zssr_x{args.scale:g}", picture, overwrite=args.overwrite)
    try:
        result = zssr(
            picture.pixels,
            args.scale,
            kernel=kernel,
            steps=args.steps,
            max_time=args.max_time,
            seed=args.seed,
            progress=False if args.no_progress else None,
            device=args.device,
            fast=args.fast,
        )
    except SrkitError as err:
        raise SrkitError(f"{src}: {err}") from None
    write_like(dst, result.image, picture, overwrite=args.overwrite)
    log, info = result.log, result.info
    ended = info["stages"][-1]["ended"]
    why = {"learning rate": "learning rate at its minimum", "steps": "most steps", "time": "time limit"}[ended]
    scales = " -> ".join("x" + "x".join(f"{v:g}" for v in dict.fromkeys(st["scale"])) for st in info["stages"])
    kernel_name = args.kernel if args.kernel in ("bicubic", "estimate") else Path(args.kernel).name
    print(
        f"{src} -> {dst} ({picture.width}x{picture.height} -> {result.image.shape[1]}x{result.image.shape[0]}): "
        f"{log.steps} steps ({scales}, kernel {kernel_name}) in {info['seconds']:.1f} s ({why})"
    )
    return 0
