"""``srkit blindset HR_DIR... -o OUT [--scale 2 4] [--seed N]``: make a blind benchmark (the DIV2KRK protocol)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from srkit.cli._sets import add_set_options
from srkit.data.blindset import PROTOCOL_FILE, make_blindset
from srkit.data.paths import resolve_data_path

EXAMPLES = """examples:
  srkit blindset ../shared/data/bench/Set14 -o blind_set14                      x2 and x4, seed 0
  srkit blindset Set14 BSD200 -o blind --scale 2 --seed 1     two folders: images named Set14_NAME, BSD200_NAME
  srkit bench --data blind_set14 --scale 2 4 --per-image                     evaluate on it (kernels passed)
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "blindset",
        help="make a blind benchmark from HR folders (DIV2KRK: random anisotropic Gaussian kernels, x2 and x4)",
        description="Make a blind-SR benchmark by the DIV2KRK protocol of KernelGAN (Bell-Kligler et al., NeurIPS "
        "2019): per image and scale a random 11x11 anisotropic Gaussian kernel (covariance eigenvalues U(0.6, 5), "
        "rotation U(-pi, pi), 25%% multiplicative noise; x4: its analytic 31x31 kernel), blur, keep every s-th "
        "pixel. Writes OUT/gt (HR, mod-cropped), OUT/lr_xS, OUT/gt_k_xS (kernel .npy + picture .png) and "
        "OUT/protocol.json; the same folders and seed give the same files. The set is built beside OUT and moved "
        "into place at the end.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sources", nargs="+", metavar="HR_DIR", help="folders of HR images")
    add_set_options(p, what="a blind set", scale_note=", as DIV2KRK")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    sources = [resolve_data_path(s, key="HR_DIR").path for s in args.sources]  # ../shared/data/...: $SRKIT_SHARED_DATA
    out = make_blindset(
        sources,
        args.output,
        scales=args.scale,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=False if args.no_progress else None,
    )
    protocol = json.loads((out / PROTOCOL_FILE).read_text(encoding="utf-8"))
    scales = protocol["scales"]
    folders = ", ".join(["gt/", *(f"lr_x{s}/" for s in scales), *(f"gt_k_x{s}/" for s in scales), PROTOCOL_FILE])
    print(f"wrote {out}: {len(protocol['images'])} images, {' '.join(f'x{s}' for s in scales)} ({folders})")
    return 0
