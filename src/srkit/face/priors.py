"""Facial priors made from 68 landmarks: landmark heatmaps, parsing maps, and landmarks read back from heatmaps.

The landmarks follow the 300-W 68-point markup (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67), in
pixel-centre coordinates of the HR face (0-based: ``(0, 0)`` is the centre of the top-left pixel).

The priors live at half the HR size (FSRNet's prior estimation resolution: 64x64 for a 128x128 face); a half-size
pixel ``j`` covers HR pixels ``2j`` and ``2j + 1``, so HR coordinate ``x`` is half-size coordinate ``(x - 0.5) / 2``.

- **Heatmaps** (one per landmark): a Gaussian of standard deviation ``sigma`` half-size pixels around the
  landmark, peak 1.
- **Parsing maps** (7 channels, :data:`PARSING`): the face's components drawn from the landmark polygons, since
  Helen's own parsing labels are not part of the data srkit trains on: the face region (the jaw line closed over
  the brows), each brow (its 5 points drawn as a line 2 half-size pixels wide), each eye (its 6-point polygon),
  the nose (bridge top and the 5 points of its base) and the mouth (the 12-point outer lip polygon).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import torch
from PIL import Image, ImageDraw

PARSING = ("face", "left_brow", "right_brow", "left_eye", "right_eye", "nose", "mouth")
"""Parsing-map channels, in order ("left" is the face's own left: on the right of the picture)."""

_POLYGONS: dict[str, Sequence[int]] = {
    "face": (*range(17), *range(26, 16, -1)),
    "left_eye": range(42, 48),
    "right_eye": range(36, 42),
    "nose": (27, 31, 32, 33, 34, 35),
    "mouth": range(48, 60),
}
_LINES: dict[str, Sequence[int]] = {"left_brow": range(22, 27), "right_brow": range(17, 22)}


def _flip_order() -> list[int]:
    pairs = [(i, 16 - i) for i in range(8)]  # jaw
    pairs += [(17 + i, 26 - i) for i in range(5)]  # brows
    pairs += [(31, 35), (32, 34)]  # nose base
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]  # mouth
    order = list(range(68))
    for a, b in pairs:
        order[a], order[b] = b, a
    return order


Points = TypeVar("Points", np.ndarray, torch.Tensor)

FLIP_68 = tuple(_flip_order())
"""``landmarks[FLIP_68]`` renumbers a horizontally mirrored face's points (the left eye becomes the right one)."""


def flip_landmarks(points: np.ndarray, width: int) -> np.ndarray:
    """The landmarks ``(68, 2)`` of the face mirrored left to right (an image ``width`` pixels wide)."""
    mirrored = points[list(FLIP_68)].copy()
    mirrored[:, 0] = width - 1 - mirrored[:, 0]
    return mirrored


def to_half(points: Points) -> Points:
    """HR pixel coordinates -> half-size prior coordinates."""
    return (points - 0.5) / 2


def from_half(points: Points) -> Points:
    """Half-size prior coordinates -> HR pixel coordinates."""
    return points * 2 + 0.5


def heatmaps(points: torch.Tensor, size: tuple[int, int], sigma: float = 1.0) -> torch.Tensor:
    """Gaussian heatmaps ``(B, N, h, w)`` for landmarks ``(B, N, 2)`` given in half-size coordinates (x, y).

    Example:
        >>> h = heatmaps(torch.tensor([[[3.0, 2.0]]]), (8, 8))
        >>> h.shape, float(h[0, 0, 2, 3])
        (torch.Size([1, 1, 8, 8]), 1.0)
    """
    h, w = size
    ys = torch.arange(h, dtype=torch.float32).view(1, 1, h, 1)
    xs = torch.arange(w, dtype=torch.float32).view(1, 1, 1, w)
    px, py = points[..., 0, None, None].float(), points[..., 1, None, None].float()
    return torch.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2 * sigma**2))


def parsing_maps(points: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The 7 parsing maps (:data:`PARSING`) ``(7, h, w)`` float32 in {0, 1} for one face's landmarks ``(68, 2)``
    given in half-size coordinates.

    Example:
        >>> pts = np.stack([np.linspace(5, 25, 68), np.linspace(5, 25, 68)], axis=1)
        >>> parsing_maps(pts, (32, 32)).shape
        (7, 32, 32)
    """
    h, w = size
    maps = np.zeros((len(PARSING), h, w), dtype=np.float32)
    for c, name in enumerate(PARSING):
        canvas = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(canvas)
        if name in _POLYGONS:
            draw.polygon([(float(x), float(y)) for x, y in points[list(_POLYGONS[name])]], fill=1, outline=1)
        else:
            draw.line([(float(x), float(y)) for x, y in points[list(_LINES[name])]], fill=1, width=2)
        maps[c] = np.asarray(canvas, dtype=np.float32)
    return maps


def landmarks_from_heatmaps(maps: torch.Tensor) -> torch.Tensor:
    """Landmarks ``(B, N, 2)`` (x, y) in half-size coordinates from heatmaps ``(B, N, h, w)`` (positive values,
    e.g. Gaussian heatmaps or softmax probabilities): each map's peak, refined to a fraction of a pixel by the
    parabola through the logarithms of the peak and its two neighbours along x and along y (exact for a Gaussian
    peak; a peak on the map's border is not refined across it).

    Example:
        >>> h = heatmaps(torch.tensor([[[3.25, 2.0]]]), (8, 8))
        >>> [round(v, 2) for v in landmarks_from_heatmaps(h)[0, 0].tolist()]
        [3.25, 2.0]
    """
    b, n, h, w = maps.shape
    flat = maps.float().reshape(b * n, h, w).clamp(min=1e-30).log()
    peak = flat.reshape(b * n, -1).argmax(dim=1)
    py, px = peak // w, peak % w
    idx = torch.arange(b * n)

    def refine(centre: torch.Tensor, before: torch.Tensor, after: torch.Tensor, inside: torch.Tensor) -> torch.Tensor:
        curvature = before - 2 * centre + after
        offset = torch.where(curvature < 0, 0.5 * (before - after) / curvature.clamp(max=-1e-12), 0.0)
        return torch.where(inside, offset.clamp(-0.5, 0.5), 0.0)

    c = flat[idx, py, px]
    dx = refine(
        c, flat[idx, py, (px - 1).clamp(min=0)], flat[idx, py, (px + 1).clamp(max=w - 1)], (px > 0) & (px < w - 1)
    )
    dy = refine(
        c, flat[idx, (py - 1).clamp(min=0), px], flat[idx, (py + 1).clamp(max=h - 1), px], (py > 0) & (py < h - 1)
    )
    return torch.stack([px + dx, py + dy], dim=1).reshape(b, n, 2)
