"""An unpaired training set with an "unknown" degradation, and paired test pairs under the same degradation.

Methods that learn the degradation from unpaired data (Bulat et al.'s two-step GAN, CinCGAN; ``srkit train`` with
their recipes) need HR images and *other* LR images from a real camera. :func:`make_unpaired_set` makes such a set
honestly from HR folders: it splits the training images into two disjoint halves, keeps one half as the HR side and
degrades the other half with :mod:`srkit.degradations.unknown` (blur, bicubic downscaling, noise, JPEG; the models
never see its parameters) into the real-LR side, whose HR is thrown away. Paired ground truth is made only from
*test* folders, whose images neither half uses, for evaluation.

Layout:

    OUT/hr/NAME.png               HR side (the images as read, as PNG)
    OUT/lr_x2/NAME.png            real-LR side at x2: the other half, degraded (their HR is not written)
    OUT/lr_x4/NAME.png            the same half at x4 (its own draws)
    OUT/test/gt/NAME.png          test HR, mod-cropped to every scale of the set
    OUT/test/lr_x2/NAME.png       test LR at x2 under the same pipeline (its own draws)
    OUT/test/lr_x4/NAME.png
    OUT/protocol.json             seed, sources, the split, the pipeline and every image's parameters

``OUT/test`` has the layout of a blind set without kernels, so ``srkit bench --data OUT/test --scale 4`` reads its
pairs (so does ``srkit bench --data OUT/test/gt --lr OUT/test/lr_x4 --scale 4``).

**The split** (per training folder, so both halves draw from every folder): the folder's images are ordered by the
CRC-32 of ``"SEED/NAME"`` (ties by name); the first ``floor(n / 2)`` are the HR side, the rest the real-LR side.
It depends only on the seed and the names.

Names: with several training (or test) folders an image is named ``FOLDER_STEM``, else ``STEM``. Each LR image's
parameters come from ``torch.Generator().manual_seed(image_seed(seed, "NAME_xS"))`` (test images: ``"test/NAME_xS"``),
so the same folders and seed give the same files, bit for bit, and adding an image changes no other image's draws
(it may move the split of its own folder).

Example:
    >>> make_unpaired_set(["T91", "BSD200"], "unknown", test=["Set14"])  # doctest: +SKIP
    PosixPath('unknown')
"""

from __future__ import annotations

import json
import math
import os
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_dir, atomic_write_text
from srkit._core.progress import Progress
from srkit.data.io import list_images, read_image, write_image
from srkit.degradations import image_seed
from srkit.degradations.unknown import UNKNOWN_SCALES, apply_unknown, describe_unknown, sample_unknown
from srkit.functional.image import modcrop

__all__ = ["PROTOCOL_FILE", "make_unpaired_set", "split_halves"]

PROTOCOL_FILE = "protocol.json"
_MADE_BY = "srkit unpairedset"
_OURS = re.compile(r"^(hr|lr_x\d+|test|protocol\.json)$")


def split_halves(names: Sequence[str], seed: int) -> tuple[list[str], list[str]]:
    """The HR side and the real-LR side of one folder's image names (see the module's description), each sorted.

    Example:
        >>> hr, lr = split_halves(["a", "b", "c", "d", "e"], 0)
        >>> len(hr), len(lr), sorted(hr + lr)
        (2, 3, ['a', 'b', 'c', 'd', 'e'])
    """
    order = sorted(names, key=lambda n: (zlib.crc32(f"{seed}/{n}".encode()), n))
    k = len(order) // 2
    return sorted(order[:k]), sorted(order[k:])


def _named(folders: Sequence[Path]) -> list[list[tuple[str, Path]]]:
    """``(name, file)`` per folder; names prefixed by the folder's name when there are several folders."""
    out = []
    for f in folders:
        prefix = f"{f.resolve().name}_" if len(folders) > 1 else ""
        out.append([(prefix + p.stem, p) for p in list_images(f)])
    seen: dict[str, Path] = {}
    for name, path in (item for group in out for item in group):
        if name in seen:
            raise SrkitError(f"two images are both named {name!r}: {seen[name]} and {path}; rename one")
        seen[name] = path
    return out


