"""Unpaired training batches: HR patches (with their bicubic LR) and, drawn independently, real-LR patches.

Methods that learn a degradation from unpaired data (Bulat et al.'s two-step GAN, CinCGAN) see HR images from one
set of folders and LR images from a real camera, of other scenes, from another. :class:`UnpairedPatches` is a
:class:`~srkit.data.train.TrainPatches` (HR-only folders, LR made on the fly, ``"BI"`` by default: the "clean LR"
these methods compare with) whose batches also carry ``real_lr``: ``p x p`` patches cut from the real-LR folders.

Determinism is TrainPatches': real-LR sample ``j`` of batch ``i`` comes from a ``torch.Generator`` seeded by
``(seed, i, j, stream)`` (a stream of its own, so the real-LR draws are independent of the HR draws), which picks
the image uniformly among those at least ``p`` pixels high and wide, a uniform crop corner and the flips. Nothing
is saved: a resumed run asks for batch ``k`` and gets it again, bit for bit, with any number of workers.

Example:
    >>> ds = UnpairedPatches(hr_folders=["unknown/hr"], real_lr_folders=["unknown/lr_x4"], scales=(4,),
    ...                      patch_size=16, batch_size=4)  # doctest: +SKIP
    >>> {k: tuple(v.shape) for k, v in ds[0].items() if k != "scale"}  # doctest: +SKIP
    {'lr': (4, 3, 16, 16), 'hr': (4, 3, 64, 64), 'real_lr': (4, 3, 16, 16)}
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit.data.io import list_images
from srkit.data.loader import Batch
from srkit.data.train import PatchParams, TrainPatches, _mix, _orient, _warn

__all__ = ["UnpairedPatches"]

_REAL_STREAM = 0x52454C  # mixed into the real-LR seeds: their own stream, apart from the HR samples'


class UnpairedPatches(TrainPatches):
    """:class:`~srkit.data.train.TrainPatches` whose batch ``i`` also holds ``real_lr``: ``batch_size`` patches of
    ``patch_size x patch_size`` pixels from the images of ``real_lr_folders``, independent of the HR patches.

    Args:
        real_lr_folders: folders of real LR images (any sizes; those smaller than ``patch_size`` are left out with
            a warning).
        **kwargs: :class:`~srkit.data.train.TrainPatches`'s arguments (not ``lr_folders``: unpaired means no
            paired LR). ``augment``, ``seed``, ``cache``, ``on_bad_image`` and ``in_channels`` apply to the real
            LR patches too.

    Shape:
        ``dataset[i]``: TrainPatches' ``{"lr", "hr", "scale"}`` plus ``"real_lr": (B, C, p, p)``, float32 in [0, 1].
    """

    def __init__(self, *, real_lr_folders: Sequence[str | os.PathLike[str]], **kwargs: Any) -> None:
        if kwargs.get("lr_folders") is not None:
            raise SrkitError("unpaired data takes HR-only folders: give real LR folders, not paired lr_folders")
        if isinstance(real_lr_folders, str | os.PathLike) or not real_lr_folders:
            raise SrkitError("real_lr_folders must be a non-empty list of folders")
        super().__init__(**kwargs)
        self.real_images: list[Path] = []
        self._real: list[tuple[int, int, int]] = []  # (cache key, crop rows, crop columns) of usable images
        small: list[str] = []
        p = self.patch_size
        for folder in real_lr_folders:
            for path in list_images(folder):
                key = self._add(path)
                if key is None:
                    continue
                h, w = self._cache.size(key)
                if h < p or w < p:
                    small.append(path.name)
                    continue
                self.real_images.append(path)
                self._real.append((key, h - p + 1, w - p + 1))
        if not self._real:
            raise SrkitError(f"no real LR image of at least {p}x{p} in {', '.join(map(str, real_lr_folders))}")
        if small:
            _warn(f"{len(small)} real LR images are smaller than the {p}x{p} patch and are not used: {small[:5]}")

    def real_lr_params(self, index: int) -> list[PatchParams]:
        """The :class:`~srkit.data.train.PatchParams` of batch ``index``'s real-LR samples (``image`` indexes
        :attr:`real_images`; the corner is in that image's pixels). Nothing is decoded."""
        return self._real_sample(self._check_index(index))

    def __getitem__(self, index: int) -> Batch:
        """Batch ``index``: TrainPatches' batch plus ``"real_lr"``."""
        batch = super().__getitem__(index)
        p = self.patch_size
        crops = []
        for s in self._real_sample(self._check_index(index)):
            image = self._cache[self._real[s.image][0]]
            crops.append(_orient(image[s.top : s.top + p, s.left : s.left + p], s))
        batch["real_lr"] = self._to_float(torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2))
        return batch

    def _real_sample(self, index: int) -> list[PatchParams]:
        rank, world = self._shard
        share = self.batch_size // world
        out = []
        for j in range(rank * share, (rank + 1) * share):
            g = torch.Generator().manual_seed(_mix(self.seed, index, j, _REAL_STREAM))
            image = int(torch.randint(len(self._real), (1,), generator=g))
            _, rows, cols = self._real[image]
            u = torch.rand(2, generator=g, dtype=torch.float64).tolist()
            flips = [f and self.augment for f in torch.randint(2, (3,), generator=g).tolist()]
            top, left = min(int(u[0] * rows), rows - 1), min(int(u[1] * cols), cols - 1)
            out.append(PatchParams(image, top, left, *(bool(f) for f in flips)))
        return out

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, {len(self.real_images)} real LR images)"
