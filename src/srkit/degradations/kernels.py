"""Blur kernels and blurring: isotropic/anisotropic/generalized Gaussian, plateau, motion and sinc kernels.

Every kernel is a normalised (sums to 1) square tensor with an odd side. Coordinates: ``x`` to the right and ``y``
**up** (as seen on screen), angles counter-clockwise from the ``x`` axis, in radians. The kernel families and the
random mixture follow Real-ESRGAN (Wang et al., "Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure
Synthetic Data", ICCVW 2021, Sec. 3.2): generalized Gaussian ``exp(-0.5 q^beta)``, plateau ``1 / (1 + q^beta)``
with ``q`` the Mahalanobis form of the covariance ``R diag(sigma_x^2, sigma_y^2) R^T``, and the 2-D sinc
(circular low-pass) kernel ``omega_c J1(omega_c r) / (2 pi r)``.

"Sample, then apply": :func:`sample_mixed_kernel` and friends draw only from the ``torch.Generator`` they are
given and return a frozen :class:`BlurParams`; :func:`apply_blur` is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError

__all__ = [
    "KERNEL_KINDS",
    "Blur",
    "BlurParams",
    "anisotropic_gaussian_kernel",
    "apply_blur",
    "blur",
    "generalized_gaussian_kernel",
    "isotropic_gaussian_kernel",
    "motion_kernel",
    "plateau_kernel",
    "sample_mixed_kernel",
    "sample_motion_kernel",
    "sample_sinc_kernel",
    "shifted_gaussian_kernel",
    "sinc_kernel",
]

Padding = Literal["reflect", "replicate"]
KERNEL_KINDS = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")
_REAL_ESRGAN_KIND_PROBS = (0.45, 0.25, 0.12, 0.03, 0.12, 0.03)
_REAL_ESRGAN_SIZES = tuple(range(7, 22, 2))

# --- small checks and draws shared by the degradation modules -------------------------------------------------------


def _check_range(
    name: str, rng: Sequence[float], low: float = -math.inf, high: float = math.inf
) -> tuple[float, float]:
    """``rng`` as ``(lo, hi)`` floats with ``low <= lo <= hi <= high``, else a clear SrkitError."""
    if isinstance(rng, str) or not isinstance(rng, Sequence) or len(rng) != 2:
        raise SrkitError(f"{name} must be a (low, high) pair, got {rng!r}")
    lo, hi = float(rng[0]), float(rng[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi or lo < low or hi > high:
        raise SrkitError(f"{name} must satisfy {low} <= low <= high <= {high}, got {tuple(rng)!r}")
    return lo, hi


def _check_probs(name: str, probs: Sequence[float], n: int) -> tuple[float, ...]:
    values = tuple(float(p) for p in probs)
    if len(values) != n or any(not math.isfinite(p) or p < 0 for p in values) or abs(sum(values) - 1) > 1e-6:
        raise SrkitError(f"{name} must be {n} non-negative probabilities summing to 1, got {tuple(probs)!r}")
    return values


def _check_prob(name: str, p: float) -> float:
    if not 0.0 <= float(p) <= 1.0:
        raise SrkitError(f"{name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def _uniform(generator: torch.Generator, lo: float, hi: float) -> float:
    """One float uniform in ``[lo, hi]`` from ``generator`` (float64, on the generator's device)."""
    u = torch.rand((), generator=generator, dtype=torch.float64, device=generator.device).item()
    return lo + (hi - lo) * u


def _randint(generator: torch.Generator, lo: int, hi: int) -> int:
    """One integer uniform in ``[lo, hi]`` (both included) from ``generator``."""
    return int(torch.randint(lo, hi + 1, (), generator=generator, device=generator.device).item())


def _choice(generator: torch.Generator, probs: Sequence[float]) -> int:
    """An index drawn with the given probabilities (one uniform draw)."""
    u, acc = _uniform(generator, 0.0, 1.0), 0.0
    for i, p in enumerate(probs):
        acc += p
        if u < acc:
            return i
    return max(i for i, p in enumerate(probs) if p > 0)


def _seed(generator: torch.Generator) -> int:
    """A 63-bit seed for a per-step generator (noise tensors are drawn from it in ``apply``)."""
    return int(torch.randint(0, 2**63 - 1, (), generator=generator, device=generator.device).item())


def _as_batch(x: torch.Tensor, name: str = "x") -> tuple[torch.Tensor, bool]:
    """``x`` as ``(B, C, H, W)`` and whether it was a single ``(C, H, W)`` image; checks dtype and shape."""
    if not isinstance(x, torch.Tensor) or x.ndim not in (3, 4) or 0 in x.shape:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise SrkitError(f"{name} must be a non-empty tensor (C, H, W) or (B, C, H, W), got {shape}")
    if not x.is_floating_point():
        raise SrkitError(f"{name} must be a float tensor in [0, 1], got {x.dtype}")
    return (x.unsqueeze(0), True) if x.ndim == 3 else (x, False)


# --- kernels --------------------------------------------------------------------------------------------------------


def _check_size(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise SrkitError(f"kernel size must be an odd integer >= 1, got {size!r}")
    return size


def _grid(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x, y)`` offsets from the centre, float64, ``y`` pointing up."""
    r = (size - 1) / 2
    ax = torch.arange(size, dtype=torch.float64) - r
    return ax[None, :].expand(size, size), -ax[:, None].expand(size, size)


def _quadratic(size: int, sigma_x: float, sigma_y: float, theta: float, shift: tuple[float, float]) -> torch.Tensor:
    """``d^T Sigma^-1 d`` over the grid for ``Sigma = R diag(sigma_x^2, sigma_y^2) R^T``."""
    if not (sigma_x > 0 and sigma_y > 0 and math.isfinite(sigma_x) and math.isfinite(sigma_y)):
        raise SrkitError(f"kernel sigmas must be finite and > 0, got {sigma_x!r}, {sigma_y!r}")
    x, y = _grid(_check_size(size))
    x, y = x - shift[0], y - shift[1]
    c, s = math.cos(theta), math.sin(theta)
    u, v = c * x + s * y, -s * x + c * y  # coordinates along the rotated axes
    return (u / sigma_x) ** 2 + (v / sigma_y) ** 2


def _finish(kernel: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return (kernel / kernel.sum()).to(dtype)


def anisotropic_gaussian_kernel(
    size: int, sigma_x: float, sigma_y: float, theta: float = 0.0, *, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """A normalised anisotropic Gaussian ``exp(-q / 2)``, covariance ``R(theta) diag(sigma_x^2, sigma_y^2) R^T``.

    Args:
        size: odd side length.
        sigma_x: standard deviation along the (rotated) x axis, pixels.
        sigma_y: standard deviation along the (rotated) y axis, pixels.
        theta: rotation, radians counter-clockwise (on screen).
        dtype: dtype of the result (computed in float64).

    Returns:
        The ``(size, size)`` kernel, summing to 1.

    Example:
        >>> k = anisotropic_gaussian_kernel(7, 2.0, 0.5, math.pi / 2)
        >>> torch.allclose(k, anisotropic_gaussian_kernel(7, 0.5, 2.0))
        True
    """
    return _finish(torch.exp(-0.5 * _quadratic(size, sigma_x, sigma_y, theta, (0.0, 0.0))), dtype)


def isotropic_gaussian_kernel(size: int, sigma: float, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A normalised isotropic Gaussian kernel (MATLAB ``fspecial('gaussian', size, sigma)``).

    Example:
        >>> isotropic_gaussian_kernel(7, 1.6).shape
        torch.Size([7, 7])
    """
    return anisotropic_gaussian_kernel(size, sigma, sigma, 0.0, dtype=dtype)


def _check_beta(beta: float) -> None:
    if not (beta > 0 and math.isfinite(beta)):
        raise SrkitError(f"the kernel shape beta must be finite and > 0, got {beta!r}")


def generalized_gaussian_kernel(
    size: int, sigma_x: float, sigma_y: float, theta: float, beta: float, *, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Generalized Gaussian ``exp(-0.5 q^beta)`` (Real-ESRGAN); ``beta = 1`` is the Gaussian, ``beta < 1`` has
    heavier tails, ``beta > 1`` a flatter top.

    Example:
        >>> generalized_gaussian_kernel(9, 2.0, 1.0, 0.3, 2.0).sum().item()  # doctest: +ELLIPSIS
        1.0...
    """
    _check_beta(beta)
    return _finish(torch.exp(-0.5 * _quadratic(size, sigma_x, sigma_y, theta, (0.0, 0.0)) ** beta), dtype)


def plateau_kernel(
    size: int, sigma_x: float, sigma_y: float, theta: float, beta: float, *, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Plateau-shaped kernel ``1 / (1 + q^beta)`` (Real-ESRGAN): a flat top with polynomial tails.

    Example:
        >>> plateau_kernel(9, 2.0, 2.0, 0.0, 1.5).shape
        torch.Size([9, 9])
    """
    _check_beta(beta)
    return _finish(1.0 / (1.0 + _quadratic(size, sigma_x, sigma_y, theta, (0.0, 0.0)) ** beta), dtype)


def shifted_gaussian_kernel(
    size: int, sigma: float, shift: float, *, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Isotropic Gaussian whose :func:`blur` output at pixel ``(i, j)`` is centred on ``(i + shift, j + shift)``:
    blurring with it, then keeping pixels ``0, s, 2s, ...`` samples the centre of every ``s x s`` cell when
    ``shift = (s - 1) / 2`` (BSRGAN's shifted kernel before nearest downsampling)."""
    # blur() convolves (flips the kernel), so the weight sits up and to the left of the centre
    return _finish(torch.exp(-0.5 * _quadratic(size, sigma, sigma, 0.0, (-shift, shift))), dtype)


def sinc_kernel(size: int, cutoff: float, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """2-D sinc (ideal circular low-pass) kernel ``omega_c J1(omega_c r) / (2 pi r)``, normalised; it has negative
    lobes and makes ringing and overshoot artefacts (Real-ESRGAN, Sec. 3.3).

    Args:
        size: odd side length.
        cutoff: the cut-off frequency ``omega_c`` in radians per pixel, in ``(0, pi]``.
        dtype: dtype of the result.

    Example:
        >>> sinc_kernel(11, math.pi / 2).shape
        torch.Size([11, 11])
    """
    if not 0 < cutoff <= math.pi + 1e-12:
        raise SrkitError(f"the sinc cut-off must be in (0, pi], got {cutoff!r}")
    x, y = _grid(_check_size(size))
    r = torch.sqrt(x**2 + y**2)
    safe = torch.where(r > 0, r, torch.ones_like(r))
    k = cutoff * torch.special.bessel_j1(cutoff * safe) / (2 * math.pi * safe)
    k = torch.where(r > 0, k, torch.full_like(k, cutoff**2 / (4 * math.pi)))
    return _finish(k, dtype)


def _slab(centre: torch.Tensor, direction: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``t`` interval where ``t * direction`` lies in ``[centre - 0.5, centre + 0.5]``."""
    if abs(direction) < 1e-12:
        inside = centre.abs() <= 0.5
        big = torch.full_like(centre, math.inf)
        return torch.where(inside, -big, big), torch.where(inside, big, -big)
    a, b = (centre - 0.5) / direction, (centre + 0.5) / direction
    return torch.minimum(a, b), torch.maximum(a, b)


def motion_kernel(size: int, length: float, angle: float, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Linear motion blur: a centred line segment of ``length`` pixels at ``angle``, anti-aliased.

    Each pixel's weight is the length of the segment inside that pixel's square (exact box-filtered
    rasterisation of a thin line), so the kernel varies continuously with the length and the angle: a horizontal
    segment of length 7 covers 7 pixels equally, one of length 7.4 adds 0.2 at each end.

    Args:
        size: odd side length; the segment must fit: ``0 < length <= size``.
        length: length of the motion, pixels.
        angle: direction, radians counter-clockwise from the horizontal (on screen).
        dtype: dtype of the result.

    Example:
        >>> motion_kernel(5, 3.0, 0.0)[2]
        tensor([0.0000, 0.3333, 0.3333, 0.3333, 0.0000])
    """
    _check_size(size)
    if not (0 < length <= size and math.isfinite(angle)):
        raise SrkitError(f"motion blur needs 0 < length <= size ({size}) and a finite angle, got {length!r}, {angle!r}")
    x, y = _grid(size)
    x_lo, x_hi = _slab(x, math.cos(angle))
    y_lo, y_hi = _slab(y, math.sin(angle))
    lo = torch.maximum(torch.maximum(x_lo, y_lo), torch.full_like(x, -length / 2))
    hi = torch.minimum(torch.minimum(x_hi, y_hi), torch.full_like(x, length / 2))
    inside = hi - lo
    return _finish(torch.where(inside > 1e-9, inside, torch.zeros_like(inside)), dtype)  # drop round-off at corners


# --- blurring -------------------------------------------------------------------------------------------------------


def _pad_index(n: int, p: int, padding: Padding, device: torch.device) -> torch.Tensor:
    """Source indices for ``p`` pixels of padding on both sides of a length-``n`` axis (any ``p``)."""
    i = torch.arange(-p, n + p, device=device)
    if padding == "replicate" or n == 1:
        return i.clamp(0, n - 1)
    period = 2 * (n - 1)  # reflect without repeating the edge pixel, folded as often as needed
    i = i.remainder(period)
    return torch.where(i >= n, period - i, i)


def blur(x: torch.Tensor, kernel: torch.Tensor, *, padding: Padding = "reflect") -> torch.Tensor:
    """Convolve every channel of ``x`` with ``kernel`` (one kernel for all images, or one per image).

    The border is extended by ``reflect`` (mirror without repeating the edge pixel, as OpenCV's default and
    Real-ESRGAN) or ``replicate`` padding; any image size works, even smaller than the kernel. Differentiable.

    Args:
        x: images, float.
        kernel: ``(k, k)``, or ``(B, k, k)`` with one kernel per image (applied by a grouped convolution);
            ``k`` odd. It is cast to ``x``'s dtype and device.
        padding: ``"reflect"`` or ``"replicate"``.

    Returns:
        The blurred images, same shape and dtype as ``x`` (not clamped).

    Shape:
        ``x``: ``(B, C, H, W)`` or ``(C, H, W)``; output: the same.

    Example:
        >>> x = torch.rand(2, 3, 16, 16)
        >>> blur(x, isotropic_gaussian_kernel(7, 1.5)).shape
        torch.Size([2, 3, 16, 16])
    """
    x4, single = _as_batch(x)
    b, c, h, w = x4.shape
    if not isinstance(kernel, torch.Tensor) or kernel.ndim not in (2, 3) or kernel.shape[-1] != kernel.shape[-2]:
        shape = tuple(kernel.shape) if isinstance(kernel, torch.Tensor) else type(kernel).__name__
        raise SrkitError(f"kernel must be a square tensor (k, k) or (B, k, k), got {shape}")
    k = int(kernel.shape[-1])
    _check_size(k)
    if kernel.ndim == 3 and kernel.shape[0] != b:
        raise SrkitError(f"got {kernel.shape[0]} kernels for a batch of {b} images")
    if padding not in ("reflect", "replicate"):
        raise SrkitError(f"padding must be 'reflect' or 'replicate', got {padding!r}")
    p = k // 2
    xp = x4.index_select(2, _pad_index(h, p, padding, x4.device)).index_select(3, _pad_index(w, p, padding, x4.device))
    weight = kernel.to(device=x4.device, dtype=x4.dtype).flip(-1, -2)  # conv2d correlates; flip for convolution
    if weight.ndim == 2:
        out = F.conv2d(xp, weight.expand(c, 1, k, k), groups=c)
    else:
        grouped = weight[:, None].expand(b, c, k, k).reshape(b * c, 1, k, k)
        out = F.conv2d(xp.reshape(1, b * c, h + 2 * p, w + 2 * p), grouped, groups=b * c).reshape(b, c, h, w)
    return out[0] if single else out


class Blur(torch.nn.Module):
    """Module form of :func:`blur` with a fixed kernel (kept as a buffer, so it follows ``.to(device)``).

    Example:
        >>> Blur(kernel=motion_kernel(9, 7.0, 0.5))(torch.rand(1, 3, 12, 12)).shape
        torch.Size([1, 3, 12, 12])
    """

    kernel: torch.Tensor

    def __init__(self, *, kernel: torch.Tensor, padding: Padding = "reflect") -> None:
        super().__init__()
        BlurParams(kernel, padding)  # validates
        self.register_buffer("kernel", kernel.detach().clone())
        self.padding: Padding = padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return blur(x, self.kernel, padding=self.padding)


@dataclass(frozen=True, eq=False)
class BlurParams:
    """A sampled blur: the kernel ``(k, k)`` (float, sums to 1) and the border padding."""

    kernel: torch.Tensor
    padding: Padding = "reflect"

    def __post_init__(self) -> None:
        kernel = self.kernel
        if not isinstance(kernel, torch.Tensor) or kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
            raise SrkitError(
                f"BlurParams.kernel must be a square (k, k) tensor, got {getattr(kernel, 'shape', kernel)}"
            )
        _check_size(int(kernel.shape[0]))
        if self.padding not in ("reflect", "replicate"):
            raise SrkitError(f"padding must be 'reflect' or 'replicate', got {self.padding!r}")


def apply_blur(x: torch.Tensor, params: BlurParams) -> torch.Tensor:
    """Blur ``x`` (``(B, C, H, W)`` or ``(C, H, W)``) with the sampled kernel, then clamp to [0, 1].

    Example:
        >>> apply_blur(torch.rand(3, 8, 8), BlurParams(isotropic_gaussian_kernel(5, 1.0))).shape
        torch.Size([3, 8, 8])
    """
    return blur(x, params.kernel, padding=params.padding).clamp(0.0, 1.0)


def _beta(generator: torch.Generator, rng: tuple[float, float]) -> float:
    """Real-ESRGAN's shape draw: half of the time in ``[lo, 1]``, else in ``[1, hi]``."""
    if _uniform(generator, 0.0, 1.0) < 0.5:
        return _uniform(generator, rng[0], max(rng[0], 1.0))
    return _uniform(generator, min(1.0, rng[1]), rng[1])


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    if not sizes:
        raise SrkitError("sizes must list at least one odd kernel size")
    return tuple(_check_size(s) for s in sizes)


def sample_sinc_kernel(
    generator: torch.Generator,
    *,
    sizes: Sequence[int] = _REAL_ESRGAN_SIZES,
    cutoff_range: tuple[float, float] | None = (math.pi / 3, math.pi),
) -> BlurParams:
    """Draw a sinc kernel: a size from ``sizes``, a cut-off uniform in ``cutoff_range``; ``None`` uses
    Real-ESRGAN's rule ``[pi/3, pi]`` for sizes < 13, else ``[pi/5, pi]``. Default: Real-ESRGAN's final sinc.

    Example:
        >>> sample_sinc_kernel(torch.Generator().manual_seed(0)).kernel.shape[0] in range(7, 22, 2)
        True
    """
    size = _check_sizes(sizes)[_randint(generator, 0, len(sizes) - 1)]
    if cutoff_range is None:
        lo, hi = (math.pi / 3 if size < 13 else math.pi / 5), math.pi
    else:
        lo, hi = _check_range("cutoff_range", cutoff_range, 1e-6, math.pi + 1e-9)
    return BlurParams(sinc_kernel(size, _uniform(generator, lo, hi)))


def sample_mixed_kernel(
    generator: torch.Generator,
    *,
    kinds: Sequence[str] = KERNEL_KINDS,
    probs: Sequence[float] = _REAL_ESRGAN_KIND_PROBS,
    sizes: Sequence[int] = _REAL_ESRGAN_SIZES,
    sigma_range: tuple[float, float] = (0.2, 3.0),
    rotation_range: tuple[float, float] = (-math.pi, math.pi),
    beta_gaussian_range: tuple[float, float] = (0.5, 4.0),
    beta_plateau_range: tuple[float, float] = (1.0, 2.0),
    sinc_prob: float = 0.1,
) -> BlurParams:
    """Draw a kernel from Real-ESRGAN's mixture (defaults: its first-order settings, Sec. 3.2 and its
    ``train_realesrgan_x4plus.yml``): with ``sinc_prob`` a sinc kernel (:func:`sample_sinc_kernel` with the
    size-dependent cut-off), else a kind from ``kinds`` with ``probs``, sigmas uniform in ``sigma_range`` (one
    sigma and no rotation for ``*iso``) and a rotation uniform in ``rotation_range``.

    Args:
        generator: the only source of randomness.
        kinds: a subset of :data:`KERNEL_KINDS`.
        probs: the probability of each kind (sums to 1).
        sizes: odd kernel sizes, drawn uniformly.
        sigma_range: standard deviations, pixels.
        rotation_range: radians.
        beta_gaussian_range: shape of the generalized Gaussian.
        beta_plateau_range: shape of the plateau kernel.
        sinc_prob: probability of a sinc kernel instead.

    Returns:
        The sampled :class:`BlurParams` (float32 kernel on the CPU).

    Example:
        >>> p = sample_mixed_kernel(torch.Generator().manual_seed(0), sigma_range=(0.2, 1.5))
        >>> round(float(p.kernel.sum()), 5)
        1.0
    """
    unknown = [k for k in kinds if k not in KERNEL_KINDS]
    if unknown or not kinds:
        raise SrkitError(f"unknown kernel kinds {unknown or kinds!r}; choose from {', '.join(KERNEL_KINDS)}")
    kind_probs = _check_probs("probs", probs, len(kinds))
    _check_prob("sinc_prob", sinc_prob)
    _check_sizes(sizes)
    s_lo, s_hi = _check_range("sigma_range", sigma_range, 1e-6)
    r_lo, r_hi = _check_range("rotation_range", rotation_range)
    bg = _check_range("beta_gaussian_range", beta_gaussian_range, 1e-6)
    bp = _check_range("beta_plateau_range", beta_plateau_range, 1e-6)
    if _uniform(generator, 0.0, 1.0) < _check_prob("sinc_prob", sinc_prob):
        return sample_sinc_kernel(generator, sizes=sizes, cutoff_range=None)
    size = sizes[_randint(generator, 0, len(sizes) - 1)]
    kind = kinds[_choice(generator, kind_probs)]
    sx = _uniform(generator, s_lo, s_hi)
    sy, theta = sx, 0.0
    if "aniso" in kind:
        sy, theta = _uniform(generator, s_lo, s_hi), _uniform(generator, r_lo, r_hi)
    if kind.startswith("generalized"):
        return BlurParams(generalized_gaussian_kernel(size, sx, sy, theta, _beta(generator, bg)))
    if kind.startswith("plateau"):
        return BlurParams(plateau_kernel(size, sx, sy, theta, _beta(generator, bp)))
    return BlurParams(anisotropic_gaussian_kernel(size, sx, sy, theta))


def sample_motion_kernel(
    generator: torch.Generator,
    *,
    sizes: Sequence[int] = (7, 9, 11, 13, 15, 17, 19, 21),
    length_range: tuple[float, float] = (3.0, 15.0),
    angle_range: tuple[float, float] = (0.0, math.pi),
) -> BlurParams:
    """Draw a motion-blur kernel: size from ``sizes``, length uniform in ``length_range`` (cut to the size),
    direction uniform in ``angle_range`` (radians; a line is the same at ``angle + pi``).

    Example:
        >>> sample_motion_kernel(torch.Generator().manual_seed(0)).kernel.ndim
        2
    """
    _check_sizes(sizes)
    l_lo, l_hi = _check_range("length_range", length_range, 1e-6)
    a_lo, a_hi = _check_range("angle_range", angle_range)
    size = sizes[_randint(generator, 0, len(sizes) - 1)]
    length = min(float(size), _uniform(generator, l_lo, l_hi))
    return BlurParams(motion_kernel(size, length, _uniform(generator, a_lo, a_hi)))
