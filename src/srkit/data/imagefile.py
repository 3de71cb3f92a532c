"""Photo files for the upscaler: read any common image with its colour profile and metadata, write it back
atomically, band by band for the formats that can stream.

Reading (:func:`read_picture`) gives a :class:`Picture`: uint8 or uint16 pixels ``(H, W, C)`` with C = 1, 2, 3, 4
(L, LA, RGB, RGBA), upright (the EXIF orientation is applied to the pixels and reset to 1 in the kept EXIF), plus the
ICC profile, EXIF block and resolution. 16-bit PNG is decoded by pypng and deep TIFF (more than 8 bits, or float)
by tifffile, because Pillow truncates 16-bit colour to 8 bits; every other file goes through Pillow. Palette images
become RGB(A), CMYK / YCbCr / Lab become RGB (their ICC profile is then dropped, it no longer describes the pixels),
float images with values in [0, 1] become uint16, and integer images wider than 16 bits are kept when their values
fit 16 bits, refused otherwise. A TIFF gives no EXIF block (its tag directory is not one), only its ICC profile,
resolution and orientation.

Writing (:func:`write_picture`, :class:`PictureWriter`) chooses the format from the suffix and keeps, from ``like``:

====== ======================= ======= ====== ========= ===============================================
format pixels                   ICC     EXIF   dpi       notes
====== ======================= ======= ====== ========= ===============================================
PNG    8/16 bit, L/LA/RGB/RGBA  yes     yes    yes       streamed: srkit's own encoder (zlib, adaptive filters)
TIFF   8/16 bit, L/LA/RGB/RGBA  yes     no     yes       streamed: tifffile, deflate + predictor strips
JPEG   8 bit, L/RGB             yes     yes    yes       16 bit rounded to 8; alpha dropped (not composited)
WebP   8 bit, RGB/RGBA          yes     yes    no        16 bit rounded to 8; L/LA stored as RGB/RGBA;
                                                         ``quality=100`` is lossless
BMP    8 bit, L/RGB             no      no     yes       16 bit rounded to 8; alpha dropped
====== ======================= ======= ====== ========= ===============================================

Both PNG paths (streaming or not) are the same encoder and write iCCP, pHYs and eXIf chunks. A profile is written
only where its colour space (gray or RGB) matches the pixels written. Every write goes to a temporary file that is
renamed into place on success and removed on any error or interrupt: the destination never holds a partial file.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import png  # type: ignore[import-untyped]
import tifffile
from PIL import Image, UnidentifiedImageError

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path, check_output_path
from srkit.data._png_stream import PngStream
from srkit.data._tiff_stream import TiffStream
from srkit.data.io import DEFAULT_MAX_PIXELS, _first_line, _pixel_limit

__all__ = [
    "Picture",
    "PictureWriter",
    "output_format",
    "picture_from_pil",
    "picture_to_pil",
    "read_picture",
    "write_picture",
]

_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".bmp": "BMP",
}
_MAX_SIDE = {"JPEG": 65535, "WEBP": 16383, "PNG": 2**31 - 1, "BMP": 2**31 - 1, "TIFF": 2**32 - 1}
_PIL_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
_EXIF_HEADER = b"Exif\x00\x00"
_ORIENTATION = 0x0112
_READ_ERRORS = (
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


@dataclass(frozen=True, eq=False)
class Picture:
    """An upright image and the metadata worth keeping when it is written again.

    Attributes:
        pixels: ``(H, W, C)`` uint8 or uint16, C in (1, 2, 3, 4) for L, LA, RGB, RGBA.
        format: Pillow's name of the source format ("PNG", "JPEG", "WEBP", "TIFF", "BMP", ...), None if unknown.
        icc_profile: the source's ICC profile, None if absent or no longer valid for ``pixels``.
        exif: the EXIF block (starting with ``b"Exif\\0\\0"``) with its Orientation reset to 1.
        dpi: horizontal and vertical resolution in dots per inch.

    Example:
        >>> pic = Picture(np.zeros((4, 6, 3), np.uint16))
        >>> (pic.height, pic.width, pic.channels, pic.has_alpha, pic.bit_depth)
        (4, 6, 3, False, 16)
    """

    pixels: np.ndarray
    format: str | None = None
    icc_profile: bytes | None = None
    exif: bytes | None = None
    dpi: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        p = self.pixels
        if not isinstance(p, np.ndarray) or p.ndim != 3 or p.shape[2] not in _PIL_MODES:
            raise SrkitError(f"Picture pixels must be (H, W, C) with C in 1..4, got {getattr(p, 'shape', type(p))}")
        if p.dtype not in (np.uint8, np.uint16):
            raise SrkitError(f"Picture pixels must be uint8 or uint16, got {p.dtype}")

    @property
    def height(self) -> int:
        """Rows of pixels."""
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        """Columns of pixels."""
        return int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        """1 (L), 2 (LA), 3 (RGB) or 4 (RGBA)."""
        return int(self.pixels.shape[2])

    @property
    def has_alpha(self) -> bool:
        """Whether the last channel is alpha (LA or RGBA)."""
        return self.channels in (2, 4)

    @property
    def bit_depth(self) -> int:
        """8 or 16 bits per sample."""
        return 8 * self.pixels.dtype.itemsize


# --- reading -------------------------------------------------------------------------------------------------------


def read_picture(path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Picture:
    """Read an image file as an upright :class:`Picture`, 16-bit files at 16 bits.

    Args:
        path: a PNG, JPEG, WebP, TIFF, BMP (or any other Pillow-readable) file; the first frame is read.
        max_pixels: refuse images with more pixels than this, checked from the header before decoding.

    Returns:
        The pixels with orientation applied, and the file's ICC profile, EXIF and dpi.

    Raises:
        SrkitError: the file is missing, empty, not an image, corrupt, truncated, too large, or holds
            values that do not fit 16 bits.

    Example:
        >>> pic = read_picture("photo.jpg")  # doctest: +SKIP
        >>> pic.pixels.shape, pic.bit_depth  # doctest: +SKIP
        ((3000, 4000, 3), 8)
    """
    p = Path(path)
    if not p.exists():
        raise SrkitError(f"image not found: {p}")
    if not p.is_file():
        raise SrkitError(f"not a file: {p}")
    if p.stat().st_size == 0:
        raise SrkitError(f"image is empty: {p}")
    try:
        with _pixel_limit(max_pixels):
            picture = _read(p, max_pixels)
    except SrkitError:
        raise
    except _READ_ERRORS as err:
        raise SrkitError(f"cannot read image {p}: {_first_line(err)}") from None
    if picture.pixels.size == 0:
        raise SrkitError(f"image is empty: {p}")
    return picture


def _read(p: Path, max_pixels: int) -> Picture:
    """Decode ``p``; runs inside ``_pixel_limit``, which holds the lock on Pillow's global limit."""
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
        if im.format == "PNG" and _png_bit_depth(p) == 16:
            return _finish(_read_png16(p), "PNG", im.info, _info_exif(im.info), _orientation_of(im, loaded=False))
        if im.format == "TIFF" and _tiff_is_deep(im):
            return _read_tiff(p, max_pixels)
        im.load()
        return picture_from_pil(im)


