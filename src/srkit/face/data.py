"""Aligned faces with 68 landmarks: reading them, the fixed validation split, and training batches with priors.

A face folder holds ``NAME.png`` (an aligned face, e.g. 128x128) and ``NAME.txt`` beside it: 68 lines ``x y``,
the landmarks in pixel-centre coordinates (``../shared/data/face/Helen_train_128``). Helen names its crops
``PHOTO_N``: faces of one photo stay on one side of the split.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from srkit._core.errors import SrkitError
from srkit.data.io import list_images, read_image
from srkit.data.loader import ShardedBatches
from srkit.face.priors import flip_landmarks, heatmaps, parsing_maps, to_half
from srkit.functional.resize import imresize

VAL_EVERY = 10
"""The validation split holds every 10th photo (sorted by name): 87 of Helen_train_128's 870 faces."""


def read_landmarks(path: str | os.PathLike[str]) -> np.ndarray:
    """The 68 landmarks ``(68, 2)`` float32 of a ``.txt`` file of 68 ``x y`` lines.

    Raises:
        SrkitError: a missing file, or not 68 lines of two finite numbers.
    """
    p = Path(path)
    try:
        rows = [line.split() for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
        points = np.array(rows, dtype=np.float32)
    except FileNotFoundError:
        raise SrkitError(f"landmark file not found: {p}") from None
    except (ValueError, UnicodeDecodeError):
        raise SrkitError(f"{p}: not a landmark file (68 lines 'x y')") from None
    if points.shape != (68, 2) or not np.isfinite(points).all():
        raise SrkitError(f"{p}: expected 68 lines of two numbers 'x y', got an array of shape {points.shape}")
    return points


def _photo(path: Path) -> str:
    return path.stem.rsplit("_", 1)[0]


def face_split(folder: str | os.PathLike[str], split: str, *, val_every: int = VAL_EVERY) -> list[Path]:
    """The faces of ``folder`` (images with a landmark ``.txt`` beside them) in ``split``: ``"val"`` holds the
    faces of every ``val_every``-th photo (sorted by photo name), ``"train"`` the others, ``"all"`` every face.

    Raises:
        SrkitError: an unknown split, or no face with landmarks in the folder.
    """
    if split not in ("train", "val", "all"):
        raise SrkitError(f"split must be train, val or all, got {split!r}")
    faces = [p for p in list_images(folder) if p.with_suffix(".txt").is_file()]
    if not faces:
        raise SrkitError(f"{folder}: no face images with landmarks (NAME.png with NAME.txt beside it)")
    photos = sorted({_photo(p) for p in faces})
    val = set(photos[::val_every])
    if split == "all":
        return faces
    return [p for p in faces if (_photo(p) in val) == (split == "val")]


def degrade(hr: np.ndarray, scale: int) -> np.ndarray:
    """The LR face: MATLAB bicubic downscaling by ``scale`` (uint8 in, uint8 out)."""
    if hr.shape[0] % scale or hr.shape[1] % scale:
        raise SrkitError(f"a {hr.shape[1]}x{hr.shape[0]} face does not divide by scale {scale}")
    return imresize(hr, 1 / scale)


class FaceBatches(ShardedBatches, Dataset[dict[str, torch.Tensor | int]]):
    """Training batches of aligned faces with their priors: item ``k`` is batch ``k``, made from ``(seed, k)``
    alone (a resumed run draws the same batches).

    Each batch: ``hr`` ``(B, 3, H, W)`` in [0, 1]; ``lr`` its MATLAB-bicubic downscale by ``scale``; ``heatmaps``
    ``(B, 68, H/2, W/2)`` and ``parsing`` ``(B, 7, H/2, W/2)`` (:mod:`srkit.face.priors`); ``landmarks``
    ``(B, 68, 2)`` in HR pixels; ``scale``. Faces are mirrored at random (points renumbered) when ``augment``.

    Args:
        folders: face folders (images with landmark files).
        scales: the scales batches are drawn from (one per batch).
        batch_size: faces per batch.
        seed: seed of the draws.
        length: number of batches (the run's steps).
        split: ``train`` (default), ``val`` or ``all`` (:func:`face_split`).
        augment: random horizontal mirroring.
        sigma: heatmap standard deviation, half-size pixels.
    """

    def __init__(
        self,
        folders: Sequence[str | os.PathLike[str]],
        *,
        scales: Sequence[int],
        batch_size: int = 16,
        seed: int = 0,
        length: int = 1000,
        split: str = "train",
        augment: bool = True,
        sigma: float = 1.0,
    ) -> None:
        paths = [p for f in folders for p in face_split(f, split)]
        self.hr = [read_image(p, gray_to_rgb=True) for p in paths]
        sizes = {im.shape for im in self.hr}
        if len(sizes) != 1:
            raise SrkitError(f"aligned faces must all have one size; found {sorted(sizes)}")
        self.points = [read_landmarks(p.with_suffix(".txt")) for p in paths]
        self.batch_size, self.seed, self.length = batch_size, seed, length
        self.augment, self.sigma = augment, sigma
        self._lr: dict[int, list[np.ndarray]] = {}
        self._set_scales(scales)

    def _set_scales(self, scales: Sequence[int]) -> None:
        if not scales:
            raise SrkitError("FaceBatches needs at least one scale")
        for s in scales:
            if s not in self._lr:
                self._lr[s] = [degrade(im, s) for im in self.hr]
        self._scales = tuple(scales)

    def with_scales(self, scales: Sequence[int]) -> FaceBatches:
        """The same faces drawn at ``scales`` (the decoded images are shared)."""
        new = copy.copy(self)
        new._lr = self._lr
        new._set_scales(scales)
        return new

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | int]:
        if not 0 <= index < self.length:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index])
        scale = self._scales[int(rng.integers(len(self._scales)))]
        picks = rng.integers(len(self.hr), size=self.batch_size)
        flips = rng.random(self.batch_size) < 0.5 if self.augment else np.zeros(self.batch_size, dtype=bool)
        mine = self._mine()
        hrs, lrs, points, parsing = [], [], [], []
        for i, flip in zip(picks[mine], flips[mine], strict=True):
            hr, lr, pts = self.hr[i], self._lr[scale][i], self.points[i]
            if flip:
                hr, lr, pts = hr[:, ::-1], lr[:, ::-1], flip_landmarks(pts, hr.shape[1])
            hrs.append(hr)
            lrs.append(lr)
            points.append(pts)
            parsing.append(parsing_maps(to_half(pts), (hr.shape[0] // 2, hr.shape[1] // 2)))
        pts_t = torch.from_numpy(np.stack(points))
        half = (self.hr[0].shape[0] // 2, self.hr[0].shape[1] // 2)
        return {
            "hr": _tensor(hrs),
            "lr": _tensor(lrs),
            "landmarks": pts_t,
            "heatmaps": heatmaps(to_half(pts_t), half, self.sigma),
            "parsing": torch.from_numpy(np.stack(parsing)),
            "scale": scale,
        }


def _tensor(images: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.stack(images))).permute(0, 3, 1, 2).float() / 255.0
