"""Faces in ordinary photos: find them, align them, restore them with the face model, paste them back.

:func:`upscale_with_faces` upscales the whole photo with srkit's default model, then, for each face OpenCV's Haar
detector finds (the cascade bundled in the ``opencv`` wheel: ``pip install 'srkit[face]'``):

1. a first crop around the detection, at the face model's input size, gives the 68 landmarks (FSRNet's prior
   estimation on its coarse face);
2. the similarity transform that maps those landmarks onto the training faces' mean shape aligns the face: it is
   warped into the 128x128 frame, downscaled to the model's input (MATLAB bicubic, as in training) and restored;
3. the restored face is warped back into the upscaled photo and blended with a feathered mask (:func:`feather_mask`:
   1 over the face, falling smoothly to exactly 0 before the crop's border), so no seam shows.

Faces much larger than the model's input (over 1.5 times: ``MAX_ENLARGE``) are left to the default model, which
then has the detail it needs, and so are detections whose landmarks do not form a face's shape (``MAX_FIT``: the
detector's false alarms); the summary says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from srkit._core.errors import SrkitError
from srkit.face.api import FACE_SIZE, ModelArg, check_scale, hallucinate_all, mean_shape
from srkit.functional.resize import imresize
from srkit.inference import upscale

MAX_ENLARGE = 1.5
"""A face whose aligned crop is over 1.5x the model's input side is upscaled by the default model instead."""
MAX_FIT = 0.25
"""A detection whose landmarks fit the mean face shape worse than this (:attr:`FaceResult.fit`) is not restored:
the detector's false alarms (hands, textures) give scattered landmarks, and restoring them would paint a face.
Measured with the x8 model: held-out Helen faces shrunk to 15 px fit at most 0.15, faces in BSD200 photos (turned,
sunglasses) 0.08-0.24 (benchmarks/face_table.py's photos); random 12-20 px crops of Set14's face-free images 0.30 in
the median, 10% below 0.13 (``python scripts/face_fit_calibration.py``), so this check only backs up the detector,
it cannot replace it."""
CROP_FACTOR = 1.3
"""The first crop's side, in Haar detection boxes (the training faces: 1.3x the landmarks' bounding box)."""


@dataclass(frozen=True)
class FaceResult:
    """One face found in a photo.

    Attributes:
        box: the detection ``(x, y, w, h)`` in the input photo's pixels.
        side: the aligned crop's side in input pixels (the model's input is ``128 / scale``).
        landmarks: the 68 landmarks ``(68, 2)`` in input pixels.
        fit: how far the landmarks are from a face's shape after alignment: their RMS distance to the mean shape
            over its outer-eye-corner distance (see :data:`MAX_FIT`).
        restored: whether the face model restored it (False: too large, or not shaped like a face).
        to_frame: the 2x3 similarity transform from the photo to the aligned 128x128 frame.
    """

    box: tuple[int, int, int, int]
    side: float
    landmarks: np.ndarray
    fit: float
    restored: bool
    to_frame: np.ndarray


def _cv2() -> object:
    try:
        import cv2
    except ImportError:
        raise SrkitError("finding faces needs OpenCV: pip install 'srkit[face]' (or use --aligned)") from None
    return cv2