def picture_from_pil(image: Image.Image) -> Picture:
    """Convert a (loaded) Pillow image to an upright :class:`Picture`, keeping its ICC profile, EXIF and dpi.

    Args:
        image: any mode; palette becomes RGB(A), "1" becomes L, "I;16*" becomes uint16, "I" and "F" become
            uint16 when their values fit (see the module notes), other colour spaces become RGB.

    Returns:
        The picture, with the EXIF orientation applied to the pixels and reset to 1 in ``exif``.

    Raises:
        SrkitError: a float image with values outside [0, 1], or an integer image beyond 16 bits.

    Example:
        >>> picture_from_pil(Image.new("P", (3, 2))).pixels.shape
        (2, 3, 3)
    """
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
    if mode in ("I", "F"):
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
) -> Picture:
    """Apply the orientation and gather the metadata into a :class:`Picture`."""
    pixels = _orient(pixels, orientation)
    dpi = _clean_dpi(info.get("dpi"))
    if orientation in (5, 6, 7, 8) and dpi is not None:
        dpi = (dpi[1], dpi[0])
    if exif is not None and orientation != 1:
        exif = _reset_orientation(exif)
    icc = info.get("icc_profile")
    icc = icc if isinstance(icc, bytes) and _icc_fits(icc, pixels.shape[2]) else None
    pixels = np.ascontiguousarray(pixels)
    return Picture(pixels if pixels.flags.writeable else pixels.copy(), fmt, icc, exif, dpi)


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


