"""Landmark error: the normalised mean error (NME) of estimated facial landmarks, as face-alignment papers report
it on 300-W: the mean point-to-point distance divided by the inter-ocular distance, the distance between the outer
eye corners (points 36 and 45 of the 68-point markup)."""

from __future__ import annotations

import numpy as np

OUTER_EYE_CORNERS = (36, 45)


def nme(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per face, the mean distance between ``pred`` and ``truth`` landmarks ``(N, 68, 2)`` (or one face
    ``(68, 2)``) over the inter-ocular distance of ``truth``.

    Example:
        >>> truth = np.zeros((68, 2)); truth[45] = [40.0, 0.0]
        >>> float(nme(truth + [4.0, 0.0], truth)[0])
        0.1
    """
    p, t = np.asarray(pred, np.float64), np.asarray(truth, np.float64)
    if p.shape != t.shape or p.shape[-2:] != (68, 2):
        raise ValueError(f"expected two landmark arrays (N, 68, 2) of one shape, got {p.shape} and {t.shape}")
    p, t = p.reshape(-1, 68, 2), t.reshape(-1, 68, 2)
    a, b = OUTER_EYE_CORNERS
    iod = np.linalg.norm(t[:, a] - t[:, b], axis=1)
    out: np.ndarray = np.linalg.norm(p - t, axis=2).mean(axis=1) / iod
    return out