def detect_faces(image: np.ndarray, *, min_size: int = 12) -> list[tuple[int, int, int, int]]:
    """Frontal faces in ``image`` (uint8 ``(H, W, 3)``) as ``(x, y, w, h)`` boxes, largest first: OpenCV's Haar
    cascade (Viola-Jones) run on the photo enlarged so that faces down to ``min_size`` pixels are found (a photo
    over 2000 pixels wide or high is searched as it is: faces from 24 pixels).

    Raises:
        SrkitError: OpenCV is missing or has no bundled cascade.
    """
    cv2: Any = _cv2()
    path = getattr(getattr(cv2, "data", None), "haarcascades", "") + "haarcascade_frontalface_default.xml"
    detector = cv2.CascadeClassifier(path)
    if detector.empty():
        raise SrkitError(
            f"OpenCV {cv2.__version__} has no bundled Haar face cascade: pip install 'srkit[face]' (OpenCV 4.x)"
        )
    gray = cv2.cvtColor(np.ascontiguousarray(image[:, :, :3]), cv2.COLOR_RGB2GRAY)
    enlarge = max(1, int(np.ceil(24 / min_size)))  # the cascade's window is 24x24
    if max(gray.shape) * enlarge > 4000:
        enlarge = 1
    if enlarge > 1:
        gray = cv2.resize(gray, None, fx=enlarge, fy=enlarge, interpolation=cv2.INTER_CUBIC)
    found = detector.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(24, 24))
    boxes = [tuple(round(v / enlarge) for v in box) for box in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b[2] * b[3])


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The least-squares similarity transform (rotation, uniform scale, translation; Umeyama 1991) mapping points
    ``src`` onto ``dst`` (both ``(N, 2)``), as a 2x3 matrix.

    Example:
        >>> pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        >>> np.round(similarity(pts, 2 * pts + 3), 6).tolist()
        [[2.0, 0.0, 3.0], [0.0, 2.0, 3.0]]
    """
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sig, vt = np.linalg.svd(cov)
    sign = np.diag([1.0, np.sign(np.linalg.det(u @ vt)) or 1.0])
    rot = u @ sign @ vt
    scale = float(np.trace(np.diag(sig) @ sign) / s.var(axis=0).sum())
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - m[:, :2] @ mu_s
    return m


def _invert(m: np.ndarray) -> np.ndarray:
    a = np.linalg.inv(m[:, :2])
    return np.concatenate([a, -a @ m[:, 2:]], axis=1)


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    out: np.ndarray = pts @ m[:, :2].T + m[:, 2]
    return out


def feather_mask(size: int = FACE_SIZE, *, margin: float = 0.08, width: float = 0.14) -> np.ndarray:
    """The blend mask of a restored face ``(size, size)`` float32: 1 in the middle, 0 within ``margin * size`` of
    the border, and a smooth (raised-cosine) ramp ``width * size`` wide between, so the pasted face meets the
    upscaled photo without a seam (the mask and its slope are continuous, and it is exactly 0 where the crop ends).
    """
    c = (np.arange(size) + 0.5) / size  # pixel centres in (0, 1)
    edge = np.minimum(c, 1 - c)  # distance to the nearest border
    t = np.clip((edge - margin) / width, 0, 1)
    ramp = 0.5 - 0.5 * np.cos(np.pi * t)
    return np.outer(ramp, ramp).astype(np.float32)


def _warp(cv2: object, image: np.ndarray, m: np.ndarray, size: tuple[int, int], linear: bool = False) -> np.ndarray:
    flags = cv2.INTER_LINEAR if linear else cv2.INTER_CUBIC  # type: ignore[attr-defined]
    return cv2.warpAffine(image, m, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)  # type: ignore[attr-defined]


def _paste(cv2: object, out: np.ndarray, face: np.ndarray, to_out: np.ndarray, mask: np.ndarray) -> None:
    """Blend ``face`` (128x128, the aligned frame) into ``out`` through ``to_out`` (frame -> output pixels)."""
    corners = _apply(
        to_out,
        np.array([[-0.5, -0.5], [FACE_SIZE - 0.5, -0.5], [-0.5, FACE_SIZE - 0.5], [FACE_SIZE - 0.5, FACE_SIZE - 0.5]]),
    )
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, out.shape[1]), min(y1, out.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    shift = to_out.copy()
    shift[:, 2] -= (x0, y0)
    size = (x1 - x0, y1 - y0)
    warped = _warp(cv2, face.astype(np.float32), shift, size)
    alpha = cv2.warpAffine(mask, shift, size, flags=cv2.INTER_LINEAR, borderValue=0.0)[:, :, None]  # type: ignore[attr-defined]
    region = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(alpha * warped + (1 - alpha) * region, 0, 255).round().astype(np.uint8)


def align_faces(
    image: np.ndarray, boxes: list[tuple[int, int, int, int]], scale: int, *, model: ModelArg = None
) -> list[FaceResult]:
    """Landmarks and alignment of the faces in ``boxes`` of ``image`` (uint8 RGB): a first crop around each box
    (a square 1.3x the box, at the model's input size) through the face model gives the 68 landmarks, and the
    similarity transform onto the mean shape aligns them (:class:`FaceResult`)."""
    cv2: Any = _cv2()
    side, frame = FACE_SIZE // scale, mean_shape()
    firsts, crops = [], []
    for x, y, w, h in boxes:
        k = FACE_SIZE / (CROP_FACTOR * max(w, h))
        centre = (FACE_SIZE - 1) / 2
        m = np.array([[k, 0, centre - k * (x + (w - 1) / 2)], [0, k, centre - k * (y + (h - 1) / 2)]])
        firsts.append(m)  # photo -> first 128x128 frame
        crops.append(imresize(_warp(cv2, image, m, (FACE_SIZE, FACE_SIZE)), size=(side, side)))
    _, points = hallucinate_all(crops, scale, model=model)  # in the 128x128 frame of each first crop
    results = []
    for i, box in enumerate(boxes):
        assert points is not None
        photo_pts = _apply(_invert(firsts[i]), points[i])
        to_frame = similarity(photo_pts, frame)  # photo -> aligned 128x128 frame
        crop_side = FACE_SIZE / float(np.sqrt(abs(np.linalg.det(to_frame[:, :2]))))
        residual = _apply(to_frame, photo_pts) - frame
        fit = float(np.sqrt((residual**2).sum(axis=1).mean()) / np.linalg.norm(frame[36] - frame[45]))
        restored = crop_side <= MAX_ENLARGE * side and fit <= MAX_FIT
        results.append(FaceResult(box, crop_side, photo_pts.astype(np.float32), fit, restored, to_frame))
    return results


def upscale_with_faces(
    image: np.ndarray,
    scale: int = 8,
    *,
    model: ModelArg = None,
    upscaler: str = "srkit",
    min_face: int = 12,
    mirror: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, list[FaceResult]]:
    """Upscale a photo by ``scale`` (4 or 8): the default model everywhere, faces restored by the face model.

    Args:
        image: the photo, uint8 ``(H, W, 3)`` (a fourth, alpha channel is upscaled by the default model alone).
        scale: 4 or 8.
        model: the face model (default: the shipped FSRNet of that scale).
        upscaler: the model for the rest of the photo (a shipped name or weights file).
        min_face: the smallest face side (pixels) the detector looks for.
        mirror: restore each face also mirrored and average (self-ensemble, :func:`srkit.face.hallucinate_all`).
        on_step: called with a short description of each stage (progress).

    Returns:
        The upscaled photo and one :class:`FaceResult` per face found (none found: the plain upscale).
    """
    check_scale(scale)
    cv2: Any = _cv2()
    note = on_step or (lambda _: None)
    if image.ndim != 3 or image.shape[2] not in (3, 4) or image.dtype != np.uint8:
        raise SrkitError(f"expected a uint8 RGB photo (H, W, 3), got {image.dtype} {image.shape}")
    note("finding faces")
    boxes = detect_faces(image, min_size=min_face)
    note(f"upscaling the photo x{scale}")
    out = np.array(upscale(image, scale, upscaler), dtype=np.uint8, copy=True)
    rgb = np.ascontiguousarray(image[:, :, :3])
    side = FACE_SIZE // scale
    note(f"aligning {len(boxes)} face(s)")
    results = align_faces(rgb, boxes, scale, model=model)
    aligned, to_frames = [], []
    for found in results:
        if found.restored:
            aligned.append(imresize(_warp(cv2, rgb, found.to_frame, (FACE_SIZE, FACE_SIZE)), size=(side, side)))
            to_frames.append(found.to_frame)
    note(f"restoring {len(aligned)} face(s)")
    faces, _ = hallucinate_all(aligned, scale, model=model, mirror=mirror)
    mask = feather_mask()
    for face, to_frame in zip(faces, to_frames, strict=True):
        to_out = _invert(to_frame) * scale  # frame -> photo -> output pixels (centres: q = s * p + (s - 1) / 2)
        to_out[:, 2] += (scale - 1) / 2
        _paste(cv2, out[:, :, :3], face, to_out, mask)
    return out, results
