"""The DIV2KRK blind-SR degradation: a random anisotropic Gaussian kernel with multiplicative noise, then blur and
subsample, at x2 and x4.

Paper: Sefi Bell-Kligler, Assaf Shocher, Michal Irani, "Blind Super-Resolution Kernel Estimation using an
Internal-GAN", NeurIPS 2019, https://arxiv.org/abs/1909.06581 (the DIV2KRK data set). Official generator:
https://github.com/assafshocher/BlindSR_dataset_generator; the authors reproduce DIV2KRK's LR images with
KernelGAN's ``imresize(HR, kernel=k)`` (https://github.com/sefibk/KernelGAN, issues #23 and #33).

The kernel of one image (:func:`sample_div2krk_kernel` draws it, :func:`div2krk_kernel` builds it):

* x2: an 11 x 11 Gaussian with covariance ``R(theta) diag(lambda1, lambda2) R(theta)^T``, ``lambda1, lambda2 ~
  U(0.6, 5)`` and ``theta ~ U(-pi, pi)`` (the paper's ranges); each of its values is multiplied by ``1 + u``,
  ``u ~ U(-0.25, 0.25)`` ("uniform multiplicative noise up to 25%"), the kernel is centred (below) and normalised
  to sum to 1. ``lambda`` are the covariance's eigenvalues (pixels squared), as the generator's ``min_var`` /
  ``max_var``: the standard deviations are ``sqrt(lambda)``, 0.77 to 2.24 pixels.
* x4: a fresh x2 kernel ``k`` turned into its analytic x4 kernel ``k * (k dilated by 2)`` (KernelGAN's appendix:
  downscaling twice by 2 with ``k`` is downscaling once by 4 with it), 31 x 31 as DIV2KRK's ``gt_k_x4``.

**How a kernel is applied** (:func:`kernel_downscale`; the convention of every kernel file srkit reads or writes):

    LR[m, n] = sum_{i, j} k[i, j] * HR[s*m + i - a, s*n + j - b],   a = k.shape[0] // 2,  b = k.shape[1] // 2

with HR extended by symmetric reflection (the edge pixel repeated). This is ``scipy.ndimage.correlate(HR, k)``
(a correlation: the kernel is *not* flipped) followed by keeping rows and columns ``0, s, 2s, ...``, i.e.
KernelGAN's ``imresize`` with a kernel. A kernel is *aligned* when its centre of mass (row, column, from 0) is
``(a + (s - 1) / 2, b + (s - 1) / 2)`` (:func:`aligned_centre`): LR pixel ``(m, n)`` is then the blurred value at
the centre of its ``s x s`` HR block, as MATLAB's bicubic ``imresize`` aligns them. This is KernelGAN's
``kernel_shift`` (``shape // 2 + (s - 1) / 2`` for odd sizes); every DIV2KRK kernel srkit makes is aligned
(x2: centre of mass (5.5, 5.5) in 11 x 11; x4: (16.5, 16.5) in 31 x 31). To apply a kernel with
:func:`srkit.degradations.blur` (a convolution) flip it first.

Where srkit departs from the official generator, and why:

* Centring uses an exact bilinear sub-pixel shift (:func:`centre_kernel`), not scipy's cubic-spline
  ``interpolation.shift``: the spline makes small negative values, and a blur kernel is non-negative.
* The public generator computes the wanted centre as ``shape / 2 + (s - 1) / 2`` (true division), which puts an
  11 x 11 x2 kernel's centre of mass at 6.0, half a pixel off the block centre; KernelGAN's own ``kernel_shift``
  (the one its estimates go through) uses ``shape // 2`` (5.5). srkit uses the aligned one. Users have reported
  that DIV2KRK's published LR images cannot be regenerated from its published kernels (KernelGAN issue #33), so
  which centring DIV2KRK used is not verifiable.
* LR values are rounded half up to uint8 (the generator's ``plt.imsave`` truncates).

Example:
    >>> import torch
    >>> params = sample_div2krk_kernel(torch.Generator().manual_seed(0), scale=2)
    >>> k = div2krk_kernel(params)
    >>> k.shape, round(float(k.sum()), 12), [round(c, 9) for c in kernel_centre(k)]
    ((11, 11), 1.0, [5.5, 5.5])
    >>> kernel_downscale(np.zeros((8, 8, 3), np.uint8), k, 2).shape
    (4, 4, 3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit.degradations.kernels import _check_range, _uniform
from srkit.functional.resize import _cubic

__all__ = [
    "DIV2KRK_SCALES",
    "DIV2KRKParams",
    "aligned_centre",
    "analytic_x4_kernel",
    "apply_div2krk",
    "bicubic_kernel",
    "centre_kernel",
    "div2krk_kernel",
    "kernel_centre",
    "kernel_downscale",
    "kernel_error",
    "sample_div2krk_kernel",
]

DIV2KRK_SCALES = (2, 4)
_SIZE = 11  # the paper's x2 kernel side
_LAMBDA_RANGE = (0.6, 5.0)
_THETA_RANGE = (-math.pi, math.pi)
_NOISE_LEVEL = 0.25


# --- the kernel -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DIV2KRKParams:
    """One sampled DIV2KRK kernel.

    Attributes:
        scale: 2 or 4 (x4 is the analytic kernel of an x2 one drawn the same way).
        lambda1: first covariance eigenvalue, pixels squared.
        lambda2: second covariance eigenvalue, pixels squared.
        theta: rotation of the first axis, radians counter-clockwise on screen (x right, y up).
        noise: ``(size, size)`` values ``u``; the Gaussian is multiplied by ``1 + u``.
    """

    scale: int
    lambda1: float
    lambda2: float
    theta: float
    noise: np.ndarray

    def __post_init__(self) -> None:
        if self.scale not in DIV2KRK_SCALES:
            raise SrkitError(f"the DIV2KRK protocol has scales {DIV2KRK_SCALES}, got {self.scale!r}")
        if not all(math.isfinite(v) and v > 0 for v in (self.lambda1, self.lambda2)):
            raise SrkitError(f"lambda1 and lambda2 must be finite and > 0, got {self.lambda1!r}, {self.lambda2!r}")
        if not math.isfinite(self.theta):
            raise SrkitError(f"theta must be finite, got {self.theta!r}")
        n = np.asarray(self.noise)
        if n.ndim != 2 or n.shape[0] != n.shape[1] or n.shape[0] % 2 == 0 or n.shape[0] < 3:
            raise SrkitError(f"noise must be a square (size, size) array with an odd size >= 3, got {n.shape}")
        if not (np.isfinite(n).all() and np.abs(n).max() < 1):
            raise SrkitError("noise values must be finite and in (-1, 1)")

    @property
    def size(self) -> int:
        """Side of the x2 kernel (11 in the paper)."""
        return int(np.asarray(self.noise).shape[0])

    def as_dict(self) -> dict[str, float | int]:
        """The scalar parameters, for a protocol file (the noise is in the kernel file)."""
        return {
            "scale": self.scale,
            "x2_kernel_size": self.size,
            "lambda1": self.lambda1,
            "lambda2": self.lambda2,
            "theta": self.theta,
        }


def sample_div2krk_kernel(
    generator: torch.Generator,
    *,
    scale: int = 2,
    size: int = _SIZE,
    lambda_range: tuple[float, float] = _LAMBDA_RANGE,
    theta_range: tuple[float, float] = _THETA_RANGE,
    noise_level: float = _NOISE_LEVEL,
) -> DIV2KRKParams:
    """Draw one DIV2KRK kernel: ``lambda1``, ``lambda2``, ``theta`` and the ``size x size`` noise, in that order,
    from ``generator`` only. The defaults are the paper's.

    Args:
        generator: the only source of randomness.
        scale: 2 or 4.
        size: odd side of the x2 kernel (x4 kernels are ``3 * size - 2``).
        lambda_range: covariance eigenvalues, pixels squared.
        theta_range: rotation, radians.
        noise_level: the multiplicative noise is uniform in ``[-noise_level, noise_level]``.

    Example:
        >>> p = sample_div2krk_kernel(torch.Generator().manual_seed(1), scale=4)
        >>> 0.6 <= p.lambda1 <= 5 and p.noise.shape == (11, 11)
        True
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 3 or size % 2 == 0:
        raise SrkitError(f"the kernel size must be an odd integer >= 3, got {size!r}")
    lo, hi = _check_range("lambda_range", lambda_range, 1e-6)
    t_lo, t_hi = _check_range("theta_range", theta_range)
    if not 0 <= noise_level < 1:
        raise SrkitError(f"noise_level must be in [0, 1), got {noise_level!r}")
    lambda1, lambda2 = _uniform(generator, lo, hi), _uniform(generator, lo, hi)
    theta = _uniform(generator, t_lo, t_hi)
    u = torch.rand((size, size), generator=generator, dtype=torch.float64, device=generator.device)
    noise = ((2 * u - 1) * noise_level).cpu().numpy()
    return DIV2KRKParams(scale, lambda1, lambda2, theta, noise)


