"""``srkit kernel IMG [--scale 2|4] [-o OUT.npy]``: estimate an image's downscaling kernel with KernelGAN."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import srkit
from srkit._core.fileio import check_output_path
from srkit.data.imagefile import read_picture
from srkit.data.kernelfile import write_kernel
from srkit.unsupervised import estimate_kernel
from srkit.unsupervised.kernelgan import PAPER_STEPS


def _scale(value: str) -> int:
    if value not in ("2", "4"):
        raise argparse.ArgumentTypeError(f"KernelGAN estimates x2 and x4 kernels, got {value!r}")
    return int(value)


def _positive(kind: type[int] | type[float], what: str) -> Any:
    def parse(value: str) -> int | float:
        try:
            number = kind(value)
        except ValueError:
            number = 0
        if not number > 0:
            raise argparse.ArgumentTypeError(f"{what} must be a number > 0, got {value!r}")
        return number

    return parse


def _seed(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"--seed takes an integer >= 0, got {value!r}")
    return int(value)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "kernel",
        help="estimate an image's downscaling (SR) kernel with KernelGAN; writes .npy and a picture",
        description="Estimate the kernel that downscaled IMG (KernelGAN, Bell-Kligler et al., NeurIPS 2019): an "
        "internal GAN learns, from IMG alone, the x2 kernel that keeps its patches recurring across scales; the x4 "
        "kernel is the x2 kernel composed with itself. Writes the kernel as .npy (float32, sums to 1) and a "
        "picture of it (.png, same name) beside it, both atomically. Use the .npy with srkit zssr/dpsr --kernel.",
    )
    p.add_argument("input", metavar="IMG", help="the low-resolution image (PNG, JPEG, WebP, TIFF, BMP; no alpha)")
    p.add_argument("--scale", type=_scale, default=2, metavar="2|4", help="the SR scale of the kernel (default 2)")
    p.add_argument("-o", "--output", help="the kernel file, .npy (default: beside IMG, as NAME_kernel_xS.npy)")
    p.add_argument(
        "--steps",
        type=_positive(int, "--steps"),
        default=PAPER_STEPS,
        help=f"training iterations (default the paper's {PAPER_STEPS})",
    )
    p.add_argument(
        "--max-time", type=_positive(float, "--max-time"), metavar="SECONDS", help="stop training after this long"
    )
    p.add_argument("--seed", type=_seed, default=0, help="seed of the run: equal seeds give equal kernels (default 0)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or mps (default cpu)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.set_defaults(run=run)


def _outputs(src: Path, output: str | None, scale: int, overwrite: bool) -> Path:
    """The .npy target, checked with its picture before any work: writable, not an input, not there already."""
    target = Path(output) if output is not None else src.with_name(f"{src.stem}_kernel_x{scale}.npy")
    if target.suffix.lower() != ".npy":
        raise srkit.SrkitError(f"the kernel is written as .npy (with a .png picture beside it), got {target.name}")
    for path in (target, target.with_suffix(".png")):
        if path.resolve() == src.resolve():
            raise srkit.SrkitError(f"the output {path} would replace the input; choose another -o")
        check_output_path(path, overwrite=overwrite)
    return target


def run(args: argparse.Namespace) -> int:
    src = Path(args.input)
    target = _outputs(src, args.output, args.scale, args.overwrite)
    picture = read_picture(src)
    result = estimate_kernel(
        picture.pixels,
        args.scale,
        steps=args.steps,
        max_time=args.max_time,
        seed=args.seed,
        progress=False if args.no_progress else None,
        device=args.device,
    )
    write_kernel(target, result.kernel, overwrite=args.overwrite)
    log = result.log
    why = {"time": " (stopped by --max-time)", "converged": " (converged)"}.get(log.stopped, "")
    side = result.kernel.shape[0]
    print(
        f"{src} -> {target} (+ {target.with_suffix('.png').name}): x{args.scale} kernel {side}x{side}, "
        f"{log.steps} step{'s' if log.steps != 1 else ''} in {log.seconds:.1f} s{why}"
    )
    return 0
