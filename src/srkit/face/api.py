"""Aligned faces in, restored faces and landmarks out: srkit's shipped face models behind three functions.

- :func:`hallucinate`: an aligned LR face (16x16 at x8, 32x32 at x4) -> the 128x128 face (FSRNet, or the same-size
  generic model with ``generic=True``).
- :func:`landmarks`: the 68 landmarks of an aligned face (any size; read from the prior estimation network).
- :func:`mean_shape`: the mean landmarks of the training faces (128x128), the frame faces are aligned to.

Aligned means framed as the training faces are: a square around the landmarks' bounding box, 1.3 times its side,
eyes level (``srkit.face.photo`` aligns faces found in an ordinary photo).
"""

from __future__ import annotations

import functools
import json
import os
from importlib import resources
from typing import Any

import numpy as np
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.archs import load_model
from srkit.archs.fsrnet import heatmap_peaks
from srkit.face.priors import from_half, landmarks_from_heatmaps
from srkit.functional.resize import imresize

FACE_SIZE = 128
"""Side of the faces the models restore (HR)."""
FACE_SCALES = (4, 8)
FACE_MODELS = {4: "srkit_face_x4", 8: "srkit_face_x8"}
"""The shipped FSRNet weights per scale."""
GENERIC_MODELS = {4: "srkit_face_generic_x4", 8: "srkit_face_generic_x8"}
"""The shipped same-size generic models (the comparison that shows what the priors buy)."""
LANDMARK_MODEL = FACE_MODELS[8]
"""Whose prior estimation network :func:`landmarks` runs: the x8 FSRNet's, trained the longest (docs/face.md)."""

ModelArg = nn.Module | str | os.PathLike[str] | None


def check_scale(scale: int) -> int:
    """``scale`` if the face models serve it (4 or 8), else a one-line error."""
    if isinstance(scale, bool) or scale not in FACE_SCALES:
        raise SrkitError(f"face models upscale by 4 (32x32 faces) or 8 (16x16 faces), not {scale!r}")
    return int(scale)


@functools.lru_cache(maxsize=8)
def _load(source: str) -> nn.Module:
    return load_model(source).eval()


def face_model(scale: int = 8, *, generic: bool = False, model: ModelArg = None) -> nn.Module:
    """The face model for ``scale``: ``model`` if given (a module, or a shipped name or weights file), else the
    shipped FSRNet (or the generic model). Loaded once per process.

    Raises:
        SrkitError: a scale other than 4 or 8, or a model that serves another scale.
    """
    check_scale(scale)
    if isinstance(model, nn.Module):
        net = model
    else:
        net = _load(str(model) if model is not None else (GENERIC_MODELS if generic else FACE_MODELS)[scale])
    if getattr(net, "scale", scale) != scale:
        raise SrkitError(f"that face model upscales by {getattr(net, 'scale', '?')}, not {scale}")
    return net


def _rgb(face: np.ndarray) -> np.ndarray:
    if face.ndim == 2:
        face = np.repeat(face[:, :, None], 3, axis=2)
    if face.ndim != 3 or face.shape[2] not in (3, 4) or face.dtype != np.uint8:
        raise SrkitError(f"expected a uint8 face image (H, W, 3), got {face.dtype} {face.shape}")
    return face[:, :, :3]


def _square(face: np.ndarray, side: int) -> np.ndarray:
    """``face`` resized to ``side`` x ``side`` by MATLAB bicubic (as the training LR was made)."""
    if face.shape[:2] == (side, side):
        return face
    return imresize(face, size=(side, side))


def _to_tensor(faces: list[np.ndarray]) -> torch.Tensor:
    return torch.from_numpy(np.stack(faces)).permute(0, 3, 1, 2).float() / 255.0


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    arr: np.ndarray = (x.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    return arr


def hallucinate_all(
    faces: list[np.ndarray],
    scale: int = 8,
    *,
    generic: bool = False,
    model: ModelArg = None,
    mirror: bool = False,
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Restore several aligned LR faces at once; returns the 128x128 faces and, for FSRNet, each face's 68
    landmarks estimated on the way ``(N, 68, 2)`` in 128x128 pixels (None for the generic model).

    Each face is resized to ``128 / scale`` pixels first (MATLAB bicubic) if it is not that size. With ``mirror``,
    each face is also restored mirrored, and the two results (the second mirrored back) are averaged: a
    self-ensemble over the one symmetry a face has (twice the time; the landmarks are those of the face as given).
    """
    side = FACE_SIZE // check_scale(scale)
    if not faces:
        return [], None
    net = face_model(scale, generic=generic, model=model)
    x = _to_tensor([_square(_rgb(f), side) for f in faces])
    priors = getattr(net, "forward_priors", None)
    with torch.inference_mode():
        out: dict[str, Any] = priors(x) if callable(priors) else {"fine": net(x)}
        if mirror:
            flipped = priors(x.flip(-1))["fine"] if callable(priors) else net(x.flip(-1))
            out["fine"] = (out["fine"] + flipped.flip(-1)) / 2
    points = None
    if "heatmaps" in out:
        points = from_half(landmarks_from_heatmaps(heatmap_peaks(out["heatmaps"]))).numpy()
    return list(_to_uint8(out["fine"])), points


def hallucinate(
    face: np.ndarray, scale: int = 8, *, generic: bool = False, model: ModelArg = None, mirror: bool = False
) -> np.ndarray:
    """The 128x128 face restored from an aligned LR face ``(H, W, 3)`` uint8 (16x16 at x8, 32x32 at x4; other
    sizes are resized to that first); ``mirror``: the mirror self-ensemble (:func:`hallucinate_all`).

    Example:
        >>> hallucinate(np.zeros((16, 16, 3), np.uint8), 8).shape  # doctest: +SKIP
        (128, 128, 3)
    """
    (restored,), _ = hallucinate_all([face], scale, generic=generic, model=model, mirror=mirror)
    return restored


def landmarks(face: np.ndarray, *, model: ModelArg = None) -> np.ndarray:
    """The 68 landmarks ``(68, 2)`` (x, y in the face's pixels, 300-W order) of an aligned face of any size: the
    face resized to 128x128, through the prior estimation network of the x8 FSRNet (or ``model``'s).

    Raises:
        SrkitError: not a uint8 RGB (or gray) image, or a model without the prior branch.
    """
    face = _rgb(face)
    h, w = face.shape[:2]
    net = _load(LANDMARK_MODEL) if model is None else model if isinstance(model, nn.Module) else _load(str(model))
    if not hasattr(net, "estimate_priors") or not getattr(net, "has_prior", False):
        raise SrkitError("landmarks need an FSRNet with its prior estimation network (not the generic model)")
    x = _to_tensor([_square(face, FACE_SIZE)])
    with torch.inference_mode():
        heat, _ = net.estimate_priors(x)  # type: ignore[operator]
    points = from_half(landmarks_from_heatmaps(heatmap_peaks(heat)))[0].numpy()
    return (points * np.array([w / FACE_SIZE, h / FACE_SIZE]) + np.array([w, h]) / FACE_SIZE / 2 - 0.5).astype(
        np.float32
    )


@functools.lru_cache(maxsize=1)
def mean_shape() -> np.ndarray:
    """The mean 68 landmarks ``(68, 2)`` of the training faces in a 128x128 frame (``scripts/face_mean_shape.py``)."""
    text = (resources.files("srkit") / "assets" / "face_mean_shape.json").read_text(encoding="utf-8")
    return np.asarray(json.loads(text)["points"], dtype=np.float32)