def _check_inputs(train: Sequence[Path], test: Sequence[Path], output: Path) -> None:
    out = output.resolve()
    for f in (*train, *test):
        if f.resolve() == out or out in f.resolve().parents or f.resolve() in out.parents:
            raise SrkitError(f"the output folder {output} must not hold, or be inside, the source folder {f}")
    shared = {f.resolve() for f in train} & {f.resolve() for f in test}
    if shared:
        raise SrkitError(f"{sorted(shared)[0]} is both a training and a test folder: test images must be unseen")


def _check_output(output: Path, overwrite: bool) -> None:
    if not output.parent.is_dir():
        raise SrkitError(f"output folder's parent does not exist: {output.parent}")
    if output.exists() and not output.is_dir():
        raise SrkitError(f"output path exists and is not a folder: {output}")
    if not output.is_dir() or not any(output.iterdir()):
        return
    if not overwrite:
        raise SrkitError(f"output folder exists and is not empty (pass --overwrite to replace it): {output}")
    try:
        made_by = json.loads((output / PROTOCOL_FILE).read_text(encoding="utf-8")).get("made_by")
    except (OSError, ValueError, AttributeError):
        made_by = None
    strangers = sorted(p.name for p in output.iterdir() if not _OURS.match(p.name))
    if made_by != _MADE_BY or strangers:
        why = f"it holds {', '.join(strangers[:3])}" if strangers else f"it has no srkit {PROTOCOL_FILE}"
        raise SrkitError(f"refusing to replace {output}: not an unpaired set made by srkit ({why})")


