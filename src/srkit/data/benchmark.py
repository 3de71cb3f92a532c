"""Benchmark sets: a folder of HR images, with LR images made on the fly by a protocol or read from files.

Layouts understood:

* **HR only** (``Set5/baby.png``...): LR is made by :func:`srkit.degradations.degrade` (BI, BD or DN).
* **Paired files in one folder** (``img_001_SRF_4_HR.png`` + ``img_001_SRF_4_LR.png``, as in SelfExSR's
  ``image_SRF_4``): every ``*_HR`` file has an ``*_LR`` twin.
* **Separate LR folder** (``lr_root``): for HR ``name.png`` the LR is ``name.*``, ``namex4.*`` or
  ``X4/namex4.*`` in ``lr_root`` (the DIV2K naming).
* **Blind sets with kernels** (DIV2KRK's layout, and the sets ``srkit blindset`` makes): ``gt/``, ``lr_x2/``,
  ``lr_x4/`` and optionally ``gt_k_x2/``, ``gt_k_x4/``; each pair carries its kernel
  (:mod:`srkit.data.blindset`).

Following the standard protocol, an HR image is read as RGB uint8 (a grayscale file becomes three identical
channels, and :attr:`BenchmarkPair.gray` remembers it) and mod-cropped to the scale.
"""

from __future__ import annotations

import fnmatch
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError
from srkit.data.blindset import find_kernel_layout
from srkit.data.io import IMAGE_SUFFIXES, list_images, read_image
from srkit.data.kernelfile import read_kernel
from srkit.degradations import PROTOCOLS, degrade, image_seed
from srkit.functional.align import pair_problem
from srkit.functional.image import modcrop


@dataclass(frozen=True)
class BenchmarkPair:
    """One test image: ``hr`` (H, W, 3) and ``lr`` (H/s, W/s, 3) uint8; ``gray`` if the file had one channel;
    ``kernel``: the blur kernel that made ``lr`` (2-D float64, sums to 1, applied as
    :func:`srkit.degradations.kernel_downscale` defines) when the set has one, else None."""

    name: str
    hr: np.ndarray
    lr: np.ndarray
    gray: bool
    kernel: np.ndarray | None = None


