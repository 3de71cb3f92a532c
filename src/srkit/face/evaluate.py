"""Scoring face SR on held-out aligned faces: PSNR/SSIM on Y and the landmark error of the restored faces.

For each face of the folder's validation split (:func:`srkit.face.data.face_split`): the LR face is its MATLAB
bicubic downscale by ``scale`` (16x16 at x8 for a 128x128 face); each method restores it; the result is scored
against the HR face with EVALUATION.md's metric (the BT.601 Y channel, ``shave`` border pixels left out: the scale
by default, as for every SR benchmark) and by the normalised mean error (:func:`srkit.metrics.nme`) of the 68
landmarks that :func:`srkit.face.landmarks` estimates on it, against the annotated ones. The same landmark error on
the HR faces themselves is the estimator's own floor.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from srkit.data.io import read_image
from srkit.face.api import ModelArg, hallucinate_all, landmarks
from srkit.face.data import degrade, face_split, read_landmarks
from srkit.functional.resize import imresize
from srkit.metrics import nme, psnr, ssim

Method = Callable[[list[np.ndarray], int], list[np.ndarray]]
"""A face SR method: (LR faces, scale) -> restored faces."""


@dataclass(frozen=True)
class FaceScores:
    """One method's means over the faces: PSNR (dB) and SSIM on Y, landmark NME (None: not measured)."""

    method: str
    psnr: float
    ssim: float
    nme: float | None
    faces: int


def bicubic(faces: list[np.ndarray], scale: int) -> list[np.ndarray]:
    """MATLAB bicubic upscaling, the baseline."""
    return [imresize(f, scale) for f in faces]


def face_model_method(*, generic: bool = False, model: ModelArg = None, mirror: bool = False) -> Method:
    """A method that runs a face model (the shipped FSRNet, or the generic one, or ``model``; ``mirror``: with the
    mirror self-ensemble)."""

    def run(faces: list[np.ndarray], scale: int) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for i in range(0, len(faces), 16):
            out += hallucinate_all(faces[i : i + 16], scale, generic=generic, model=model, mirror=mirror)[0]
        return out

    return run


def evaluate_faces(
    folder: str | os.PathLike[str],
    scale: int,
    methods: dict[str, Method],
    *,
    split: str = "val",
    shave: int | None = None,
    landmark_model: ModelArg = None,
    keep: Sequence[int] = (),
) -> tuple[list[FaceScores], dict[str, list[np.ndarray]]]:
    """Score ``methods`` on the ``split`` faces of ``folder`` at ``scale``; the first row is the HR faces' own
    landmark error (``"HR"``, PSNR inf). Also returns the outputs of the faces at indexes ``keep`` per method (and
    ``"LR"``, ``"HR"``), for pictures."""
    paths = face_split(folder, split)
    hr = [read_image(p, gray_to_rgb=True) for p in paths]
    truth = np.stack([read_landmarks(p.with_suffix(".txt")) for p in paths])
    lr = [degrade(h, scale) for h in hr]
    crop = scale if shave is None else shave

    def marks(images: list[np.ndarray]) -> float:
        return float(nme(np.stack([landmarks(im, model=landmark_model) for im in images]), truth).mean())

    rows = [FaceScores("HR", float("inf"), 1.0, marks(hr), len(hr))]
    kept = {"LR": [lr[i] for i in keep], "HR": [hr[i] for i in keep]}
    for name, method in methods.items():
        sr = method(lr, scale)
        rows.append(
            FaceScores(
                name,
                float(np.mean([psnr(s, h, crop_border=crop) for s, h in zip(sr, hr, strict=True)])),
                float(np.mean([ssim(s, h, crop_border=crop) for s, h in zip(sr, hr, strict=True)])),
                marks(sr),
                len(sr),
            )
        )
        kept[name] = [sr[i] for i in keep]
    return rows, kept
