"""What the per-image commands (``srkit zssr``, ``kernel``, ``dip``, ``dpsr``) share: their budget options, the
check of the output before the long work, and writing the result like the input."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from srkit._core.errors import SrkitError
from srkit._core.fileio import check_output_path
from srkit.data.imagefile import Picture, output_format, write_picture
from srkit.data.kernelfile import read_kernel

WRITABLE = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp")


def count(value: str) -> int:
    """An integer >= 1 (``--steps``, ``--iterations``)."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, not {value!r}")
    return int(value)


def seed(value: str) -> int:
    """An integer >= 0 (``--seed``)."""
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, not {value!r}")
    return int(value)


def seconds(value: str) -> float:
    """A number of seconds > 0 (``--max-time``)."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, not {value!r}")
    return number


def add_run_options(p: Any, *, steps_help: str | None) -> None:
    """``--steps`` (if ``steps_help``), ``--max-time``, ``--seed``, ``--device``, ``--no-progress``, ``--overwrite``."""
    if steps_help is not None:
        p.add_argument("--steps", type=count, help=steps_help)
    p.add_argument("--max-time", type=seconds, metavar="SECONDS", help="stop after this many seconds")
    p.add_argument("--seed", type=seed, default=0, help="seed of everything random: equal seeds, equal results")
    p.add_argument("--device", default="cpu", help="cpu, cuda or mps (default cpu)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def image_target(src: Path, output: str | None, tag: str, picture: Picture, *, overwrite: bool) -> Path:
    """The output image path, checked before the long work: a known format, not the input, writable, and TIFF for
    float pixels. Default: beside the input, ``NAME_<tag>.EXT``."""
    suffix = src.suffix if src.suffix.lower() in WRITABLE else ".png"
    dst = Path(output) if output else src.with_name(f"{src.stem}_{tag}{suffix}")
    fmt = output_format(dst)
    if dst.resolve() == src.resolve():
        raise SrkitError(f"the output {dst} would replace the input; choose another -o")
    if picture.pixels.dtype.kind == "f" and fmt != "TIFF":
        raise SrkitError(f"{src} has float pixels, which only TIFF keeps: choose a .tif output with -o")
    return check_output_path(dst, overwrite=overwrite)


def kernel_option(value: str, words: tuple[str, ...]) -> np.ndarray | str:
    """A ``--kernel`` value: one of ``words`` as it is, else a kernel file read and checked."""
    return value if value in words else read_kernel(value)


def write_like(dst: Path, image: np.ndarray, picture: Picture, *, overwrite: bool) -> None:
    """Write the result atomically, keeping the input's ICC profile and EXIF where the format allows."""
    write_picture(dst, image, like=picture, overwrite=overwrite)
