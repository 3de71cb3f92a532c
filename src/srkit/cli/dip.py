"""``srkit dip IMG --scale 4 [-o OUT] [--steps N] [--max-time S] [--seed N] [--early-stop]``: super-resolve one
image with Deep Image Prior (an untrained network fitted to the image; no training data, but slow)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from srkit._core.errors import SrkitError
from srkit.cli._per_image import add_run_options, image_target, write_like
from srkit.data.imagefile import read_picture
from srkit.unsupervised import dip
from srkit.unsupervised.dip import PAPER_STEPS, SCALES


def add_parser(sub: Any) -> None:
    steps = ", ".join(f"{n} at x{s}" for s, n in PAPER_STEPS.items())
    p = sub.add_parser(
        "dip",
        help="super-resolve one image with Deep Image Prior (no training data; minutes to hours on a CPU)",
        description="Deep Image Prior (Ulyanov et al., CVPR 2018): an untrained hourglass network, fed fixed noise, "
        "is fitted so that its output, downscaled with a Lanczos kernel, matches the image; the result is the "
        "network's output. The paper's settings throughout. The network runs at the output size: each step takes "
        "seconds on a CPU (see docs/unsupervised/dip.md). Gray images stay gray; 16-bit stays 16-bit; alpha is "
        "refused. The output is written atomically.",
    )
    p.add_argument("input", metavar="IMG", help="the low-resolution image")
    p.add_argument("--scale", type=int, choices=SCALES, default=4, help="2, 4 or 8 (default 4)")
    p.add_argument("-o", "--output", help="output file (default: beside the input, as NAME_dip_xS.EXT)")
    p.add_argument(
        "--early-stop",
        action="store_true",
        help="stop when the outputs' moving variance stops falling (ES-EMV, Wang et al.; no ground truth) and "
        "keep the output at its minimum; default: the paper's fixed step count",
    )
    add_run_options(p, steps_help=f"optimisation steps (default: the paper's, {steps})")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    src = Path(args.input)
    picture = read_picture(src)
    dst = image_target(src, args.output, f"dip_x{args.scale}", picture, overwrite=args.overwrite)
    try:
        result = dip(
            picture.pixels,
            args.scale,
            steps=args.steps,
            max_time=args.max_time,
            seed=args.seed,
            progress=False if args.no_progress else None,
            device=args.device,
            early_stop=args.early_stop,
        )
    except SrkitError as err:
        raise SrkitError(f"{src}: {err}") from None
    write_like(dst, result.image, picture, overwrite=args.overwrite)
    log, info = result.log, result.info
    why = {"steps": "all steps", "time": "time limit", "converged": "early stop"}[log.stopped]
    picked = info.get("early_stop", {}).get("picked_step")
    kept = f", output of step {picked}" if picked else ""
    h, w = result.image.shape[:2]
    print(
        f"{src} -> {dst} ({picture.width}x{picture.height} -> {w}x{h}): {log.steps} steps in {log.seconds:.1f} s "
        f"({why}{kept}); fits the input to {info['fit_psnr']:.2f} dB"
    )
    return 0
