"""Training batches of LR/HR patches that a killed and resumed run sees again bit for bit.

Item ``i`` of :class:`TrainPatches` is the whole batch number ``i``. Everything random about it (the scale, and for
each sample the image, the crop position, the flips and the degradation's randomness) comes from
``torch.Generator`` objects seeded by ``(seed, i)`` and ``(seed, i, j)`` for sample ``j``, so no data-RNG state has
to be saved: resuming at step ``k`` is ``make_loader(dataset, start=k)``, whatever the number of workers.

Sources:

* **HR-only folders**: each sample is an HR crop of ``s * p`` pixels (its corner on multiples of ``s``), flipped /
  transposed, then degraded to ``p x p``: ``"BI"`` is MATLAB ``imresize(crop, 1/s)`` on uint8, ``"BD"`` and
  ``"DN"`` are :func:`srkit.degradations.degrade`, a callable ``(hr_uint8_hwc, scale, generator) -> lr_uint8_hwc``
  is any other degradation. Augmenting before degrading keeps LR and HR consistent for every degradation.
* **Paired folders** (``lr_folders``): for HR ``name.png`` the LR file is ``name.*``, ``namex{s}.*`` or
  ``X{s}/namex{s}.*`` (DIV2K) in the matching LR folder, or ``NNN_LR.*`` for ``NNN_HR.*`` (pairs in one folder,
  as CameraSR's City100: give the folder as both); LR crop ``p`` and HR crop ``s * p`` at the same position, with
  the same flips and transposition. Scale 1 is same-size ("pre-upsampled") pairs. Each pair is checked once: a
  misaligned or mismatched one (:func:`srkit.functional.align.pair_problem`) is an error (or skipped, with
  ``on_bad_image="skip"``), never silently used.

Images too small for the HR crop at a scale are left out of that scale with a warning (never upsampled: an
interpolated HR patch would teach the model to reproduce interpolation).
"""

from __future__ import annotations

import copy
import fnmatch
import operator
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from srkit._core.errors import SrkitError
from srkit.data.cache import ImageCache
from srkit.data.io import IMAGE_SUFFIXES, list_images
from srkit.data.loader import Batch, RangeSampler, loader_throughput, make_loader
from srkit.degradations import PROTOCOLS, RANDOM_PROTOCOLS, degrade
from srkit.functional.align import pair_problem
from srkit.functional.color import rgb_to_y
from srkit.functional.resize import imresize

Degradation = Callable[[np.ndarray, int, torch.Generator], np.ndarray]
_MASK64 = (1 << 64) - 1

__all__ = ["Batch", "PatchParams", "RangeSampler", "TrainPatches", "loader_throughput", "make_loader"]


@dataclass(frozen=True)
class PatchParams:
    """Where one sample comes from: HR image ``image`` (index into :attr:`TrainPatches.images`), crop corner
    ``(top, left)`` on the LR grid (the HR corner is ``(s * top, s * left)``), then horizontal flip, vertical flip
    and transposition, applied in that order."""

    image: int
    top: int
    left: int
    hflip: bool
    vflip: bool
    transpose: bool


@dataclass(frozen=True)
class _Entry:  # an image usable at one scale
    image: int
    lr_key: int | None
    rows: int  # number of possible crop corners
    cols: int


