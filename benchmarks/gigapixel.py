"""Peak memory of a gigapixel upscale: ``srkit upscale`` of an 8192 x 8192 image at x4 (a 32768 x 32768 output,
1.07 gigapixels) streamed into a TIFF or PNG, measured as the peak resident set size of the process.

The input is made deterministically from a real photo (Set14's ``baboon`` if the shared data is there, else the
bundled example) by tiling it, so the model sees natural content. The upscale runs in a child process
(``python -m srkit upscale ...``); its peak RSS is ``getrusage(RUSAGE_CHILDREN).ru_maxrss``.

Run: python benchmarks/gigapixel.py [--size 8192] [--scale 4] [--model srkit] [--format tif] [--keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

import srkit

DATA = Path(os.environ.get("SRKIT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def make_input(path: Path, size: int) -> None:
    """A ``size`` x ``size`` RGB PNG tiled from a real photo (mirrored so the tiles join without edges)."""
    photo = DATA / "bench" / "Set14" / "baboon.png"
    source = photo if photo.exists() else sorted(srkit.example_folder().glob("*.png"))[0]
    tile = np.asarray(Image.open(source).convert("RGB"))
    tile = np.concatenate([tile, tile[:, ::-1]], axis=1)
    tile = np.concatenate([tile, tile[::-1]], axis=0)
    reps = (-(-size // tile.shape[0]), -(-size // tile.shape[1]), 1)
    Image.fromarray(np.tile(tile, reps)[:size, :size]).save(path, compress_level=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--model", default="srkit")
    parser.add_argument("--format", choices=("tif", "png"), default="tif")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--keep", action="store_true", help="keep the input and output files")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="srkit_gigapixel_"))
    src, dst = folder / "input.png", folder / f"output.{args.format}"
    make_input(src, args.size)
    cmd = [sys.executable, "-m", "srkit", "upscale", str(src), "-o", str(dst), "--scale", str(args.scale)]
    cmd += ["--model", args.model, "--precision", args.precision, "--no-progress"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 2**30  # Linux: KiB
    side = args.size * args.scale
    Image.MAX_IMAGE_PIXELS = None  # only the header is read, to check the size
    with Image.open(dst) as out:
        ok = out.size == (side, side)
    print(
        f"{args.size}x{args.size} x{args.scale} -> {side}x{side} ({side * side / 1e9:.2f} gigapixels) "
        f"{args.format.upper()} with {args.model} ({args.precision}): peak RSS {peak_gib:.2f} GiB, {seconds:.0f} s, "
        f"output {dst.stat().st_size / 2**30:.2f} GiB, size {'ok' if ok else 'WRONG'}"
    )
    if not args.keep:
        src.unlink()
        dst.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
