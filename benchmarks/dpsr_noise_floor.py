"""DPSR's noise floor for converted kernels, chosen on training images (never on a benchmark).

DPSR's schedule assumes the image's noise level is at least 0.255 (0-255 scale; ``rho_i = sigma^2 / sigma_i^2 /
3``). With a classical kernel (DIV2KRK's, KernelGAN's), srkit converts it to DPSR's LR-size kernel by a least-squares
fit (:func:`srkit.unsupervised.lr_kernel`), and the fit's error enters the FFT data step like noise. This script
measures Y-PSNR (shave = scale) of :func:`srkit.unsupervised.dpsr` for several assumed noise floors on ``--images``
HR crops from srkit's *training* images (BSD200, every 50th file, top-left ``--crop`` pixels), each degraded with a
DIV2KRK kernel drawn from a fixed seed (``kernel_downscale``, uint8), at x2 and x4.

The table goes to stdout; ``--write-docs docs/unsupervised/dpsr.md`` replaces the block between
``<!-- dpsr-floor:start -->`` and ``<!-- dpsr-floor:end -->``.

Usage::

    python benchmarks/dpsr_noise_floor.py [--prior srkit_prior] [--floors 0.255 1 2.55 5] [--images 4]
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

from srkit import psnr, read_image
from srkit._core.fileio import atomic_write_text
from srkit.degradations import div2krk_kernel, kernel_downscale, sample_div2krk_kernel
from srkit.unsupervised import dpsr

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SRKIT_SHARED_DATA") or ROOT.parent / "shared" / "data")
START, END = "<!-- dpsr-floor:start -->", "<!-- dpsr-floor:end -->"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--prior", default="srkit_prior", help="shipped name, weights file or training run")
    p.add_argument("--floors", type=float, nargs="+", default=[0.255, 1.0, 2.55, 5.0])
    p.add_argument("--images", type=int, default=4)
    p.add_argument("--crop", type=int, default=240)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--write-docs", metavar="MD")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    files = sorted((DATA / "train" / "BSD200").glob("*.png"))[::50][: args.images]
    if not files:
        raise SystemExit(f"no training images under {DATA / 'train' / 'BSD200'}")
    scores: dict[tuple[int, float], list[float]] = {}
    start = time.perf_counter()
    for i, path in enumerate(files):
        hr = read_image(path)[: args.crop, : args.crop]
        for scale in (2, 4):
            gen = torch.Generator().manual_seed(100 + 7 * i + scale)
            kernel = div2krk_kernel(sample_div2krk_kernel(gen, scale=scale))
            lr = kernel_downscale(hr, kernel, scale)
            for floor in args.floors:
                out = dpsr(lr, scale, kernel=kernel, noise_floor=floor, prior=args.prior, progress=False)
                scores.setdefault((scale, floor), []).append(psnr(out.image, hr, crop_border=scale))
            print(path.name, f"x{scale}", [f"{scores[(scale, f)][-1]:.2f}" for f in args.floors], flush=True)
    head = "| assumed noise floor (0-255) | " + " | ".join(f"{f:g}" for f in args.floors) + " |"
    lines = [head, "|---" * (1 + len(args.floors)) + "|"]
    for scale in (2, 4):
        cells = [f"{np.mean(scores[(scale, f)]):.2f}" for f in args.floors]
        lines.append(f"| x{scale} Y-PSNR, mean of {len(files)} | " + " | ".join(cells) + " |")
    cmd = " ".join(shlex.quote(a) for a in ["python", "benchmarks/" + Path(sys.argv[0]).name, *sys.argv[1:]])
    block = "\n".join(lines) + (
        f"\n\nProduced by `{cmd}` ({len(files)} BSD200 training images, {args.crop}x{args.crop} crops, a DIV2KRK "
        f"kernel each, prior {args.prior}; {time.perf_counter() - start:.0f} s)."
    )
    print(block)
    if args.write_docs:
        path = Path(args.write_docs)
        text = path.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise SystemExit(f"{path} has no {START} ... {END} block")
        before, rest = text.split(START, 1)
        atomic_write_text(path, f"{before}{START}\n{block}\n{END}{rest.split(END, 1)[1]}")


if __name__ == "__main__":
    main()
