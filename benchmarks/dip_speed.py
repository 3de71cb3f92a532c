"""Deep Image Prior on the CPU: seconds per optimisation step at given HR sizes, and a short sanity run.

DIP's network runs at the HR size, so one step costs what a forward and a backward pass of a 2.2M-parameter
hourglass cost at that size (460 GFLOP at 512x512). ``--sizes`` times ``--steps`` steps (after one warm-up step) of
exactly what :func:`srkit.unsupervised.dip` does per step, with the paper's network, at each square HR size, in
the default layout and, with ``--channels-last``, in channels-last; it prints wall and process CPU seconds per step
(CPU seconds are steadier on a shared machine) and projects the paper's x4 schedule (2000 steps) on Set5.

``--sanity N`` instead crops the centre ``--crop`` pixels of an HR image, makes its LR with MATLAB bicubic, runs
``dip`` for N steps at x4 and prints Y-PSNR (shave 4) of DIP and of bicubic upscaling against the HR crop.

Usage::

    python benchmarks/dip_speed.py --sizes 256 512 --steps 2 [--channels-last] [--threads 2]
    python benchmarks/dip_speed.py --sanity 200 --image ../shared/data/bench/Set5/butterfly.png --crop 64
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from srkit import imresize, psnr, read_image
from srkit.unsupervised import dip
from srkit.unsupervised.dip import PAPER_STEPS, SkipNet, lanczos2_downsample

SET5_HR = {"baby": (512, 512), "bird": (288, 288), "butterfly": (256, 256), "head": (280, 280), "woman": (344, 228)}


def time_steps(size: int, steps: int, channels_last: bool) -> tuple[float, float]:
    """Median wall and CPU seconds of one DIP x4 step at ``size`` x ``size`` HR (after a warm-up step)."""
    torch.manual_seed(0)
    net = SkipNet().train()
    z = torch.rand(1, 32, size, size) * 0.1
    target = torch.rand(1, 3, size // 4, size // 4)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        z = z.contiguous(memory_format=torch.channels_last)
    optimiser = torch.optim.Adam(net.parameters(), lr=0.01)
    walls, cpus = [], []
    for _ in range(steps + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        optimiser.zero_grad(set_to_none=True)
        loss = F.mse_loss(lanczos2_downsample(net(z + torch.randn_like(z) / 30), 4), target)
        loss.backward()
        optimiser.step()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return sorted(walls[1:])[steps // 2], sorted(cpus[1:])[steps // 2]


def sanity(path: Path, crop: int, steps: int) -> None:
    hr = read_image(path, gray_to_rgb=True)
    top, left = (hr.shape[0] - crop) // 2, (hr.shape[1] - crop) // 2
    hr = hr[top : top + crop, left : left + crop]
    lr = imresize(hr, 1 / 4)
    start = time.perf_counter()
    out = dip(lr, 4, steps=steps, progress=False)
    seconds = time.perf_counter() - start
    bicubic = imresize(lr, 4)
    print(
        f"{path.name} centre {crop}x{crop}, x4, {steps} steps in {seconds:.0f} s: "
        f"DIP {psnr(out.image, hr, crop_border=4):.2f} dB, bicubic {psnr(bicubic, hr, crop_border=4):.2f} dB "
        f"(Y, shave 4); DIP fits the LR to {out.info['fit_psnr']:.1f} dB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="square HR sizes to time")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per size (median), after one warm-up")
    parser.add_argument("--channels-last", action="store_true", help="also time the channels-last layout")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--sanity", type=int, metavar="N", help="run DIP x4 for N steps on a crop instead")
    parser.add_argument("--image", type=Path, default=Path("../shared/data/bench/Set5/butterfly.png"))
    parser.add_argument("--crop", type=int, default=64, help="side of the centre crop for --sanity")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.sanity:
        sanity(args.image, args.crop, args.sanity)
        return
    per_pixel = 0.0
    for size in args.sizes:
        for layout in (False, True) if args.channels_last else (False,):
            wall, cpu = time_steps(size, args.steps, layout)
            name = "channels_last" if layout else "contiguous"
            print(f"{size}x{size} {name}: {wall:.2f} s/step wall, {cpu:.2f} s/step CPU (load {os.getloadavg()[0]:.1f})")
            if not layout:
                per_pixel = wall / size**2
    pixels = sum(h * w for h, w in SET5_HR.values())
    hours = per_pixel * pixels * PAPER_STEPS[4] / 3600
    print(f"Set5 x4 at the paper's {PAPER_STEPS[4]} steps, from the last size's wall time per pixel: {hours:.1f} h")
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GiB")


if __name__ == "__main__":
    main()