def _degraded(hr: np.ndarray, key: str, scale: int, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    draw_seed = image_seed(seed, f"{key}_x{scale}")
    params = sample_unknown(torch.Generator().manual_seed(draw_seed), scale=scale)
    return apply_unknown(modcrop(hr, scale), params), {**params.as_dict(), "generator_seed": draw_seed}


def _protocol(train: Sequence[Path], test: Sequence[Path], scales: tuple[int, ...], seed: int) -> dict[str, Any]:
    return {
        "made_by": _MADE_BY,
        "seed": seed,
        "scales": list(scales),
        "train_sources": [os.fspath(f) for f in train],
        "test_sources": [os.fspath(f) for f in test],
        "split": "per training folder: images ordered by the CRC-32 of 'SEED/NAME', then name; the first "
        "floor(n / 2) form the HR side (hr/), the rest the real-LR side (lr_xS/, their HR not written)",
        "degradation": describe_unknown(),
        "test": f"test/gt: HR mod-cropped to {math.lcm(*scales)} (bottom and right); test/lr_xS: the same pipeline, "
        "parameters from image_seed(seed, 'test/NAME_xS')",
        "hr_side": [],
        "lr_side": [],
        "test_images": [],
    }


def _write_train(
    tmp: Path,
    groups: list[list[tuple[str, Path]]],
    scales: tuple[int, ...],
    seed: int,
    protocol: dict[str, Any],
    bar: Progress,
) -> None:
    for group in groups:
        files = dict(group)
        hr_names, lr_names = split_halves(list(files), seed)
        for name in hr_names:
            write_image(tmp / "hr" / f"{name}.png", read_image(files[name]))
            protocol["hr_side"].append({"name": name, "source": str(files[name])})
            bar.update(image=name)
        for name in lr_names:
            image = read_image(files[name])
            entry: dict[str, Any] = {"name": name, "source": str(files[name]), "size": list(image.shape[:2])}
            for s in scales:
                lr, entry[f"x{s}"] = _degraded(image, name, s, seed)
                write_image(tmp / f"lr_x{s}" / f"{name}.png", lr)
            protocol["lr_side"].append(entry)
            bar.update(image=name)


def _write_test(
    tmp: Path,
    group: list[tuple[str, Path]],
    scales: tuple[int, ...],
    seed: int,
    protocol: dict[str, Any],
    bar: Progress,
) -> None:
    multiple = math.lcm(*scales)
    for name, path in group:
        raw = read_image(path)
        if raw.shape[0] < multiple or raw.shape[1] < multiple:
            raise SrkitError(f"test image {path} ({raw.shape[0]}x{raw.shape[1]}) is smaller than {multiple}")
        gt = np.ascontiguousarray(modcrop(raw, multiple))
        write_image(tmp / "test" / "gt" / f"{name}.png", gt)
        entry: dict[str, Any] = {"name": name, "source": str(path), "hr_size": list(gt.shape[:2])}
        for s in scales:
            lr, entry[f"x{s}"] = _degraded(gt, f"test/{name}", s, seed)
            write_image(tmp / "test" / f"lr_x{s}" / f"{name}.png", lr)
        protocol["test_images"].append(entry)
        bar.update(image=name)


def make_unpaired_set(
    train: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    test: Sequence[str | os.PathLike[str]] = (),
    scales: Sequence[int] = UNKNOWN_SCALES,
    seed: int = 0,
    overwrite: bool = False,
    progress: bool | None = False,
) -> Path:
    """Make an unpaired training set under the unknown degradation, with paired test pairs (see the module).

    The set is written into a temporary folder beside ``output`` and moved into place at the end: an interrupted
    run leaves ``output`` as it was.

    Args:
        train: folders of HR training images, split into the HR side and the real-LR side.
        output: the set's folder (created; its parent must exist). Keep it outside a source checkout.
        test: folders of HR test images (none may be a training folder) for the paired test pairs.
        scales: 2, 4 or both.
        seed: the set's seed.
        overwrite: replace ``output`` if it is a set this function made (anything else is refused).
        progress: None or True: a bar on a terminal, plain lines in logs; False (default): nothing.

    Returns:
        ``output`` as a :class:`Path`.

    Raises:
        SrkitError: missing or empty folders, an unreadable image, two images of one name, a test folder that is
            also a training folder, another scale, an existing output (without ``overwrite``, or not such a set).
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SrkitError(f"the seed must be an integer, got {seed!r}")
    if isinstance(scales, int) or not scales or any(isinstance(s, bool) or s not in UNKNOWN_SCALES for s in scales):
        raise SrkitError(f"scales must list 2, 4 or both, got {scales!r}")
    if isinstance(train, str | os.PathLike) or not train:
        raise SrkitError("give one or more folders of HR training images")
    if isinstance(test, str | os.PathLike):
        raise SrkitError("test must be a list of folders")
    wanted = tuple(sorted({int(s) for s in scales}))
    train_dirs, test_dirs, out = [Path(f) for f in train], [Path(f) for f in test], Path(output)
    _check_inputs(train_dirs, test_dirs, out)
    groups = _named(train_dirs)
    test_group = [item for group in _named(test_dirs) for item in group] if test_dirs else []
    _check_output(out, overwrite)
    protocol = _protocol(train_dirs, test_dirs, wanted, seed)
    with atomic_dir(out) as tmp:  # built beside OUT, moved into place at the end
        folders = ["hr", *(f"lr_x{s}" for s in wanted)]
        if test_group:
            folders += ["test/gt", *(f"test/lr_x{s}" for s in wanted)]
        for folder in folders:
            (tmp / folder).mkdir(parents=True)
        total = sum(len(g) for g in groups) + len(test_group)
        with Progress(total=total, desc="unpairedset", unit="img", show=None if progress else progress) as bar:
            _write_train(tmp, groups, wanted, seed, protocol, bar)
            _write_test(tmp, test_group, wanted, seed, protocol, bar)
        atomic_write_text(tmp / PROTOCOL_FILE, json.dumps(protocol, indent=2) + "\n")
    return out
