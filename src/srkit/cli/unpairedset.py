"""``srkit unpairedset TRAIN_DIR... -o OUT [--test TEST_DIR...] [--scale 2 4] [--seed N]``: an unpaired training set
under srkit's "unknown" degradation, with paired test pairs (for the two-step GAN and CinCGAN recipes)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from srkit.cli._sets import add_set_options
from srkit.data.paths import resolve_data_path
from srkit.data.unpairedset import PROTOCOL_FILE, make_unpaired_set

D = "../shared/data"
EXAMPLES = f"""examples:
  srkit unpairedset {D}/train/T91 {D}/train/BSD200 {D}/train/General100_half \\
      --test {D}/bench/Set14 {D}/bench/Set5 -o ../unknown_domain          the set the configs/unsupervised recipes read
  srkit train configs/unsupervised/two_step.yaml          train on it (data.train: OUT/hr, data.unpaired_lr: OUT/lr_x4)
  srkit bench --model srkit --data ../unknown_domain/test --scale 4      evaluate on its test pairs
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "unpairedset",
        help="make an unpaired training set under an unknown degradation, with paired test pairs",
        description="Split the training images (per folder, by a seeded hash of their names) into two disjoint "
        "halves: OUT/hr keeps one half as the HR side; the other half is degraded by srkit's fixed 'unknown' "
        "pipeline (anisotropic Gaussian blur, MATLAB bicubic downscaling, Gaussian noise sigma 10-15, JPEG quality "
        "60-80; parameters drawn per image) into OUT/lr_x2 and OUT/lr_x4, the real-LR side, whose HR is not "
        "written. The --test folders (none of them a training folder) become paired test pairs under the same "
        "pipeline: OUT/test/gt and OUT/test/lr_xS, which 'srkit bench --data OUT/test' reads. OUT/protocol.json "
        "records the split and every image's parameters; the same folders and seed give the same files. The set is "
        "built beside OUT and moved into place at the end; keep it outside the repository.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sources", nargs="+", metavar="TRAIN_DIR", help="folders of HR training images")
    p.add_argument("--test", nargs="+", default=[], metavar="TEST_DIR", help="folders of HR test images")
    add_set_options(p, what="an unpaired set")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    train = [resolve_data_path(s, key="TRAIN_DIR").path for s in args.sources]  # ../shared/data: $SRKIT_SHARED_DATA
    test = [resolve_data_path(s, key="--test").path for s in args.test]
    out = make_unpaired_set(
        train,
        args.output,
        test=test,
        scales=args.scale,
        seed=args.seed,
        overwrite=args.overwrite,
        progress=False if args.no_progress else None,
    )
    protocol = json.loads((out / PROTOCOL_FILE).read_text(encoding="utf-8"))
    scales = " ".join(f"x{s}" for s in protocol["scales"])
    tests = f", {len(protocol['test_images'])} test pairs (test/)" if protocol["test_images"] else ""
    print(
        f"wrote {out}: {len(protocol['hr_side'])} HR images (hr/), {len(protocol['lr_side'])} real LR images "
        f"(lr_xS/) at {scales}{tests}"
    )
    return 0
