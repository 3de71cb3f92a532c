"""Small image utilities used by evaluation and data loading: mod-crop, border shave, dtype conversion.

numpy images are ``(H, W)`` or ``(H, W, C)``; torch images are ``(..., H, W)``. Conversions round explicitly
(half away from zero, as MATLAB's ``uint8()``), never by truncation.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError

Array = TypeVar("Array", np.ndarray, torch.Tensor)


def _hw_axes(image: np.ndarray | torch.Tensor) -> tuple[int, int]:
    if isinstance(image, np.ndarray):
        if image.ndim not in (2, 3):
            raise SrkitError(f"expected a numpy image (H, W) or (H, W, C), got shape {image.shape}")
        return 0, 1
    if image.ndim < 2:
        raise SrkitError(f"expected a tensor (..., H, W), got shape {tuple(image.shape)}")
    return image.ndim - 2, image.ndim - 1


def image_size(image: np.ndarray | torch.Tensor) -> tuple[int, int]:
    """``(height, width)`` of a numpy ``(H, W[, C])`` or torch ``(..., H, W)`` image."""
    ah, aw = _hw_axes(image)
    return int(image.shape[ah]), int(image.shape[aw])


def modcrop(image: Array, scale: int) -> Array:
    """Crop the bottom and right so that height and width are multiples of ``scale`` (a view, not a copy).

    Example:
        >>> modcrop(np.zeros((10, 11, 3)), 4).shape
        (8, 8, 3)
    """
    scale = check_scale("modcrop", scale)
    h, w = image_size(image)
    if h < scale or w < scale:
        raise SrkitError(f"image of size {h}x{w} is smaller than the scale {scale}")
    return _crop(image, 0, h - h % scale, 0, w - w % scale)


def shave(image: Array, border: int) -> Array:
    """Remove ``border`` pixels from every side (a view). ``border = 0`` returns the image itself.

    Example:
        >>> shave(np.zeros((10, 12)), 2).shape
        (6, 8)
    """
    if isinstance(border, bool) or not isinstance(border, int | np.integer) or border < 0:
        raise SrkitError(f"border must be an integer >= 0, got {border!r}")
    h, w = image_size(image)
    if 2 * border >= min(h, w):
        raise SrkitError(f"shaving {border} pixels from each side leaves nothing of a {h}x{w} image")
    return _crop(image, border, h - border, border, w - border)


def _crop(image: Array, top: int, bottom: int, left: int, right: int) -> Array:
    if isinstance(image, np.ndarray):
        return image[top:bottom, left:right]
    return image[..., top:bottom, left:right]


def to_float(image: Array) -> Array:
    """uint8 (0-255) -> float32 in [0, 1]; float input is returned as float32 unchanged in value."""
    if isinstance(image, np.ndarray):
        if image.dtype == np.uint8:
            return image.astype(np.float32) / 255.0
        if image.dtype == np.uint16:
            return image.astype(np.float32) / 65535.0
        if np.issubdtype(image.dtype, np.floating):
            return image.astype(np.float32, copy=False)
        raise SrkitError(f"cannot convert an image of dtype {image.dtype} to float")
    if image.dtype == torch.uint8:
        return image.to(torch.float32) / 255.0
    if image.is_floating_point():
        return image.to(torch.float32)
    raise SrkitError(f"cannot convert a tensor of dtype {image.dtype} to float")


def to_uint8(image: Array) -> Array:
    """Float in [0, 1] -> uint8: clamp to [0, 1], scale by 255, round half away from zero (as MATLAB)."""
    if isinstance(image, np.ndarray):
        if image.dtype == np.uint8:
            return image
        if not np.issubdtype(image.dtype, np.floating):
            raise SrkitError(f"to_uint8 expects a float image in [0, 1], got dtype {image.dtype}")
        return np.floor(np.clip(image.astype(np.float64), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if image.dtype == torch.uint8:
        return image
    if not image.is_floating_point():
        raise SrkitError(f"to_uint8 expects a float tensor in [0, 1], got dtype {image.dtype}")
    return torch.floor(image.double().clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8)
