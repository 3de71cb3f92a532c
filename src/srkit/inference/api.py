"""``srkit.upscale``: one call for a path, a PIL image, a numpy array or a tensor, giving back the same kind.

Example::

    import srkit
    big = srkit.upscale("photo.jpg", scale=4)                  # a PIL image (srkit's default model)
    srkit.upscale("photo.jpg", scale=2.5, output="big.png")   # written with the photo's ICC profile and EXIF
    arr = srkit.upscale(np.asarray(img), scale=3, model="srkit_fast")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from PIL import Image
from torch import nn

from srkit._core.errors import SrkitError
from srkit.archs.shipped import DEFAULT_MODEL
from srkit.data.imagefile import PictureWriter, picture_from_pil, picture_to_pil, read_picture
from srkit.data.io import DEFAULT_MAX_PIXELS
from srkit.inference.tiling import ProgressFn, TileArg
from srkit.inference.upscale import Upscaler

__all__ = ["get_upscaler", "upscale", "upscale_file"]

ImageLike = TypeVar("ImageLike", Image.Image, np.ndarray, torch.Tensor)
_CACHE: dict[tuple[str, str, str, Any, Any, bool], Upscaler] = {}


def get_upscaler(
    model: nn.Module | str | os.PathLike[str] | Upscaler = DEFAULT_MODEL,
    *,
    device: str = "cpu",
    precision: str = "auto",
    tile: TileArg = "auto",
    overlap: int | None = None,
    tta: bool = False,
) -> Upscaler:
    """An :class:`Upscaler` for these settings; models given by name or path are loaded once and reused."""
    if isinstance(model, Upscaler):
        return model
    if isinstance(model, nn.Module):
        return Upscaler(model, device=device, precision=precision, tile=tile, overlap=overlap, tta=tta)
    key = (str(model), device, precision, tile, overlap, tta)
    if key not in _CACHE:
        _CACHE[key] = Upscaler(str(model), device=device, precision=precision, tile=tile, overlap=overlap, tta=tta)
    return _CACHE[key]


def _tensor(image: torch.Tensor, up: Upscaler, scale: float, on_tile: ProgressFn | None) -> torch.Tensor:
    if image.ndim not in (3, 4) or image.shape[-3] not in (1, 2, 3, 4):
        raise SrkitError(f"expected a tensor (C, H, W) or (B, C, H, W) with 1-4 channels, got {tuple(image.shape)}")
    if not (image.is_floating_point() or image.dtype == torch.uint8):
        raise SrkitError(f"expected a float tensor in [0, 1] or uint8, got {image.dtype}")
    batch = image if image.ndim == 4 else image[None]
    outs = []
    for item in batch:
        pixels = item.detach().permute(1, 2, 0).cpu()
        array = pixels.numpy() if item.dtype == torch.uint8 else pixels.float().numpy()
        outs.append(torch.from_numpy(up.upscale_array(array, scale, on_tile=on_tile)).permute(2, 0, 1))
    out = torch.stack(outs).to(image.device, image.dtype)
    return out if image.ndim == 4 else out[0]


def upscale(
    image: ImageLike | str | os.PathLike[str],
    scale: float = 4,
    model: nn.Module | str | os.PathLike[str] | Upscaler = DEFAULT_MODEL,
    *,
    output: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    device: str = "cpu",
    precision: str = "auto",
    tile: TileArg = "auto",
    overlap: int | None = None,
    tta: bool = False,
    on_tile: ProgressFn | None = None,
) -> Any:
    """Upscale an image by ``scale`` (any number > 1) with srkit's default model or ``model``.

    Args:
        image: a file path, a PIL image, a numpy array ``(H, W)`` / ``(H, W, C)`` (uint8, uint16, or float in
            [0, 1]; C = 1-4: L, LA, RGB, RGBA) or a tensor ``(C, H, W)`` / ``(B, C, H, W)`` (float in [0, 1] or
            uint8).
        scale: output/input size ratio; the model runs at the nearest scale it serves at or above, and the result
            is resized exactly (MATLAB bicubic) where needed.
        model: a shipped model name (``"srkit"``, ``"srkit_fast"``), a checkpoint path, a module with a card, or an
            :class:`Upscaler`.
        output: for a path ``image``, write the result there (format from the suffix; ICC profile and EXIF kept
            where the format allows) and return the output path.
        overwrite: replace an existing ``output``.
        device, precision, tile, overlap, tta: as in :class:`Upscaler`.
        on_tile: called as ``on_tile(done, total)`` after each tile.

    Returns:
        The same kind as ``image``: a PIL image in the same mode (palette images come back RGB/RGBA), a numpy
        array of the same dtype and layout, a tensor of the same dtype, layout and device. A path gives a PIL image
        (a numpy ``uint16`` array for 16-bit colour files, which PIL cannot hold), or the output path if
        ``output`` is given.

    Raises:
        SrkitError: an unreadable image, a bad scale, an unknown model, an unavailable device or precision.
    """
    up = get_upscaler(model, device=device, precision=precision, tile=tile, overlap=overlap, tta=tta)
    if isinstance(image, str | os.PathLike):
        if output is not None:
            upscale_file(image, output, scale, up, overwrite=overwrite, on_tile=on_tile)
            return Path(output)
        pixels = up.upscale_array(read_picture(image).pixels, scale, on_tile=on_tile)
        return pixels if pixels.dtype == np.uint16 and pixels.shape[2] > 1 else picture_to_pil(pixels)
    if output is not None:
        raise SrkitError("output= is for path inputs; save the returned image yourself")
    if isinstance(image, Image.Image):
        pixels = up.upscale_array(picture_from_pil(image).pixels, scale, on_tile=on_tile)
        return picture_to_pil(pixels)
    if isinstance(image, np.ndarray):
        if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 2, 3, 4)):
            raise SrkitError(f"expected an array (H, W) or (H, W, C) with 1-4 channels, got {image.shape}")
        return up.upscale_array(image, scale, on_tile=on_tile)
    if isinstance(image, torch.Tensor):
        return _tensor(image, up, scale, on_tile)
    raise SrkitError(f"cannot upscale a {type(image).__name__}: give a path, PIL image, numpy array or tensor")


def upscale_file(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    scale: float,
    upscaler: Upscaler,
    *,
    overwrite: bool = False,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    quality: int = 95,
    on_tile: ProgressFn | None = None,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Upscale the image file ``source`` into ``target``, streaming the output band by band (PNG and TIFF are
    written as the bands come, so memory stays bounded for huge images), atomically, keeping bit depth, alpha,
    ICC profile and EXIF where the target format allows. Returns the input and output ``(height, width)``."""
    pic = read_picture(source, max_pixels=max_pixels)
    h, w = pic.pixels.shape[:2]
    _, size = upscaler.plan(h, w, scale)
    with PictureWriter(
        target,
        height=size[0],
        width=size[1],
        channels=pic.pixels.shape[2],
        dtype=pic.pixels.dtype,
        like=pic,
        overwrite=overwrite,
        quality=quality,
    ) as writer:
        upscaler.stream(pic.pixels, scale, writer.write, on_tile=on_tile)
    return (h, w), size
