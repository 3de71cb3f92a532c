"""How well two images of the same scene line up: the translation between them by phase correlation.

Paired SR data (an LR file per HR file, or real camera pairs such as CameraSR's City100, where the short-focal
shot is stored at the long-focal shot's size) is only useful when the pair is aligned; a shift of a pixel or more
costs more PSNR than most methods gain. :func:`pair_shift` measures it (C. D. Kuglin, D. C. Hines, "The phase
correlation image alignment method", 1975: the normalised cross-power spectrum's inverse transform peaks at the
shift), with sub-pixel precision from a parabola through the peak and its neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from srkit._core.errors import SrkitError
from srkit.functional.color import rgb_to_y
from srkit.functional.resize import imresize

MAX_SIDE = 512
""":func:`pair_shift` measures on a central crop at most this large (the translation is global)."""


@dataclass(frozen=True)
class PairShift:
    """``dy``, ``dx``: how far ``b``'s content lies from ``a``'s, in pixels (positive: down/right);
    ``peak``: the phase-correlation peak in (0, 1] (about 0.1 to 0.2 for CameraSR's aligned City100 shots, 0.02
    for two unrelated ones; small images and blur raise it for unrelated images too)."""

    dy: float
    dx: float
    peak: float

    @property
    def distance(self) -> float:
        """The length of the shift in pixels."""
        return float(np.hypot(self.dy, self.dx))


def _luma(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3 and image.shape[2] >= 3:
        return np.asarray(rgb_to_y(np.ascontiguousarray(image[..., :3])), dtype=np.float64)
    return np.asarray(image[..., 0] if image.ndim == 3 else image, dtype=np.float64)


def _centre_crop(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape
    top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return image[top : top + side, left : left + side]


def _subpixel(r: np.ndarray, i: int, axis: int) -> float:
    """The parabola's vertex through the peak and its two (circular) neighbours along ``axis``."""
    n = r.shape[axis]
    index = list(np.unravel_index(int(np.argmax(r)), r.shape))
    values = []
    for d in (-1, 0, 1):
        j = list(index)
        j[axis] = (i + d) % n
        values.append(float(r[tuple(j)]))
    left, centre, right = values
    denom = left - 2 * centre + right
    return 0.0 if denom == 0 else 0.5 * (left - right) / denom


def pair_shift(a: np.ndarray, b: np.ndarray) -> PairShift:
    """The translation from ``a`` to ``b`` (same size; uint8 or float, gray or RGB: measured on the luma of a
    central crop of at most :data:`MAX_SIDE` pixels, Hann-windowed).

    Raises:
        SrkitError: the images differ in size or are smaller than 16x16.

    Example:
        >>> img = np.random.default_rng(0).random((64, 64))
        >>> s = pair_shift(img, np.roll(img, (2, -3), axis=(0, 1)))
        >>> round(s.dy), round(s.dx)
        (2, -3)
    """
    if a.shape[:2] != b.shape[:2]:
        raise SrkitError(f"cannot align images of different sizes: {a.shape[:2]} and {b.shape[:2]}")
    if min(a.shape[:2]) < 16:
        raise SrkitError(f"images of {a.shape[0]}x{a.shape[1]} are too small to align (at least 16x16)")
    ya, yb = (_centre_crop(_luma(x), MAX_SIDE) for x in (a, b))
    window = np.outer(np.hanning(ya.shape[0]), np.hanning(ya.shape[1]))
    fa = np.fft.fft2((ya - ya.mean()) * window)
    fb = np.fft.fft2((yb - yb.mean()) * window)
    cross = np.conj(fa) * fb
    r = np.real(np.fft.ifft2(cross / np.maximum(np.abs(cross), 1e-12)))
    iy, ix = np.unravel_index(int(np.argmax(r)), r.shape)
    dy = (iy if iy <= r.shape[0] // 2 else iy - r.shape[0]) + _subpixel(r, int(iy), 0)
    dx = (ix if ix <= r.shape[1] // 2 else ix - r.shape[1]) + _subpixel(r, int(ix), 1)
    return PairShift(dy=float(dy), dx=float(dx), peak=float(r.max()))


MAX_SHIFT = 1.0
"""A pair shifted by more than this many HR pixels (or half an LR pixel, if more) is reported as misaligned."""

MIN_CORRELATION = 0.5
"""Luma correlation (Pearson, after undoing the shift) below which the LR does not show the HR image's scene."""


def _correlation(a: np.ndarray, b: np.ndarray, dy: int, dx: int) -> float:
    """Pearson correlation of the lumas of ``a`` and ``b`` moved back by ``(dy, dx)``, over their overlap."""
    ya, yb = _luma(a), _luma(b)
    h, w = ya.shape
    ra = ya[max(0, -dy) : h + min(0, -dy), max(0, -dx) : w + min(0, -dx)]
    rb = yb[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)]
    if ra.size < 16 or ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra.ravel(), rb.ravel())[0, 1])


def pair_problem(hr: np.ndarray, lr: np.ndarray, scale: int = 1) -> str | None:
    """What is wrong with an HR/LR training or test pair, in a few words, or None when it lines up.

    The HR image is brought to the LR size by MATLAB bicubic (nothing to do for same-size, pre-upsampled pairs)
    and :func:`pair_shift` must find a shift of at most ``max(MAX_SHIFT, scale / 2)`` HR pixels, after which the
    lumas must correlate by at least :data:`MIN_CORRELATION` (else the LR shows another scene). Pairs whose LR
    side is under 16 pixels are not measured.

    Example:
        >>> img = (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)
        >>> pair_problem(img, img) is None, pair_problem(img, np.roll(img, 3, axis=1))
        (True, 'misaligned by 3.0 HR pixels (dy 0.0, dx 3.0)')
    """
    if min(lr.shape[:2]) < 16:
        return None  # too small to measure
    if hr.shape[:2] != (lr.shape[0] * scale, lr.shape[1] * scale):
        return f"sizes differ: HR {hr.shape[0]}x{hr.shape[1]}, LR {lr.shape[0]}x{lr.shape[1]} at x{scale}"
    ref = hr if scale == 1 else imresize(hr, size=lr.shape[:2])
    s = pair_shift(ref, lr)
    correlation = _correlation(ref, lr, round(s.dy), round(s.dx))
    if correlation < MIN_CORRELATION:
        return f"the LR does not show the HR image's scene (luma correlation {correlation:.2f})"
    if s.distance * scale > max(MAX_SHIFT, scale / 2):
        return f"misaligned by {s.distance * scale:.1f} HR pixels (dy {s.dy * scale:.1f}, dx {s.dx * scale:.1f})"
    return None
