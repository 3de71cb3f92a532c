"""``srkit dip IMG --scale 4 [-o OUT] [--steps N] [--max-time S] [--seed N] [--early-stop]``: super-resolve one
image with Deep Image Prior (an untrained network fitted to the image; no training data, but slow)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from srkit._core.errors import SrkitError
from srkit._core.fileio import check_output_path
from srkit.data.imagefile import output_format, read_picture, write_picture
from srkit.unsupervised import dip
from srkit.unsupervised.dip import PAPER_STEPS, SCALES

_WRITABLE = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


def _count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, not {value!r}")
    return int(value)


def _seed(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, not {value!r}")
    return int(value)


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, not {value!r}")
    return seconds


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
    p.add_argument("--steps", type=_count, help=f"optimisation steps (default: the paper's, {steps})")
    p.add_argument("--max-time", type=_seconds, metavar="SECONDS", help="stop after this many seconds")
    p.add_argument("--seed", type=_seed, default=0, help="seed of the weights and noise (default 0)")
    p.add_argument(
        "--early-stop",
        action="store_true",
        help="stop when the outputs' moving variance stops falling (ES-EMV, Wang et al.; no ground truth) and "
        "keep the output at its minimum; default: the paper's fixed step count",
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda or mps (default cpu)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=run)


def _target(src: Path, output: str | None, scale: int, overwrite: bool) -> Path:
    """The output path, checked before the long work: a known format, not the input, writable."""
    suffix = src.suffix if src.suffix.lower() in _WRITABLE else ".png"
    dst = Path(output) if output else src.with_name(f"{src.stem}_dip_x{scale}{suffix}")
    output_format(dst)
    if dst.resolve() == src.resolve():
        raise SrkitError(f"the output {dst} would replace the input; choose another -o")
    return check_output_path(dst, overwrite=overwrite)


def run(args: argparse.Namespace) -> int:
    src = Path(args.input)
    picture = read_picture(src)
    dst = _target(src, args.output, args.scale, args.overwrite)
    if picture.pixels.dtype.kind == "f" and output_format(dst) != "TIFF":
        raise SrkitError(f"{src} has float pixels, which only TIFF keeps: choose a .tif output with -o")
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
    write_picture(dst, result.image, like=picture, overwrite=args.overwrite)
    log, info = result.log, result.info
    why = {"steps": "all steps", "time": "time limit", "converged": "early stop"}[log.stopped]
    picked = info.get("early_stop", {}).get("picked_step")
    kept = f", output of step {picked}" if picked else ""
    print(
        f"{src} -> {dst} ({picture.width}x{picture.height} -> {result.image.shape[1]}x{result.image.shape[0]}): "
        f"{log.steps} steps in {log.seconds:.1f} s ({why}{kept}); fits the input to {info['fit_psnr']:.2f} dB"
    )
    return 0
