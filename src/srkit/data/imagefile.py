"""Photo files for the upscaler: read any common image with its colour profile and metadata, write it back
atomically, band by band for the formats that can stream.

Reading (:func:`read_picture`) gives a :class:`Picture`: uint8 or uint16 pixels ``(H, W, C)`` with C = 1, 2, 3, 4
(L, LA, RGB, RGBA), upright (the EXIF orientation is applied to the pixels and reset to 1 in the kept EXIF), plus the
ICC profile, EXIF block and resolution. 16-bit PNG is decoded by pypng and deep TIFF (more than 8 bits, or float)
by tifffile, because Pillow truncates 16-bit colour to 8 bits; every other file goes through Pillow. Palette images
become RGB(A), CMYK / YCbCr / Lab become RGB (their ICC profile is then dropped, it no longer describes the pixels),
float images (float TIFF, Pillow's mode F) stay float (float16/32/64) when their values are in [0, 1] and are
refused otherwise, and integer images wider than 16 bits are kept when their values fit 16 bits, refused otherwise.
A file of several frames (an animated GIF, PNG or WebP, a multi-page TIFF) is refused with the number of frames.
A TIFF gives no EXIF block (its tag directory is not one), only its ICC profile, resolution and orientation.

Writing (:func:`write_picture`, :class:`PictureWriter`) chooses the format from the suffix and keeps, from ``like``:

====== ======================= ======= ====== ========= ===============================================
format pixels                   ICC     EXIF   dpi       notes
====== ======================= ======= ====== ========= ===============================================
PNG    8/16 bit, L/LA/RGB/RGBA  yes     yes    yes       streamed: srkit's own encoder (zlib, adaptive filters)
TIFF   8/16 bit, L/LA/RGB/RGBA  yes     no     yes       streamed: tifffile, deflate + predictor strips;
                                                         float pixels kept (deflate, written at the end)
JPEG   8 bit, L/RGB             yes     yes    yes       16 bit rounded to 8; alpha dropped (not composited)
WebP   8 bit, RGB/RGBA          yes     yes    no        16 bit rounded to 8; L/LA stored as RGB/RGBA;
                                                         ``quality=100`` is lossless
BMP    8 bit, L/RGB             no      no     yes       16 bit rounded to 8; alpha dropped
====== ======================= ======= ====== ========= ===============================================

Float pixels are written as TIFF only; any other format refuses them (nothing is converted silently).

Both PNG paths (streaming or not) are the same encoder and write iCCP, pHYs and eXIf chunks. A profile is written
only where its colour space (gray or RGB) matches the pixels written. Every write goes to a temporary file that is
renamed into place on success and removed on any error or interrupt: the destination never holds a partial file.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import tifffile
from PIL import Image

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path, check_output_path
from srkit.data._decode import FLOAT_DTYPES, READ_ERRORS, decode_file, decode_pil, icc_fits
from srkit.data._png_stream import PngStream
from srkit.data._tiff_stream import TiffStream
from srkit.data.io import DEFAULT_MAX_PIXELS, _first_line, _pixel_limit

__all__ = [
    "Picture",
    "PictureWriter",
    "output_format",
    "picture_from_pil",
    "picture_to_pil",
    "pil_can_hold",
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
_INTEGER_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))


@dataclass(frozen=True, eq=False)
class Picture:
    """An upright image and the metadata worth keeping when it is written again.

    Attributes:
        pixels: ``(H, W, C)`` uint8 or uint16 (or float16/32/64 in [0, 1], from float files), C in (1, 2, 3, 4)
            for L, LA, RGB, RGBA.
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
        if p.dtype not in _INTEGER_DTYPES + FLOAT_DTYPES:
            raise SrkitError(f"Picture pixels must be uint8, uint16 or float in [0, 1], got {p.dtype}")

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
        """8 or 16 bits per sample (16, 32 or 64 for float pixels)."""
        return 8 * self.pixels.dtype.itemsize


# --- reading -------------------------------------------------------------------------------------------------------


