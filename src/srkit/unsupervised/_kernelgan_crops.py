"""Where KernelGAN takes its crops: random positions weighted by the image's gradients (the official code's
``DataGenerator``), drawn once from a seed. Kept apart from :mod:`srkit.unsupervised.kernelgan` (the networks,
losses and training; the paper is cited there) so that each file stays small.
"""

from __future__ import annotations

import numpy as np

from srkit.functional.resize import imresize

__all__ = ["CropSampler", "crop_probabilities", "gradient_map"]

_GRAY = np.array([0.299, 0.587, 0.114])  # the official code's rgb2gray
_GRADIENT_WINDOW = 5  # pixels: the box that smooths the gradient map, and the border it zeroes
_GRADIENT_PERCENT = 0.97  # the gradients above this quantile mark where the crops go


def _box_same(a: np.ndarray, size: int) -> np.ndarray:
    """Sum of ``a`` over a ``size x size`` box at every pixel (zero outside), aligned as ``convolve2d(mode='same')``:
    the box spans ``[i - size // 2, i + (size - 1) // 2]``."""
    before, after = size // 2, (size - 1) // 2
    padded = np.pad(a, ((before + 1, after), (before + 1, after)))
    c = padded.cumsum(0).cumsum(1)
    h, w = a.shape
    return c[size:, size:][:h, :w] - c[:-size, size:][:h, :w] - c[size:, :-size][:h, :w] + c[:-size, :-size][:h, :w]


def _zero_border(a: np.ndarray, edge: int) -> np.ndarray:
    out = np.zeros_like(a)
    if edge > 0 and a.shape[0] > 2 * edge and a.shape[1] > 2 * edge:
        out[edge:-edge, edge:-edge] = a[edge:-edge, edge:-edge]
    elif edge == 0:
        out[...] = a
    return out


def _clip_extreme(a: np.ndarray, percent: float) -> np.ndarray:
    """Zero below the ``percent`` quantile, and clip above the next value: marks the strongest gradients."""
    flat = np.sort(a, axis=None)
    pivot = min(int(percent * flat.size), flat.size - 1)
    low = flat[pivot]
    high = flat[pivot + 1] if pivot + 1 < flat.size and flat[pivot + 1] > low else low + 1e-5
    return np.clip(a, low, high) - low


def _unit_sum(a: np.ndarray) -> np.ndarray:
    total = a.sum()
    return a / total if total > 0 else np.zeros_like(a)


def gradient_map(rgb: np.ndarray) -> np.ndarray:
    """The official code's gradient map of an ``(H, W, 3)`` image in [0, 1]: the strongest 3 % of the horizontal
    and vertical gradients plus the gradient magnitude (the magnitude unclipped, as in the official code), each
    normalised, away from a 5-pixel border, smoothed by a 5 x 5 box; mean 1."""
    gray = rgb @ _GRAY
    g0, g1 = np.gradient(gray)
    mag = _zero_border(np.hypot(g0, g1), _GRADIENT_WINDOW)
    g0, g1 = (_zero_border(np.abs(g), _GRADIENT_WINDOW) for g in (g0, g1))
    combined = (
        _unit_sum(_clip_extreme(g0, _GRADIENT_PERCENT))
        + _unit_sum(_clip_extreme(g1, _GRADIENT_PERCENT))
        + _unit_sum(mag)
    )
    smooth = np.clip(_box_same(combined, _GRADIENT_WINDOW), 0, None) / _GRADIENT_WINDOW**2  # clip: rounding
    mean = smooth.mean()
    return smooth / mean if mean > 0 else np.ones_like(smooth)


def crop_probabilities(loss_map: np.ndarray, crop: int) -> np.ndarray:
    """The probability of each pixel (flattened) to be a crop's centre: the map summed over a box of half the crop,
    zero within half a crop of the border, normalised (uniform when the map is all zero)."""
    half = max(crop // 2, 1)
    inside = _zero_border(np.clip(_box_same(loss_map, half), 0, None) / half**2, half)  # clip: rounding
    total = inside.sum()
    if not total > 0:
        return np.full(loss_map.size, 1.0 / loss_map.size)
    return (inside / total).ravel()


class CropSampler:
    """The crops of one KernelGAN run, drawn once from a seed: generator crops where the **downscaled** image has
    strong gradients (its map upsampled by nearest neighbour), discriminator crops where the image has them.

    Args:
        rgb: the image, ``(H, W, 3)`` float in [0, 1].
        g_crop: the generator's crop side; d_crop: the discriminator's.
        steps: how many crops of each to draw.
        seed: seed of the draw.
    """

    def __init__(self, rgb: np.ndarray, *, g_crop: int, d_crop: int, steps: int, seed: int) -> None:
        h, w = rgb.shape[:2]
        self.height, self.width = h, w
        self.g_crop, self.d_crop = g_crop, d_crop
        small = gradient_map(np.asarray(imresize(rgb, 0.5)))
        small_up = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)[:h, :w]
        rng = np.random.default_rng(seed)
        self._g = rng.choice(h * w, size=steps, p=crop_probabilities(small_up, g_crop))
        self._d = rng.choice(h * w, size=steps, p=crop_probabilities(gradient_map(rgb), d_crop))

    def _top_left(self, centre: int, size: int) -> tuple[int, int]:
        row, col = divmod(int(centre), self.width)
        top = min(max(0, row - size // 2), self.height - size)
        left = min(max(0, col - size // 2), self.width - size)
        return top - top % 2, left - left % 2  # even, as the official code (aligned with the downscaled map)

    def g_box(self, step: int) -> tuple[int, int]:
        """Top-left corner of the generator's crop at ``step``."""
        return self._top_left(self._g[step], self.g_crop)

    def d_box(self, step: int) -> tuple[int, int]:
        """Top-left corner of the discriminator's crop at ``step``."""
        return self._top_left(self._d[step], self.d_crop)
