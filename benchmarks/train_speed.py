"""Training throughput of EDSR-baseline (64 features, 16 residual blocks) on the CPU, with and without bf16
autocast, channels_last and torch.compile, in the same run: samples per second and seconds per 1000 steps.

Run: python benchmarks/train_speed.py [--scale 2] [--batch 16] [--patch 48] [--steps 3] [--variants ...]
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

import torch
import torch.nn.functional as F

import srkit
from _timing import median_seconds  # benchmarks/_timing.py

VARIANTS = ("fp32", "bf16", "channels_last", "bf16+channels_last", "compile")


def measure(variant: str, scale: int, batch: int, patch: int, steps: int) -> float:
    torch.manual_seed(0)
    model = srkit.build_model("edsr_baseline", scale=scale)
    lr = torch.rand(batch, 3, patch, patch)
    hr = torch.rand(batch, 3, patch * scale, patch * scale)
    if "channels_last" in variant:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        lr = lr.contiguous(memory_format=torch.channels_last)
    runner: Any = torch.compile(model) if variant == "compile" else model
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    amp = torch.autocast("cpu", dtype=torch.bfloat16) if "bf16" in variant else contextlib.nullcontext()

    def step() -> None:
        with amp:
            loss = F.l1_loss(runner(lr).float(), hr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return median_seconds(step, steps)  # after a warm-up step (and compilation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=48, help="LR patch size")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per variant (median)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    args = parser.parse_args()
    print(
        f"EDSR-baseline x{args.scale}, batch {args.batch} of {args.patch}x{args.patch} LR patches, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {args.steps} steps\n"
    )
    print("| variant | s/step | samples/s | s per 1000 steps |\n|---|---:|---:|---:|")
    for v in args.variants:
        try:
            s = measure(v, args.scale, args.batch, args.patch, args.steps)
        except Exception as err:
            print(f"| {v} | failed: {str(err).splitlines()[0][:80]} | | |")
            continue
        print(f"| {v} | {s:.3f} | {args.batch / s:.1f} | {1000 * s:.0f} |", flush=True)


if __name__ == "__main__":
    main()
