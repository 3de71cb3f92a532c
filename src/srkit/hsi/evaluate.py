"""Scoring HSI SR and fusion methods under Wald's protocol, and on real pairs at reduced resolution.

- :func:`evaluate_sr`: the HR cube is the reference; the LR cube is its Wald simulation (:func:`srkit.hsi.simulate`).
- :func:`evaluate_fusion`: the same, plus the HR guide simulated through a response (``guide=None``), or a real
  guide of the scene: then the real pair is scored at reduced resolution (Wald's protocol without ground truth):
  the cube and the guide are both degraded by the ratio (the guide through the same PSF), fused, and the result is
  compared with the original cube. The guide's response is estimated from the pair unless given.

Every score is :func:`srkit.metrics.spectral.spectral_scores` with ``crop_border`` = the ratio and the reference
cube's maximum as the data range; ``seconds`` is the method's wall time (the simulation excluded).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from srkit.data.cube import Cube
from srkit.degradations.wald import spatial_down
from srkit.hsi.api import FUSION_METHODS, fuse, simulate, super_resolve
from srkit.hsi.response import SpectralResponse
from srkit.metrics.spectral import spectral_scores

__all__ = ["CubeScore", "evaluate_fusion", "evaluate_sr", "format_scores", "reduced_pair"]


@dataclass(frozen=True)
class CubeScore:
    """One method on one cube at one ratio."""

    cube: str
    method: str
    ratio: int
    psnr: float
    ssim: float
    sam: float
    ergas: float
    rmse: float
    seconds: float


def _score(name: str, method: str, ratio: int, out: Cube, ref: np.ndarray, seconds: float) -> CubeScore:
    s = spectral_scores(out.data.astype(np.float64), ref, ratio, crop_border=ratio)
    return CubeScore(name, method, ratio, seconds=seconds, **s)


def _reference(cube: Cube, ratio: int) -> np.ndarray:
    h, w = (cube.shape[1] // ratio) * ratio, (cube.shape[2] // ratio) * ratio
    return cube.data[:, :h, :w].astype(np.float64)


def evaluate_sr(
    cube: Cube,
    name: str,
    scale: int,
    methods: Sequence[str] = ("bicubic", "deep"),
    *,
    model: str | nn.Module | None = None,
) -> list[CubeScore]:
    """Single-image SR methods (``bicubic``, ``deep``) on the Wald simulation of ``cube``."""
    lr, _ = simulate(cube, scale)
    ref = _reference(cube, scale)
    rows = []
    for m in methods:
        start = time.perf_counter()
        out = super_resolve(lr, scale, method=m, model=model)
        rows.append(_score(name, m, scale, out, ref, time.perf_counter() - start))
    return rows


def reduced_pair(cube: Cube, guide: np.ndarray, ratio: int) -> tuple[Cube, np.ndarray]:
    """A real pair at reduced resolution: the cube and the guide ``(C, ratio H, ratio W)`` both degraded by the
    ratio with Wald's PSF (so the original cube is the reference of their fusion)."""
    lr, _ = simulate(cube, ratio)
    g = torch.from_numpy(np.asarray(guide, dtype=np.float64))[None]
    return lr, spatial_down(g, ratio)[0].float().numpy()


def evaluate_fusion(
    cube: Cube,
    name: str,
    ratio: int,
    response: SpectralResponse | np.ndarray | None,
    methods: Sequence[str] = FUSION_METHODS,
    *,
    guide: np.ndarray | None = None,
    model: str | nn.Module | None = None,
    snr: float | None = None,
) -> list[CubeScore]:
    """Fusion methods on ``cube``: simulated guide through ``response`` (``guide=None``; ``snr``: white noise at
    that SNR in dB on both inputs, seed 0), or the real ``guide`` at reduced resolution (module docstring;
    ``response=None`` estimates it)."""
    if guide is None:
        lr, hr_guide = simulate(cube, ratio, response, lr_snr=snr, guide_snr=snr)
        assert hr_guide is not None
    else:
        lr, hr_guide = reduced_pair(cube, guide, ratio)
    ref = _reference(cube, ratio)
    rows = []
    for m in methods:
        start = time.perf_counter()
        out = fuse(lr, hr_guide, ratio=ratio, response=response, method=m, model=model)
        rows.append(_score(name, m, ratio, out, ref, time.perf_counter() - start))
    return rows


def format_scores(rows: Sequence[CubeScore], *, bold_best: bool = False) -> str:
    """A Markdown table: cube, ratio, method, PSNR, SSIM, SAM, ERGAS, RMSE, seconds."""
    lines = [
        "| Cube | Ratio | Method | PSNR (dB) | SSIM | SAM (deg) | ERGAS | RMSE (0-255) | Seconds |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    best: dict[tuple[str, int], CubeScore] = {}
    for r in rows:
        key = (r.cube, r.ratio)
        if key not in best or r.psnr > best[key].psnr:
            best[key] = r
    for r in rows:
        mark = "**" if bold_best and best[(r.cube, r.ratio)] is r else ""
        lines.append(
            f"| {r.cube} | x{r.ratio} | {mark}{r.method}{mark} | {r.psnr:.2f} | {r.ssim:.4f} | {r.sam:.2f} | "
            f"{r.ergas:.3f} | {r.rmse:.2f} | {r.seconds:.1f} |"
        )
    return "\n".join(lines)