def read_picture(path: str | os.PathLike[str], *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Picture:
    """Read an image file as an upright :class:`Picture`, 16-bit files at 16 bits.

    Args:
        path: a PNG, JPEG, WebP, TIFF, BMP (or any other Pillow-readable) file of one image.
        max_pixels: refuse images with more pixels than this, checked from the header before decoding.

    Returns:
        The pixels with orientation applied, and the file's ICC profile, EXIF and dpi.

    Raises:
        SrkitError: the file is missing, empty, not an image, corrupt, truncated, too large, holds several
            frames (an animation, a multi-page TIFF), or holds values that do not fit 16 bits (floats outside
            [0, 1]).

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
            picture = Picture(*decode_file(p, max_pixels))
    except SrkitError:
        raise
    except READ_ERRORS as err:
        raise SrkitError(f"cannot read image {p}: {_first_line(err)}") from None
    if picture.pixels.size == 0:
        raise SrkitError(f"image is empty: {p}")
    return picture


def picture_from_pil(image: Image.Image) -> Picture:
    """Convert a (loaded) Pillow image to an upright :class:`Picture`, keeping its ICC profile, EXIF and dpi.

    Args:
        image: any mode; palette becomes RGB(A), "1" becomes L, "I;16*" becomes uint16, "I" becomes uint16 when
            its values fit, "F" stays float32 when its values are in [0, 1] (see the module notes), other colour
            spaces become RGB.

    Returns:
        The picture, with the EXIF orientation applied to the pixels and reset to 1 in ``exif``.

    Raises:
        SrkitError: a float image with values outside [0, 1] (or not finite), or an integer image beyond 16 bits.

    Example:
        >>> picture_from_pil(Image.new("P", (3, 2))).pixels.shape
        (2, 3, 3)
    """
    return Picture(*decode_pil(image))


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


def pil_can_hold(pixels: np.ndarray) -> bool:
    """Whether Pillow holds ``(H, W, C)`` pixels as they are: uint8, or one channel of uint16 or float32."""
    one = pixels.ndim == 2 or pixels.shape[2] == 1
    return pixels.dtype == np.uint8 or (one and pixels.dtype in (np.uint16, np.float32))


def picture_to_pil(pixels: np.ndarray) -> Image.Image:
    """A Pillow image of uint8 L/LA/RGB/RGBA pixels, of 1-channel uint16 pixels (mode "I;16") or of 1-channel
    float32 pixels (mode "F").

    Args:
        pixels: ``(H, W)`` or ``(H, W, C)`` with C in 1..4.

    Raises:
        SrkitError: other shapes or dtypes, and 16-bit or float colour, which Pillow cannot hold (keep the numpy
            array and write it as PNG or TIFF with :func:`write_picture`).

    Example:
        >>> picture_to_pil(np.zeros((2, 3, 4), np.uint8)).mode
        'RGBA'
    """
    a = _as_hwc(pixels, "picture_to_pil", floats=True)
    if a.dtype in FLOAT_DTYPES:
        if a.shape[2] != 1 or a.dtype != np.float32:
            raise SrkitError(
                f"Pillow holds float pixels only as one float32 channel (mode F), not {a.shape[2]} of {a.dtype}: "
                "keep the numpy array and write it as TIFF with write_picture"
            )
        return Image.fromarray(np.ascontiguousarray(a[..., 0]), "F")
    if a.dtype == np.uint16:
        if a.shape[2] != 1:
            raise SrkitError(
                "Pillow has no 16-bit colour mode: keep the numpy array and write PNG or TIFF with write_picture, "
                "or convert to 8 bits"
            )
        return Image.fromarray(np.ascontiguousarray(a[..., 0], dtype="<u2"))
    return Image.fromarray(np.ascontiguousarray(a[..., 0] if a.shape[2] == 1 else a))


def _as_hwc(pixels: np.ndarray, who: str, *, floats: bool = False) -> np.ndarray:
    a = pixels[..., None] if isinstance(pixels, np.ndarray) and pixels.ndim == 2 else pixels
    if not isinstance(a, np.ndarray) or a.ndim != 3 or a.shape[2] not in _PIL_MODES:
        raise SrkitError(
            f"{who} expects pixels (H, W) or (H, W, C) with C in 1..4, got {getattr(a, 'shape', type(a).__name__)}"
        )
    if a.dtype not in _INTEGER_DTYPES + (FLOAT_DTYPES if floats else ()):
        kinds = "uint8, uint16 or float" if floats else "uint8 or uint16"
        raise SrkitError(f"{who} expects {kinds} pixels, got {a.dtype}; convert them first")
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
        pixels: ``(H, W)`` or ``(H, W, C)``, uint8 or uint16 (float16/32/64 for TIFF), C in 1..4.
        like: the source picture whose ICC profile, EXIF and dpi are kept where the format allows.
        overwrite: replace an existing file instead of refusing.
        quality: JPEG / WebP quality 1..100 (WebP at 100 is lossless).

    Raises:
        SrkitError: unsupported suffix, bad pixels, image too large for the format, destination exists,
            folder missing or not writable, or the write failed.

    Example:
        >>> write_picture("out.png", pic.pixels, like=pic)  # doctest: +SKIP
    """
    a = _as_hwc(pixels, "write_picture", floats=True)
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
        dtype: uint8 or uint16 of the bands (or float16/32/64 for TIFF: written at the end, not streamed).
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
        if self.dtype in FLOAT_DTYPES and self.format != "TIFF":
            raise SrkitError(
                f"cannot write {self.path}: {self.format} holds 8- or 16-bit integers, not {self.dtype} pixels; write "
                ".tif to keep them, or convert them to integers first"
            )
        if self.dtype not in _INTEGER_DTYPES + FLOAT_DTYPES:
            raise SrkitError(f"cannot write {self.path}: pixels must be uint8, uint16 or float, got {self.dtype}")
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
        self.streams = self.format in ("PNG", "TIFF") and self.dtype in _INTEGER_DTYPES
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
            icc = like.icc_profile if like and like.icc_profile and icc_fits(like.icc_profile, self.channels) else None
            if self.format == "PNG":
                f = stack.enter_context(open(self._tmp, "wb"))
                exif = like.exif if like else None
                self._png = PngStream(f, *size, self.dtype, icc=icc, exif=exif, dpi=like.dpi if like else None)
            elif self.format == "TIFF" and self.streams:
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
            elif self._buffer is not None and self.format == "TIFF":
                _save_float_tiff(self._tmp, self._buffer, self.like)
            elif self._buffer is not None:
                _save_with_pillow(self._tmp, self._buffer, self.format, self.like, self.quality)
        except SrkitError:
            raise
        except (OSError, ValueError, zlib.error) as err:
            raise SrkitError(f"cannot write {self.path}: {_first_line(err)}") from None


def _save_float_tiff(tmp: Path, pixels: np.ndarray, like: Picture | None) -> None:
    """Encode float pixels as a deflated TIFF (sample format float), keeping the ICC profile and dpi."""
    channels = pixels.shape[2]
    icc = like.icc_profile if like and like.icc_profile and icc_fits(like.icc_profile, channels) else None
    options: dict[str, Any] = {
        "photometric": "rgb" if channels >= 3 else "minisblack",
        "planarconfig": "contig" if channels > 1 else None,
        "extrasamples": ("unassalpha",) if channels in (2, 4) else None,
        "compression": "zlib",
        "iccprofile": icc,
        "metadata": None,
    }
    if like is not None and like.dpi is not None:
        options.update(resolution=like.dpi, resolutionunit="INCH")
    data = pixels if channels > 1 else pixels[..., 0]
    tifffile.imwrite(tmp, data.astype(pixels.dtype.newbyteorder("<"), copy=False), byteorder="<", **options)


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
        if like.icc_profile is not None and icc_fits(like.icc_profile, a.shape[2]):
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
