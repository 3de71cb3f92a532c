"""Blind benchmark folders: LR images with their blur kernels (DIV2KRK and the sets srkit makes like it).

Layout (DIV2KRK's, from KernelGAN: Bell-Kligler, Shocher, Irani, NeurIPS 2019; srkit's own sets use the same):

    OUT/gt/NAME.png          HR, mod-cropped to every scale of the set
    OUT/lr_x2/NAME.png       LR = kernel_downscale(HR, kernel, 2)   (srkit.degradations.div2krk)
    OUT/gt_k_x2/NAME.npy     the x2 kernel (float32, sums to 1) and NAME.png, its picture
    OUT/lr_x4/, OUT/gt_k_x4/ the same at x4
    OUT/protocol.json        seed, source folders, convention, each image's kernel parameters

The original DIV2KRK names its files ``gt/img_N_gt.png``, ``lr_x2/im_N.png`` and ``gt_k_x2/kernel_N.mat`` (and
``kernel_N.png``); both namings are read (:func:`find_kernel_layout`, used by :class:`srkit.BenchmarkSet`, so
``srkit bench --data DIV2KRK --scale 2`` reads the LR files and hands each method its kernel). A kernel is read
from ``.npy``, then ``.mat``, then ``.png`` (a picture: 8-bit, the least exact).

:func:`make_blindset` writes a set deterministically: each image's kernel at each scale comes from a generator
seeded by the set's seed and the image's name (``image_seed(seed, "NAME_x2")``), so the same seed and folders give
the same files, bit for bit, and adding an image changes no other image's kernel. The LR is made from the kernel
as written (read back from its ``.npy``), so ``kernel_downscale(gt, read_kernel(k), s) == lr`` holds exactly.

Example:
    >>> make_blindset(["../shared/data/bench/Set14"], "blind14", scales=(2, 4))  # doctest: +SKIP
    PosixPath('blind14')
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_dir, atomic_write_text
from srkit._core.progress import Progress
from srkit.data.io import IMAGE_SUFFIXES, list_images, read_image, write_image
from srkit.data.kernelfile import KERNEL_SUFFIXES, read_kernel, write_kernel
from srkit.degradations import image_seed
from srkit.degradations.div2krk import DIV2KRK_SCALES, div2krk_kernel, kernel_downscale, sample_div2krk_kernel
from srkit.functional.image import modcrop

__all__ = ["PROTOCOL_FILE", "KernelSetLayout", "find_kernel_layout", "make_blindset"]

PROTOCOL_FILE = "protocol.json"
_MADE_BY = "srkit blindset"
_GT = "gt"
_DIV2KRK_GT = re.compile(r"^img_(.+)_gt$")
_SCALE_FOLDER = re.compile(r"^lr_x(\d+)$")


def _lr_folder(scale: int) -> str:
    return f"lr_x{scale}"


def _kernel_folder(scale: int) -> str:
    return f"gt_k_x{scale}"


def _natural_key(path: Path) -> list[Any]:
    """``img_2`` before ``img_10``."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


# --- reading --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KernelSetLayout:
    """A folder in the DIV2KRK layout: ``gt/``, ``lr_xS/`` for each scale S, optionally ``gt_k_xS/``.

    Attributes:
        root: the folder.
        scales: the scales with an ``lr_xS`` folder, ascending.
        gt_files: the HR images in ``gt/``, in natural order (``img_2`` before ``img_10``).
    """

    root: Path
    scales: tuple[int, ...]
    gt_files: tuple[Path, ...]

    def name(self, gt: Path) -> str:
        """The image's name in reports: the file stem, without DIV2KRK's ``_gt`` (``img_7_gt.png`` -> ``img_7``)."""
        stem = gt.stem
        return stem[: -len("_gt")] if _DIV2KRK_GT.match(stem) else stem

    def _stems(self, gt: Path, kernel: bool) -> list[str]:
        m = _DIV2KRK_GT.match(gt.stem)
        if m is None:
            return [gt.stem]
        number = m.group(1)
        return [gt.stem, f"kernel_{number}"] if kernel else [gt.stem, f"im_{number}", f"img_{number}"]

    def lr_path(self, gt: Path, scale: int) -> Path:
        """The LR image of ``gt`` at ``scale`` (``NAME.*``, or DIV2KRK's ``im_N.png``).

        Raises:
            SrkitError: the set has no LR for ``scale``, or no file for this image.
        """
        self.check_scale(scale)
        folder = self.root / _lr_folder(scale)
        stems = self._stems(gt, kernel=False)
        for stem in stems:
            for suffix in dict.fromkeys((gt.suffix, *IMAGE_SUFFIXES)):
                if (folder / (stem + suffix)).is_file():
                    return folder / (stem + suffix)
        raise SrkitError(f"no LR image for {gt.name} in {folder} (looked for {stems[-2 if len(stems) > 1 else 0]}.*)")

    def kernel_path(self, gt: Path, scale: int) -> Path | None:
        """The kernel file of ``gt`` at ``scale`` (``.npy``, ``.mat``, then ``.png``); None when the set has no
        ``gt_k_xS`` folder.

        Raises:
            SrkitError: the kernel folder exists but holds no kernel for this image.
        """
        self.check_scale(scale)
        folder = self.root / _kernel_folder(scale)
        if not folder.is_dir():
            return None
        stems = self._stems(gt, kernel=True)
        for suffix in KERNEL_SUFFIXES:
            for stem in stems:
                if (folder / (stem + suffix)).is_file():
                    return folder / (stem + suffix)
        raise SrkitError(f"no kernel for {gt.name} in {folder} (looked for {stems[-1]}{'/'.join(KERNEL_SUFFIXES)})")

    def check_scale(self, scale: int) -> None:
        """Raise :class:`SrkitError` unless the set has LR images for ``scale``."""
        if scale not in self.scales:
            have = ", ".join(f"x{s}" for s in self.scales)
            folders = ", ".join(f"{_lr_folder(s)}/" for s in self.scales)
            raise SrkitError(
                f"{self.root} has LR images for {have} ({folders}), not x{scale}; "
                f"choose --scale {' '.join(str(s) for s in self.scales)}"
            )


