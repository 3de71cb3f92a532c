"""Synthetic training clips made from still images: what video training data is honestly available here.

Each clip is one training still seen by a moving camera. The camera's path is smooth and random: a translation
with a random velocity and acceleration (up to ``max_speed`` LR pixels per frame), a slow rotation (up to 1 degree
per frame) and a slow zoom (up to 1% per frame), applied as one affine map per frame to the still (bicubic
sampling of the original each time, so no blur accumulates). With probability ``patch_probability`` a patch cut
from another still moves across the clip on its own straight path (independent motion, occlusion). HR frames are
``scale * patch`` pixels square; LR frames are their MATLAB bicubic downscales (the BI protocol of Vid4), plus
white noise of a random level up to ``noise`` (in [0, 1] units) for a random half of the clips. Batches are
indexed by step and made from ``(seed, step)`` alone (resumable), ``{"lr": (N, T, 3, p, p), "hr": (N, T, 3, sp,
sp), "scale"}``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.data.io import list_images, read_image
from srkit.data.loader import ShardedBatches
from srkit.functional.resize import imresize

__all__ = ["SyntheticClips"]


def _affine_grid(
    n: int, size: int, shift: np.ndarray, angle: np.ndarray, zoom: np.ndarray, src: tuple[int, int]
) -> torch.Tensor:
    """Sampling grids ``(T, size, size, 2)`` (normalised to the source image) of ``size`` x ``size`` views."""
    h, w = src
    c = (size - 1) / 2.0
    ys, xs = np.meshgrid(np.arange(size) - c, np.arange(size) - c, indexing="ij")
    grids = []
    for t in range(n):
        cos, sin = math.cos(angle[t]) / zoom[t], math.sin(angle[t]) / zoom[t]
        x = cos * xs - sin * ys + shift[t, 0]
        y = sin * xs + cos * ys + shift[t, 1]
        grids.append(np.stack([x / (w - 1) * 2 - 1, y / (h - 1) * 2 - 1], axis=-1))
    return torch.from_numpy(np.stack(grids)).float()


class SyntheticClips(ShardedBatches):
    """Step-indexed batches of synthetic clips (module docstring).

    Args:
        folders: folders of training stills.
        scale: the upscaling factor.
        frames: frames per clip.
        patch: LR frame side.
        batch_size, seed, length: as every srkit training source.
        max_speed: the camera's largest speed, LR pixels per frame.
        patch_probability: chance of an independently moving patch.
        noise: largest noise standard deviation on the LR frames (half the clips are clean).
    """

    def __init__(
        self,
        folders: Sequence[str | Path],
        *,
        scale: int = 4,
        frames: int = 7,
        patch: int = 32,
        batch_size: int = 4,
        seed: int = 0,
        length: int = 1000,
        max_speed: float = 2.0,
        patch_probability: float = 0.5,
        noise: float = 0.01,
    ) -> None:
        paths = [p for f in folders for p in list_images(f)]
        side = patch * scale
        self.stills = [im for im in (read_image(p, gray_to_rgb=True) for p in paths) if min(im.shape[:2]) >= side + 8]
        if not self.stills:
            raise SrkitError(f"no training still of at least {side + 8} px in {', '.join(map(str, folders))}")
        self.scale, self.frames, self.patch, self.batch_size = scale, frames, patch, batch_size
        self.seed, self.length, self.max_speed = seed, length, max_speed
        self.patch_probability, self.noise = patch_probability, noise

    def with_scales(self, scales: Sequence[int]) -> SyntheticClips:
        if list(scales) != [self.scale]:
            raise SrkitError(f"synthetic clips are made for x{self.scale}; a model of one scale trains on them")
        return self

    def __len__(self) -> int:
        return self.length

    def _clip(self, rng: np.random.Generator) -> torch.Tensor:
        still = self.stills[int(rng.integers(len(self.stills)))]
        h, w = still.shape[:2]
        side, n = self.patch * self.scale, self.frames
        speed = rng.uniform(-self.max_speed, self.max_speed, size=2) * self.scale
        accel = rng.uniform(-0.1, 0.1, size=2) * self.scale
        t = np.arange(n) - (n - 1) / 2.0
        travel = np.abs(speed)[None] * np.abs(t)[:, None] + np.abs(accel)[None] * t[:, None] ** 2
        reach = side / 2 * math.sqrt(2) * 1.1 + travel.max() + 2
        cx = rng.uniform(min(reach, w / 2), max(w - reach, w / 2))
        cy = rng.uniform(min(reach, h / 2), max(h - reach, h / 2))
        shift = np.array([cx, cy])[None] + speed[None] * t[:, None] + accel[None] * t[:, None] ** 2
        angle = np.radians(rng.uniform(-1.0, 1.0)) * t
        zoom = 1.0 + rng.uniform(-0.01, 0.01) * t
        image = torch.from_numpy(np.ascontiguousarray(still)).permute(2, 0, 1).float()[None] / 255.0
        grid = _affine_grid(n, side, shift, angle, zoom, (h, w))
        clip = F.grid_sample(
            image.expand(n, -1, -1, -1), grid, mode="bicubic", padding_mode="reflection", align_corners=True
        )
        if rng.random() < self.patch_probability:
            clip = self._moving_patch(rng, clip)
        return clip.clamp(0.0, 1.0)

    def _moving_patch(self, rng: np.random.Generator, clip: torch.Tensor) -> torch.Tensor:
        other = self.stills[int(rng.integers(len(self.stills)))]
        n, _, side, _ = clip.shape
        size = int(rng.integers(side // 6, side // 3))
        y0, x0 = int(rng.integers(0, other.shape[0] - size)), int(rng.integers(0, other.shape[1] - size))
        piece = torch.from_numpy(np.ascontiguousarray(other[y0 : y0 + size, x0 : x0 + size])).permute(2, 0, 1).float()
        start = rng.uniform(0, side - size, size=2)
        velocity = rng.uniform(-3, 3, size=2) * self.scale
        out = clip.clone()
        for t in range(n):
            x, y = (np.clip(start + velocity * t, 0, side - size)).astype(int)
            out[t, :, y : y + size, x : x + size] = piece / 255.0
        return out

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        if not 0 <= index < self.length:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index])
        hr = torch.stack([self._clip(rng) for _ in range(self.batch_size)])  # (N, T, 3, H, W)
        hr = (hr * 255.0).round() / 255.0  # 8-bit frames, as video frames are
        lr = imresize(hr, 1.0 / self.scale).clamp(0.0, 1.0)
        sigma = rng.uniform(0.0, self.noise, size=self.batch_size) * (rng.random(self.batch_size) < 0.5)
        noise = torch.from_numpy(rng.standard_normal(lr.shape)).float()
        lr = (lr + torch.from_numpy(sigma).float().view(-1, 1, 1, 1, 1) * noise).clamp(0.0, 1.0)
        mine = self._mine()
        return {"lr": lr[mine], "hr": hr[mine], "scale": self.scale}
