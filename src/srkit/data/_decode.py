"""The decoding behind :func:`srkit.data.imagefile.read_picture`: turn a file (or a Pillow image) into upright
uint8 / uint16 (or floating-point) pixels ``(H, W, C)`` and the metadata worth keeping (ICC profile, EXIF with its
Orientation reset to 1, dpi). 16-bit PNG goes through pypng and deep TIFF through tifffile, everything else through
Pillow; the module notes of :mod:`srkit.data.imagefile` list the conversions. A file of several frames (an animated
GIF, PNG or WebP, a multi-page TIFF) is refused: which frame to upscale is the user's choice."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import png  # type: ignore[import-untyped]
import tifffile
from PIL import Image, UnidentifiedImageError

from srkit._core.errors import SrkitError

__all__ = ["FLOAT_DTYPES", "READ_ERRORS", "Decoded", "decode_file", "decode_pil", "icc_fits"]

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
"""Floating-point pixels (in [0, 1]) that are kept as they are: from float TIFFs and Pillow's mode F."""
_FRAMED = ("GIF", "PNG", "WEBP", "TIFF")  # formats whose extra frames are images of their own (not previews, layers)

_EXIF_HEADER = b"Exif\x00\x00"
_ORIENTATION = 0x0112
READ_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    struct.error,
    zlib.error,
    png.Error,
)
"""What decoding a bad file may raise besides :class:`SrkitError` (the caller turns them into one)."""


class Decoded(NamedTuple):
    """The fields of a :class:`srkit.data.imagefile.Picture`, in its order: ``Picture(*decoded)``."""

    pixels: np.ndarray
    format: str | None
    icc_profile: bytes | None
    exif: bytes | None
    dpi: tuple[float, float] | None


def decode_file(p: Path, max_pixels: int) -> Decoded:
    """Decode the single image of ``p``, upright, with its metadata.

    Runs inside ``srkit.data.io._pixel_limit``, which holds the lock on Pillow's global limit.

    Raises:
        SrkitError: too large, empty, several frames, an unsupported TIFF colour space, or values that do not fit
            16 bits (floats: outside [0, 1]).
        READ_ERRORS: the file is not an image, corrupt or truncated.
    """
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # open reads only the header: our check follows
    try:
        im = Image.open(p)
    except UnidentifiedImageError:
        if _is_tiff(p):  # float RGB and other TIFFs Pillow cannot open
            return _read_tiff(p, max_pixels)
        raise
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    with im:
        _check_size(p, im.width, im.height, max_pixels)
        if im.format in _FRAMED and im.format != "TIFF":  # TIFF pages: previews are not frames, see _full_pages
            _check_frames(p, int(getattr(im, "n_frames", 1)), "an animation")
        if im.format == "PNG" and _png_bit_depth(p) == 16:
            return _finish(_read_png16(p), "PNG", im.info, _info_exif(im.info), _orientation_of(im, loaded=False))
        if im.format == "TIFF" and _tiff_is_deep(im):
            return _read_tiff(p, max_pixels)
        if im.format == "TIFF":
            _check_frames(p, _tiff_frames(p), "a multi-page TIFF")
        im.load()
        return decode_pil(im)


def decode_pil(image: Image.Image) -> Decoded:
    """Decode a (loaded) Pillow image upright, keeping its ICC profile (unless recoloured), EXIF and dpi."""
    pixels, recoloured = _pil_pixels(image)
    info = dict(image.info)
    if recoloured:
        info.pop("icc_profile", None)
    return _finish(pixels, image.format, info, _info_exif(info), _orientation_of(image, loaded=True))


