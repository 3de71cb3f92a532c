"""Evaluation without ground truth: real low-resolution photos in, NIQE of each method's output.

Real photos have no HR twin, so PSNR/SSIM cannot be computed; the no-reference NIQE (:func:`srkit.metrics.niqe`,
lower is more natural, against srkit's own pristine model) scores what each method makes of them. NIQE rewards
natural-looking statistics, not fidelity: a perceptual (GAN) model scores better than a fidelity one on the same
photo without being more faithful, so read it beside the pictures (``scripts/picture_grid.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError
from srkit._core.progress import Progress
from srkit.data.io import list_images, read_image
from srkit.evaluation.methods import SRMethod
from srkit.metrics.niqe import niqe


@dataclass(frozen=True)
class NoReferenceResult:
    """Mean NIQE of one method's outputs on one folder at one scale (``images``: name -> NIQE)."""

    method: str
    dataset: str
    scale: int
    niqe: float
    seconds_per_image: float
    images: tuple[tuple[str, float], ...] = field(repr=False)


def evaluate_no_reference(
    method: SRMethod,
    folders: Sequence[str | os.PathLike[str]],
    scales: Sequence[int],
    *,
    progress: bool | None = None,
) -> list[NoReferenceResult]:
    """Upscale every image of every folder (each one an LR input: a real photo) at every scale and score the
    outputs with NIQE.

    Raises:
        SrkitError: a folder without images, or an output too small for NIQE (under 192x192 pixels).
    """
    for scale in scales:
        check_scale("a no-reference benchmark", scale)
    files = {Path(f): list_images(f) for f in folders}
    for folder, found in files.items():
        if not found:
            raise SrkitError(f"no images in {folder}")
    total = sum(len(v) for v in files.values()) * len(scales)
    results = []
    with Progress(total=total, desc=method.name, unit="img", show=None if progress else progress, leave=False) as bar:
        for folder, paths in files.items():
            for scale in scales:
                scores, seconds = [], []
                for path in paths:
                    lr = read_image(path, gray_to_rgb=True)
                    start = time.perf_counter()
                    sr = method.upscale(np.ascontiguousarray(lr[..., :3]), scale)
                    seconds.append(time.perf_counter() - start)
                    try:
                        scores.append((path.stem, niqe(sr)))
                    except SrkitError as err:
                        raise SrkitError(f"{path.name} x{scale}: {err}") from None
                    bar.update(set=f"{folder.name} x{scale}", image=path.stem)
                mean = float(np.mean([s for _, s in scores]))
                results.append(
                    NoReferenceResult(method.name, folder.name, scale, mean, float(np.mean(seconds)), tuple(scores))
                )
    return results


def format_no_reference(results: Sequence[NoReferenceResult]) -> str:
    """An aligned plain-text table, with what NIQE is on the last line."""
    rows = [("method", "set", "scale", "NIQE", "ms/image")]
    rows += [(r.method, r.dataset, f"x{r.scale}", f"{r.niqe:.3f}", f"{r.seconds_per_image * 1e3:.1f}") for r in results]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [
        "  ".join(c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(
        "no reference: NIQE of the outputs (lower is more natural; srkit's pristine model from its training images, "
        "not comparable with other tools' NIQE)"
    )
    return "\n".join(lines)
