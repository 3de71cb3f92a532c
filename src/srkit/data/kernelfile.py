"""Blur-kernel files: read (``.npy``, ``.mat``, ``.png``), check, normalise; write (``.npy`` beside a picture).

A kernel is a 2-D array of finite, non-negative values with a positive sum. Kernels are normalised to sum to 1 when
read, which is what every SR paper means by a blur kernel: DIV2KRK's PNG kernels are stored scaled to [0, 255], its
``.mat`` kernels and KernelGAN's ``.npy`` ones already sum to 1. Anything else (a 3-D array, negative or NaN values,
an all-zero array, an unreadable file) is refused with one line naming the file.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = write_kernel(folder / "k.npy", np.ones((3, 3)))
    >>> read_kernel(path).sum().round(6), (folder / "k.png").exists()
    (np.float64(1.0), True)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path

__all__ = ["KERNEL_SUFFIXES", "check_kernel", "kernel_picture", "read_kernel", "write_kernel"]

KERNEL_SUFFIXES = (".npy", ".mat", ".png")
_PICTURE_SIDE = 256  # the kernel picture is enlarged (nearest neighbour) to about this many pixels


def check_kernel(kernel: object, *, source: str = "kernel") -> np.ndarray:
    """``kernel`` as a float64 2-D array summing to 1, or a :class:`SrkitError` saying what is wrong.

    Example:
        >>> check_kernel(np.array([[0, 1], [1, 2.0]])).tolist()
        [[0.0, 0.25], [0.25, 0.5]]
    """
    try:
        k = np.asarray(kernel, dtype=np.float64)
    except (TypeError, ValueError):
        raise SrkitError(f"{source}: a kernel is a 2-D array of numbers, got {type(kernel).__name__}") from None
    shape = k.shape
    while k.ndim > 2 and 1 in k.shape:  # (1, k, k) or (k, k, 1): a 2-D kernel with a singleton axis
        k = k.squeeze(axis=k.shape.index(1))
    if k.ndim != 2 or min(k.shape) < 1:
        raise SrkitError(f"{source}: a kernel is a 2-D array, got shape {shape}")
    if not np.isfinite(k).all():
        raise SrkitError(f"{source}: the kernel holds NaN or infinite values")
    if (k < 0).any():
        raise SrkitError(f"{source}: the kernel has negative values (min {k.min():.3g}); a blur kernel is non-negative")
    total = k.sum()
    if not total > 0:
        raise SrkitError(f"{source}: the kernel is all zeros")
    return k / total


def read_kernel(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a kernel file: ``.npy`` (numpy, no pickles), ``.mat`` (MATLAB, as DIV2KRK's ``gt_k_x2/*.mat``; its one
    2-D variable, needs scipy) or ``.png`` (a gray picture, as DIV2KRK's kernels); checked and normalised.

    Raises:
        SrkitError: a missing or unreadable file, an unknown suffix, or an array that is not a kernel.
    """
    p = Path(path)
    if not p.is_file():
        raise SrkitError(f"kernel file not found: {p}")
    suffix = p.suffix.lower()
    if suffix not in KERNEL_SUFFIXES:
        raise SrkitError(f"unknown kernel format {p.suffix!r} for {p}; use {', '.join(KERNEL_SUFFIXES)}")
    try:
        if suffix == ".npy":
            data: object = np.load(p, allow_pickle=False)
        elif suffix == ".png":
            with Image.open(p) as im:
                data = np.asarray(im.convert("F"), dtype=np.float64)
        else:
            data = _read_mat(p)
    except SrkitError:
        raise
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SrkitError(f"cannot read kernel file {p}: {first}") from None
    return check_kernel(data, source=str(p))


def _read_mat(path: Path) -> np.ndarray:
    try:
        from scipy.io import loadmat
    except ImportError:
        raise SrkitError(f"reading {path} (a MATLAB .mat kernel) needs scipy: pip install 'srkit[mat]'") from None
    arrays = [v for k, v in loadmat(str(path)).items() if not k.startswith("__") and np.ndim(v) >= 2]
    if len(arrays) != 1:
        raise SrkitError(f"{path}: expected one 2-D array in the .mat file, found {len(arrays)}")
    return np.asarray(arrays[0])


def kernel_picture(kernel: np.ndarray) -> np.ndarray:
    """A uint8 picture of ``kernel`` (its maximum white), enlarged by nearest neighbour to about 256 pixels."""
    k = check_kernel(kernel)
    img = np.floor(k / k.max() * 255 + 0.5).astype(np.uint8)
    zoom = max(1, _PICTURE_SIDE // max(k.shape))
    return np.kron(img, np.ones((zoom, zoom), dtype=np.uint8))


def write_kernel(path: str | os.PathLike[str], kernel: np.ndarray, *, overwrite: bool = True) -> Path:
    """Write ``kernel`` (normalised) to ``path`` (``.npy``) and its picture beside it (same stem, ``.png``), both
    atomically. Returns the ``.npy`` path.

    Raises:
        SrkitError: not a kernel, a suffix other than ``.npy``, or an output that cannot be written.
    """
    p = Path(path)
    if p.suffix.lower() != ".npy":
        raise SrkitError(f"kernels are written as .npy (with a .png picture beside), got {p.name}")
    k = check_kernel(kernel)
    with atomic_path(p, overwrite=overwrite) as tmp, open(tmp, "wb") as f:
        np.save(f, k.astype(np.float32))
    with atomic_path(p.with_suffix(".png"), overwrite=overwrite) as tmp:
        Image.fromarray(kernel_picture(k)).save(tmp, format="PNG")
    return p
