"""Structural similarity: SSIM (Wang et al. 2004) and MS-SSIM (Wang, Simoncelli, Bovik 2003).

SSIM follows the authors' ``ssim_index.m`` exactly: an 11x11 Gaussian window (sigma 1.5, normalised to sum 1),
K1 = 0.01, K2 = 0.03, L = 255, 'valid' filtering (no padding), no downsampling, and the mean of the SSIM map.
Images are measured in float64 on the 0-255 scale, over the Y channel of MATLAB ``rgb2ycbcr`` by default,
after shaving ``crop_border`` pixels (EVALUATION.md steps 4-6).

The Gaussian filtering is separable: two 1-D passes, with ``sliding_window_view`` for numpy and ``conv2d`` in
float64 for torch (on the input's device). The numpy and torch paths are independent and agree to ~1e-12.

References:
    Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality assessment: from error visibility to
    structural similarity", IEEE TIP 13(4), 2004. https://doi.org/10.1109/TIP.2003.819861

    Z. Wang, E. P. Simoncelli, A. C. Bovik, "Multiscale structural similarity for image quality assessment",
    Asilomar Conference on Signals, Systems and Computers, 2003. https://doi.org/10.1109/ACSSC.2003.1292216
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

from srkit.metrics._prepare import (
    Float64Array,
    MetricModule,
    MetricOptions,
    check_pair,
    prepare_numpy,
    prepare_torch,
)

__all__ = ["MSSSIM", "SSIM", "ms_ssim", "ssim"]

WINDOW_SIZE = 11
SIGMA = 1.5
K1, K2, DATA_RANGE = 0.01, 0.03, 255.0
_C1 = (K1 * DATA_RANGE) ** 2
_C2 = (K2 * DATA_RANGE) ** 2
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
# Four 2x2 poolings (floor) must leave at least one window: n // 16 >= 11.
MS_SSIM_MIN_SIZE = WINDOW_SIZE * 2 ** (len(MS_SSIM_WEIGHTS) - 1)

_T = TypeVar("_T", Float64Array, torch.Tensor)


def _gaussian_1d() -> Float64Array:
    """The 1-D factor of MATLAB ``fspecial('gaussian', 11, 1.5)``: the 2-D window is its outer product."""
    x = np.arange(WINDOW_SIZE, dtype=np.float64) - (WINDOW_SIZE - 1) / 2
    g = np.exp(-(x**2) / (2.0 * SIGMA**2))
    out: Float64Array = g / g.sum()
    return out


_GAUSS = _gaussian_1d()


def _ssim_and_cs(mu1: _T, mu2: _T, e11: _T, e22: _T, e12: _T) -> tuple[_T, _T]:
    """SSIM map and contrast-structure map from the local means ``mu`` and local second moments ``e``."""
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    cs = (2.0 * (e12 - mu12) + _C2) / ((e11 - mu1_sq) + (e22 - mu2_sq) + _C2)
    luminance = (2.0 * mu12 + _C1) / (mu1_sq + mu2_sq + _C1)
    return luminance * cs, cs


# ----------------------------------------------------------------------------------------------- numpy path


def _filter_np(x: Float64Array) -> Float64Array:
    """'valid' Gaussian filtering over the last two axes: ``(..., H, W) -> (..., H - 10, W - 10)``."""
    rows = sliding_window_view(x, WINDOW_SIZE, axis=-1) @ _GAUSS
    out: Float64Array = sliding_window_view(rows, WINDOW_SIZE, axis=-2) @ _GAUSS
    return out


def _maps_np(x: Float64Array, y: Float64Array) -> tuple[Float64Array, Float64Array]:
    mu1, mu2, e11, e22, e12 = _filter_np(np.stack([x, y, x * x, y * y, x * y]))
    return _ssim_and_cs(mu1, mu2, e11, e22, e12)


def ssim_maps_numpy(x: Float64Array, y: Float64Array) -> Float64Array:
    """The SSIM map of two same-shape float64 arrays ``(..., H, W)`` on the 0-255 scale (no colour conversion,
    no shave): for metrics of other kinds of images (:mod:`srkit.metrics.spectral`)."""
    return _maps_np(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))[0]


def _pool_np(x: Float64Array) -> Float64Array:
    """2x2 average pooling of ``(C, H, W)``, dropping an odd last row/column (as ``avg_pool2d``)."""
    c, h, w = x.shape[0], x.shape[1] // 2, x.shape[2] // 2
    out: Float64Array = x[:, : 2 * h, : 2 * w].reshape(c, h, 2, w, 2).mean(axis=(2, 4))
    return out


def _ms_ssim_np(x: Float64Array, y: Float64Array) -> float:
    factors = []
    for scale in range(len(MS_SSIM_WEIGHTS)):
        if scale:
            x, y = _pool_np(x), _pool_np(y)
        ssim_map, cs_map = _maps_np(x, y)
        last = scale == len(MS_SSIM_WEIGHTS) - 1
        factors.append((ssim_map if last else cs_map).mean(axis=(1, 2)))
    weights = np.asarray(MS_SSIM_WEIGHTS)[:, None]
    per_channel = np.prod(np.maximum(np.stack(factors), 0.0) ** weights, axis=0)
    return float(per_channel.mean())


# ----------------------------------------------------------------------------------------------- torch path


def _filter_torch(x: torch.Tensor) -> torch.Tensor:
    """'valid' Gaussian filtering over the last two dims: ``(..., H, W) -> (..., H - 10, W - 10)``."""
    g = torch.as_tensor(_GAUSS, dtype=x.dtype, device=x.device)
    flat = x.reshape(-1, 1, *x.shape[-2:])
    flat = F.conv2d(F.conv2d(flat, g.view(1, 1, 1, -1)), g.view(1, 1, -1, 1))
    return flat.reshape(*x.shape[:-2], *flat.shape[-2:])


def _maps_torch(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mu1, mu2, e11, e22, e12 = _filter_torch(torch.stack([x, y, x * x, y * y, x * y])).unbind(0)
    return _ssim_and_cs(mu1, mu2, e11, e22, e12)


def _ms_ssim_torch(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    factors = []
    for scale in range(len(MS_SSIM_WEIGHTS)):
        if scale:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
        ssim_map, cs_map = _maps_torch(x, y)
        last = scale == len(MS_SSIM_WEIGHTS) - 1
        factors.append((ssim_map if last else cs_map).mean(dim=(-2, -1)))
    weights = torch.tensor(MS_SSIM_WEIGHTS, dtype=x.dtype, device=x.device).view(-1, 1, 1)
    per_channel = (torch.stack(factors).clamp(min=0.0) ** weights).prod(dim=0)
    return per_channel.mean(dim=1)


# ----------------------------------------------------------------------------------------------- public API


@overload
def ssim(
    sr: NDArray[Any],
    hr: NDArray[Any],
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> float: ...
@overload
def ssim(
    sr: torch.Tensor,
    hr: torch.Tensor,
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> torch.Tensor: ...
def ssim(
    sr: NDArray[Any] | torch.Tensor,
    hr: NDArray[Any] | torch.Tensor,
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> float | torch.Tensor:
    """Structural similarity per image, as the authors' ``ssim_index.m`` (see the module docstring).

    The value is the mean of the 'valid' SSIM map; with several channels (``test_y_channel=False``) each
    channel is measured and the results are averaged. Identical images give 1.

    Args:
        sr: super-resolved image; uint8 means the 0-255 scale, floating point the 0-1 scale.
        hr: reference image, same shape and kind (numpy or torch) as ``sr``.
        crop_border: pixels shaved from every border of both images before measuring (the scale, usually).
        test_y_channel: measure the Y of MATLAB ``rgb2ycbcr`` (float, not rounded) of 3-channel images;
            single-channel images are used as they are. ``False`` measures every channel and averages.
        y_round: round Y half up to an integer on the 0-255 scale, as MATLAB ``rgb2ycbcr`` on uint8 does.

    Returns:
        A python float for numpy input; a float64 tensor of shape ``(B,)`` for ``(B, C, H, W)`` input, or a
        0-d tensor for ``(C, H, W)`` input, on the input's device.

    Shape:
        numpy ``(H, W)`` or ``(H, W, C)``; torch ``(C, H, W)`` or ``(B, C, H, W)``.

    Raises:
        SrkitError: shapes, kinds, dtypes or devices that differ or are not allowed; a bad ``crop_border``;
            fewer than 11x11 pixels left after ``crop_border``.

    Example:
        >>> hr = np.full((16, 16), 100, dtype=np.uint8)
        >>> round(ssim(hr + 10, hr), 6)  # constant images: (2ab + C1) / (a^2 + b^2 + C1)
        0.995476
        >>> ssim(torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)).shape
        torch.Size([2])
    """
    opts = MetricOptions(crop_border=crop_border, test_y_channel=test_y_channel, y_round=y_round)
    if check_pair(sr, hr, opts, "ssim", min_size=WINDOW_SIZE) == "numpy":
        assert isinstance(sr, np.ndarray)
        assert isinstance(hr, np.ndarray)
        ssim_map, _ = _maps_np(*prepare_numpy(sr, hr, opts))
        return float(ssim_map.mean())
    assert isinstance(sr, torch.Tensor)
    assert isinstance(hr, torch.Tensor)
    ssim_map_t, _ = _maps_torch(*prepare_torch(sr, hr, opts))
    values = ssim_map_t.mean(dim=(1, 2, 3))
    return values if sr.ndim == 4 else values[0]


@overload
def ms_ssim(
    sr: NDArray[Any],
    hr: NDArray[Any],
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> float: ...
@overload
def ms_ssim(
    sr: torch.Tensor,
    hr: torch.Tensor,
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> torch.Tensor: ...
def ms_ssim(
    sr: NDArray[Any] | torch.Tensor,
    hr: NDArray[Any] | torch.Tensor,
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> float | torch.Tensor:
    """Multi-scale structural similarity per image (Wang, Simoncelli, Bovik 2003).

    Five scales with weights ``(0.0448, 0.2856, 0.3001, 0.2363, 0.1333)`` and 2x2 average pooling between
    them (an odd last row/column is dropped). Scales 1-4 contribute the mean contrast-structure term, the last
    scale the mean SSIM (luminance times contrast-structure), as in the authors' ``msssim.m``; window and
    constants are those of :func:`ssim`. A negative mean term is clamped to 0 before its fractional power, so
    strongly anti-correlated images give 0 instead of NaN. With several channels each channel's MS-SSIM is
    averaged. Images need at least 176x176 pixels after ``crop_border``, so that the fifth scale holds an
    11x11 window.

    Args:
        sr: super-resolved image; uint8 means the 0-255 scale, floating point the 0-1 scale.
        hr: reference image, same shape and kind (numpy or torch) as ``sr``.
        crop_border: pixels shaved from every border of both images before measuring (the scale, usually).
        test_y_channel: measure the Y of MATLAB ``rgb2ycbcr`` (float, not rounded) of 3-channel images;
            single-channel images are used as they are. ``False`` measures every channel and averages.
        y_round: round Y half up to an integer on the 0-255 scale, as MATLAB ``rgb2ycbcr`` on uint8 does.

    Returns:
        A python float for numpy input; a float64 tensor of shape ``(B,)`` for ``(B, C, H, W)`` input, or a
        0-d tensor for ``(C, H, W)`` input, on the input's device.

    Shape:
        numpy ``(H, W)`` or ``(H, W, C)``; torch ``(C, H, W)`` or ``(B, C, H, W)``.

    Raises:
        SrkitError: as :func:`ssim`, and an image smaller than 176x176 after ``crop_border``.

    Example:
        >>> hr = np.full((176, 176), 100, dtype=np.uint8)
        >>> ms_ssim(hr, hr)
        1.0
        >>> ms_ssim(torch.rand(3, 176, 176), torch.rand(3, 176, 176)).shape
        torch.Size([])
    """
    opts = MetricOptions(crop_border=crop_border, test_y_channel=test_y_channel, y_round=y_round)
    if check_pair(sr, hr, opts, "ms_ssim", min_size=MS_SSIM_MIN_SIZE) == "numpy":
        assert isinstance(sr, np.ndarray)
        assert isinstance(hr, np.ndarray)
        return _ms_ssim_np(*prepare_numpy(sr, hr, opts))
    assert isinstance(sr, torch.Tensor)
    assert isinstance(hr, torch.Tensor)
    values = _ms_ssim_torch(*prepare_torch(sr, hr, opts))
    return values if sr.ndim == 4 else values[0]


class SSIM(MetricModule):
    """Module form of :func:`ssim` (torch tensors only); the options are fixed at construction.

    Shape:
        ``(B, C, H, W)`` -> ``(B,)``; ``(C, H, W)`` -> ``()``.

    Example:
        >>> SSIM(crop_border=2)(torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)).shape
        torch.Size([2])
    """

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        """SSIM of each image of ``sr`` against ``hr``; see :func:`ssim`."""
        self._check_tensors(sr, hr)
        return ssim(sr, hr, crop_border=self.crop_border, test_y_channel=self.test_y_channel, y_round=self.y_round)


class MSSSIM(MetricModule):
    """Module form of :func:`ms_ssim` (torch tensors only); the options are fixed at construction.

    Shape:
        ``(B, C, H, W)`` -> ``(B,)``; ``(C, H, W)`` -> ``()``; H and W at least 176 after ``crop_border``.

    Example:
        >>> MSSSIM()(torch.rand(1, 3, 176, 176), torch.rand(1, 3, 176, 176)).shape
        torch.Size([1])
    """

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        """MS-SSIM of each image of ``sr`` against ``hr``; see :func:`ms_ssim`."""
        self._check_tensors(sr, hr)
        return ms_ssim(sr, hr, crop_border=self.crop_border, test_y_channel=self.test_y_channel, y_round=self.y_round)
