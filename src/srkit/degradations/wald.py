"""Wald's protocol for hyperspectral fusion and SR: the spatial and the spectral degradation of an HR cube.

Wald, Ranchin and Mangolini (1997): the reference is the HR cube ``X`` ``(bands, H, W)``; the LR cube is
``X`` blurred by the sensor's point spread function and decimated by the ratio, ``Y = D(X)``; the HR guide
(RGB, multispectral or panchromatic) is the cube seen through the guide sensor's spectral response,
``Z = R X`` with ``R`` ``(channels, bands)``. srkit's PSF is the usual Gaussian whose full width at half maximum
equals the ratio (``sigma = ratio / (2 sqrt(2 ln 2))``, 1.70 px at x4, 3.40 px at x8: the modulation transfer
at Nyquist of about 0.25 that the remote-sensing literature assumes). Each LR pixel is the PSF-weighted mean
centred on the middle of its ``ratio x ratio`` block of HR pixels (the centre that bicubic upsampling with
``align_corners=False`` assumes); borders are mirror-extended.

Example:
    >>> x = torch.rand(1, 5, 32, 32)
    >>> spatial_down(x, 4).shape, spectral_down(x, torch.full((3, 5), 0.2)).shape
    (torch.Size([1, 5, 8, 8]), torch.Size([1, 3, 32, 32]))
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError

__all__ = ["psf_kernel", "spatial_down", "spectral_down", "wald_sigma"]


def wald_sigma(ratio: int) -> float:
    """The PSF's standard deviation in HR pixels: full width at half maximum equal to the ratio."""
    return ratio / (2.0 * math.sqrt(2.0 * math.log(2.0)))


def psf_kernel(ratio: int, sigma: float | None = None) -> torch.Tensor:
    """The ``(k, k)`` float64 PSF, ``k = ratio + 2 * ceil(3 sigma)``, summing to 1, centred between pixels for an
    even ratio (the centre of a ``ratio x ratio`` block)."""
    if ratio < 1:
        raise SrkitError(f"the ratio is a positive integer, got {ratio}")
    s = wald_sigma(ratio) if sigma is None else float(sigma)
    if not s > 0:
        raise SrkitError(f"the PSF's sigma must be positive, got {sigma}")
    margin = math.ceil(3.0 * s)
    k = ratio + 2 * margin
    t = torch.arange(k, dtype=torch.float64) - (k - 1) / 2.0
    g = torch.exp(-(t**2) / (2.0 * s * s))
    kernel = g[:, None] * g[None, :]
    return kernel / kernel.sum()


def spatial_down(x: torch.Tensor, ratio: int, sigma: float | None = None) -> torch.Tensor:
    """``D(X)``: ``(N, B, H, W)`` blurred by the PSF and decimated by ``ratio`` (``H``, ``W`` multiples of it)."""
    n, b, h, w = x.shape
    if h % ratio or w % ratio:
        raise SrkitError(f"the HR size {h}x{w} is not a multiple of the ratio {ratio}")
    kernel = psf_kernel(ratio, sigma).to(x.dtype if x.is_floating_point() else torch.float32)
    margin = (kernel.shape[0] - ratio) // 2
    flat = x.reshape(n * b, 1, h, w).to(kernel.dtype)
    mode = "reflect" if margin < min(h, w) else "replicate"
    padded = F.pad(flat, (margin,) * 4, mode=mode)
    out = F.conv2d(padded, kernel.to(x.device)[None, None], stride=ratio)
    return out.reshape(n, b, h // ratio, w // ratio)


def spectral_down(x: torch.Tensor, response: torch.Tensor) -> torch.Tensor:
    """``R X``: ``(N, B, H, W)`` seen through ``response`` ``(C, B)`` (or ``(N, C, B)``), ``(N, C, H, W)``."""
    r = response.to(x.dtype)
    if r.shape[-1] != x.shape[1]:
        raise SrkitError(f"the response has {r.shape[-1]} bands, the cube {x.shape[1]}")
    return torch.einsum("cb,nbhw->nchw" if r.ndim == 2 else "ncb,nbhw->nchw", r, x)
