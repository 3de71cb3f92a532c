"""Regenerate srkit's pristine NIQE model (src/srkit/assets/niqe_pristine.json) from image folders.

The shipped model is fitted on the classic SR training images (T91, BSD200, General100 at half size), as the
authors' ``estimatemodelparam.m`` does on its pristine set: in each image the 96x96 patches sharper than 0.75 x
the image's sharpest patch are kept, and one multivariate Gaussian (36 means, 36x36 covariance) is fitted to
all of them (srkit.metrics.niqe). Images smaller than one block are skipped and listed in the file. The JSON
records the command, the images (names per folder, count, sha256 of their bytes), the patch count and the
settings; numbers are rounded to 8 significant digits. Run from the repository root:

    python scripts/niqe_model.py ../shared/data/train/T91 ../shared/data/train/BSD200 \
        ../shared/data/train/General100_half -o src/srkit/assets/niqe_pristine.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srkit.data.io import list_images, read_image
from srkit.metrics.niqe import BLOCK, FEATURE_NAMES, SHARPNESS, NIQEModel, fit_niqe_model, load_niqe_model

PAPER = (
    "A. Mittal, R. Soundararajan, A. C. Bovik, \"Making a 'Completely Blind' Image Quality Analyzer\", "
    "IEEE Signal Processing Letters 20(3), 2013"
)
GRAY = "unrounded Y of MATLAB rgb2ycbcr (BT.601, 16-235) on the 0-255 scale"


def _round(value: float) -> float:
    return float(f"{value:.8g}")


def _render(payload: dict[str, Any]) -> str:
    """JSON with one top-level key per line and one covariance row per line (readable, diff-friendly)."""
    lines = []
    for key, value in payload.items():
        if key == "cov":
            rows = ",\n  ".join(json.dumps(row) for row in value)
            lines.append(f'"cov": [\n  {rows}\n]')
        elif key == "images":
            folders = ",\n  ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value["folders"].items())
            rest = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items() if k != "folders")
            lines.append(f'"images": {{{rest}, "folders": {{\n  {folders}\n}}}}')
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> None:
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of pristine images")
    parser.add_argument("-o", "--output", type=Path, required=True, help="the JSON file to write")
    parser.add_argument("--block", type=int, default=BLOCK, help="patch size (default 96)")
    parser.add_argument("--sharpness", type=float, default=SHARPNESS, help="patch selection threshold (0.75)")
    args = parser.parse_args(args_list)
    torch.set_num_threads(1)  # imresize runs on torch; small images gain nothing from threads

    images, folders, digest = [], {}, hashlib.sha256()
    for folder in args.folders:
        used, skipped = [], []
        for path in list_images(folder):
            image = read_image(path)
            if min(image.shape[:2]) < args.block:
                skipped.append(path.name)
                continue
            digest.update(path.read_bytes())
            images.append(image)
            used.append(path.name)
        folders[folder.name] = {"count": len(used), "skipped": skipped, "files": used}
        print(f"{folder}: {len(used)} images, {len(skipped)} smaller than {args.block} skipped")

    command = shlex.join(["python", "scripts/niqe_model.py", *args_list])
    source = (
        f"srkit pristine model: {len(images)} images of {', '.join(folders)} (SR training sets), "
        f"{args.block}x{args.block} patches sharper than {args.sharpness} x each image's sharpest; {command}"
    )
    start = time.perf_counter()
    model = fit_niqe_model(images, args.block, args.sharpness, source=source)
    print(f"{model.n_patches} patches from {model.n_images} images in {time.perf_counter() - start:.1f} s")

    payload = {
        "format": "srkit NIQE pristine model, version 1",
        "paper": PAPER,
        "source": source,
        "command": command,
        "gray": GRAY,
        "block": model.block,
        "sharpness": model.sharpness,
        "patches": model.n_patches,
        "images": {"count": model.n_images, "sha256": digest.hexdigest(), "folders": folders},
        "features": list(FEATURE_NAMES),
        "mu": [_round(v) for v in model.mu],
        "cov": [[_round(v) for v in row] for row in model.cov],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(_render(payload), encoding="utf-8")
    _check(load_niqe_model(args.output), model)
    print(f"wrote {args.output}")


def _check(written: NIQEModel, model: NIQEModel) -> None:
    """The file reads back as the model (to the rounding), with a symmetric positive semi-definite covariance."""
    assert np.allclose(written.mu, model.mu, rtol=1e-7, atol=0)
    assert np.allclose(written.cov, model.cov, rtol=1e-7, atol=1e-12)
    assert np.array_equal(written.cov, written.cov.T)
    eig = np.linalg.eigvalsh(written.cov)
    print(f"covariance eigenvalues: {eig.min():.3g} to {eig.max():.3g}")
    assert eig.min() >= -1e-9 * eig.max(), "the rounded covariance is not positive semi-definite"


if __name__ == "__main__":
    main()
