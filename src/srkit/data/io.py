"""Reading and writing images with checks at the boundary: a missing, corrupt, empty or oversized file gives a
one-line :class:`SrkitError` naming the file, never a traceback from the imaging library."""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, UnidentifiedImageError

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DEFAULT_MAX_PIXELS = 20_000 * 20_000  # refuse larger images (decompression bombs) unless the caller raises it


def read_image(
    path: str | os.PathLike[str], *, gray_to_rgb: bool = False, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Read an image file as uint8: ``(H, W, 3)`` for colour, ``(H, W)`` for a grayscale file.

    Args:
        path: the image file (PNG, JPEG, BMP, TIFF, WebP, ...).
        gray_to_rgb: return a grayscale file as three identical channels instead of ``(H, W)``.
        max_pixels: refuse images with more pixels than this (protection against decompression bombs).

    Returns:
        A uint8 array. Alpha is dropped; palette and 16-bit images are converted to 8-bit RGB / gray.

    Raises:
        SrkitError: the file is missing, not an image, truncated, empty, or too large.
    """
    p = Path(path)
    if not p.exists():
        raise SrkitError(f"image not found: {p}")
    if not p.is_file():
        raise SrkitError(f"not a file: {p}")
    try:
        with _pixel_limit(max_pixels), Image.open(p) as im:
            w, h = im.size
            if w * h > max_pixels:
                raise SrkitError(f"image too large: {p} has {w}x{h} pixels, the limit is {max_pixels}")
            im.load()
            array = _to_uint8_array(im)
    except SrkitError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as err:
        raise SrkitError(f"cannot read image {p}: {_first_line(err)}") from None
    except (OSError, ValueError, SyntaxError) as err:  # truncated or corrupt data
        raise SrkitError(f"cannot read image {p}: {_first_line(err)}") from None
    if array.size == 0:
        raise SrkitError(f"image is empty: {p}")
    if gray_to_rgb and array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=-1)
    return array


_PIL_LIMIT_LOCK = threading.Lock()


@contextlib.contextmanager
def _pixel_limit(max_pixels: int) -> Iterator[None]:
    """Make Pillow's own decompression-bomb limit match ``max_pixels`` while a file is opened (our check,
    with its clearer message, runs right after ``Image.open``)."""
    with _PIL_LIMIT_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max(int(max_pixels), 1)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                # Pillow's notes on a damaged file ("Corrupt EXIF data", "Tag data larger than file"): what
                # matters is whether the pixels decode, which the caller learns by an error
                warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
                yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _to_uint8_array(im: Image.Image) -> np.ndarray:
    if im.mode in ("L", "RGB"):
        return np.asarray(im).copy()
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        data = np.asarray(im).astype(np.float64)
        top = 65535.0 if data.max(initial=0) > 255 or im.mode.startswith("I;16") else 255.0
        return np.floor(np.clip(data, 0, top) * (255.0 / top) + 0.5).astype(np.uint8)
    if im.mode in ("LA", "La", "1"):
        return np.asarray(im.convert("L")).copy()
    return np.asarray(im.convert("RGB")).copy()


def write_image(path: str | os.PathLike[str], image: np.ndarray, *, overwrite: bool = True) -> None:
    """Write a uint8 image ``(H, W)`` or ``(H, W, 3|4)`` atomically; the format follows the suffix."""
    p = Path(path)
    if p.suffix.lower() not in IMAGE_SUFFIXES:
        raise SrkitError(f"unsupported image format {p.suffix!r} for {p}; use one of {', '.join(IMAGE_SUFFIXES)}")
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise SrkitError(f"write_image expects uint8 (H, W) or (H, W, 3|4), got {image.dtype} {image.shape}")
    fmt = Image.registered_extensions()[p.suffix.lower()]
    with atomic_path(p, overwrite=overwrite) as tmp:
        try:
            Image.fromarray(image).save(tmp, format=fmt)
        except (OSError, ValueError) as err:
            raise SrkitError(f"cannot write {p}: {_first_line(err)}") from None


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
    (b"II+\x00", ".tif"),  # BigTIFF
    (b"MM\x00+", ".tif"),
    (b"BM", ".bmp"),
)


def sniff_suffix(head: bytes) -> str | None:
    """The image format of a file from its first bytes (its signature, at least 12 bytes), as the suffix srkit
    writes it (``.png``, ``.jpg``, ``.tif``, ``.bmp``, ``.webp``); None for anything else. The file's name is not
    asked: a name can lie.

    Example:
        >>> sniff_suffix(b"RIFF\x10\x00\x00\x00WEBPVP8 "), sniff_suffix(b"GIF89a......")
        ('.webp', None)
    """
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    return next((suffix for magic, suffix in _SIGNATURES if head.startswith(magic)), None)


def image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` from the file's header, without decoding the pixels (a decompression bomb costs nothing).

    Raises:
        SrkitError: not an image file that srkit reads.
    """
    p = Path(path)
    with _PIL_LIMIT_LOCK:  # Pillow's limit is global: no other thread may open a file while it is lifted
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(p) as im:
                return int(im.width), int(im.height)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as err:
            first = err
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    try:  # TIFFs that Pillow does not open (float RGB, ...)
        with tifffile.TiffFile(p) as tif:
            page = tif.pages.first
            return int(page.imagewidth), int(page.imagelength)
    except Exception:  # tifffile raises many kinds for a non-TIFF; Pillow's error says what is wrong
        raise SrkitError(f"not an image srkit can read: {_first_line(first)}") from None


def list_images(folder: str | os.PathLike[str]) -> list[Path]:
    """Image files directly in ``folder`` (by suffix), sorted by name.

    Raises:
        SrkitError: the folder does not exist, is not a folder, or holds no image.
    """
    f = Path(folder)
    if not f.exists():
        raise SrkitError(f"folder not found: {f}")
    if not f.is_dir():
        raise SrkitError(f"not a folder: {f}")
    files = sorted(p for p in f.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise SrkitError(f"no images in {f} (looked for {', '.join(IMAGE_SUFFIXES)})")
    return files