class BenchmarkSet:
    """A folder of benchmark images.

    Args:
        root: the folder of HR images (or of ``*_HR``/``*_LR`` pairs, or a blind set: ``gt/``, ``lr_xS/``,
            ``gt_k_xS/``).
        name: the set's name in reports; default the folder name (``Set5``).
        lr_root: optional folder of LR images matching the HR names.
        include: file-name patterns (``fnmatch``, e.g. ``["03[1-9]_*"]``): only the images they match (a held-out
            part of a folder).
        hr_only: in a folder of ``*_HR``/``*_LR`` pairs, evaluate the ``*_HR`` images alone, with LR made by the
            protocol (the pairs' HR photos as an ordinary test set).

    LR images read from files (not a blind set's, whose kernels shift them on purpose) are checked against their HR
    image (:func:`srkit.functional.align.pair_problem`): a misaligned or mismatched pair is reported with a warning.
    Same-size LR files (pre-upsampled pairs such as CameraSR's City100) are evaluated at scale 1.

    Example:
        >>> bench = BenchmarkSet("../shared/data/bench/Set5")  # doctest: +SKIP
        >>> [p.lr.shape for p in bench.pairs(4)][:1]  # doctest: +SKIP
        [(128, 128, 3)]
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        name: str | None = None,
        lr_root: str | os.PathLike[str] | None = None,
        include: Sequence[str] = (),
        hr_only: bool = False,
    ) -> None:
        self.root = Path(root)
        self.layout = find_kernel_layout(self.root) if lr_root is None else None
        if self.layout is not None:
            self.paired = False
            self.hr_files = list(self.layout.gt_files)
        else:
            files = list_images(self.root)
            hr_files = [f for f in files if f.stem.endswith("_HR")]
            self.paired = bool(hr_files) and lr_root is None and not hr_only
            self.hr_files = (
                hr_files if hr_files and lr_root is None else [f for f in files if not f.stem.endswith("_LR")]
            )
        if include:
            self.hr_files = [f for f in self.hr_files if any(fnmatch.fnmatchcase(f.name, p) for p in include)]
        if not self.hr_files:
            raise SrkitError(f"no HR images in {self.root}" + (f" match {', '.join(include)}" if include else ""))
        self.lr_root = Path(lr_root) if lr_root is not None else None
        if self.lr_root is not None and not self.lr_root.is_dir():
            raise SrkitError(f"LR folder not found: {self.lr_root}")
        self.name = name or self.root.name

    def __len__(self) -> int:
        return len(self.hr_files)

    @property
    def names(self) -> list[str]:
        """Image names (file stems, without a ``_HR`` suffix), in evaluation order."""
        return [self._name(f) for f in self.hr_files]

    @property
    def reads_lr_files(self) -> bool:
        """True when LR images come from files rather than from a degradation protocol."""
        return self.paired or self.lr_root is not None or self.layout is not None

    @property
    def scales(self) -> tuple[int, ...] | None:
        """The scales a blind set has LR images for (``lr_xS`` folders); None for other sets (any scale)."""
        return None if self.layout is None else self.layout.scales

    def _name(self, path: Path) -> str:
        return self.layout.name(path) if self.layout is not None else _image_name(path)

    def pairs(self, scale: int, protocol: str = "BI", *, seed: int = 0) -> Iterator[BenchmarkPair]:
        """Yield the HR/LR pairs for ``scale``.

        Args:
            scale: integer upscaling factor (>= 1).
            protocol: ``"BI"``, ``"BD"`` or ``"DN"``; ignored (must be BI) when LR images come from files.
            seed: base seed of the random protocols; each image gets a seed from it and its name.
        """
        check_scale("BenchmarkSet.pairs", scale)
        if protocol.upper() not in PROTOCOLS:
            raise SrkitError(f"unknown degradation {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        if self.reads_lr_files and protocol.upper() != "BI":
            raise SrkitError(f"{self.name} has LR files; the degradation {protocol!r} cannot be applied to them")
        if self.layout is not None:
            self.layout.check_scale(scale)
        return (self._pair(path, scale, protocol, seed) for path in self.hr_files)

    def _pair(self, path: Path, scale: int, protocol: str, seed: int) -> BenchmarkPair:
        raw = read_image(path)
        gray = raw.ndim == 2
        h, w = raw.shape[:2]
        if h < scale or w < scale:
            raise SrkitError(f"image {path} ({h}x{w}) is smaller than the scale {scale}")
        hr = np.ascontiguousarray(modcrop(np.repeat(raw[..., None], 3, axis=-1) if gray else raw, scale))
        name = self._name(path)
        kernel = None
        if self.reads_lr_files:
            lr_path = self._lr_path(path, scale)
            lr = read_image(lr_path, gray_to_rgb=True)
            expect = (hr.shape[0] // scale, hr.shape[1] // scale)
            if lr.shape[:2] != expect:
                raise SrkitError(
                    f"LR image {lr_path} is {lr.shape[0]}x{lr.shape[1]}, expected {expect[0]}x{expect[1]} "
                    f"for scale {scale} (is it the right scale?)"
                )
            kernel_path = self.layout.kernel_path(path, scale) if self.layout is not None else None
            kernel = read_kernel(kernel_path) if kernel_path is not None else None
            if kernel_path is None and (problem := pair_problem(hr, lr, scale)) is not None:
                warnings.warn(f"{self.name}/{name}: {problem}; its scores are not meaningful", stacklevel=2)
        else:
            lr = degrade(hr, scale, protocol, seed=image_seed(seed, name))
        return BenchmarkPair(name, hr, lr, gray, kernel)

    def _lr_path(self, hr_path: Path, scale: int) -> Path:
        if self.layout is not None:
            return self.layout.lr_path(hr_path, scale)
        if self.paired:
            stem = hr_path.stem[: -len("_HR")] + "_LR"
            candidates = [hr_path.with_name(stem + s) for s in (hr_path.suffix, *IMAGE_SUFFIXES)]
        else:
            assert self.lr_root is not None
            stems = [hr_path.stem, f"{hr_path.stem}x{scale}"]
            folders = [self.lr_root, self.lr_root / f"X{scale}", self.lr_root / f"x{scale}"]
            candidates = [d / (s + suf) for d in folders for s in stems for suf in (hr_path.suffix, *IMAGE_SUFFIXES)]
        for c in candidates:
            if c.is_file():
                return c
        raise SrkitError(f"no LR image for {hr_path.name} (looked for {candidates[0].name} and similar)")


def _image_name(path: Path) -> str:
    stem = path.stem
    return stem[: -len("_HR")] if stem.endswith("_HR") else stem
