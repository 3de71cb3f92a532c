"""Peak signal-to-noise ratio as the SR papers measure it (EVALUATION.md steps 4-6).

``PSNR = 10 log10(255^2 / MSE)`` per image, in float64 on the 0-255 scale, over the Y channel of MATLAB
``rgb2ycbcr`` by default, after shaving ``crop_border`` pixels from every border.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import torch
from numpy.typing import NDArray

from srkit.metrics._prepare import MetricModule, MetricOptions, check_pair, prepare_numpy, prepare_torch

__all__ = ["PSNR", "psnr"]

_PEAK_SQ = 255.0**2


@overload
def psnr(
    sr: NDArray[Any],
    hr: NDArray[Any],
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> float: ...
@overload
def psnr(
    sr: torch.Tensor,
    hr: torch.Tensor,
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> torch.Tensor: ...
def psnr(
    sr: NDArray[Any] | torch.Tensor,
    hr: NDArray[Any] | torch.Tensor,
    *,
    crop_border: int = 0,
    test_y_channel: bool = True,
    y_round: bool = False,
) -> float | torch.Tensor:
    """Peak signal-to-noise ratio in dB, ``10 log10(255^2 / MSE)``, per image.

    The MSE is taken in float64 on the 0-255 scale over every remaining pixel (and every channel when
    ``test_y_channel=False``). Identical images give ``inf``.

    Args:
        sr: super-resolved image; uint8 means the 0-255 scale, floating point the 0-1 scale.
        hr: reference image, same shape and kind (numpy or torch) as ``sr``.
        crop_border: pixels shaved from every border of both images before measuring (the scale, usually).
        test_y_channel: measure the Y of MATLAB ``rgb2ycbcr`` (float, not rounded) of 3-channel images;
            single-channel images are used as they are. ``False`` measures over all channels.
        y_round: round Y half up to an integer on the 0-255 scale, as MATLAB ``rgb2ycbcr`` on uint8 does.

    Returns:
        A python float for numpy input; a float64 tensor of shape ``(B,)`` for ``(B, C, H, W)`` input, or a
        0-d tensor for ``(C, H, W)`` input, on the input's device.

    Shape:
        numpy ``(H, W)`` or ``(H, W, C)``; torch ``(C, H, W)`` or ``(B, C, H, W)``.

    Raises:
        SrkitError: shapes, kinds, dtypes or devices that differ or are not allowed; a bad ``crop_border``.

    Example:
        >>> hr = np.full((8, 8, 3), 100, dtype=np.uint8)
        >>> round(psnr(hr + 1, hr, test_y_channel=False), 4)
        48.1308
        >>> psnr(torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 8))
        tensor([inf, inf], dtype=torch.float64)
    """
    opts = MetricOptions(crop_border=crop_border, test_y_channel=test_y_channel, y_round=y_round)
    if check_pair(sr, hr, opts, "psnr", min_size=1) == "numpy":
        assert isinstance(sr, np.ndarray)
        assert isinstance(hr, np.ndarray)
        x, y = prepare_numpy(sr, hr, opts)
        mse = float(np.mean(np.square(x - y)))
        return float("inf") if mse == 0.0 else float(10.0 * np.log10(_PEAK_SQ / mse))
    assert isinstance(sr, torch.Tensor)
    assert isinstance(hr, torch.Tensor)
    xt, yt = prepare_torch(sr, hr, opts)
    values = 10.0 * torch.log10(_PEAK_SQ / (xt - yt).square().mean(dim=(1, 2, 3)))
    return values if sr.ndim == 4 else values[0]


class PSNR(MetricModule):
    """Module form of :func:`psnr` (torch tensors only); the options are fixed at construction.

    Args:
        crop_border: pixels shaved from every border.
        test_y_channel: measure the MATLAB ``rgb2ycbcr`` Y of 3-channel images.
        y_round: round Y to an integer on the 0-255 scale.

    Shape:
        ``(B, C, H, W)`` -> ``(B,)``; ``(C, H, W)`` -> ``()``.

    Example:
        >>> metric = PSNR(crop_border=4)
        >>> metric(torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)).shape
        torch.Size([2])
    """

    def forward(self, sr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
        """PSNR of each image of ``sr`` against ``hr``; see :func:`psnr`."""
        self._check_tensors(sr, hr)
        return psnr(sr, hr, crop_border=self.crop_border, test_y_channel=self.test_y_channel, y_round=self.y_round)
