"""Video SR scored as the video papers score it (Vid4 BI x4), with temporal consistency beside fidelity.

- LR frames: each HR frame cropped to a multiple of the scale and downscaled by MATLAB's bicubic ``imresize``
  (the BI protocol; :func:`srkit.functional.resize.imresize`, exact to MATLAB).
- Fidelity: per-frame PSNR and SSIM on the BT.601 Y channel with ``scale`` pixels shaved (EVALUATION.md's metric),
  averaged over the frames of a clip.
- Temporal consistency: tOF (:func:`srkit.metrics.temporal.tof`).

A method maps a clip's LR frames to its SR frames (uint8 RGB), so single-image models (frame by frame), bicubic
and video networks (whole clips) are scored alike.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from srkit.data.io import read_image
from srkit.functional.resize import imresize
from srkit.metrics import psnr, ssim
from srkit.metrics.temporal import tof
from srkit.video.io import list_frames
from srkit.video.upscale import frame_upscaler

__all__ = [
    "ClipMethod",
    "ClipScore",
    "bicubic_clip",
    "evaluate_clip",
    "format_clip_scores",
    "frame_by_frame",
    "load_clip",
    "lr_clip",
]

ClipMethod = Callable[[list[np.ndarray]], list[np.ndarray]]


@dataclass(frozen=True)
class ClipScore:
    """One method on one clip: mean Y-PSNR/SSIM over frames, tOF, frames and seconds (wall time of the method)."""

    clip: str
    method: str
    scale: int
    psnr: float
    ssim: float
    tof: float
    frames: int
    seconds: float


def load_clip(folder: str | os.PathLike[str], limit: int | None = None) -> list[np.ndarray]:
    """The frames of a frame folder (natural order), uint8 RGB; the first ``limit`` only if given."""
    files = list_frames(folder)[:limit]
    return [read_image(p, gray_to_rgb=True) for p in files]


def lr_clip(frames: Sequence[np.ndarray], scale: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(hr, lr)``: the frames cropped to a multiple of ``scale``, and their MATLAB bicubic downscales."""
    hr = [f[: f.shape[0] // scale * scale, : f.shape[1] // scale * scale] for f in frames]
    return hr, [imresize(f, 1.0 / scale) for f in hr]


def bicubic_clip(scale: int) -> ClipMethod:
    """MATLAB bicubic upscaling of each frame."""
    return lambda frames: [imresize(f, scale) for f in frames]


def frame_by_frame(model: str = "srkit", scale: int = 4) -> ClipMethod:
    """A single-image model applied to each frame (the baseline of video SR)."""
    up = frame_upscaler(model, scale)
    return lambda frames: list(up(frames))


def evaluate_clip(
    name: str, frames: Sequence[np.ndarray], methods: dict[str, ClipMethod], scale: int = 4
) -> list[ClipScore]:
    """Each method on the BI-degraded clip ``frames`` (HR, uint8 RGB)."""
    hr, lr = lr_clip(frames, scale)
    rows = []
    for method, run in methods.items():
        start = time.perf_counter()
        sr = run(lr)
        seconds = time.perf_counter() - start
        p = float(np.mean([psnr(s, h, crop_border=scale) for s, h in zip(sr, hr, strict=True)]))
        q = float(np.mean([ssim(s, h, crop_border=scale) for s, h in zip(sr, hr, strict=True)]))
        rows.append(ClipScore(name, method, scale, p, q, tof(sr, hr), len(hr), seconds))
    return rows


def format_clip_scores(rows: Sequence[ClipScore]) -> str:
    """A Markdown table of :class:`ClipScore` rows, with each method's mean over the clips."""
    lines = [
        "| Clip | Method | Y-PSNR (dB) | SSIM | tOF | Frames | Seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.clip} | {r.method} | {r.psnr:.2f} | {r.ssim:.4f} | {r.tof:.3f} | {r.frames} | {r.seconds:.1f} |"
        for r in rows
    ]
    for method in dict.fromkeys(r.method for r in rows):
        mine = [r for r in rows if r.method == method]
        if len(mine) > 1:
            p, q, t = (float(np.mean([getattr(r, k) for r in mine])) for k in ("psnr", "ssim", "tof"))
            n, sec = sum(r.frames for r in mine), sum(r.seconds for r in mine)
            lines.append(f"| **mean** | {method} | {p:.2f} | {q:.4f} | {t:.3f} | {n} | {sec:.1f} |")
    return "\n".join(lines)
