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
from srkit.data.imagefile import Picture, PictureWriter, picture_from_pil, picture_to_pil, pil_can_hold, read_picture
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


def _pil(image: Image.Image, up: Upscaler, scale: float, on_tile: ProgressFn | None) -> Image.Image:
    """A PIL image upscaled in its own mode: L/LA/RGB/RGBA, I;16 and F (float32) as they are, I (int32) through
    its 16-bit values; palette, bilevel and other colour spaces as documented in :func:`upscale`."""
    pixels = up.upscale_array(picture_from_pil(image).pixels, scale, on_tile=on_tile)
    if image.mode == "I":  # 32-bit integers holding 16-bit values (refused otherwise): back to mode I
        return Image.fromarray(pixels[..., 0].astype(np.int32))
    return picture_to_pil(pixels)


def _read(path: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS) -> Picture:
    """``read_picture`` with the size check that names the file (an error in a batch must say which)."""
    pic = read_picture(path, max_pixels=max_pixels)
    if min(pic.height, pic.width) < 2:
        raise SrkitError(f"{path} is {pic.width}x{pic.height} pixels: too small to upscale (at least 2x2)")
    return pic


def _check_not_input(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Refuse an output that is the input file (however spelled: relative, ``..``, a symlink, a hard link)."""
    src, dst = Path(source), Path(target)
    same = src.resolve() == dst.resolve()
    if not same and dst.exists():
        try:
            same = os.path.samefile(src, dst)
        except OSError:
            same = False
    if same:
        raise SrkitError(f"the output {dst} is the input {src}: srkit never replaces its input; choose another output")


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
    """Upscale an image by ``scale`` (any number > 1; 1 with a same-size model) with srkit's default model or ``model``.

    Args:
        image: a file path, a PIL image, a numpy array ``(H, W)`` / ``(H, W, C)`` (uint8, uint16, or float in
            [0, 1]; C = 1-4: L, LA, RGB, RGBA) or a tensor ``(C, H, W)`` / ``(B, C, H, W)`` (float in [0, 1] or
            uint8).
        scale: output/input size ratio; the model runs at the nearest scale it serves at or above, and the result
            is resized exactly (MATLAB bicubic) where needed.
        model: a shipped model name (``"srkit"``, ``"srkit_fast"``), a checkpoint path, a module with a card, or an
            :class:`Upscaler`.
        output: for a path ``image``, write the result there (format from the suffix; ICC profile and EXIF kept
            where the format allows) and return the output path; never the input file itself.
        overwrite: replace an existing ``output`` (other than the input).
        device, precision, tile, overlap, tta: as in :class:`Upscaler`.
        on_tile: called as ``on_tile(done, total)`` after each tile.

    Returns:
        The same kind as ``image``: a PIL image in the same mode (L, LA, RGB, RGBA, I;16, I and F are kept;
        palette images come back RGB/RGBA, mode 1 as L, CMYK/YCbCr/LAB as RGB), a numpy array of the same dtype
        and layout, a tensor of the same dtype, layout and device. A path gives a PIL image, or a numpy array
        where PIL cannot hold the pixels (16-bit colour, float colour from a float TIFF), or the output path if
        ``output`` is given.

    Raises:
        SrkitError: an unreadable image (also one of several frames: an animated GIF/PNG/WebP, a multi-page
            TIFF), an image under 2x2 pixels, float pixels that are not finite or outside [0, 1], a scale that is
            not in (1, 64], an unknown model, an unavailable device or precision, an ``output`` that is the input.
    """
    up = get_upscaler(model, device=device, precision=precision, tile=tile, overlap=overlap, tta=tta)
    if isinstance(image, str | os.PathLike):
        if output is not None:
            upscale_file(image, output, scale, up, overwrite=overwrite, on_tile=on_tile)
            return Path(output)
        pixels = up.upscale_array(_read(image).pixels, scale, on_tile=on_tile)
        return picture_to_pil(pixels) if pil_can_hold(pixels) else pixels
    if output is not None:
        raise SrkitError("output= is for path inputs; save the returned image yourself")
    if isinstance(image, Image.Image):
        return _pil(image, up, scale, on_tile)
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
    ICC profile and EXIF where the target format allows. Returns the input and output ``(height, width)``.

    Raises:
        SrkitError: ``target`` is ``source`` (however spelled), an unreadable or too small image, or an unwritable
            ``target`` (existing without ``overwrite``, a format that cannot hold the pixels).
    """
    _check_not_input(source, target)
    pic = _read(source, max_pixels)
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
