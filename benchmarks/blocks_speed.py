"""Forward + backward time of every registered block and upsampler on the CPU.

Each block is built with its paper defaults at ``n_feats=64`` (settings in the table) and run on a batch of 16
images of 64x64 (as the components issue asks), forward then backward of the mean output, median of
``--repeats`` rounds after one warm-up. The numbers are for spotting regressions between runs on one machine.

Run: python benchmarks/blocks_speed.py [--repeats 3] [--batch 16] [--size 64] [--json FILE] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import platform
from typing import Any

import torch

from _timing import median_seconds  # benchmarks/_timing.py
from srkit.blocks import BLOCKS, UPSAMPLERS, build_block, build_upsampler

N_FEATS = 64
# Blocks whose inputs differ from (B, 64, H, W), or whose call needs an extra argument.
IMAGE_INPUT = {"wavelet_sr": 3}
SETTINGS: dict[str, dict[str, Any]] = {
    "wavelet_sr": {"in_channels": 3},
    "laplacian_step": {"in_channels": 3},
    # SRFBN/DBPN units work at HR size inside: x2 keeps this benchmark to minutes (x4 is 4x the work)
    "feedback": {"scale": 2},
    "feedback_loop": {"scale": 2, "n_steps": 2},
    "up_projection": {"scale": 2},
    "down_projection": {"scale": 2},
    "scale_specific": {"scales": (2, 3, 4)},
}


def _block_step(name: str, batch: int, size: int) -> tuple[torch.nn.Module, Any]:
    m = build_block({"block": name, **SETTINGS.get(name, {})}, n_feats=N_FEATS)
    channels = IMAGE_INPUT.get(name, N_FEATS)
    x = torch.rand(batch, channels, size, size)
    image = torch.rand(batch, 3, size, size)

    def step() -> None:
        m.zero_grad(set_to_none=True)
        if name == "laplacian_step":
            out = m(x, image)
        elif name == "scale_specific":
            out = m(x, 2)
        else:
            out = m(x)
        outs = out if isinstance(out, list | tuple) else [out]
        sum(o.mean() for o in outs).backward()

    return m, step


def _upsampler_step(kind: str, batch: int, size: int) -> tuple[torch.nn.Module, Any]:
    m = build_upsampler({"type": kind, "scale": 4}, in_channels=N_FEATS, out_channels=3)
    x = torch.rand(batch, N_FEATS, size, size)

    def step() -> None:
        m.zero_grad(set_to_none=True)
        m(x).mean().backward()

    return m, step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--only", nargs="+", help="only these block/upsampler names")
    parser.add_argument("--json", help="also write the numbers here")
    args = parser.parse_args()
    rows = []
    jobs = [("block", n) for n in BLOCKS.names()] + [("upsampler x4", n) for n in UPSAMPLERS.names()]
    for kind, name in jobs:
        if args.only and name not in args.only:
            continue
        build = _block_step if kind == "block" else _upsampler_step
        m, step = build(name, args.batch, args.size)
        params = sum(p.numel() for p in m.parameters())
        seconds = median_seconds(step, args.repeats)
        rows.append(
            {"kind": kind, "name": name, "params": params, "ms": seconds * 1e3, "settings": getattr(m, "hparams", {})}
        )
        print(f"{kind:13s} {name:20s} {params:>10,d} params {seconds * 1e3:9.1f} ms", flush=True)
    print(
        f"\nCPU {platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
        f"batch {args.batch} x {N_FEATS} x {args.size} x {args.size}, forward + backward, median of {args.repeats}"
    )
    print("\n| kind | name | parameters | fwd+bwd (ms) |\n|---|---|---:|---:|")
    for r in rows:
        print(f"| {r['kind']} | `{r['name']}` | {r['params']:,} | {r['ms']:.0f} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"batch": args.batch, "size": args.size, "rows": rows}, f, indent=2, default=str)


if __name__ == "__main__":
    main()