class TrainPatches(Dataset[Batch]):
    """Batches of random LR/HR training patches; item ``i`` is batch ``i``, reproducible from ``(seed, i)``.

    Args:
        hr_folders: folders of HR images (read with :func:`srkit.data.read_image`; grayscale becomes RGB).
        scales: the scales to train; each batch draws one (all its samples share it).
        patch_size: LR patch side ``p``; the HR patch is ``s * p``.
        batch_size: samples per batch.
        degradation: ``"BI"``, ``"BD"``, ``"DN"`` or a callable ``(hr_uint8_hwc, scale, generator) -> lr``
            returning uint8 ``(p, p, 3)`` from ``(s*p, s*p, 3)``; only ``"BI"`` with ``lr_folders``.
        lr_folders: LR folders matching ``hr_folders`` one to one (paired data) instead of a degradation.
        exclude: file-name patterns (``fnmatch``, e.g. ``"2*.png"``) of images left out of every folder: images
            held out for a test set.
        augment: random horizontal/vertical flips and transposition (8 orientations).
        seed: the data seed.
        length: the number of batches a run may ask for (``len(dataset)``).
        cache: ``"memory"``, ``"none"`` or a folder for ``.npy`` files (see :mod:`srkit.data.cache`).
        on_bad_image: ``"stop"`` raises :class:`SrkitError` naming an unreadable image (or missing LR file) when
            the dataset is built; ``"skip"`` warns once per file and leaves it out.
        in_channels: 3 (RGB) or 1 (Y of MATLAB ``rgb2ycbcr`` from the RGB patches, in [16/255, 235/255]).

    Each sample picks its image uniformly among those large enough for the crop (with replacement; there are no
    epochs), then a uniform crop position. With DataLoader workers started by ``spawn`` (macOS, Windows) a callable
    ``degradation`` must be picklable (a module-level function or class, not a lambda).

    Shape:
        ``dataset[i]`` is ``{"lr": (B, C, p, p), "hr": (B, C, s*p, s*p), "scale": s}``, float32 in [0, 1].

    Example:
        >>> ds = TrainPatches(hr_folders=["../shared/data/train/T91"], scales=(2,), batch_size=4)  # doctest: +SKIP
        >>> ds[0]["lr"].shape, ds[0]["hr"].shape  # doctest: +SKIP
        (torch.Size([4, 3, 48, 48]), torch.Size([4, 3, 96, 96]))
    """

    def __init__(
        self,
        *,
        hr_folders: Sequence[str | os.PathLike[str]],
        scales: Sequence[int] = (4,),
        patch_size: int = 48,
        batch_size: int = 16,
        degradation: str | Degradation = "BI",
        lr_folders: Sequence[str | os.PathLike[str]] | None = None,
        augment: bool = True,
        seed: int = 0,
        length: int = 10**9,
        cache: str | os.PathLike[str] = "memory",
        on_bad_image: str = "stop",
        in_channels: int = 3,
        exclude: Sequence[str] = (),
    ) -> None:
        if isinstance(hr_folders, str | os.PathLike) or not hr_folders:
            raise SrkitError("hr_folders must be a non-empty list of folders")
        for name, value in (("patch_size", patch_size), ("batch_size", batch_size), ("length", length)):
            _check_int(name, value, 1)
        _check_int("seed", seed, None)
        if on_bad_image not in ("stop", "skip"):
            raise SrkitError(f"on_bad_image must be 'stop' or 'skip', got {on_bad_image!r}")
        if in_channels not in (1, 3):
            raise SrkitError(f"in_channels must be 1 (Y) or 3 (RGB), got {in_channels!r}")
        self.patch_size, self.batch_size, self.length = patch_size, batch_size, length
        self.augment, self.seed, self.in_channels, self.on_bad_image = bool(augment), seed, in_channels, on_bad_image
        self._cache = ImageCache(cache)
        self._lr_dirs: list[Path] | None = None
        if lr_folders is not None:
            if isinstance(lr_folders, str | os.PathLike) or len(lr_folders) != len(hr_folders):
                raise SrkitError(f"lr_folders must list one LR folder per HR folder ({len(hr_folders)})")
            self._lr_dirs = [Path(f) for f in lr_folders]
            for d in self._lr_dirs:
                if not d.is_dir():
                    raise SrkitError(f"LR folder not found: {d}")
        self.degradation = self._check_degradation(degradation)
        self.images: list[Path] = []  # HR files in use
        self._hr_keys: list[int] = []
        self._hr_dir: list[int] = []  # which folder each image came from
        for i, folder in enumerate(hr_folders):
            files = list_images(folder)
            if self._lr_dirs is not None and any(f.stem.endswith("_HR") for f in files):
                files = [f for f in files if f.stem.endswith("_HR")]  # NNN_HR / NNN_LR pairs in one folder
            for path in files:
                if any(fnmatch.fnmatchcase(path.name, pattern) for pattern in exclude):
                    continue  # held out (e.g. kept for a test set)
                key = self._add(path)
                if key is not None:
                    self.images.append(path)
                    self._hr_keys.append(key)
                    self._hr_dir.append(i)
        if not self.images:
            raise SrkitError(f"no readable training image in {', '.join(str(f) for f in hr_folders)}")
        self._lr_keys: dict[int, list[int | None]] = {}  # scale -> LR cache key per image (paired data)
        self._shard = (0, 1)
        self._set_scales(scales)

    # --- curriculum / distributed views (share the decoded images) -------------------------------------------------

    def with_scales(self, scales: Sequence[int]) -> TrainPatches:
        """The same dataset drawing from ``scales`` instead (a scale curriculum); the image cache is shared."""
        new = copy.copy(self)
        new._set_scales(scales)
        return new

    def with_degradation(self, degradation: str | Degradation) -> TrainPatches:
        """The same dataset with another degradation (e.g. a harder one later in a curriculum)."""
        new = copy.copy(self)
        new.degradation = new._check_degradation(degradation)
        return new

    def with_shard(self, rank: int, world_size: int) -> TrainPatches:
        """Rank ``rank``'s share of every batch for distributed training: samples ``[rank * b, (rank + 1) * b)``
        with ``b = batch_size / world_size``. Concatenated over the ranks, the shards are the full batch."""
        _check_int("world_size", world_size, 1)
        _check_int("rank", rank, 0)
        if rank >= world_size or self.batch_size % world_size:
            raise SrkitError(f"cannot give rank {rank} of {world_size} an equal share of batch {self.batch_size}")
        new = copy.copy(self)
        new._shard = (rank, world_size)
        return new

    @property
    def scales(self) -> tuple[int, ...]:
        """The scales batches are drawn from."""
        return self._scales

    def images_at(self, scale: int) -> list[Path]:
        """The HR images that samples at ``scale`` are drawn from (those large enough for its crop)."""
        if scale not in self._entries:
            raise SrkitError(f"scale {scale!r} is not one of this dataset's scales {self._scales}")
        return [self.images[e.image] for e in self._entries[scale]]

    # --- sampling --------------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.length

    def sample_params(self, index: int) -> tuple[int, list[PatchParams]]:
        """The scale and per-sample :class:`PatchParams` of batch ``index`` (nothing is decoded)."""
        s, samples = self._sample(self._check_index(index))
        return s, [p for p, _ in samples]

    def __getitem__(self, index: int) -> Batch:
        """Batch ``index``: ``{"lr": (B, C, p, p), "hr": (B, C, s*p, s*p), "scale": s}`` float32 in [0, 1]."""
        s, samples = self._sample(self._check_index(index))
        hrs = [self._hr_patch(s, p) for p, _ in samples]
        if self._lr_dirs is not None:
            lrs = [self._lr_patch(s, p) for p, _ in samples]
            lr = torch.from_numpy(np.stack(lrs)).permute(0, 3, 1, 2)
        elif self.degradation == "BI":  # one call for the whole batch: the same numbers as image by image
            lr = imresize(torch.from_numpy(np.stack(hrs)).permute(0, 3, 1, 2).contiguous(), 1 / s)
        else:
            lr = torch.from_numpy(np.stack([self._degrade(h, s, g) for h, (_, g) in zip(hrs, samples, strict=True)]))
            lr = lr.permute(0, 3, 1, 2)
        hr = torch.from_numpy(np.stack(hrs)).permute(0, 3, 1, 2)
        return {"lr": self._to_float(lr), "hr": self._to_float(hr), "scale": s}

    def _sample(self, index: int) -> tuple[int, list[tuple[PatchParams, torch.Generator]]]:
        g = torch.Generator().manual_seed(_mix(self.seed, index))
        s = self._scales[int(torch.randint(len(self._scales), (1,), generator=g))]
        entries = self._entries[s]
        rank, world = self._shard
        share = self.batch_size // world
        out = []
        for j in range(rank * share, (rank + 1) * share):
            gj = torch.Generator().manual_seed(_mix(self.seed, index, j))
            e = entries[int(torch.randint(len(entries), (1,), generator=gj))]
            u = torch.rand(2, generator=gj, dtype=torch.float64).tolist()
            flips = [f and self.augment for f in torch.randint(2, (3,), generator=gj).tolist()]  # drawn always
            top, left = min(int(u[0] * e.rows), e.rows - 1), min(int(u[1] * e.cols), e.cols - 1)
            out.append((PatchParams(e.image, top, left, *(bool(f) for f in flips)), gj))
        return s, out

    # --- applying the parameters -----------------------------------------------------------------------------------

    def _hr_patch(self, s: int, p: PatchParams) -> np.ndarray:
        n = s * self.patch_size
        image = self._cache[self._hr_keys[p.image]]
        return _orient(image[s * p.top : s * p.top + n, s * p.left : s * p.left + n], p)

    def _lr_patch(self, s: int, p: PatchParams) -> np.ndarray:
        key = self._lr_keys[s][p.image]
        assert key is not None
        n = self.patch_size
        return _orient(self._cache[key][p.top : p.top + n, p.left : p.left + n], p)

    def _degrade(self, hr: np.ndarray, s: int, g: torch.Generator) -> np.ndarray:
        if callable(self.degradation):
            lr = self.degradation(hr, s, g)
        else:
            seed = int(torch.randint(2**31 - 1, (1,), generator=g)) if self.degradation in RANDOM_PROTOCOLS else 0
            lr = degrade(hr, s, self.degradation, seed=seed)
        want = (self.patch_size, self.patch_size, 3)
        if not isinstance(lr, np.ndarray) or lr.dtype != np.uint8 or lr.shape != want:
            got = f"{type(lr).__name__} {getattr(lr, 'dtype', '')} {getattr(lr, 'shape', '')}"
            raise SrkitError(f"the degradation returned {got}; expected a uint8 numpy array of shape {want}")
        return lr

    def _to_float(self, x: torch.Tensor) -> torch.Tensor:
        unit = x.to(torch.float32) / 255.0
        if self.in_channels == 1:
            unit = rgb_to_y(unit.double()).unsqueeze(1).to(torch.float32)
        return unit.contiguous()

    # --- building --------------------------------------------------------------------------------------------------

    def _check_degradation(self, degradation: str | Degradation) -> str | Degradation:
        if callable(degradation):
            if self._lr_dirs is not None:
                raise SrkitError("a degradation cannot be applied to paired data (lr_folders are given)")
            return degradation
        if not isinstance(degradation, str) or degradation.upper() not in PROTOCOLS:
            raise SrkitError(f"unknown degradation {degradation!r}; choose one of {', '.join(PROTOCOLS)} or a callable")
        if self._lr_dirs is not None and degradation.upper() != "BI":
            raise SrkitError(f"degradation {degradation!r} cannot be applied to paired data (lr_folders are given)")
        return degradation.upper()

    def _add(self, path: Path) -> int | None:
        try:
            return self._cache.add(path)
        except SrkitError as err:
            self._bad(str(err))
            return None

    def _bad(self, message: str) -> None:
        if self.on_bad_image == "stop":
            raise SrkitError(message)
        _warn(f"{message} (skipped)")

    def _set_scales(self, scales: Sequence[int]) -> None:
        if isinstance(scales, int) or not scales:
            raise SrkitError(f"scales must be a non-empty list of integers >= 1, got {scales!r}")
        for s in scales:
            _check_int("every scale", s, 1)
        self._scales = tuple(int(s) for s in scales)
        self._entries: dict[int, list[_Entry]] = {s: self._entries_for(s) for s in dict.fromkeys(self._scales)}

    def _entries_for(self, s: int) -> list[_Entry]:
        p, entries, small = self.patch_size, [], []
        lr_keys = self._lr_keys_for(s) if self._lr_dirs is not None else [None] * len(self.images)
        for i, path in enumerate(self.images):
            h, w = self._cache.size(self._hr_keys[i])
            rows, cols = h // s, w // s
            key = lr_keys[i]
            if key is not None:
                lh, lw = self._cache.size(key)
                rows, cols = min(rows, lh), min(cols, lw)
            elif self._lr_dirs is not None:
                continue  # no usable LR file at this scale (already reported)
            if rows < p or cols < p:
                small.append(path.name)
            else:
                entries.append(_Entry(i, key, rows - p + 1, cols - p + 1))
        if small:
            shown = ", ".join(small[:5]) + (f" and {len(small) - 5} more" if len(small) > 5 else "")
            _warn(
                f"{len(small)} of {len(self.images)} training images are smaller than the {s * p}x{s * p} HR crop "
                f"at x{s} and are not used at that scale: {shown}"
            )
        if not entries:
            raise SrkitError(
                f"no training image is large enough for a {s * p}x{s * p} HR crop at x{s}; lower patch_size"
            )
        return entries

    def _lr_keys_for(self, s: int) -> list[int | None]:
        if s in self._lr_keys:
            return self._lr_keys[s]
        assert self._lr_dirs is not None
        keys: list[int | None] = []
        for i, path in enumerate(self.images):
            lr_path = _find_lr(self._lr_dirs[self._hr_dir[i]], path, s)
            key = self._add(lr_path) if lr_path is not None else None
            if lr_path is None:
                self._bad(f"no LR image for {path} at x{s} in {self._lr_dirs[self._hr_dir[i]]}")
            elif key is not None:
                (h, w), (lh, lw) = self._cache.size(self._hr_keys[i]), self._cache.size(key)
                if not (h // s <= lh <= -(-h // s) and w // s <= lw <= -(-w // s)):
                    self._bad(f"LR image {lr_path} is {lh}x{lw}, expected {h // s}x{w // s} for x{s} of {path}")
                    key = None
                elif (problem := self._pair_problem(i, key, s)) is not None:
                    self._bad(f"the pair {path.name} / {lr_path.name} at x{s}: {problem}")
                    key = None
            keys.append(key)
        self._lr_keys[s] = keys
        return keys

    def _pair_problem(self, image: int, lr_key: int, s: int) -> str | None:
        """:func:`srkit.functional.align.pair_problem` on the pair's common area (a misaligned or mismatched pair
        is reported, never silently used)."""
        hr, lr = self._cache[self._hr_keys[image]], self._cache[lr_key]
        rows, cols = min(hr.shape[0] // s, lr.shape[0]), min(hr.shape[1] // s, lr.shape[1])
        if min(rows * s, cols * s) < 16:
            return None  # too small to measure
        return pair_problem(hr[: rows * s, : cols * s], lr[:rows, :cols], s)

    def _check_index(self, index: int) -> int:
        i = operator.index(index)
        if not 0 <= i < self.length:
            raise IndexError(f"batch index {i} out of range for a dataset of length {self.length}")
        return i

    def __repr__(self) -> str:
        source = "paired" if self._lr_dirs is not None else f"degradation={self.degradation!r}"
        return (
            f"TrainPatches({len(self.images)} images, scales={self._scales}, patch_size={self.patch_size}, "
            f"batch_size={self.batch_size}, {source}, seed={self.seed}, cache={self._cache.mode!r})"
        )


def _check_int(name: str, value: object, minimum: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise SrkitError(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise SrkitError(f"{name} must be >= {minimum}, got {value!r}")


def _warn(message: str) -> None:
    """Warn, attributed to the first caller outside this file (the user's line that built the dataset)."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        level, frame = level + 1, frame.f_back  # type: ignore[assignment]
    warnings.warn(message, stacklevel=level)


def _mix(*values: int) -> int:
    """A 63-bit seed from integers (SplitMix64 steps): nearby inputs give unrelated seeds."""
    h = 0x9E3779B97F4A7C15
    for v in values:
        h = (h ^ (v & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        h = (h ^ (h >> 27)) * 0x94D049BB133111EB & _MASK64
        h ^= h >> 31
    return h >> 1


def _orient(crop: np.ndarray, p: PatchParams) -> np.ndarray:
    """An RGB copy of ``crop`` with the flips and transposition of ``p`` (grayscale becomes 3 channels)."""
    if crop.ndim == 2:
        crop = crop[..., None].repeat(3, axis=2)
    if p.hflip:
        crop = crop[:, ::-1]
    if p.vflip:
        crop = crop[::-1]
    if p.transpose:
        crop = crop.transpose(1, 0, 2)
    return np.ascontiguousarray(crop)


def _find_lr(folder: Path, hr_path: Path, s: int) -> Path | None:
    stems = [hr_path.stem, f"{hr_path.stem}x{s}"]
    if hr_path.stem.endswith("_HR"):
        stems.insert(0, hr_path.stem[: -len("_HR")] + "_LR")
    folders = [folder, folder / f"X{s}", folder / f"x{s}"]
    for d in folders:
        for stem in stems:
            for suffix in (hr_path.suffix, *IMAGE_SUFFIXES):
                if (d / (stem + suffix)).is_file():
                    return d / (stem + suffix)
    return None
