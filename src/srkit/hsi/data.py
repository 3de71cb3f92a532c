"""Training batches of real hyperspectral cubes under Wald's protocol, with random guide sensors.

Each sample is a random ``patch x patch`` crop of one training cube (drawn in proportion to its pixel count),
flipped and rotated at random, of ``bands`` bands picked as every ``k``-th band from a random start (``k`` random
from 1 to as sparse as the cube allows, so the network sees many band spacings); values are divided by the
cube's maximum (what :func:`srkit.hsi.api` does to a user's cube). The LR cube is
:func:`~srkit.degradations.wald.spatial_down` of the crop, plus Gaussian noise of a random level up to
``lr_noise`` (none at all for a ``clean`` fraction of the samples, on the LR cube and the guide alike). With
``guide=True`` every sample also gets a random spectral response over its bands and the HR guide seen through it,
plus noise up to ``guide_noise``: one to eight channels, each a Gaussian curve with its centre
anywhere in the bands' span and a full width at half maximum from 20 to 200 nm (one channel: 100 to 400 nm, a
panchromatic sensor). A fusion network trained on such random sensors does not learn one camera: it learns to use
whatever response it is given (the ``response`` of the batch, rows summing to 1), and is evaluated with real ones
it never saw (CIE 1931 for CAVE, IKONOS, Houston's camera).

Batches are indexed by step and made from ``(seed, step)`` alone (resumable), as every srkit training source.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit.data.cube import Cube
from srkit.data.loader import ShardedBatches
from srkit.degradations.wald import spatial_down

__all__ = ["CubeBatches", "random_response"]

_FWHM = 2.0 * np.sqrt(2.0 * np.log(2.0))


def random_response(rng: np.random.Generator, wavelengths: np.ndarray, channels: int) -> np.ndarray:
    """A random ``(channels, bands)`` response over ``wavelengths`` (module docstring), rows summing to 1."""
    lo, hi = float(wavelengths.min()), float(wavelengths.max())
    pan = channels == 1
    centres = rng.uniform(lo, hi, size=channels)
    widths = rng.uniform(100.0, 400.0, size=channels) if pan else rng.uniform(20.0, 200.0, size=channels)
    curves = np.exp(-0.5 * ((wavelengths[None, :] - centres[:, None]) / (widths[:, None] / _FWHM)) ** 2)
    curves = curves + 1e-6  # a narrow curve between two bands still sees them
    out: np.ndarray = curves / curves.sum(axis=1, keepdims=True)
    return out


class CubeBatches(ShardedBatches):
    """Step-indexed batches ``{"hr", "lr", "scale"[, "guide", "response"]}`` from real cubes (module docstring).

    Args:
        cubes: the training cubes (with wavelengths when ``guide`` is set).
        scales: ratios to draw from (one per batch).
        batch_size, patch_size, bands: samples per batch, HR crop side (a multiple of every scale), bands per sample.
        seed, length: the batches are ``(seed, step)``'s, for steps ``0 .. length - 1``.
        guide: also simulate an HR guide through a random response (fusion training).
        augment: random flips and rotations.
        lr_noise, guide_noise: largest noise standard deviation (in units of the cube's maximum).
        clean: the fraction of samples without noise.
    """

    def __init__(
        self,
        cubes: Sequence[Cube],
        *,
        scales: Sequence[int],
        batch_size: int = 8,
        patch_size: int = 64,
        bands: int = 16,
        seed: int = 0,
        length: int = 1000,
        guide: bool = False,
        augment: bool = True,
        lr_noise: float = 0.0,
        guide_noise: float = 0.0,
        clean: float = 0.0,
    ) -> None:
        if not cubes:
            raise SrkitError("CubeBatches needs at least one training cube")
        for c in cubes:
            if min(c.shape[1:]) < patch_size:
                raise SrkitError(f"a {c.shape[1]}x{c.shape[2]} cube is smaller than the patch size {patch_size}")
            if c.bands < bands:
                raise SrkitError(f"a cube of {c.bands} bands cannot give {bands} bands per sample")
            if guide and c.wavelengths is None:
                raise SrkitError("fusion training needs every cube's wavelengths (to place the random responses)")
        self.cubes = [c.float_data()[0] for c in cubes]
        self.wavelengths = [c.wavelengths for c in cubes]
        weights = np.array([c.shape[1] * c.shape[2] for c in cubes], dtype=np.float64)
        self.weights = weights / weights.sum()
        self.batch_size, self.patch_size, self.bands = batch_size, patch_size, bands
        self.seed, self.length, self.guide, self.augment = seed, length, guide, augment
        self.lr_noise, self.guide_noise = lr_noise, guide_noise
        if not 0.0 <= clean <= 1.0:
            raise SrkitError(f"the clean fraction is in [0, 1], got {clean}")
        self.clean = clean
        self._scales: tuple[int, ...] = ()
        self._set_scales(scales)

    def _set_scales(self, scales: Sequence[int]) -> None:
        bad = [s for s in scales if s < 1 or self.patch_size % s]
        if not scales or bad:
            raise SrkitError(f"the patch size {self.patch_size} must be a multiple of every scale, not of {bad}")
        self._scales = tuple(scales)

    def with_scales(self, scales: Sequence[int]) -> CubeBatches:
        new = copy.copy(self)
        new._set_scales(scales)
        return new

    def __len__(self) -> int:
        return self.length

    def _sample(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        i = int(rng.choice(len(self.cubes), p=self.weights))
        cube, p = self.cubes[i], self.patch_size
        b, h, w = cube.shape
        stride = int(rng.integers(1, max(1, (b - 1) // max(1, self.bands - 1)) + 1))
        start = int(rng.integers(0, b - (self.bands - 1) * stride))
        picks = start + stride * np.arange(self.bands)
        y, x = int(rng.integers(0, h - p + 1)), int(rng.integers(0, w - p + 1))
        patch = cube[picks, y : y + p, x : x + p]
        if self.augment:
            patch = np.rot90(patch, int(rng.integers(4)), axes=(1, 2))
            if rng.random() < 0.5:
                patch = patch[:, :, ::-1]
        wl = self.wavelengths[i]
        return np.ascontiguousarray(patch), (wl[picks] if wl is not None else None)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        if not 0 <= index < self.length:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index])
        scale = self._scales[int(rng.integers(len(self._scales)))]
        channels = int(rng.integers(1, 9))
        samples = [self._sample(rng) for _ in range(self.batch_size)]
        mine = self._mine()
        hr = torch.from_numpy(np.stack([s[0] for s in samples]))
        lr = spatial_down(hr.double(), scale).float()
        n = len(samples)
        noisy = rng.random(size=(n, 1, 1, 1)) >= self.clean if self.clean else np.ones((n, 1, 1, 1), dtype=bool)
        noise = torch.from_numpy(rng.uniform(0.0, self.lr_noise, size=(n, 1, 1, 1)) * noisy).float()
        lr = lr + noise * torch.from_numpy(rng.standard_normal(lr.shape)).float()
        batch: dict[str, torch.Tensor | int] = {"scale": scale}
        if self.guide:
            responses = np.stack([random_response(rng, s[1], channels) for s in samples])  # type: ignore[arg-type]
            r = torch.from_numpy(responses).float()
            guide = torch.einsum("ncb,nbhw->nchw", r, hr)
            g_noise = torch.from_numpy(rng.uniform(0.0, self.guide_noise, size=(n, 1, 1, 1)) * noisy).float()
            guide = guide + g_noise * torch.from_numpy(rng.standard_normal(guide.shape)).float()
            batch.update(guide=guide[mine], response=r[mine])
        batch.update(hr=hr[mine], lr=lr[mine])
        return batch
