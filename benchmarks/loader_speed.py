"""Samples per second delivered by srkit's training loader (``TrainPatches`` + ``make_loader``) on T91.

For each scale (x2, x4) and each number of DataLoader workers (0, 1, 2), batches of 16 LR patches of 48x48 are made
from the HR images of ``../shared/data/train/T91`` (decoded once into the in-memory cache, then cropped, flipped,
transposed and degraded with MATLAB bicubic on the fly), and the loader is timed over ``--batches`` batches after
two warm-up batches (worker start-up is not counted). The result is a Markdown table.

Usage::

    python benchmarks/loader_speed.py [--data ../shared/data/train/T91] [--batches 50] [--workers 0 1 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import torch

from srkit.data.train import TrainPatches, loader_throughput

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "train" / "T91"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of HR training images")
    parser.add_argument("--batches", type=int, default=50, help="timed batches per measurement")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2], help="worker counts to measure")
    parser.add_argument("--scales", type=int, nargs="+", default=[2, 4], help="scales to measure")
    parser.add_argument("--patch", type=int, default=48, help="LR patch size")
    parser.add_argument("--batch-size", type=int, default=16, help="samples per batch")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.data.is_dir():
        print(f"skipped: training folder {args.data} not found (pass --data)")
        return 0
    rows = []
    for scale in args.scales:
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = TrainPatches(
                hr_folders=[args.data], scales=(scale,), patch_size=args.patch, batch_size=args.batch_size, seed=0
            )
        build = time.perf_counter() - t0
        used = len(ds.images_at(scale))
        for w in caught:
            print(f"note: {w.message}", file=sys.stderr)
        for workers in args.workers:
            rate = loader_throughput(ds, batches=args.batches, workers=workers)
            rows.append((scale, workers, used, len(ds.images), rate, build))
    print(
        f"Loader throughput on {args.data.name} ({platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads in the main process; "
        f"batch {args.batch_size}, LR patch {args.patch}x{args.patch}, BI, augmentation on, memory cache)\n"
    )
    print("| scale | HR patch | images used | workers | samples/s | ms per batch |")
    print("|---|---|---|---|---|---|")
    for scale, workers, used, total, rate, _ in rows:
        hr = scale * args.patch
        ms = 1000 * args.batch_size / rate
        print(f"| x{scale} | {hr}x{hr} | {used}/{total} | {workers} | {rate:.0f} | {ms:.1f} |")
    builds = ", ".join(f"x{s}: {b:.2f} s" for s, _, _, _, _, b in rows[:: len(args.workers)])
    print(f"\nCache build (decoding every image once): {builds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