def _gaussian(size: int, lambda1: float, lambda2: float, theta: float, mean: float) -> np.ndarray:
    """``exp(-d^T Sigma^-1 d / 2)`` over a ``size x size`` grid, mean at (row, column) ``(mean, mean)``."""
    idx = np.arange(size, dtype=np.float64) - mean
    x, y = idx[None, :], -idx[:, None]  # x right, y up (on screen)
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * x + s * y, -s * x + c * y  # coordinates along the rotated axes
    return np.exp(-0.5 * (u**2 / lambda1 + v**2 / lambda2))


def div2krk_kernel(params: DIV2KRKParams) -> np.ndarray:
    """The kernel of ``params``: float64, non-negative, summing to 1, aligned for ``params.scale``.

    Returns:
        ``(11, 11)`` for x2, ``(31, 31)`` for x4 (with the paper's size).

    Example:
        >>> p = sample_div2krk_kernel(torch.Generator().manual_seed(0), scale=4)
        >>> k = div2krk_kernel(p)
        >>> k.shape, [round(c, 9) for c in kernel_centre(k)]
        ((31, 31), [16.5, 16.5])
    """
    size = params.size
    mean = size // 2 + 0.5  # the x2 alignment, before the noise moves the centre of mass a little
    k = _gaussian(size, params.lambda1, params.lambda2, params.theta, mean) * (1.0 + np.asarray(params.noise))
    k = centre_kernel(k / k.sum(), 2)
    if params.scale == 4:
        k = analytic_x4_kernel(k)
    return k / k.sum()


