"""The benchmark degradations of the SR literature: BI, BD and DN (see ``docs/evaluation.md``).

All take an HR uint8 image, numpy ``(H, W)`` or ``(H, W, C)``, already mod-cropped to the scale, and return the
LR uint8 image, as the MATLAB scripts that made the published tables do. Randomness comes only from the
``seed`` argument: the same call gives byte-identical output.
"""

from __future__ import annotations

import zlib

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from srkit._core.errors import SrkitError
from srkit.functional.resize import imresize

PROTOCOLS = ("BI", "BD", "DN")


def _check(hr: np.ndarray, scale: int) -> None:
    if not isinstance(hr, np.ndarray) or hr.dtype != np.uint8 or hr.ndim not in (2, 3):
        shape = getattr(hr, "shape", None)
        raise SrkitError(f"expected a uint8 numpy image (H, W) or (H, W, C), got {type(hr).__name__} {shape}")
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise SrkitError(f"the scale must be an integer >= 1, got {scale!r}")
    h, w = hr.shape[:2]
    if h % scale or w % scale:
        raise SrkitError(f"HR size {h}x{w} is not a multiple of the scale {scale} (mod-crop it first)")


def gaussian_kernel(size: int = 7, sigma: float = 1.6) -> np.ndarray:
    """MATLAB ``fspecial('gaussian', size, sigma)``: a normalised ``(size, size)`` float64 kernel."""
    if size < 1 or sigma <= 0:
        raise SrkitError(f"a Gaussian kernel needs size >= 1 and sigma > 0, got {size}, {sigma}")
    r = (size - 1) / 2
    x = np.arange(size) - r
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    g[g < np.finfo(np.float64).eps * g.max()] = 0
    return g / g.sum()


def bicubic_degradation(hr: np.ndarray, scale: int) -> np.ndarray:
    """BI: MATLAB ``imresize(HR, 1/scale, 'bicubic')`` on uint8 (antialiased, rounded after each pass)."""
    _check(hr, scale)
    return imresize(hr, 1 / scale, kernel="bicubic")


def blur_degradation(hr: np.ndarray, scale: int, *, size: int = 7, sigma: float = 1.6) -> np.ndarray:
    """BD: Gaussian blur (``imfilter(HR, fspecial('gaussian', 7, 1.6), 'replicate')``, rounded to uint8), then
    MATLAB ``imresize(.., 1/scale, 'nearest')``, i.e. keep the centre pixel of every scale x scale cell."""
    _check(hr, scale)
    kernel = gaussian_kernel(size, sigma)
    img = hr.astype(np.float64)
    chw = img[None] if img.ndim == 2 else np.moveaxis(img, -1, 0)
    before, after = (size - 1) // 2, size // 2
    padded = np.pad(chw, ((0, 0), (before, after), (before, after)), mode="edge")
    windows = sliding_window_view(padded, (size, size), axis=(1, 2))  # (C, H, W, size, size)
    blurred = np.einsum("chwij,ij->chw", windows, kernel)
    out = np.clip(np.floor(blurred + 0.5), 0, 255).astype(np.uint8)
    out = out[0] if hr.ndim == 2 else np.moveaxis(out, 0, -1)
    return imresize(np.ascontiguousarray(out), 1 / scale, kernel="nearest")


def noise_degradation(hr: np.ndarray, scale: int, *, sigma: float = 30.0, seed: int = 0) -> np.ndarray:
    """DN: BI, then additive Gaussian noise of standard deviation ``sigma`` (0-255 scale) from ``seed``,
    rounded and saturated to uint8."""
    lr = bicubic_degradation(hr, scale)
    rng = np.random.default_rng(seed)
    noisy = lr.astype(np.float64) + rng.normal(0.0, sigma, size=lr.shape)
    return np.clip(np.floor(noisy + 0.5), 0, 255).astype(np.uint8)


def image_seed(base: int, name: str) -> int:
    """A per-image seed that depends only on ``base`` and the image name (stable across runs and machines)."""
    return (int(base) * 1_000_003 + zlib.crc32(name.encode("utf-8"))) % (2**32)


def degrade(hr: np.ndarray, scale: int, protocol: str = "BI", *, seed: int = 0) -> np.ndarray:
    """Make the LR image of ``hr`` by one of the benchmark ``PROTOCOLS`` (``"BI"``, ``"BD"``, ``"DN"``).

    Example:
        >>> degrade(np.zeros((8, 8, 3), dtype=np.uint8), 4).shape
        (2, 2, 3)
    """
    key = protocol.upper()
    if key == "BI":
        return bicubic_degradation(hr, scale)
    if key == "BD":
        return blur_degradation(hr, scale)
    if key == "DN":
        return noise_degradation(hr, scale, seed=seed)
    raise SrkitError(f"unknown degradation {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