def find_kernel_layout(root: str | os.PathLike[str]) -> KernelSetLayout | None:
    """The DIV2KRK layout of ``root``, or None when ``root`` has no ``gt/`` folder beside an ``lr_xS/`` one.

    Raises:
        SrkitError: ``gt/`` and ``lr_xS/`` are there but ``gt/`` holds no image.
    """
    folder = Path(root)
    if not (folder / _GT).is_dir():
        return None
    scales = sorted(
        int(m.group(1))
        for p in folder.iterdir()
        if p.is_dir() and (m := _SCALE_FOLDER.match(p.name)) is not None and int(m.group(1)) >= 1
    )
    if not scales:
        return None
    gt_files = tuple(sorted(list_images(folder / _GT), key=_natural_key))
    return KernelSetLayout(folder, tuple(scales), gt_files)


# --- writing --------------------------------------------------------------------------------------------------------


def _check_scales(scales: Sequence[int]) -> tuple[int, ...]:
    if isinstance(scales, int) or not scales:
        raise SrkitError(f"scales must list one or more of {DIV2KRK_SCALES}, got {scales!r}")
    bad = [s for s in scales if isinstance(s, bool) or s not in DIV2KRK_SCALES]
    if bad:
        raise SrkitError(f"the DIV2KRK protocol has scales x2 and x4 only, got {', '.join(str(s) for s in bad)}")
    return tuple(sorted({int(s) for s in scales}))


def _sources(sources: Sequence[str | os.PathLike[str]], output: Path) -> list[tuple[str, Path]]:
    """``(name, file)`` of every HR image, names prefixed by their folder's name when there are several folders."""
    if isinstance(sources, str | os.PathLike) or not sources:
        raise SrkitError("give one or more folders of HR images")
    folders = [Path(s) for s in sources]
    out = output.resolve()
    for f in folders:
        if f.resolve() == out or out in f.resolve().parents:
            raise SrkitError(f"the output folder {output} must not hold the HR folder {f}")
    images: list[tuple[str, Path]] = []
    for f in folders:
        prefix = f"{f.resolve().name}_" if len(folders) > 1 else ""
        images += [(prefix + p.stem, p) for p in list_images(f)]
    seen: dict[str, Path] = {}
    for name, path in images:
        if name in seen:
            raise SrkitError(f"two HR images are both named {name!r}: {seen[name]} and {path}; rename one")
        seen[name] = path
    return sorted(images)


def _check_output(output: Path, overwrite: bool) -> None:
    if not output.parent.is_dir():
        raise SrkitError(f"output folder's parent does not exist: {output.parent}")
    if output.exists() and not output.is_dir():
        raise SrkitError(f"output path exists and is not a folder: {output}")
    if not output.is_dir() or not any(output.iterdir()):
        return
    if not overwrite:
        raise SrkitError(f"output folder exists and is not empty (pass --overwrite to replace it): {output}")
    ours = re.compile(r"^(gt|lr_x\d+|gt_k_x\d+|protocol\.json)$")
    try:
        made_by = json.loads((output / PROTOCOL_FILE).read_text(encoding="utf-8")).get("made_by")
    except (OSError, ValueError, AttributeError):
        made_by = None
    strangers = [p.name for p in output.iterdir() if not ours.match(p.name)]
    if made_by != _MADE_BY or strangers:
        why = f"it holds {', '.join(sorted(strangers)[:3])}" if strangers else f"it has no srkit {PROTOCOL_FILE}"
        raise SrkitError(f"refusing to replace {output}: not a blind set made by srkit ({why})")