def _pil_pixels(im: Image.Image) -> tuple[np.ndarray, bool]:
    """Pixels ``(H, W, C)`` of ``im`` and whether its colour space was converted."""
    mode, clear = im.mode, "transparency" in im.info
    if mode in ("L", "LA", "RGB", "RGBA") and not (clear and mode in ("L", "RGB")):
        return _channels_last(np.asarray(im)), False
    if mode.startswith("I;16"):
        return _channels_last(np.asarray(im).astype(np.uint16)), False
    if mode == "F":  # 32-bit float: kept as float32 (values in [0, 1])
        return _channels_last(_check_float(np.asarray(im), "image")), False
    if mode == "I":
        return _channels_last(_to_uint16(np.asarray(im), "image")), False
    if mode in ("1", "L"):
        target = "LA" if clear else "L"
    elif mode in ("LA", "La"):
        target = "LA"
    elif mode in ("P", "PA", "RGB", "RGBA", "RGBa", "RGBX"):
        target = "RGBA" if (clear or mode in ("PA", "RGBA", "RGBa")) else "RGB"
    else:  # CMYK, YCbCr, LAB, HSV, ...: the source profile no longer applies
        return np.asarray(im.convert("RGBA" if im.has_transparency_data else "RGB")), True
    return _channels_last(np.asarray(im.convert(target))), False


def _channels_last(a: np.ndarray) -> np.ndarray:
    return a[..., None] if a.ndim == 2 else a


def _check_frames(p: Path, frames: int, what: str) -> None:
    if frames > 1:
        raise SrkitError(
            f"{p} has {frames} frames ({what}): srkit upscales single images and will not pick one for you; "
            "save the frame you want as its own file"
        )


def _tiff_frames(p: Path) -> int:
    with tifffile.TiffFile(p) as tif:
        return _full_pages(tif)


def _full_pages(tif: tifffile.TiffFile) -> int:
    """Full-resolution pages of a TIFF (reduced-resolution previews and transparency masks are not frames)."""
    return sum(1 for page in tif.pages if not int(getattr(page, "subfiletype", 0)) & 0b101)


def _check_float(a: np.ndarray, what: str) -> np.ndarray:
    """Floating-point samples kept as they are (native byte order) when they are finite and in [0, 1]."""
    if a.size:
        lo, hi = a.min(), a.max()
        if not (np.isfinite(lo) and np.isfinite(hi) and lo >= 0 and hi <= 1):
            raise SrkitError(f"{what} holds floats from {lo:g} to {hi:g}; only [0, 1] can be read, convert it first")
    return a.astype(a.dtype.newbyteorder("="), copy=False)


def _to_uint16(a: np.ndarray, what: str) -> np.ndarray:
    """Unsigned 8/16-bit data as is; floats in [0, 1] and integers in [0, 65535] as uint16; refuse the rest."""
    if a.dtype in (np.uint8, np.uint16):
        return a.astype(a.dtype.newbyteorder("="), copy=False)
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if a.size == 0:
        return a.astype(np.uint16)
    lo, hi = a.min(), a.max()
    if np.issubdtype(a.dtype, np.floating):
        if not (np.isfinite(lo) and np.isfinite(hi) and lo >= 0 and hi <= 1):
            raise SrkitError(f"{what} holds floats from {lo:g} to {hi:g}; only [0, 1] can be read, convert it first")
        return np.floor(a.astype(np.float64) * 65535.0 + 0.5).astype(np.uint16)
    if lo < 0 or hi > 65535:
        raise SrkitError(f"{what} holds integers from {lo} to {hi}, which do not fit 16 bits; convert it first")
    return a.astype(np.uint16)


def _finish(
    pixels: np.ndarray, fmt: str | None, info: Mapping[Any, Any], exif: bytes | None, orientation: int
) -> Decoded:
    """Apply the orientation and gather the metadata (the fields of a ``Picture``)."""
    pixels = _orient(pixels, orientation)
    dpi = _clean_dpi(info.get("dpi"))
    if orientation in (5, 6, 7, 8) and dpi is not None:
        dpi = (dpi[1], dpi[0])
    if exif is not None and orientation != 1:
        exif = _reset_orientation(exif)
    icc = info.get("icc_profile")
    icc = icc if isinstance(icc, bytes) and icc_fits(icc, pixels.shape[2]) else None
    pixels = np.ascontiguousarray(pixels)
    return Decoded(pixels if pixels.flags.writeable else pixels.copy(), fmt, icc, exif, dpi)


