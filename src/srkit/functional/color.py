"""Colour conversions exactly as MATLAB's ``rgb2ycbcr`` / ``ycbcr2rgb`` (ITU-R BT.601, studio range).

Every function accepts a numpy array with channels last ``(..., 3)`` or a torch tensor with channels first
``(..., 3, H, W)`` and returns the same kind. Values are on the 0-255 scale for ``uint8`` input and on the 0-1
scale for floating-point input, as in MATLAB. Results are float (never rounded) unless the input is ``uint8``
and ``round_uint8=True`` is passed, which reproduces MATLAB's ``rgb2ycbcr`` on a uint8 image.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

from srkit._core.errors import SrkitError

Array = TypeVar("Array", np.ndarray, torch.Tensor)

# Rows: Y, Cb, Cr. Input R, G, B in [0, 1]; output on the 0-255 scale before the offset.
_RGB2YCBCR = np.array(
    [
        [65.481, 128.553, 24.966],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ],
    dtype=np.float64,
)
_OFFSET = np.array([16.0, 128.0, 128.0], dtype=np.float64)
_YCBCR2RGB = np.linalg.inv(_RGB2YCBCR)


def _channel_axis(image: np.ndarray | torch.Tensor) -> int:
    axis = -1 if isinstance(image, np.ndarray) else -3
    if image.ndim < (1 if axis == -1 else 3) or image.shape[axis] != 3:
        layout = "(..., 3)" if axis == -1 else "(..., 3, H, W)"
        raise SrkitError(f"expected an RGB image of shape {layout}, got {tuple(image.shape)}")
    return axis


def _to_unit_float(image: Array) -> tuple[Array, bool]:
    """Float64 (numpy) or float (torch) copy in [0, 1]; the flag says whether the input was uint8."""
    if isinstance(image, np.ndarray):
        if image.dtype == np.uint8:
            return image.astype(np.float64) / 255.0, True
        if not np.issubdtype(image.dtype, np.floating):
            raise SrkitError(f"expected uint8 or float image, got dtype {image.dtype}")
        return image.astype(np.float64, copy=False), False
    if image.dtype == torch.uint8:
        return image.to(torch.float64) / 255.0, True
    if not image.is_floating_point():
        raise SrkitError(f"expected uint8 or float image, got dtype {image.dtype}")
    return image, False


def _matmul(image: Array, matrix: np.ndarray, offset: np.ndarray, axis: int) -> Array:
    if isinstance(image, np.ndarray):
        return np.tensordot(image, matrix.T, axes=([axis], [0])) + offset
    m = torch.as_tensor(matrix, dtype=image.dtype, device=image.device)
    o = torch.as_tensor(offset, dtype=image.dtype, device=image.device)
    out = torch.einsum("ij,...jhw->...ihw", m, image)
    return out + o[:, None, None]


def _finish(result: Array, was_uint8: bool, round_uint8: bool) -> Array:
    """Back to the input's scale: 0-255 (uint8 if asked) for uint8 input, 0-1 for float input."""
    if was_uint8:
        if not round_uint8:
            return result
        if isinstance(result, np.ndarray):
            return np.clip(np.floor(result + 0.5), 0, 255).astype(np.uint8)
        return torch.floor(result + 0.5).clamp_(0, 255).to(torch.uint8)
    return result / 255.0


def rgb_to_ycbcr(image: Array, *, round_uint8: bool = False) -> Array:
    """RGB to YCbCr as MATLAB ``rgb2ycbcr`` (BT.601: Y in [16, 235], Cb/Cr in [16, 240] on the 0-255 scale).

    Args:
        image: RGB, numpy ``(..., 3)`` or torch ``(..., 3, H, W)``; uint8 (0-255) or float (0-1).
        round_uint8: for uint8 input, round half up and return uint8 as MATLAB does; otherwise float.

    Returns:
        YCbCr of the same layout; on the 0-255 scale for uint8 input (float unless ``round_uint8``), 0-1 for
        float input.

    Example:
        >>> rgb_to_ycbcr(np.array([[[255, 255, 255]]], dtype=np.uint8))[0, 0].round(3).tolist()
        [235.0, 128.0, 128.0]
    """
    axis = _channel_axis(image)
    unit, was_uint8 = _to_unit_float(image)
    return _finish(_matmul(unit, _RGB2YCBCR, _OFFSET, axis), was_uint8, round_uint8)


