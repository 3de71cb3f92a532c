"""The real-photo table of issue 12: bicubic, srkit's default model and the real-photo models on clean and on
fixed synthetic real-world test sets, NIQE on real photos without ground truth, and x4 throughput.

Columns (all x4, PSNR / SSIM on Y with 4 pixels shaved, fp32 through srkit's one image path, what ``srkit bench``
prints):

* ``Set5`` and ``Set14`` with MATLAB-bicubic LR (the clean benchmark);
* ``Set5 BSRGAN``, ``Set14 BSRGAN`` and ``Set14 Real-ESRGAN``: the same sets with LR made by the BSRGAN or
  Real-ESRGAN pipeline, parameters drawn per image from seed 0 and the image name (``srkit bench --degradation
  bsrgan --seed 0``): fixed synthetic real-world test sets;
* ``NIQE``: mean NIQE (srkit's pristine model; lower is more natural) of the x4 outputs of real photos without
  ground truth (``--photos``; default: CameraSR's City100 iPhone X short-focal shots 031-040, which no srkit model
  trained on), as ``srkit bench --no-reference`` prints it;
* ``Mpx/s``: x4 output megapixels per second at the default precision (``--precision auto``, what ``srkit
  upscale`` runs) on Set14 ``lenna`` resized to 256x256, median of 5 after a warm-up, every model in this run.

``--write-docs MD`` replaces the block between ``<!-- real-table:start -->`` and ``<!-- real-table:end -->``.

Run: python benchmarks/real_table.py [--models srkit srkit_real srkit_real_gan] [--write-docs docs/real_photos.md]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

import srkit
from _docs import add_output_options, cpu_model, replace_block
from _timing import median_seconds
from srkit.data.paths import resolve_data_path
from srkit.evaluation.noref import evaluate_no_reference

START, END = "<!-- real-table:start -->", "<!-- real-table:end -->"
COLUMNS = [("Set5", "BI"), ("Set14", "BI"), ("Set5", "BSRGAN"), ("Set14", "BSRGAN"), ("Set14", "REAL_ESRGAN")]
LABELS = {"BI": "", "BSRGAN": " BSRGAN", "REAL_ESRGAN": " Real-ESRGAN"}


def _photos(root: Path, patterns: list[str], folder: Path) -> Path:
    """A folder of links to the photos ``patterns`` pick in ``root`` (``srkit bench --no-reference`` takes
    folders)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted({p for pattern in patterns for p in root.glob(pattern)}):
        (folder / path.name).symlink_to(path.resolve())
    if not any(folder.iterdir()):
        raise SystemExit(f"no photos match {' '.join(patterns)} in {root}")
    return folder


def measure(name: str, data: Path, photos: Path, image: Any, repeats: int) -> dict[str, Any]:
    """One method's cells: PSNR/SSIM per column, NIQE on the photos, x4 Mpx/s."""
    if name == "bicubic":
        quality: srkit.SRMethod = srkit.get_method("bicubic")
        timed: srkit.SRMethod = quality
    else:
        quality = srkit.ModelMethod(name, precision="fp32", tile=None)
        timed = srkit.ModelMethod(srkit.Upscaler(name, tile=None, precision="auto"), name=name)
    row: dict[str, Any] = {"name": name, "cells": {}}
    for dataset, degradation in COLUMNS:
        protocol = srkit.Protocol(degradation=degradation, seed=0)
        (r,) = srkit.evaluate(quality, [srkit.BenchmarkSet(data / dataset)], [4], protocol, progress=False)
        row["cells"][f"{dataset}{LABELS[degradation]}"] = {"psnr": r.psnr, "ssim": r.ssim}
        print(f"{name} {dataset} {degradation}: {r.psnr:.2f} / {r.ssim:.4f}")
    (nr,) = evaluate_no_reference(quality, [photos], [4], progress=False)
    row["niqe"] = nr.niqe
    seconds = median_seconds(lambda: timed.upscale(image, 4), repeats)
    row["mpx_per_s"] = image.shape[0] * image.shape[1] * 16 / 1e6 / seconds
    print(f"{name}: NIQE {nr.niqe:.3f}, {row['mpx_per_s']:.2f} Mpx/s")
    return row


def markdown(rows: list[dict[str, Any]], note: str) -> str:
    heads = [f"{d}{LABELS[g]} x4" for d, g in COLUMNS]
    lines = ["| Method | " + " | ".join(heads) + " | NIQE (photos) x4 | Mpx/s x4 |", "|---" * (len(heads) + 3) + "|"]
    for r in rows:
        cells = [f"{c['psnr']:.2f} / {c['ssim']:.4f}" for c in r["cells"].values()]
        lines.append(f"| {r['name']} | " + " | ".join(cells) + f" | {r['niqe']:.2f} | {r['mpx_per_s']:.2f} |")
    return "\n".join([*lines, "", note])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["srkit", "srkit_real", "srkit_real_gan"])
    p.add_argument("--data", default="../shared/data/bench", help="the folder holding Set5 and Set14")
    p.add_argument("--photos", default="../shared/data/real/City100_iPhoneX_40", help="folder of real photos")
    p.add_argument(
        "--pattern", nargs="+", default=["03[1-9]_LR.png", "040_LR.png"], help="files of --photos (default 031-040)"
    )
    p.add_argument("--repeats", type=int, default=5)
    add_output_options(p)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    data = resolve_data_path(args.data, key="--data").path
    lenna = srkit.read_image(data / "Set14" / "lenna.png", gray_to_rgb=True)
    side = min(lenna.shape[:2])
    image = srkit.imresize(lenna[:side, :side], size=(256, 256))
    with tempfile.TemporaryDirectory() as tmp:
        photos = _photos(resolve_data_path(args.photos, key="--photos").path, args.pattern, Path(tmp) / "photos")
        count = len(list(photos.iterdir()))
        rows = [measure(name, data, photos, image, args.repeats) for name in ["bicubic", *args.models]]
    command = "python benchmarks/real_table.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    note = (
        f"Produced by `{command}` on {cpu_model()} ({args.threads} threads), torch {torch.__version__}, srkit "
        f"{srkit.__version__}. PSNR / SSIM on Y, shave 4, fp32 through srkit's image path; BSRGAN / Real-ESRGAN "
        f"columns: LR made by that pipeline with seed 0 (`srkit bench --degradation bsrgan --seed 0`). NIQE: mean "
        f"over {count} real photos ({Path(args.photos).name}: {' '.join(args.pattern)}) upscaled x4, srkit's pristine "
        "model, lower is more natural (`srkit bench --no-reference`). Mpx/s: x4 output on Set14 lenna at "
        f"256x256, --precision auto, median of {args.repeats} after a warm-up."
    )
    block = markdown(rows, note)
    print(block)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if args.write_docs:
        replace_block(args.write_docs, START, END, block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