def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """Turn ``(H, W, C)`` pixels stored with EXIF ``orientation`` upright (as Pillow's ``exif_transpose``)."""
    if orientation == 2:
        return a[:, ::-1]
    if orientation == 3:
        return a[::-1, ::-1]
    if orientation == 4:
        return a[::-1]
    if orientation == 5:
        return a.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(a, k=-1)
    if orientation == 7:
        return a[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(a, k=1)
    return a


def _orientation_of(im: Image.Image, *, loaded: bool) -> int:
    """EXIF orientation 1..8 of ``im`` (1 when absent or invalid); reads no pixel data when ``loaded`` is False."""
    try:
        if loaded:
            value = im.getexif().get(_ORIENTATION, 1)
        else:
            raw = im.info.get("exif")
            exif = Image.Exif()
            if isinstance(raw, bytes):
                exif.load(raw)
            value = exif.get(_ORIENTATION, 1)
    except Exception:  # a malformed EXIF block must not make the image unreadable
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _info_exif(info: Mapping[Any, Any]) -> bytes | None:
    raw = info.get("exif")
    if not isinstance(raw, bytes) or len(raw) < 8:
        return None
    return raw if raw.startswith(_EXIF_HEADER) else _EXIF_HEADER + raw


def _reset_orientation(exif: bytes) -> bytes | None:
    """``exif`` with Orientation set to 1, patched in place so that everything else stays byte-identical."""
    tiff = bytearray(exif[len(_EXIF_HEADER) :])
    order = {b"II": "<", b"MM": ">"}.get(bytes(tiff[:2]))
    try:
        if order is None:
            raise struct.error("no TIFF header")
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, kind, n = struct.unpack_from(order + "HHI", tiff, entry)
            if tag == _ORIENTATION and kind == 3 and n == 1:
                struct.pack_into(order + "H", tiff, entry + 8, 1)
                return _EXIF_HEADER + bytes(tiff)
    except struct.error:
        pass
    try:  # unusual layout: let Pillow rewrite the block
        parsed = Image.Exif()
        parsed.load(exif)
        parsed[_ORIENTATION] = 1
        return parsed.tobytes()
    except Exception:
        return None


def _clean_dpi(value: object) -> tuple[float, float] | None:
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    try:
        x, y = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        return None
    return (x, y) if x > 0 and y > 0 and np.isfinite(x) and np.isfinite(y) else None


def icc_fits(icc: bytes, channels: int) -> bool:
    """Whether an ICC profile's data colour space (header bytes 16..20) suits gray or RGB pixels."""
    return icc[16:20] == (b"GRAY" if channels <= 2 else b"RGB ")


def _check_size(p: Path, width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise SrkitError(f"image too large: {p} has {width}x{height} pixels, the limit is {max_pixels}")
    if width == 0 or height == 0:
        raise SrkitError(f"image is empty: {p}")


def _png_bit_depth(p: Path) -> int:
    with open(p, "rb") as f:
        head = f.read(26)
    return head[24] if len(head) == 26 and head[12:16] == b"IHDR" else 0


def _read_png16(p: Path) -> np.ndarray:
    """16-bit PNG pixels ``(H, W, C)`` uint16 via pypng (Pillow keeps only 8 bits of 16-bit colour)."""
    with open(p, "rb") as f:
        width, height, rows, meta = png.Reader(file=f).asDirect()
        planes, depth = int(meta["planes"]), int(meta["bitdepth"])
        out = np.empty((height, width * planes), np.uint16)
        for y, row in enumerate(rows):
            out[y] = row
    if depth != 16:  # pypng scaled down to the significant bits of an sBIT chunk: scale back up
        out = ((out.astype(np.uint32) * 65535 + (2**depth - 1) // 2) // (2**depth - 1)).astype(np.uint16)
    return out.reshape(height, width, planes)


def _is_tiff(p: Path) -> bool:
    with open(p, "rb") as f:
        return f.read(4) in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def _tiff_is_deep(im: Image.Image) -> bool:
    """Whether a TIFF has more than 8 bits or non-integer samples (read with tifffile, not Pillow)."""
    tags = getattr(im, "tag_v2", {})
    bits, kinds = tags.get(258, 8), tags.get(339, 1)
    bits = bits if isinstance(bits, tuple) else (bits,)
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return any(b > 8 for b in bits) or any(k != 1 for k in kinds)


def _read_tiff(p: Path, max_pixels: int) -> Decoded:
    """The one image of a TIFF via tifffile, with its ICC profile, resolution and orientation; float samples stay
    float (in [0, 1]), integer samples become uint8 / uint16."""
    try:
        data, photometric, bits, tags = _tiff_page(p, max_pixels)
    except SrkitError:
        raise
    except Exception as err:  # tifffile raises anything on a corrupt file (IndexError, TypeError, KeyError, ...)
        text = str(err).strip().splitlines()
        raise SrkitError(f"cannot read image {p}: corrupt TIFF ({text[0] if text else type(err).__name__})") from None
    what = f"image {p}"
    floats = np.issubdtype(data.dtype, np.floating) and data.dtype in FLOAT_DTYPES
    pixels = _channels_last(_check_float(data, what) if floats else _to_uint16(data, what))
    pixels = pixels[..., : 4 if photometric == 2 else 2]
    if pixels.dtype == np.uint16 and 8 < bits < 16:  # 10/12/14-bit samples: stretch to 16 bits
        pixels = ((pixels.astype(np.uint32) * 65535 + 2 ** (bits - 1)) // (2**bits - 1)).astype(np.uint16)
    if photometric == 0:  # min-is-white
        top = 1 if floats else np.iinfo(pixels.dtype).max
        pixels[..., :1] = top - pixels[..., :1]
    info = {"icc_profile": tags.get(34675), "dpi": _tiff_dpi(tags)}
    orientation = tags.get(274, 1)
    return _finish(pixels, "TIFF", info, None, int(orientation) if orientation in range(1, 9) else 1)


def _tiff_page(p: Path, max_pixels: int) -> tuple[np.ndarray, int, int, dict[int, Any]]:
    """The first page's samples, photometric interpretation, bits per sample and tags."""
    with tifffile.TiffFile(p) as tif:
        _check_frames(p, _full_pages(tif), "a multi-page TIFF")
        if not len(tif.pages):
            raise SrkitError(f"cannot read image {p}: the TIFF holds no image")
        page = tif.pages[0]
        assert isinstance(page, tifffile.TiffPage)
        _check_size(p, int(page.imagewidth), int(page.imagelength), max_pixels)
        photometric, samples = int(page.photometric), int(page.samplesperpixel)
        if photometric not in (0, 1, 2):
            space = getattr(page.photometric, "name", photometric)
            raise SrkitError(f"cannot read image {p}: TIFF colour space {space} is not supported")
        data = page.asarray()
        if page.planarconfig == 2 and samples > 1:
            data = np.moveaxis(data, 0, -1)
        tags = {tag.code: tag.value for tag in page.tags.values()}
        bits = page.bitspersample
        return data, photometric, max(bits) if isinstance(bits, tuple) else int(bits), tags


def _tiff_dpi(tags: dict[int, Any]) -> tuple[float, float] | None:
    unit, x, y = tags.get(296, 2), tags.get(282), tags.get(283)
    if unit not in (2, 3) or not isinstance(x, tuple) or not isinstance(y, tuple) or not (x[1] and y[1]):
        return None
    scale = 2.54 if unit == 3 else 1.0
    return (x[0] / x[1] * scale, y[0] / y[1] * scale)
