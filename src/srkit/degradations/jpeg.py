"""JPEG compression artefacts: encode and decode each image with Pillow (libjpeg) at a given quality.

Rounding: the float image is clamped to [0, 1], scaled by 255 and rounded half up to uint8 (as
:func:`srkit.functional.to_uint8` and MATLAB ``im2uint8``; BSRGAN's ``np.round`` differs only on exact halves);
the decoded uint8 image is divided by 255. Chroma is subsampled 4:2:0 by default (libjpeg's and OpenCV's
default, used by BSRGAN). The round trip runs on the CPU, one image at a time, and is not differentiable: the
output carries no gradient. Real-ESRGAN uses a differentiable JPEG (DiffJPEG) with a real-valued quality;
here the quality is an integer, and libjpeg's output is deterministic.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from PIL import Image

from srkit._core.errors import SrkitError
from srkit.degradations.kernels import _as_batch, _check_range, _randint
from srkit.functional.image import to_uint8

__all__ = ["JPEGCompression", "JPEGParams", "apply_jpeg", "jpeg_compress", "sample_jpeg"]

Subsampling = Literal["4:4:4", "4:2:2", "4:2:0"]
_SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


def _check_quality(quality: int) -> None:
    if isinstance(quality, bool) or not isinstance(quality, int | np.integer) or not 1 <= quality <= 100:
        raise SrkitError(f"JPEG quality must be an integer in [1, 100], got {quality!r}")


def _round_trip(image: np.ndarray, quality: int, subsampling: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=int(quality), subsampling=subsampling)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("L" if image.ndim == 2 else "RGB"))


@torch.no_grad()
def jpeg_compress(x: torch.Tensor, quality: int, *, subsampling: Subsampling = "4:2:0") -> torch.Tensor:
    """Compress and decompress every image as a JPEG file of the given ``quality``.

    Args:
        x: images in [0, 1] with 1 (gray) or 3 (RGB) channels.
        quality: libjpeg quality, an integer in [1, 100] (100: finest quantisation; chroma still subsampled
            unless ``subsampling="4:4:4"``).
        subsampling: chroma subsampling of RGB images.

    Returns:
        The decoded images, on the 1/255 grid, same shape, dtype and device as ``x``, without gradient.

    Shape:
        ``(B, C, H, W)`` or ``(C, H, W)`` with ``C`` 1 or 3.

    Example:
        >>> jpeg_compress(torch.rand(3, 16, 16), 50).shape
        torch.Size([3, 16, 16])
    """
    x4, single = _as_batch(x)
    _check_quality(quality)
    if x4.shape[1] not in (1, 3):
        raise SrkitError(f"JPEG needs 1 (gray) or 3 (RGB) channels, got {x4.shape[1]}")
    if subsampling not in _SUBSAMPLING:
        raise SrkitError(f"subsampling must be one of {', '.join(_SUBSAMPLING)}, got {subsampling!r}")
    images = to_uint8(x4.detach()).cpu().numpy()  # (B, C, H, W) uint8
    decoded = []
    for img in images:
        hwc = img[0] if img.shape[0] == 1 else np.ascontiguousarray(img.transpose(1, 2, 0))
        out = _round_trip(hwc, quality, _SUBSAMPLING[subsampling])
        decoded.append(out[None] if out.ndim == 2 else out.transpose(2, 0, 1))
    y = torch.from_numpy(np.stack(decoded)).to(device=x4.device, dtype=x4.dtype) / 255.0
    return y[0] if single else y


@dataclass(frozen=True)
class JPEGParams:
    """Sampled JPEG compression: the integer ``quality`` in [1, 100] and the chroma ``subsampling``."""

    quality: int
    subsampling: Subsampling = "4:2:0"

    def __post_init__(self) -> None:
        _check_quality(self.quality)
        if self.subsampling not in _SUBSAMPLING:
            raise SrkitError(f"subsampling must be one of {', '.join(_SUBSAMPLING)}, got {self.subsampling!r}")


def apply_jpeg(x: torch.Tensor, params: JPEGParams) -> torch.Tensor:
    """:func:`jpeg_compress` with the sampled parameters (deterministic).

    Example:
        >>> apply_jpeg(torch.rand(1, 3, 8, 8), JPEGParams(quality=75)).shape
        torch.Size([1, 3, 8, 8])
    """
    return jpeg_compress(x, params.quality, subsampling=params.subsampling)


def sample_jpeg(generator: torch.Generator, *, quality_range: tuple[int, int] = (30, 95)) -> JPEGParams:
    """Draw a quality uniformly among the integers of ``quality_range`` (both included). Default ``[30, 95]``:
    Real-ESRGAN (both orders) and BSRGAN.

    Example:
        >>> 30 <= sample_jpeg(torch.Generator().manual_seed(0)).quality <= 95
        True
    """
    lo, hi = _check_range("quality_range", quality_range, 1, 100)
    if lo != int(lo) or hi != int(hi):
        raise SrkitError(f"quality_range must hold integers, got {quality_range!r}")
    return JPEGParams(quality=_randint(generator, int(lo), int(hi)))


class JPEGCompression(torch.nn.Module):
    """Module form of :func:`jpeg_compress` at a fixed quality.

    Example:
        >>> JPEGCompression(quality=40)(torch.rand(2, 3, 8, 8)).shape
        torch.Size([2, 3, 8, 8])
    """

    def __init__(self, *, quality: int, subsampling: Subsampling = "4:2:0") -> None:
        super().__init__()
        self.params = JPEGParams(quality=quality, subsampling=subsampling)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return apply_jpeg(x, self.params)