def analytic_x4_kernel(kernel: np.ndarray) -> np.ndarray:
    """The x4 kernel equal to downscaling twice by 2 with ``kernel``: ``kernel`` convolved with itself dilated by 2,
    ``(3h - 2, 3w - 2)``, uncropped (KernelGAN's appendix; DIV2KRK's 31 x 31 x4 kernels). An aligned x2 kernel
    gives an aligned x4 kernel (centre of mass ``3 *`` the x2 one's).

    Example:
        >>> analytic_x4_kernel(np.full((3, 3), 1 / 9)).shape
        (7, 7)
    """
    k = _as_kernel(kernel)
    h, w = k.shape
    big = np.zeros((3 * h - 2, 3 * w - 2))
    for r in range(h):
        for c in range(w):
            big[2 * r : 2 * r + h, 2 * c : 2 * c + w] += k[r, c] * k
    return big / big.sum()


def bicubic_kernel(scale: int) -> np.ndarray:
    """MATLAB's bicubic ``imresize(image, 1 / scale)`` (antialiased cubic, ``a = -0.5``) as a kernel of this
    module's convention: ``(6s - 1, 6s - 1)``, separable, aligned, sums to 1. :func:`kernel_downscale` with it
    gives MATLAB's result away from the borders (MATLAB renormalises its weights at a border, this convention
    reflects the image instead). The kernel a non-blind method assumes; the reference for a kernel estimate's
    error (:func:`kernel_error`).

    Example:
        >>> k = bicubic_kernel(2)
        >>> k.shape, round(float(k.sum()), 12), [round(c, 9) for c in kernel_centre(k)]
        ((11, 11), 1.0, [5.5, 5.5])
    """
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 2:
        raise SrkitError(f"the scale must be an integer >= 2, got {scale!r}")
    size = 6 * scale - 1
    offsets = np.arange(size) - size // 2 - (scale - 1) / 2  # HR pixel centres relative to the LR pixel's
    taps = _cubic(offsets / scale)
    taps /= taps.sum()
    return np.outer(taps, taps)


