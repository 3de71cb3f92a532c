"""A held-out set for choosing the degradation-learning configs: HR images that are neither training images nor
test pairs of the unknown-degradation set, degraded by the same pipeline, in the test pairs' layout (``OUT/gt``,
``OUT/lr_x4``), so that ``python benchmarks/unknown_domain.py --data OUT`` measures the runs on it.

The configs' choices (docs/unsupervised/degradation_learning.md) were compared on this set, not on the test pairs
(Set5 and Set14): the 20 City100 HR photographs 021-040 (the blind benchmark uses the first six) and the first frame
of Vid4 calendar and city. Each image is mod-cropped to the scale and degraded by
:func:`srkit.degradations.unknown.apply_unknown` with parameters drawn from
``torch.Generator().manual_seed(image_seed(seed, "heldout/NAME_xS"))``. The folder is written beside ``OUT`` and
moved into place at the end.

Run::

    python benchmarks/unknown_heldout.py -o ../unknown_heldout
    python benchmarks/unknown_domain.py --data ../unknown_heldout --two-step runs/two_step --cincgan runs/cincgan
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

import srkit
from srkit._core.fileio import atomic_dir
from srkit.degradations.classic import image_seed
from srkit.degradations.unknown import apply_unknown, sample_unknown

SHARED = Path("../shared/data")


def default_sources(shared: Path = SHARED) -> list[Path]:
    """City100 HR 021-040 (the last 20) and the first frames of Vid4 calendar and city, under ``shared``."""
    city = sorted((shared / "real" / "City100_iPhoneX_40").glob("*_HR.png"))[20:]
    vid4 = [shared / "video" / "Vid4" / clip / "Frame 001.png" for clip in ("calendar", "city")]
    return [*city, *vid4]


def name_of(path: Path) -> str:
    """``FOLDER_STEM`` with spaces as underscores (``city_Frame_001``)."""
    return f"{path.parent.name}_{path.stem}".replace(" ", "_")


def make_heldout(sources: Sequence[Path], output: Path, *, scale: int = 4, seed: int = 0) -> list[str]:
    """Write ``output/gt`` and ``output/lr_x{scale}`` from ``sources``; return the names written."""
    missing = [str(p) for p in sources if not p.is_file()]
    if missing:
        raise srkit.SrkitError(f"missing source images: {', '.join(missing[:3])}")
    names = []
    with atomic_dir(output) as tmp:
        (tmp / "gt").mkdir()
        (tmp / f"lr_x{scale}").mkdir()
        for path in sources:
            name = name_of(path)
            gt = srkit.modcrop(srkit.read_image(path), scale)
            draw = torch.Generator().manual_seed(image_seed(seed, f"heldout/{name}_x{scale}"))
            srkit.write_image(tmp / "gt" / f"{name}.png", gt)
            srkit.write_image(
                tmp / f"lr_x{scale}" / f"{name}.png", apply_unknown(gt, sample_unknown(draw, scale=scale))
            )
            names.append(name)
    return names


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-o", "--output", required=True, type=Path, help="the folder to write (must not exist)")
    p.add_argument("--shared", type=Path, default=SHARED, help="the team's data folder (../shared/data)")
    p.add_argument("--scale", type=int, default=4, choices=(2, 4))
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    try:
        if args.output.exists():
            raise srkit.SrkitError(f"{args.output} exists; remove it first")
        names = make_heldout(default_sources(args.shared), args.output, scale=args.scale, seed=args.seed)
    except srkit.SrkitError as err:
        print(f"unknown_heldout: {err}", file=sys.stderr)
        return 2
    print(f"wrote {len(names)} held-out pairs to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
