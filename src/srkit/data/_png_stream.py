"""The PNG encoder behind :class:`srkit.data.imagefile.PictureWriter`: fed band by band, it writes the signature,
IHDR, the metadata chunks (iCCP, pHYs, eXIf), adaptive row filters (as libpng) and one zlib stream over IDAT chunks,
so that memory stays at about one band whatever the picture's size."""

from __future__ import annotations

import struct
import zlib
from typing import Any, BinaryIO

import numpy as np

__all__ = ["PngStream"]

_EXIF_HEADER = b"Exif\x00\x00"  # an eXIf chunk holds the TIFF block without this header


class PngStream:
    """A PNG encoder fed band by band: adaptive row filters (as libpng) and one zlib stream over IDAT chunks."""

    _IDAT_BYTES = 1 << 20  # flush compressed data in chunks of about this size
    _FILTER_BYTES = 1 << 18  # filter at most this many raw bytes at once (bounds the temporary arrays)

    def __init__(
        self,
        f: BinaryIO,
        height: int,
        width: int,
        channels: int,
        dtype: np.dtype[Any],
        *,
        icc: bytes | None,
        exif: bytes | None,
        dpi: tuple[float, float] | None,
    ) -> None:
        self._f = f
        self._bpp = channels * dtype.itemsize
        self._prev = np.zeros(width * self._bpp, np.uint8)
        self._zip = zlib.compressobj(6)
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
        f.write(b"\x89PNG\r\n\x1a\n")
        self._chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8 * dtype.itemsize, colour_type, 0, 0, 0))
        if icc:
            self._chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc))
        if dpi:
            self._chunk(b"pHYs", struct.pack(">IIB", round(dpi[0] / 0.0254), round(dpi[1] / 0.0254), 1))
        if exif:
            self._chunk(b"eXIf", exif.removeprefix(_EXIF_HEADER))

    def write(self, band: np.ndarray) -> None:
        """Filter and compress the next rows."""
        raw = band.astype(">u2" if band.dtype == np.uint16 else np.uint8, copy=False)
        raw = np.ascontiguousarray(raw).view(np.uint8).reshape(band.shape[0], -1)
        step = max(1, self._FILTER_BYTES // raw.shape[1])
        for y in range(0, raw.shape[0], step):
            part = raw[y : y + step]
            self._emit(self._zip.compress(_png_filter(part, self._prev, self._bpp).tobytes()))
            self._prev = part[-1].copy()

    def finish(self) -> None:
        """Flush the compressed stream and end the file."""
        self._emit(self._zip.flush())
        self._flush()
        self._chunk(b"IEND", b"")

    def _emit(self, data: bytes) -> None:
        if data:
            self._pending.append(data)
            self._pending_bytes += len(data)
        if self._pending_bytes >= self._IDAT_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._chunk(b"IDAT", b"".join(self._pending))
            self._pending, self._pending_bytes = [], 0

    def _chunk(self, kind: bytes, data: bytes) -> None:
        self._f.write(struct.pack(">I", len(data)) + kind + data)
        self._f.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


def _png_filter(raw: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    """PNG-filter rows ``(n, row_bytes)``: each row gets the filter (0..4) whose output has the least sum of
    absolute signed bytes, written as its first byte. ``prev`` is the raw row above the first one."""
    x = raw.astype(np.int16)
    up = np.concatenate([prev[None], raw[:-1]]).astype(np.int16)
    left, up_left = np.zeros_like(x), np.zeros_like(x)
    left[:, bpp:], up_left[:, bpp:] = x[:, :-bpp], up[:, :-bpp]
    pa, pb, pc = np.abs(up - up_left), np.abs(left - up_left), np.abs(left + up - 2 * up_left)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    candidates = (np.stack([x, x - left, x - up, x - (left + up) // 2, x - paeth]) & 0xFF).astype(np.uint8)
    cost = np.abs(candidates.view(np.int8).astype(np.int16)).sum(axis=2, dtype=np.int64)
    best = cost.argmin(axis=0)
    out = np.empty((raw.shape[0], raw.shape[1] + 1), np.uint8)
    out[:, 0] = best
    out[:, 1:] = candidates[best, np.arange(raw.shape[0])]
    return out