def _embed(kernel: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``kernel`` in a zero array of ``shape``, its index ``(h // 2, w // 2)`` at ``(H // 2, W // 2)``: two aligned
    kernels of different sizes then share their centre of mass."""
    h, w = kernel.shape
    out = np.zeros(shape)
    r, c = shape[0] // 2 - h // 2, shape[1] // 2 - w // 2
    out[r : r + h, c : c + w] = kernel
    return out


def kernel_error(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Relative L2 error of a kernel estimate: ``||estimate - truth|| / ||truth||``, both normalised to sum to 1
    and laid on a common grid by their aligned centres (this module's convention; a shifted estimate counts as
    wrong, since it shifts the image it makes). 0 is exact; 1 is as far from ``truth`` as a zero kernel.

    Example:
        >>> k = bicubic_kernel(2)
        >>> kernel_error(k, k), kernel_error(np.pad(k, 3), k)
        (0.0, 0.0)
    """
    est, true = _as_kernel(estimate), _as_kernel(truth)
    if not (est.sum() > 0 and true.sum() > 0):
        raise SrkitError("a kernel has no positive mass")
    shape = (max(est.shape[0], true.shape[0]), max(est.shape[1], true.shape[1]))
    a, b = _embed(est / est.sum(), shape), _embed(true / true.sum(), shape)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# --- centring -------------------------------------------------------------------------------------------------------


def _as_kernel(kernel: np.ndarray) -> np.ndarray:
    k = np.asarray(kernel, dtype=np.float64)
    if k.ndim != 2 or 0 in k.shape or not np.isfinite(k).all():
        raise SrkitError(f"a kernel is a non-empty 2-D array of finite numbers, got shape {k.shape}")
    return k


def kernel_centre(kernel: np.ndarray) -> tuple[float, float]:
    """Centre of mass ``(row, column)`` of ``kernel``, from 0 (``scipy.ndimage.center_of_mass``).

    Example:
        >>> kernel_centre(np.array([[0, 0], [1, 1.0]]))
        (1.0, 0.5)
    """
    k = _as_kernel(kernel)
    total = k.sum()
    if not total > 0:
        raise SrkitError("the kernel has no positive mass")
    rows, cols = np.arange(k.shape[0]), np.arange(k.shape[1])
    return float((k.sum(axis=1) * rows).sum() / total), float((k.sum(axis=0) * cols).sum() / total)


def aligned_centre(shape: tuple[int, int], scale: int) -> tuple[float, float]:
    """The centre of mass that makes a kernel of ``shape`` aligned for ``scale``: ``(h // 2 + (s - 1) / 2,
    w // 2 + (s - 1) / 2)`` (see the module docstring).

    Example:
        >>> aligned_centre((11, 11), 2), aligned_centre((31, 31), 4)
        ((5.5, 5.5), (16.5, 16.5))
    """
    h, w = shape
    return h // 2 + (scale - 1) / 2, w // 2 + (scale - 1) / 2


def _shift_axis(k: np.ndarray, d: float, axis: int) -> np.ndarray:
    """Move ``k``'s content by ``d`` pixels along ``axis`` (linear interpolation, zeros enter at the edge): the
    centre of mass moves by exactly ``d`` as long as no mass leaves the array."""
    n = math.floor(d)
    f = d - n

    def moved(by: int) -> np.ndarray:
        out = np.zeros_like(k)
        length = k.shape[axis]
        if abs(by) < length:
            src = [slice(None)] * 2
            dst = [slice(None)] * 2
            src[axis] = slice(max(0, -by), length - max(0, by))
            dst[axis] = slice(max(0, by), length - max(0, -by))
            out[tuple(dst)] = k[tuple(src)]
        return out

    return (1 - f) * moved(n) + f * moved(n + 1) if f else moved(n)


def centre_kernel(kernel: np.ndarray, scale: int, *, tol: float = 1e-10) -> np.ndarray:
    """``kernel`` (same shape, normalised) moved by a sub-pixel shift so that its centre of mass is
    :func:`aligned_centre`: an exact bilinear shift, repeated while mass leaving the array moves the centre
    (KernelGAN's ``kernel_shift`` uses a cubic spline instead, which makes negative values).

    Raises:
        SrkitError: not a 2-D finite array with positive mass, or negative values.

    Example:
        >>> k = centre_kernel(np.pad(np.ones((3, 3)), ((0, 4), (0, 4))), 2)
        >>> [round(c, 9) for c in kernel_centre(k)]
        [3.5, 3.5]
    """
    k = _as_kernel(kernel)
    if (k < 0).any():
        raise SrkitError("centre_kernel needs a non-negative kernel")
    k = k / k.sum()
    target = aligned_centre((k.shape[0], k.shape[1]), scale)
    for _ in range(100):
        dy, dx = (t - c for t, c in zip(target, kernel_centre(k), strict=True))
        if max(abs(dy), abs(dx)) <= tol:
            break
        k = _shift_axis(_shift_axis(k, dy, 0), dx, 1)
        k = k / k.sum()
    return k


# --- applying -------------------------------------------------------------------------------------------------------


def _symmetric_index(n: int, start: int, stop: int) -> np.ndarray:
    """Indices ``start .. stop - 1`` of an axis of length ``n`` extended by symmetric reflection (edge repeated:
    ``... b a | a b c ... z | z y ...``), for any distance from the border."""
    i = np.arange(start, stop) % (2 * n)
    return np.where(i >= n, 2 * n - 1 - i, i)


def kernel_downscale(image: np.ndarray, kernel: np.ndarray, scale: int) -> np.ndarray:
    """Blur ``image`` with ``kernel`` and keep every ``scale``-th pixel, as the module docstring defines it.

    Args:
        image: ``(H, W)`` or ``(H, W, C)``, uint8 or float.
        kernel: a 2-D kernel (used as given: normalise it first if it should keep brightness).
        scale: integer >= 1.

    Returns:
        ``(ceil(H / s), ceil(W / s)[, C])``: uint8 (rounded half up, saturated) for a uint8 image, else float64
        (neither rounded nor clipped). Computed in float64, always in the same order: the same input gives the
        same bits.

    Example:
        >>> img = np.arange(16, dtype=np.uint8).reshape(4, 4)
        >>> kernel_downscale(img, np.ones((1, 1)), 2).tolist()  # a 1x1 kernel keeps pixels 0, 2, ...
        [[0, 2], [8, 10]]
    """
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or 0 in image.shape:
        raise SrkitError(f"expected a numpy image (H, W) or (H, W, C), got {getattr(image, 'shape', image)!r}")
    if not (image.dtype == np.uint8 or np.issubdtype(image.dtype, np.floating)):
        raise SrkitError(f"expected a uint8 or float image, got {image.dtype}")
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise SrkitError(f"the scale must be an integer >= 1, got {scale!r}")
    k = _as_kernel(kernel)
    img = image.astype(np.float64)
    img3 = img[..., None] if img.ndim == 2 else img
    h, w = img3.shape[:2]
    kh, kw = k.shape
    oh, ow = -(-h // scale), -(-w // scale)
    a, b = kh // 2, kw // 2
    rows = _symmetric_index(h, -a, scale * (oh - 1) + kh - a)
    cols = _symmetric_index(w, -b, scale * (ow - 1) + kw - b)
    padded = img3[rows][:, cols]
    # one contiguous copy per phase (i % s, j % s): every tap then reads a contiguous block of one of them
    phases = {(p, q): np.ascontiguousarray(padded[p::scale, q::scale]) for p in range(scale) for q in range(scale)}
    out = np.zeros((oh, ow, img3.shape[2]))
    term = np.empty_like(out)
    for i in range(kh):
        for j in range(kw):
            if k[i, j] != 0:
                phase = phases[(i % scale, j % scale)]
                np.multiply(phase[i // scale : i // scale + oh, j // scale : j // scale + ow], k[i, j], out=term)
                out += term
    if image.ndim == 2:
        out = out[..., 0]
    if image.dtype == np.uint8:
        return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)
    return out


def apply_div2krk(hr: np.ndarray, params: DIV2KRKParams) -> np.ndarray:
    """The LR image of ``hr`` (mod-cropped to ``params.scale``) under the sampled kernel: :func:`kernel_downscale`
    with :func:`div2krk_kernel`. Deterministic.

    Example:
        >>> p = sample_div2krk_kernel(torch.Generator().manual_seed(0), scale=2)
        >>> apply_div2krk(np.full((6, 6), 200, np.uint8), p).tolist()
        [[200, 200, 200], [200, 200, 200], [200, 200, 200]]
    """
    h, w = hr.shape[:2]
    if h % params.scale or w % params.scale:
        raise SrkitError(f"HR size {h}x{w} is not a multiple of the scale {params.scale} (mod-crop it first)")
    return kernel_downscale(hr, div2krk_kernel(params), params.scale)
