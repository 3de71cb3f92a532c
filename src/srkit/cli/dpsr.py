"""``srkit dpsr IMG --scale 4 --kernel FILE|estimate [--noise SIGMA]``: super-resolve an image blurred by a known
(or estimated) kernel with DPSR (half-quadratic splitting with srkit's learned prior)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from srkit._core.errors import SrkitError
from srkit.cli._per_image import add_run_options, count, image_target, kernel_option, write_like
from srkit.data.imagefile import read_picture
from srkit.unsupervised.dpsr import DEFAULT_PRIOR, ITERATIONS, dpsr


def _scale(value: str) -> int:
    if value not in ("2", "3", "4"):
        raise argparse.ArgumentTypeError(f"srkit's DPSR prior serves x2, x3 and x4, not {value!r}")
    return int(value)


def _noise(value: str) -> float:
    try:
        sigma = float(value)
    except ValueError:
        sigma = math.nan
    if not 0 <= sigma <= 255:
        raise argparse.ArgumentTypeError(f"--noise is a standard deviation on the 0-255 scale, not {value!r}")
    return sigma


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "dpsr",
        help="super-resolve an image blurred by a known or estimated kernel (DPSR, plug-and-play; seconds)",
        description="Deep Plug-and-Play SR (Zhang, Zuo, Zhang, CVPR 2019): 15 half-quadratic-splitting iterations "
        "alternate an FFT deblurring step at the LR size with srkit's learned super-resolver prior (srkit_prior, "
        "told the noise level). The kernel is the classical one, y = (x * k) subsampled (DIV2KRK's, KernelGAN's: "
        "srkit converts it); --lr-kernel takes DPSR's own LR-size kernel instead. Gray images stay gray, 16-bit "
        "stays 16-bit, alpha is refused; the output is written atomically.",
    )
    p.add_argument("input", metavar="IMG", help="the blurry low-resolution image")
    p.add_argument("--scale", type=_scale, default=4, help="2, 3 or 4 (default 4)")
    p.add_argument(
        "--kernel",
        required=True,
        metavar="FILE|estimate",
        help="the blur kernel: a file (.npy, .mat, .png; a 2-D non-negative array, normalised) or 'estimate' "
        "(KernelGAN on the image; x2 and x4)",
    )
    p.add_argument("--lr-kernel", action="store_true", help="the kernel file is DPSR's LR-size kernel")
    p.add_argument("--noise", type=_noise, default=0.0, help="the image's noise level, 0-255 scale (default 0)")
    p.add_argument("--iterations", type=count, default=ITERATIONS, help=f"HQS iterations (default {ITERATIONS})")
    p.add_argument(
        "--prior",
        default=DEFAULT_PRIOR,
        help=f"the prior: shipped name, weights file or training run ({DEFAULT_PRIOR})",
    )
    p.add_argument("-o", "--output", help="output file (default: beside the input, as NAME_dpsr_xS.EXT)")
    add_run_options(p, steps_help=None)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    src = Path(args.input)
    kernel = kernel_option(args.kernel, ("estimate",))
    if args.lr_kernel and kernel == "estimate":
        raise SrkitError("--lr-kernel describes a kernel file; KernelGAN's estimate is a classical kernel")
    picture = read_picture(src)
    dst = image_target(src, args.output, f"dpsr_x{args.scale}", picture, overwrite=args.overwrite)
    try:
        result = dpsr(
            picture.pixels,
            args.scale,
            kernel=kernel,
            domain="lr" if args.lr_kernel else "hr",
            noise=args.noise,
            iterations=args.iterations,
            prior=args.prior,
            max_time=args.max_time,
            seed=args.seed,
            progress=False if args.no_progress else None,
            device=args.device,
            name=str(src),
        )
    except SrkitError as err:
        raise SrkitError(f"{src}: {err}") from None
    write_like(dst, result.image, picture, overwrite=args.overwrite)
    h, w = result.image.shape[:2]
    print(
        f"{src} -> {dst} ({picture.width}x{picture.height} -> {w}x{h}): {result.log.steps} iterations in "
        f"{result.log.seconds:.1f} s, final misfit {result.log.losses[-1]:.4f}"
    )
    return 0
