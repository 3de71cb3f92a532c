"""Temporal consistency of a video's frames: tOF, the optical-flow difference of TecoGAN (Chu et al., ACM TOG 2020).

``tof(outputs, references)`` is the mean, over consecutive frame pairs and pixels, of the end-point distance
between the motion seen in the outputs and the motion seen in the references, both estimated by Farneback's dense
optical flow on the gray frames with TecoGAN's parameters (``cv2.calcOpticalFlowFarneback(prev, next, None, 0.5,
3, 15, 3, 5, 1.2, 0)``; pyramid scale 0.5, 3 levels, window 15, 3 iterations, polynomial 5 with sigma 1.2). Lower
is more consistent: flicker and crawling detail show as motion the references do not have. Needs OpenCV
(``pip install 'srkit[bench]'``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from srkit._core.errors import SrkitError

__all__ = ["tof"]


def _gray(frame: np.ndarray) -> np.ndarray:
    f = np.asarray(frame)
    if f.dtype != np.uint8:
        raise SrkitError(f"tOF takes uint8 frames, got {f.dtype}")
    if f.ndim == 3:
        f = np.round(f[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    return f


def _flow(cv2: object, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    flow: np.ndarray = cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 15, 3, 5, 1.2, 0)  # type: ignore[attr-defined]
    return flow


def tof(outputs: Sequence[np.ndarray], references: Sequence[np.ndarray]) -> float:
    """TecoGAN's tOF of ``outputs`` against ``references`` (uint8 frames ``(H, W[, C])``, same sizes), pixels of
    motion difference per pixel, averaged over the consecutive pairs."""
    try:
        import cv2
    except ImportError:
        raise SrkitError("tOF needs OpenCV: pip install 'srkit[bench]'") from None
    if len(outputs) != len(references) or len(outputs) < 2:
        raise SrkitError(f"tOF compares two clips of one length >= 2, got {len(outputs)} and {len(references)}")
    out = [_gray(f) for f in outputs]
    ref = [_gray(f) for f in references]
    if any(a.shape != b.shape for a, b in zip(out, ref, strict=True)):
        raise SrkitError("tOF needs outputs and references of the same frame size")
    diffs = []
    for t in range(1, len(out)):
        d = _flow(cv2, out[t - 1], out[t]) - _flow(cv2, ref[t - 1], ref[t])
        diffs.append(float(np.sqrt((d**2).sum(axis=-1)).mean()))
    return float(np.mean(diffs))