def _write_image_set(
    tmp: Path, name: str, path: Path, scales: tuple[int, ...], seed: int, multiple: int
) -> dict[str, Any]:
    raw = read_image(path)
    h, w = raw.shape[:2]
    if h < multiple or w < multiple:
        raise SrkitError(f"image {path} ({h}x{w}) is smaller than the scale {multiple}")
    hr = np.ascontiguousarray(modcrop(raw, multiple))
    write_image(tmp / _GT / f"{name}.png", hr)
    entry: dict[str, Any] = {"name": name, "source": str(path), "size": [h, w], "hr_size": list(hr.shape[:2])}
    for s in scales:
        kernel_seed = image_seed(seed, f"{name}_x{s}")
        params = sample_div2krk_kernel(torch.Generator().manual_seed(kernel_seed), scale=s)
        kernel_file = write_kernel(tmp / _kernel_folder(s) / f"{name}.npy", div2krk_kernel(params))
        kernel = read_kernel(kernel_file)  # the kernel as users will read it (float32, renormalised)
        write_image(tmp / _lr_folder(s) / f"{name}.png", kernel_downscale(hr, kernel, s))
        entry[f"x{s}"] = {**params.as_dict(), "kernel_shape": list(kernel.shape), "generator_seed": kernel_seed}
    return entry


def _protocol(sources: Sequence[str | os.PathLike[str]], scales: tuple[int, ...], seed: int) -> dict[str, Any]:
    return {
        "made_by": _MADE_BY,
        "protocol": "DIV2KRK (Bell-Kligler, Shocher, Irani, 'Blind Super-Resolution Kernel Estimation using an "
        "Internal-GAN', NeurIPS 2019)",
        "seed": seed,
        "sources": [os.fspath(s) for s in sources],
        "scales": list(scales),
        "kernel": {
            "x2": "11x11 Gaussian, covariance R(theta) diag(lambda1, lambda2) R(theta)^T, lambda ~ U(0.6, 5) "
            "(pixels^2), theta ~ U(-pi, pi) (counter-clockwise, y up), times (1 + U(-0.25, 0.25)) per value, "
            "centred, sum 1",
            "x4": "the analytic x4 kernel (k convolved with k dilated by 2, 31x31) of an independently drawn x2 kernel",
            "alignment": "centre of mass at (K // 2 + (s - 1) / 2) in both axes (row, column from 0)",
            "seeds": "each kernel from torch.Generator().manual_seed(image_seed(seed, 'NAME_xS'))",
        },
        "downscaling": "LR[m, n] = sum_ij k[i, j] HR[s*m + i - Kh // 2, s*n + j - Kw // 2], HR extended by "
        "symmetric reflection, uint8 rounded half up (srkit.degradations.kernel_downscale); HR mod-cropped to "
        f"{math.lcm(*scales)} (bottom and right)",
        "layout": {"gt": "HR", "lr_xS": "LR at scale S", "gt_k_xS": "kernel .npy (float32) and its .png picture"},
        "images": [],
    }


def make_blindset(
    sources: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    scales: Sequence[int] = DIV2KRK_SCALES,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool | None = False,
) -> Path:
    """Make a blind benchmark (the DIV2KRK protocol) from folders of HR images.

    The set is written into a temporary folder beside ``output`` and moved into place at the end: an
    interrupted run leaves ``output`` as it was.

    Args:
        sources: folders of HR images (their images directly in them). With several folders an image is named
            ``FOLDER_STEM``.
        output: the set's folder (created; its parent must exist).
        scales: 2, 4 or both.
        seed: the set's seed (an int).
        overwrite: replace ``output`` if it is a set srkit made (anything else is refused).
        progress: None or True: a bar on a terminal, plain lines in logs; False (default): nothing.

    Returns:
        ``output`` as a :class:`Path`.

    Raises:
        SrkitError: a missing or empty folder, an unreadable or too small image, two images of one name, another
            scale, an existing output (without ``overwrite``, or not an srkit set).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SrkitError(f"the seed must be an integer, got {seed!r}")
    wanted = _check_scales(scales)
    out = Path(output)
    images = _sources(sources, out)
    _check_output(out, overwrite)
    protocol = _protocol(sources, wanted, seed)
    with atomic_dir(out) as tmp:  # built beside OUT, moved into place at the end
        for folder in (_GT, *(_lr_folder(s) for s in wanted), *(_kernel_folder(s) for s in wanted)):
            (tmp / folder).mkdir()
        with Progress(total=len(images), desc="blindset", unit="img", show=None if progress else progress) as bar:
            for name, path in images:
                protocol["images"].append(_write_image_set(tmp, name, path, wanted, seed, math.lcm(*wanted)))
                bar.update(image=name)
        atomic_write_text(tmp / PROTOCOL_FILE, json.dumps(protocol, indent=2) + "\n")
    return out
