"""Decoded training images, kept in RAM, on disk as ``.npy`` files, or decoded again on every access.

Decoding a PNG costs far more than cutting a patch out of it, and a training run cuts millions of patches out of a
few hundred images, so :class:`ImageCache` decodes each image once:

* ``"memory"``: the decoded uint8 arrays stay in this process's RAM (the classic 291 images take about 100 MB).
  DataLoader workers started by ``fork`` (the default on Linux) share these pages with the main process without
  copying them: numpy never writes into the arrays, and Python's reference counting touches only the small array
  objects, not their data buffers. With the ``spawn``/``forkserver`` start methods (macOS, Windows) every worker
  receives its own copy; use a folder cache there.
* a folder path: each image is decoded once and saved as ``<stem>_<key>.npy`` in that folder (the key hashes the
  source's path, size and modification time, so an edited image is decoded again); arrays are then opened
  memory-mapped, so the operating system's page cache holds them once for every worker and every run. Files are
  written atomically, so several processes (DDP ranks) may fill the same folder at once.
* ``"none"``: nothing is kept; an image is decoded on every access (the cheapest in memory, the slowest).

In every mode an image is decoded once when it is added, which checks that it is readable and gives its size.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from srkit._core.errors import SrkitError
from srkit.data.io import read_image

CACHE_MODES = ("memory", "none")


class ImageCache:
    """Decoded uint8 images, ``(H, W)`` (grayscale file) or ``(H, W, 3)``, addressed by the index :meth:`add` gave.

    Args:
        mode: ``"memory"``, ``"none"``, or a folder (created if missing) for ``.npy`` files.

    Example:
        >>> cache = ImageCache("memory")
        >>> k = cache.add("photo.png")  # doctest: +SKIP
        >>> cache[k].shape, cache.size(k)  # doctest: +SKIP
        ((480, 640, 3), (480, 640))
    """

    def __init__(self, mode: str | os.PathLike[str] = "memory") -> None:
        self.folder: Path | None = None
        if isinstance(mode, str) and mode in CACHE_MODES:
            self.mode = mode
        elif isinstance(mode, str | os.PathLike) and str(mode):
            self.mode = "folder"
            self.folder = Path(mode)
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise SrkitError(f"cannot create the cache folder {self.folder}: {err.strerror}") from None
        else:
            raise SrkitError(f"cache must be 'memory', 'none' or a folder path, got {mode!r}")
        self._sources: list[Path] = []
        self._sizes: list[tuple[int, int]] = []
        self._arrays: list[np.ndarray | None] = []  # "memory": the images; "folder": memory maps, opened lazily
        self._npy: list[Path | None] = []
        self._index: dict[Path, int] = {}

    def __len__(self) -> int:
        return len(self._sources)

    def add(self, path: str | os.PathLike[str]) -> int:
        """Decode (or find in the folder cache) the image at ``path`` and return its index; an image added
        before returns its earlier index.

        Raises:
            SrkitError: the file is missing, unreadable or not an image (the message names the file).
        """
        source = Path(path).resolve()
        if source in self._index:
            return self._index[source]
        array: np.ndarray | None = None
        npy: Path | None = None
        if self.folder is not None:
            npy = self.folder / f"{source.stem}_{_key(source)}.npy"
            array = _open_npy(npy)
            if array is None:
                array = read_image(source)
                _save_npy(npy, array)
        else:
            array = read_image(source)
        self._index[source] = len(self._sources)
        self._sources.append(source)
        self._sizes.append((int(array.shape[0]), int(array.shape[1])))
        self._arrays.append(array if self.mode == "memory" else None)
        self._npy.append(npy)
        return self._index[source]

    def source(self, index: int) -> Path:
        """The image file behind ``index``."""
        return self._sources[index]

    def size(self, index: int) -> tuple[int, int]:
        """``(height, width)`` of image ``index``, known without decoding it again."""
        return self._sizes[index]

    def __getitem__(self, index: int) -> np.ndarray:
        """Image ``index`` as a read-only-by-convention uint8 array (a memory map in folder mode: do not write)."""
        if self.mode == "none":
            return read_image(self._sources[index])
        array = self._arrays[index]
        if array is None:  # folder mode, first access in this process
            npy = self._npy[index]
            assert npy is not None
            array = _open_npy(npy)
            if array is None:
                raise SrkitError(f"cache file {npy} of {self._sources[index]} is missing or damaged")
            self._arrays[index] = array
        return array

    def nbytes(self) -> int:
        """Bytes held in this process's RAM (``"memory"`` mode; memory maps and ``"none"`` count 0)."""
        return sum(a.nbytes for a in self._arrays if a is not None and self.mode == "memory")

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without memory maps (a spawned worker reopens the ``.npy`` files instead of copying them)."""
        state = self.__dict__.copy()
        if self.mode == "folder":
            state["_arrays"] = [None] * len(self._arrays)
        return state


def _key(source: Path) -> str:
    stat = source.stat() if source.exists() else None
    text = f"{source}|{stat.st_size if stat else -1}|{stat.st_mtime_ns if stat else -1}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _open_npy(npy: Path) -> np.ndarray | None:
    """The memory-mapped array in ``npy``, or None when it is absent or not a valid uint8 image."""
    if not npy.is_file():
        return None
    try:
        array = np.load(npy, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    ok = array.dtype == np.uint8 and (array.ndim == 2 or (array.ndim == 3 and array.shape[2] == 3))
    return array if ok and array.size > 0 else None


def _save_npy(npy: Path, array: np.ndarray) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{npy.name}.", suffix=".tmp", dir=npy.parent)
    except OSError as err:
        raise SrkitError(f"cannot write to the cache folder {npy.parent}: {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, np.ascontiguousarray(array), allow_pickle=False)
        os.replace(tmp, npy)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise SrkitError(f"cannot write the cache file {npy}: {err.strerror}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
