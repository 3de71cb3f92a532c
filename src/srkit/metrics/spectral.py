"""Quality of a hyperspectral cube against its reference, as the HSI SR and fusion papers report it.

Cubes are ``(bands, H, W)`` numpy arrays or torch tensors in the same units; ``data_range`` is the value of a
full-scale pixel (default: the reference's maximum, the convention of the CAVE and remote-sensing papers, whose
cubes have no fixed white). ``crop_border`` shaves that many pixels on every side first.

- :func:`psnr_bands`: PSNR of each band, averaged over the bands (dB).
- :func:`ssim_bands`: SSIM of each band (Wang et al.'s Gaussian window, as :func:`srkit.metrics.ssim`),
  averaged over the bands.
- :func:`sam`: spectral angle mapper, the angle between the two spectra of a pixel, averaged over pixels
  (degrees; pixels with an all-zero spectrum in either cube are skipped).
- :func:`ergas`: Wald's relative dimensionless global error, ``100 / ratio * sqrt(mean_b(RMSE_b^2 / mu_b^2))``,
  ``mu_b`` the reference band's mean; ``ratio`` is the HR/LR resolution ratio.
- :func:`rmse`: root-mean-square error over every value, in units of ``data_range / 255`` (the 8-bit scale the
  fusion papers use).
- :func:`spectral_scores`: all five as a dict.
"""

from __future__ import annotations

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit.metrics.ssim import ssim_maps_numpy

__all__ = ["ergas", "psnr_bands", "rmse", "sam", "spectral_scores", "ssim_bands"]


def _pair(x: object, ref: object, crop_border: int) -> tuple[np.ndarray, np.ndarray]:
    a = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
    b = ref.detach().cpu().double().numpy() if isinstance(ref, torch.Tensor) else np.asarray(ref, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 3:
        raise SrkitError(f"spectral metrics compare two (bands, H, W) cubes of one shape, got {a.shape} and {b.shape}")
    if crop_border:
        if min(a.shape[1:]) <= 2 * crop_border:
            raise SrkitError(f"a {a.shape[1]}x{a.shape[2]} cube is too small to shave {crop_border} pixels")
        a = a[:, crop_border:-crop_border, crop_border:-crop_border]
        b = b[:, crop_border:-crop_border, crop_border:-crop_border]
    return a, b


def _range(ref: np.ndarray, data_range: float | None) -> float:
    peak = float(ref.max()) if data_range is None else float(data_range)
    if not peak > 0:
        raise SrkitError("the data range must be positive (the reference cube is all zeros?)")
    return peak


def psnr_bands(x: object, ref: object, *, data_range: float | None = None, crop_border: int = 0) -> float:
    """Mean over bands of each band's PSNR (dB); a band reproduced exactly counts as 100 dB."""
    a, b = _pair(x, ref, crop_border)
    peak = _range(b, data_range)
    mse = ((a - b) ** 2).mean(axis=(1, 2))
    return float(np.mean(np.where(mse > 0, 10.0 * np.log10(peak**2 / np.maximum(mse, 1e-300)), 100.0)))


def ssim_bands(x: object, ref: object, *, data_range: float | None = None, crop_border: int = 0) -> float:
    """Mean over bands of each band's SSIM."""
    a, b = _pair(x, ref, crop_border)
    k = 255.0 / _range(b, data_range)
    return float(np.mean([ssim_maps_numpy(a[i] * k, b[i] * k).mean() for i in range(a.shape[0])]))


def sam(x: object, ref: object, *, crop_border: int = 0) -> float:
    """Mean spectral angle (degrees)."""
    a, b = _pair(x, ref, crop_border)
    dot = (a * b).sum(axis=0)
    norms = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    valid = norms > 0
    if not valid.any():
        return 0.0
    cos = np.clip(dot[valid] / norms[valid], -1.0, 1.0)
    return float(np.degrees(np.arccos(cos)).mean())


def ergas(x: object, ref: object, ratio: float, *, crop_border: int = 0) -> float:
    """Wald's ERGAS for an HR/LR resolution ratio ``ratio``."""
    a, b = _pair(x, ref, crop_border)
    mse = ((a - b) ** 2).mean(axis=(1, 2))
    mu2 = np.maximum(b.mean(axis=(1, 2)) ** 2, 1e-12)
    return float(100.0 / ratio * np.sqrt((mse / mu2).mean()))


def rmse(x: object, ref: object, *, data_range: float | None = None, crop_border: int = 0) -> float:
    """RMSE over every value, on the 8-bit scale (``data_range`` maps to 255)."""
    a, b = _pair(x, ref, crop_border)
    return float(np.sqrt(((a - b) ** 2).mean()) * 255.0 / _range(b, data_range))


def spectral_scores(
    x: object, ref: object, ratio: float, *, data_range: float | None = None, crop_border: int = 0
) -> dict[str, float]:
    """``{"psnr", "ssim", "sam", "ergas", "rmse"}`` of ``x`` against ``ref``."""
    a, b = _pair(x, ref, crop_border)
    peak = _range(b, data_range)
    return {
        "psnr": psnr_bands(a, b, data_range=peak),
        "ssim": ssim_bands(a, b, data_range=peak),
        "sam": sam(a, b),
        "ergas": ergas(a, b, ratio),
        "rmse": rmse(a, b, data_range=peak),
    }