def rgb_to_y(image: Array, *, round_uint8: bool = False) -> Array:
    """The luma channel Y of :func:`rgb_to_ycbcr`, with the channel axis removed.

    Shape:
        numpy ``(..., 3) -> (...)``; torch ``(..., 3, H, W) -> (..., H, W)``.
    """
    axis = _channel_axis(image)
    unit, was_uint8 = _to_unit_float(image)
    if isinstance(unit, np.ndarray):
        y = np.tensordot(unit, _RGB2YCBCR[0], axes=([axis], [0])) + _OFFSET[0]
    else:
        w = torch.as_tensor(_RGB2YCBCR[0], dtype=unit.dtype, device=unit.device)
        y = torch.einsum("j,...jhw->...hw", w, unit) + _OFFSET[0]
    return _finish(y, was_uint8, round_uint8)


def ycbcr_to_rgb(image: Array) -> Array:
    """YCbCr (MATLAB convention, as produced by :func:`rgb_to_ycbcr`) back to RGB.

    uint8 input (0-255) gives uint8 RGB, rounded and saturated; float input on the 0-1 scale gives float RGB in
    [0, 1] (not clipped, so the round trip is exact).
    """
    axis = _channel_axis(image)
    _to_unit_float(image)  # dtype check: uint8 or float only
    if isinstance(image, np.ndarray):
        scaled = image.astype(np.float64) if image.dtype == np.uint8 else image.astype(np.float64) * 255.0
        rgb = np.tensordot(scaled - _OFFSET, _YCBCR2RGB.T, axes=([axis], [0]))
        if image.dtype == np.uint8:
            return np.clip(np.floor(rgb * 255.0 + 0.5), 0, 255).astype(np.uint8)
        return rgb
    was_uint8 = image.dtype == torch.uint8
    if not was_uint8:
        return _ycbcr_to_rgb_float(image)
    dtype = torch.float64 if was_uint8 else image.dtype
    scaled = image.to(dtype) if was_uint8 else image * 255.0
    o = torch.as_tensor(_OFFSET, dtype=dtype, device=image.device)[:, None, None]
    m = torch.as_tensor(_YCBCR2RGB, dtype=dtype, device=image.device)
    rgb = torch.einsum("ij,...jhw->...ihw", m, scaled - o)
    if was_uint8:
        return torch.floor(rgb * 255.0 + 0.5).clamp_(0, 255).to(torch.uint8)
    return rgb


# rgb = _A @ ycbcr + _B for YCbCr and RGB both on the 0-1 scale
_A = 255.0 * _YCBCR2RGB
_B = -(_YCBCR2RGB @ _OFFSET)


def _ycbcr_to_rgb_float(image: torch.Tensor) -> torch.Tensor:
    y, cb, cr = image.unbind(-3)
    return ycbcr_planes_to_rgb(y.unsqueeze(-3), cb.unsqueeze(-3), cr.unsqueeze(-3))


def ycbcr_planes_to_rgb(y: torch.Tensor, cb: torch.Tensor, cr: torch.Tensor) -> torch.Tensor:
    """:func:`ycbcr_to_rgb` for float tensors given as three planes ``(..., 1, H, W)`` (0-1 scale), computed as a
    few in-place passes per channel (an einsum is several times slower on large images on the CPU). A 4-D result
    is channels-last in memory, so that ``out[0].permute(1, 2, 0)`` is an ``(H, W, 3)`` image without a copy.

    Shape:
        ``(..., 1, H, W)`` x 3 -> ``(..., 3, H, W)``.
    """
    shape = (*y.shape[:-3], 3, *y.shape[-2:])
    fmt = torch.channels_last if len(shape) == 4 else torch.contiguous_format
    out = torch.empty(shape, dtype=y.dtype, device=y.device, memory_format=fmt)
    for c in range(3):
        ch = out.narrow(-3, c, 1)
        torch.mul(y, float(_A[c, 0]), out=ch)
        ch.add_(cb, alpha=float(_A[c, 1])).add_(cr, alpha=float(_A[c, 2])).add_(float(_B[c]))
    return out


def gray_to_rgb(image: Array) -> Array:
    """Repeat a single-channel image to three channels: numpy ``(H, W)`` or ``(H, W, 1)`` -> ``(H, W, 3)``,
    torch ``(..., 1, H, W)`` -> ``(..., 3, H, W)``."""
    if isinstance(image, np.ndarray):
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim != 2:
            raise SrkitError(f"expected a grayscale image (H, W) or (H, W, 1), got {image.shape}")
        return np.repeat(image[..., None], 3, axis=-1)
    if image.ndim < 3 or image.shape[-3] != 1:
        raise SrkitError(f"expected a grayscale tensor (..., 1, H, W), got {tuple(image.shape)}")
    return image.expand(*image.shape[:-3], 3, *image.shape[-2:]).clone()