def _icc_fits(icc: bytes, channels: int) -> bool:
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


def _read_tiff(p: Path, max_pixels: int) -> Picture:
    """The first page of a TIFF via tifffile, with its ICC profile, resolution and orientation."""
    with tifffile.TiffFile(p) as tif:
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
        bits = int(page.bitspersample)
    pixels = _channels_last(_to_uint16(data, f"image {p}"))[..., : 4 if photometric == 2 else 2]
    if pixels.dtype == np.uint16 and 8 < bits < 16:  # 10/12/14-bit samples: stretch to 16 bits
        pixels = ((pixels.astype(np.uint32) * 65535 + 2 ** (bits - 1)) // (2**bits - 1)).astype(np.uint16)
    if photometric == 0:  # min-is-white
        pixels[..., :1] = np.iinfo(pixels.dtype).max - pixels[..., :1]
    info = {"icc_profile": tags.get(34675), "dpi": _tiff_dpi(tags)}
    orientation = tags.get(274, 1)
    return _finish(pixels, "TIFF", info, None, int(orientation) if orientation in range(1, 9) else 1)


def _tiff_dpi(tags: dict[int, Any]) -> tuple[float, float] | None:
    unit, x, y = tags.get(296, 2), tags.get(282), tags.get(283)
    if unit not in (2, 3) or not isinstance(x, tuple) or not isinstance(y, tuple) or not (x[1] and y[1]):
        return None
    scale = 2.54 if unit == 3 else 1.0
    return (x[0] / x[1] * scale, y[0] / y[1] * scale)


# --- writing -------------------------------------------------------------------------------------------------------


def output_format(path: str | os.PathLike[str]) -> str:
    """Pillow's format name for an output path, from its suffix.

    Raises:
        SrkitError: the suffix is not .png, .jpg, .jpeg, .webp, .tif, .tiff or .bmp.

    Example:
        >>> output_format("out/photo.JPG")
        'JPEG'
    """
    p = Path(path)
    fmt = _FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise SrkitError(f"unsupported output format {p.suffix!r} for {p}; use one of {', '.join(_FORMATS)}")
    return fmt


def picture_to_pil(pixels: np.ndarray) -> Image.Image:
    """A Pillow image of uint8 L/LA/RGB/RGBA pixels, or of 1-channel uint16 pixels (mode "I;16").

    Args:
        pixels: ``(H, W)`` or ``(H, W, C)`` with C in 1..4.

    Raises:
        SrkitError: other shapes or dtypes, and 16-bit colour, which Pillow cannot hold (keep the numpy array
            and write it as PNG or TIFF with :func:`write_picture`).

    Example:
        >>> picture_to_pil(np.zeros((2, 3, 4), np.uint8)).mode
        'RGBA'
    """
    a = _as_hwc(pixels, "picture_to_pil")
    if a.dtype == np.uint16:
        if a.shape[2] != 1:
            raise SrkitError(
                "Pillow has no 16-bit colour mode: keep the numpy array and write PNG or TIFF with write_picture, "
                "or convert to 8 bits"
            )
        return Image.fromarray(np.ascontiguousarray(a[..., 0], dtype="<u2"))
    return Image.fromarray(np.ascontiguousarray(a[..., 0] if a.shape[2] == 1 else a))


def _as_hwc(pixels: np.ndarray, who: str) -> np.ndarray:
    a = pixels[..., None] if isinstance(pixels, np.ndarray) and pixels.ndim == 2 else pixels
    if not isinstance(a, np.ndarray) or a.ndim != 3 or a.shape[2] not in _PIL_MODES:
        raise SrkitError(
            f"{who} expects pixels (H, W) or (H, W, C) with C in 1..4, got {getattr(a, 'shape', type(a).__name__)}"
        )
    if a.dtype not in (np.uint8, np.uint16):
        raise SrkitError(f"{who} expects uint8 or uint16 pixels, got {a.dtype}; convert them first")
    return a


def write_picture(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    *,
    like: Picture | None = None,
    overwrite: bool = False,
    quality: int = 95,
) -> None:
    """Write pixels atomically in the format of the suffix, keeping ``like``'s profile and metadata.

    Args:
        path: the output file (.png, .jpg/.jpeg, .webp, .tif/.tiff, .bmp).
        pixels: ``(H, W)`` or ``(H, W, C)``, uint8 or uint16, C in 1..4.
        like: the source picture whose ICC profile, EXIF and dpi are kept where the format allows.
        overwrite: replace an existing file instead of refusing.
        quality: JPEG / WebP quality 1..100 (WebP at 100 is lossless).

    Raises:
        SrkitError: unsupported suffix, bad pixels, image too large for the format, destination exists,
            folder missing or not writable, or the write failed.

    Example:
        >>> write_picture("out.png", pic.pixels, like=pic)  # doctest: +SKIP
    """
    a = _as_hwc(pixels, "write_picture")
    height, width, channels = a.shape
    size = {"height": height, "width": width, "channels": channels}
    with PictureWriter(path, **size, dtype=a.dtype, like=like, overwrite=overwrite, quality=quality) as writer:
        writer.write(a)


class PictureWriter:
    """Write a picture band by band, top to bottom, atomically.

    PNG and TIFF are encoded as the bands arrive (memory stays at about one band); JPEG, WebP and BMP collect the
    bands and encode at the end. On a normal exit every row must have come; the file is then renamed into place.
    On an exception (including KeyboardInterrupt) the temporary file is removed and nothing appears at ``path``.

    Args:
        path: the output file; the suffix picks the format (see :func:`output_format`).
        height: rows of the whole picture.
        width: columns.
        channels: 1, 2, 3 or 4 (L, LA, RGB, RGBA).
        dtype: uint8 or uint16 of the bands.
        like: the source picture whose ICC profile, EXIF and dpi are kept where the format allows.
        overwrite: replace an existing file instead of refusing.
        quality: JPEG / WebP quality 1..100 (WebP at 100 is lossless).

    Raises:
        SrkitError: at construction, for an unsupported suffix, bad dimensions, a size beyond the format's limit,
            an existing destination or an unusable folder, so that the caller fails before long work.

    Example:
        >>> with PictureWriter("big.png", height=4000, width=3000, channels=3, dtype=np.uint8) as out:  # doctest: +SKIP
        ...     for band in bands:
        ...         out.write(band)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        height: int,
        width: int,
        channels: int,
        dtype: np.dtype[Any] | type,
        like: Picture | None = None,
        overwrite: bool = False,
        quality: int = 95,
    ) -> None:
        self.path = Path(path)
        self.format = output_format(self.path)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.uint8, np.uint16):
            raise SrkitError(f"cannot write {self.path}: pixels must be uint8 or uint16, got {self.dtype}")
        if channels not in _PIL_MODES or height < 1 or width < 1:
            raise SrkitError(f"cannot write {self.path}: bad size {height}x{width}x{channels}")
        if not 1 <= quality <= 100:
            raise SrkitError(f"cannot write {self.path}: quality must be 1..100, got {quality}")
        limit = _MAX_SIDE[self.format]
        if max(height, width) > limit:
            raise SrkitError(
                f"cannot write {self.path}: {width}x{height} is too large for {self.format} (at most {limit} pixels "
                "per side); write .png or .tif instead"
            )
        if self.path.exists() and not overwrite:
            raise SrkitError(f"{self.path} exists (pass overwrite=True / --overwrite to replace it)")
        check_output_path(self.path, overwrite=overwrite)
        self.height, self.width, self.channels = height, width, channels
        self.like, self.overwrite, self.quality = like, overwrite, quality
        self.streams = self.format in ("PNG", "TIFF")
        self._rows = 0
        self._stack: contextlib.ExitStack | None = None
        self._tmp = Path()
        self._png: PngStream | None = None
        self._tiff: TiffStream | None = None
        self._buffer: np.ndarray | None = None

    def __enter__(self) -> PictureWriter:
        if self._stack is not None:
            raise SrkitError(f"the writer of {self.path} is already open")
        if self.path.exists() and not self.overwrite:
            raise SrkitError(f"{self.path} exists (pass overwrite=True / --overwrite to replace it)")
        with contextlib.ExitStack() as stack:
            self._tmp = stack.enter_context(atomic_path(self.path, overwrite=self.overwrite))
            like, size = self.like, (self.height, self.width, self.channels)
            icc = like.icc_profile if like and like.icc_profile and _icc_fits(like.icc_profile, self.channels) else None
            if self.format == "PNG":
                f = stack.enter_context(open(self._tmp, "wb"))
                exif = like.exif if like else None
                self._png = PngStream(f, *size, self.dtype, icc=icc, exif=exif, dpi=like.dpi if like else None)
            elif self.format == "TIFF":
                dpi = like.dpi if like else None
                self._tiff = TiffStream(self._tmp, *size, self.dtype, icc=icc, dpi=dpi, name=self.path)
                stack.push(self._tiff.close)
            else:
                self._buffer = np.empty(size, self.dtype)
            self._stack = stack.pop_all()
        return self

    def write(self, rows: np.ndarray) -> None:
        """Append the next band of rows, ``(h, width, channels)`` (or ``(h, width)`` for one channel).

        Raises:
            SrkitError: the writer is not open, or the band has the wrong width, channels, dtype, or runs past
                ``height``.
        """
        if self._stack is None:
            raise SrkitError(f"open the writer of {self.path} with 'with PictureWriter(...)' before writing")
        band = rows[..., None] if isinstance(rows, np.ndarray) and rows.ndim == 2 else rows
        if not isinstance(band, np.ndarray) or band.ndim != 3 or band.shape[1:] != (self.width, self.channels):
            got = getattr(rows, "shape", type(rows))
            raise SrkitError(f"cannot write {self.path}: band {got} is not (rows, {self.width}, {self.channels})")
        if band.dtype != self.dtype:
            raise SrkitError(f"cannot write {self.path}: band is {band.dtype}, the writer expects {self.dtype}")
        end = self._rows + band.shape[0]
        if end > self.height:
            raise SrkitError(f"cannot write {self.path}: rows {self._rows}..{end} run past the height {self.height}")
        try:
            if self._png is not None:
                self._png.write(band)
            elif self._tiff is not None:
                self._tiff.write(band)
            elif self._buffer is not None:
                self._buffer[self._rows : end] = band
        except (OSError, zlib.error) as err:
            raise SrkitError(f"cannot write {self.path}: {_first_line(err)}") from None
        self._rows = end

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if exc_type is not None:
            stack.__exit__(exc_type, exc, tb)
            return
        try:
            self._finish()
        except BaseException as err:
            stack.__exit__(type(err), err, err.__traceback__)
            raise
        try:
            stack.__exit__(None, None, None)
        except OSError as err:
            raise SrkitError(f"cannot write {self.path}: {_first_line(err)}") from None

    def _finish(self) -> None:
        if self._rows != self.height:
            raise SrkitError(f"cannot write {self.path}: got {self._rows} of {self.height} rows; nothing written")
        try:
            if self._png is not None:
                self._png.finish()
            elif self._tiff is not None:
                self._tiff.finish()
            elif self._buffer is not None:
                _save_with_pillow(self._tmp, self._buffer, self.format, self.like, self.quality)
        except SrkitError:
            raise
        except (OSError, ValueError, zlib.error) as err:
            raise SrkitError(f"cannot write {self.path}: {_first_line(err)}") from None


def _save_with_pillow(tmp: Path, pixels: np.ndarray, fmt: str, like: Picture | None, quality: int) -> None:
    """Encode JPEG, WebP or BMP: 8 bits, alpha dropped for JPEG / BMP, gray as RGB for WebP."""
    a = pixels
    if a.dtype == np.uint16:  # round v * 255 / 65535
        a = ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    channels = a.shape[2]
    if fmt in ("JPEG", "BMP") and channels in (2, 4):
        a = a[..., : channels - 1]
    elif fmt == "WEBP" and channels in (1, 2):
        a = np.concatenate([a[..., :1]] * 3 + [a[..., 1:]], axis=2)
    options: dict[str, Any] = {}
    if like is not None and fmt != "BMP":
        if like.icc_profile is not None and _icc_fits(like.icc_profile, a.shape[2]):
            options["icc_profile"] = like.icc_profile
        if like.exif is not None:
            options["exif"] = like.exif
    if like is not None and like.dpi is not None and fmt != "WEBP":
        options["dpi"] = like.dpi
    if fmt == "JPEG":
        options.update(quality=quality, subsampling=0 if quality >= 90 else 2)
    elif fmt == "WEBP":
        options.update(quality=quality, lossless=quality >= 100, exact=quality >= 100)
    picture_to_pil(a).save(tmp, format=fmt, **options)
