"""Atomic file output: write to a temporary file (or folder) beside the target, then rename over it.

A reader never sees a half-written file, and an interrupted or failed write leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from srkit._core.errors import SrkitError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it is renamed to ``path``.

    Raises:
        SrkitError: the folder does not exist or is not writable, or ``path`` exists and ``overwrite`` is
            False.
    """
    target = check_output_path(path, overwrite=overwrite)
    folder = target.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise SrkitError(f"cannot write to {folder}: {err.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _final_mode(target))  # mkstemp makes 0600; give the file the mode a plain open() would
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _final_mode(target: Path) -> int:
    """The replaced file's permissions, or those of a new file under the current umask."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process's umask (read by setting and restoring it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success it takes ``path``'s place (an earlier folder there is
    replaced, so check it first), with a plain folder's mode. On failure it is removed and ``path`` is untouched."""
    out = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[str]], None], *, overwrite: bool = True) -> None:
    """Write a text file atomically; ``write`` receives the open temporary file."""
    with atomic_path(path, overwrite=overwrite) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str, *, overwrite: bool = True) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""

    def write(f: IO[str]) -> None:
        f.write(text)

    atomic_write(path, write, overwrite=overwrite)


def check_output_path(path: str | os.PathLike[str], *, overwrite: bool = True) -> Path:
    """Check, before any long work, that ``path`` can be written; return it as a :class:`Path`."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise SrkitError(f"output folder does not exist: {folder}")
    if target.is_dir():
        raise SrkitError(f"output path is a folder: {target}")
    if target.exists() and not overwrite:
        raise SrkitError(f"output file exists (pass --overwrite to replace it): {target}")
    if not os.access(folder, os.W_OK):
        raise SrkitError(f"output folder is not writable: {folder}")
    return target
