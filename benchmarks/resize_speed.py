"""Speed of srkit's MATLAB-exact ``imresize`` against OpenCV ``cv2.resize`` (INTER_CUBIC), on the CPU.

One run measures both, on the same image and the same thread count, so the ratios are comparable even on a
busy machine (absolute times are not: see docs/EVALUATION.md, "Speed and memory"). The work is a bicubic
downscale by 4 followed by an upscale by 4 of a square RGB image:

* srkit: ``imresize(x, 1/4)`` then ``imresize(y, 4)`` (Keys a = -0.5, antialiased when shrinking, as MATLAB),
  on a float32 torch tensor (3, H, W) and on a uint8 numpy array (H, W, 3) (rounded after each 1-D pass);
* OpenCV: ``cv2.resize(..., INTER_CUBIC)`` both ways (a = -0.75, no antialiasing: cheaper and not the same
  numbers), on float32 and uint8 (H, W, 3) arrays.

Usage::

    python benchmarks/resize_speed.py [--size 2048] [--repeats 10] [--threads 1] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from _timing import median_seconds  # benchmarks/_timing.py
from srkit.functional.resize import imresize

FACTOR = 4


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2048, help="height and width of the RGB test image")
    parser.add_argument("--repeats", type=int, default=10, help="timed down+up rounds per variant (median)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads for both torch and OpenCV (default 1: on a shared CPU, more threads than idle cores make "
        "torch's thread pool wait for busy cores, up to 100x slower on small tensors, and the ratio meaningless)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="also write the numbers here")
    args = parser.parse_args(argv)
    if args.size < FACTOR or args.size % FACTOR:
        parser.error(f"--size must be a positive multiple of {FACTOR}")
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    return args


def make_image(size: int) -> np.ndarray:
    """A seeded uint8 (size, size, 3) image with smooth structure, edges and noise."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    base = 128 + 60 * np.sin(xx / 37.0) * np.cos(yy / 23.0) + 40 * ((xx // 64 + yy // 64) % 2)
    planes = [base + 15 * c * np.cos((xx - yy) / (11.0 + c)) for c in range(3)]
    noisy = np.stack(planes, axis=-1) + rng.normal(0, 8, (size, size, 3)).astype(np.float32)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import cv2
    except ImportError:
        print("OpenCV (cv2) is not importable: install the 'bench' extra (opencv-python-headless)", file=sys.stderr)
        return 1

    threads = args.threads
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    size, small = args.size, args.size // FACTOR

    hwc_u8 = make_image(size)
    hwc_f32 = hwc_u8.astype(np.float32) / 255
    chw_f32 = torch.from_numpy(np.ascontiguousarray(np.moveaxis(hwc_f32, -1, 0)))

    def srkit_torch() -> torch.Tensor:
        return imresize(imresize(chw_f32, 1 / FACTOR), FACTOR)

    def srkit_numpy() -> np.ndarray:
        return imresize(imresize(hwc_u8, 1 / FACTOR), FACTOR)

    def opencv(image: np.ndarray) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            down = cv2.resize(image, (small, small), interpolation=cv2.INTER_CUBIC)
            return cv2.resize(down, (size, size), interpolation=cv2.INTER_CUBIC)

        return run

    assert srkit_torch().shape == (3, size, size) and srkit_numpy().shape == (size, size, 3)
    assert opencv(hwc_u8)().shape == (size, size, 3)

    print(f"image {size}x{size} RGB, down by {FACTOR} then up by {FACTOR}, median of {args.repeats}")
    print(
        f"threads: {threads} (torch.get_num_threads() = {torch.get_num_threads()}, cv2.getNumThreads() = "
        f"{cv2.getNumThreads()}); CPU: {platform.processor() or platform.machine()}"
    )
    print(f"torch {torch.__version__}, OpenCV {cv2.__version__}, numpy {np.__version__}\n")

    rows: list[dict[str, Any]] = []
    for dtype, srkit_fn, srkit_layout, cv_image in (
        ("float32", srkit_torch, "torch (3, H, W)", hwc_f32),
        ("uint8", srkit_numpy, "numpy (H, W, 3)", hwc_u8),
    ):
        srkit_ms = 1000 * median_seconds(srkit_fn, args.repeats)
        cv_ms = 1000 * median_seconds(opencv(cv_image), args.repeats)
        rows.append(
            {
                "dtype": dtype,
                "srkit_input": srkit_layout,
                "srkit_ms": srkit_ms,
                "opencv_ms": cv_ms,
                "ratio_srkit_over_opencv": srkit_ms / cv_ms,
            }
        )

    print("| dtype | srkit input | srkit imresize (ms) | OpenCV INTER_CUBIC (ms) | srkit / OpenCV |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['dtype']} | {r['srkit_input']} | {r['srkit_ms']:.1f} | {r['opencv_ms']:.1f} | "
            f"{r['ratio_srkit_over_opencv']:.2f} |"
        )
    print(
        "\nOpenCV's INTER_CUBIC (a = -0.75, no antialiasing) does less work and gives different numbers; "
        "it is the speed peer, not a reference for values."
    )

    if args.json is not None:
        report = {
            "benchmark": "resize_speed",
            "size": size,
            "factor": FACTOR,
            "repeats": args.repeats,
            "threads": threads,
            "torch": torch.__version__,
            "opencv": cv2.__version__,
            "numpy": np.__version__,
            "cpu": platform.processor() or platform.machine(),
            "results": rows,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
