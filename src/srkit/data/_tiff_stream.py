"""The TIFF strip writer behind :class:`srkit.data.imagefile.PictureWriter`: bands are cut into strips and
differenced here, then deflated and written by ``tifffile`` in a background thread fed from a small queue."""

from __future__ import annotations

import contextlib
import queue
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from srkit._core.errors import SrkitError
from srkit.data.io import _first_line

__all__ = ["TiffStream"]


class TiffStream:
    """A TIFF fed band by band: bands are cut into fixed strips, differenced (predictor 2) here, then deflated and
    written by ``tifffile`` in a background thread that pulls the strips from a small queue."""

    _STRIP_BYTES = 1 << 18
    _QUEUE_STRIPS = 4

    def __init__(
        self,
        tmp: Path,
        height: int,
        width: int,
        channels: int,
        dtype: np.dtype[Any],
        *,
        icc: bytes | None,
        dpi: tuple[float, float] | None,
        name: Path,
    ) -> None:
        self._name = name
        row_bytes = width * channels * dtype.itemsize
        self._rows_per_strip = max(1, min(height, self._STRIP_BYTES // row_bytes))
        self._carry: np.ndarray | None = None
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=self._QUEUE_STRIPS)
        self._error: BaseException | None = None
        options: dict[str, Any] = {
            "shape": (height, width, channels) if channels > 1 else (height, width),
            "dtype": dtype.newbyteorder("<"),
            "photometric": "rgb" if channels >= 3 else "minisblack",
            "planarconfig": "contig" if channels > 1 else None,
            "extrasamples": ("unassalpha",) if channels in (2, 4) else None,
            "compression": "zlib",
            "predictor": 2,
            "rowsperstrip": self._rows_per_strip,
            "iccprofile": icc,
            "metadata": None,
        }
        if dpi:
            options.update(resolution=dpi, resolutionunit="INCH")
        bigtiff = height * row_bytes * 1.01 + (1 << 24) >= 2**32
        self._thread = threading.Thread(target=self._run, args=(tmp, bigtiff, options), daemon=True)
        self._thread.start()

    def write(self, band: np.ndarray) -> None:
        """Queue the full strips in ``band``; keep the rows that do not fill one for the next band."""
        rows = band if self._carry is None else np.concatenate([self._carry, band])
        full = rows.shape[0] - rows.shape[0] % self._rows_per_strip
        for y in range(0, full, self._rows_per_strip):
            self._put(_predict(rows[y : y + self._rows_per_strip]))
        self._carry = rows[full:].copy() if full < rows.shape[0] else None

    def finish(self) -> None:
        """Queue the last short strip and wait until tifffile has written the file."""
        if self._carry is not None:
            self._put(_predict(self._carry))
            self._carry = None
        self._thread.join()
        if self._error is not None:
            raise SrkitError(f"cannot write {self._name}: {_first_line(self._error)}")

    def close(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """On an error, stop the writer thread (it is done already after :meth:`finish`)."""
        while self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(None)
            self._thread.join(0.05)

    def _put(self, strip: np.ndarray) -> None:
        while True:
            if not self._thread.is_alive():
                reason = _first_line(self._error) if self._error else "the TIFF writer stopped"
                raise SrkitError(f"cannot write {self._name}: {reason}")
            with contextlib.suppress(queue.Full):
                self._queue.put(strip, timeout=0.05)
                return

    def _run(self, tmp: Path, bigtiff: bool, options: dict[str, Any]) -> None:
        try:
            with tifffile.TiffWriter(tmp, bigtiff=bigtiff, byteorder="<") as tif:
                tif.write(data=self._strips(), **options)
        except BaseException as err:
            self._error = err

    def _strips(self) -> Iterator[bytes]:
        while True:
            strip = self._queue.get()
            if strip is None:
                raise _Aborted
            yield zlib.compress(strip.tobytes(), 6)


class _Aborted(Exception):
    """Raised inside tifffile's writer thread to stop it when the picture is abandoned."""


def _predict(rows: np.ndarray) -> np.ndarray:
    """TIFF horizontal differencing (predictor 2) of ``(h, W, C)`` rows, little-endian, as a new array."""
    out = rows.astype(rows.dtype.newbyteorder("<"), copy=True)
    out[:, 1:] -= rows[:, :-1]
    return out
