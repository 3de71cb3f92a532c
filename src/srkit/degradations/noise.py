"""Additive noise: Gaussian (per channel or gray), channel-correlated Gaussian (BSRGAN) and Poisson (Real-ESRGAN).

"Sample, then apply": a ``sample_*`` function draws the scalar parameters **and an integer seed** from the given
``torch.Generator``; ``apply_*`` draws the noise tensor from a fresh CPU generator seeded with that seed, so the
same parameters always give the same noise, on any device (the noise is made on the CPU, then moved). The
result is clamped to [0, 1].

References: Gaussian and Poisson noise as in Real-ESRGAN (Wang et al., ICCVW 2021, Sec. 3.2: "gray noise" is the
same noise on every channel); the channel-correlated Gaussian noise of BSRGAN (Zhang et al., "Designing a
Practical Degradation Model for Deep Blind Image Super-Resolution", ICCV 2021, Sec. 3.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from srkit._core.errors import SrkitError
from srkit.degradations.kernels import _as_batch, _check_prob, _check_range, _seed, _uniform

__all__ = [
    "CorrelatedNoiseParams",
    "GaussianNoiseParams",
    "PoissonNoiseParams",
    "add_correlated_noise",
    "add_gaussian_noise",
    "add_poisson_noise",
    "apply_correlated_noise",
    "apply_gaussian_noise",
    "apply_poisson_noise",
    "sample_correlated_noise",
    "sample_gaussian_noise",
    "sample_poisson_noise",
]

_LUMA = (0.299, 0.587, 0.114)  # BT.601 luma, as torchvision's rgb_to_grayscale (used by Real-ESRGAN)


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SrkitError(f"seed must be an integer in [0, 2**63), got {seed!r}")


def _normal(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    return torch.randn(shape, generator=generator, dtype=torch.float32, device=generator.device)


def add_gaussian_noise(
    x: torch.Tensor, sigma: float, *, gray: bool = False, generator: torch.Generator
) -> torch.Tensor:
    """Add zero-mean Gaussian noise of standard deviation ``sigma / 255``, then clamp to [0, 1].

    Args:
        x: images in [0, 1].
        sigma: standard deviation on the 0-255 scale (>= 0).
        gray: the same noise on every channel (Real-ESRGAN's "gray noise"); else independent per channel.
        generator: the noise is drawn from it (float32, on its device) and moved to ``x``.

    Returns:
        The noisy images, same shape, dtype and device as ``x``.

    Shape:
        ``(B, C, H, W)`` or ``(C, H, W)``.

    Example:
        >>> y = add_gaussian_noise(torch.full((3, 8, 8), 0.5), 10.0, generator=torch.Generator().manual_seed(0))
        >>> y.shape
        torch.Size([3, 8, 8])
    """
    x4, single = _as_batch(x)
    if not (math.isfinite(sigma) and sigma >= 0):
        raise SrkitError(f"noise sigma must be finite and >= 0 (0-255 scale), got {sigma!r}")
    b, c, h, w = x4.shape
    noise = _normal((b, 1 if gray else c, h, w), generator).to(device=x4.device, dtype=x4.dtype)
    out = (x4 + noise * (sigma / 255.0)).clamp(0.0, 1.0)
    return out[0] if single else out


def _quantized(x: torch.Tensor) -> torch.Tensor:
    return torch.floor(x.clamp(0.0, 1.0) * 255.0 + 0.5) / 255.0


def _poisson(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Real-ESRGAN's Poisson noise for images ``x`` (B, C, H, W) already on the 1/255 grid: per image, the photon
    count per unit is ``2 ** ceil(log2(number of distinct values))``."""
    counts = [int(torch.unique(img).numel()) for img in x]
    vals = torch.tensor([2.0 ** math.ceil(math.log2(n)) for n in counts], dtype=x.dtype, device=x.device)
    vals = vals.view(-1, 1, 1, 1)
    rates = (x * vals).to(device=generator.device, dtype=torch.float32)
    photons = torch.poisson(rates, generator=generator).to(device=x.device, dtype=x.dtype)
    return photons / vals - x


def add_poisson_noise(x: torch.Tensor, scale: float, *, gray: bool = False, generator: torch.Generator) -> torch.Tensor:
    """Add Poisson (shot) noise as Real-ESRGAN does, then clamp to [0, 1].

    Per image, the image (or its BT.601 luma when ``gray``) is rounded to the 1/255 grid, ``vals = 2 **
    ceil(log2(number of distinct values))`` is taken as photons per unit intensity, and the noise is
    ``scale * (Poisson(img * vals) / vals - img)``: its variance is ``scale**2 * img / vals``, growing with the
    brightness.

    Args:
        x: images in [0, 1]; ``gray`` needs 1 or 3 channels (RGB).
        scale: multiplies the noise (>= 0).
        gray: one noise image (from the luma) added to every channel.
        generator: the Poisson draws come from it (on its device).

    Returns:
        The noisy images, same shape, dtype and device as ``x``.

    Shape:
        ``(B, C, H, W)`` or ``(C, H, W)``.

    Example:
        >>> y = add_poisson_noise(torch.full((3, 8, 8), 0.5), 1.0, generator=torch.Generator().manual_seed(0))
        >>> y.shape
        torch.Size([3, 8, 8])
    """
    x4, single = _as_batch(x)
    if not (math.isfinite(scale) and scale >= 0):
        raise SrkitError(f"Poisson noise scale must be finite and >= 0, got {scale!r}")
    c = x4.shape[1]
    if gray and c not in (1, 3):
        raise SrkitError(f"gray Poisson noise needs 1 or 3 (RGB) channels, got {c}")
    if gray and c == 3:
        luma = torch.tensor(_LUMA, dtype=x4.dtype, device=x4.device).view(1, 3, 1, 1)
        noise = _poisson(_quantized((x4 * luma).sum(1, keepdim=True)), generator)
    else:
        noise = _poisson(_quantized(x4), generator)
    out = (x4 + noise * scale).clamp(0.0, 1.0)
    return out[0] if single else out


def add_correlated_noise(x: torch.Tensor, matrix: torch.Tensor, *, generator: torch.Generator) -> torch.Tensor:
    """Add 3-channel Gaussian noise ``matrix @ z / 255`` with ``z ~ N(0, I)`` per pixel (covariance
    ``matrix @ matrix.T`` on the 0-255 scale), then clamp to [0, 1].

    Args:
        x: RGB images in [0, 1].
        matrix: ``(3, 3)`` mixing matrix, 0-255 scale.
        generator: ``z`` is drawn from it.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> add_correlated_noise(torch.full((3, 4, 4), 0.5), 10 * torch.eye(3), generator=g).shape
        torch.Size([3, 4, 4])
    """
    x4, single = _as_batch(x)
    if x4.shape[1] != 3:
        raise SrkitError(f"channel-correlated noise needs 3 channels, got {x4.shape[1]}")
    if not isinstance(matrix, torch.Tensor) or matrix.shape != (3, 3):
        raise SrkitError(f"the noise matrix must be a (3, 3) tensor, got {getattr(matrix, 'shape', matrix)}")
    z = _normal(tuple(x4.shape), generator).to(device=x4.device, dtype=x4.dtype)
    noise = torch.einsum("ij,bjhw->bihw", matrix.to(device=x4.device, dtype=x4.dtype), z)
    out = (x4 + noise / 255.0).clamp(0.0, 1.0)
    return out[0] if single else out


@dataclass(frozen=True)
class GaussianNoiseParams:
    """Sampled Gaussian noise: ``sigma`` (0-255 scale), ``gray`` (same noise on all channels), noise ``seed``."""

    sigma: float
    gray: bool
    seed: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise SrkitError(f"noise sigma must be finite and >= 0, got {self.sigma!r}")
        _check_seed(self.seed)


@dataclass(frozen=True)
class PoissonNoiseParams:
    """Sampled Poisson noise: its ``scale``, ``gray`` (from the luma, same on all channels), noise ``seed``."""

    scale: float
    gray: bool
    seed: int

    def __post_init__(self) -> None:
        if not (math.isfinite(self.scale) and self.scale >= 0):
            raise SrkitError(f"Poisson noise scale must be finite and >= 0, got {self.scale!r}")
        _check_seed(self.seed)


@dataclass(frozen=True)
class CorrelatedNoiseParams:
    """Sampled channel-correlated noise: the 3x3 mixing ``matrix`` (rows, 0-255 scale) and the noise ``seed``."""

    matrix: tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
    seed: int

    def __post_init__(self) -> None:
        if len(self.matrix) != 3 or any(len(row) != 3 for row in self.matrix):
            raise SrkitError(f"the noise matrix must be 3x3, got {self.matrix!r}")
        _check_seed(self.seed)


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def apply_gaussian_noise(x: torch.Tensor, params: GaussianNoiseParams) -> torch.Tensor:
    """:func:`add_gaussian_noise` with the sampled parameters (deterministic).

    Example:
        >>> p = GaussianNoiseParams(sigma=5.0, gray=True, seed=1)
        >>> torch.equal(apply_gaussian_noise(torch.zeros(3, 4, 4), p), apply_gaussian_noise(torch.zeros(3, 4, 4), p))
        True
    """
    return add_gaussian_noise(x, params.sigma, gray=params.gray, generator=_generator(params.seed))


def apply_poisson_noise(x: torch.Tensor, params: PoissonNoiseParams) -> torch.Tensor:
    """:func:`add_poisson_noise` with the sampled parameters (deterministic)."""
    return add_poisson_noise(x, params.scale, gray=params.gray, generator=_generator(params.seed))


def apply_correlated_noise(x: torch.Tensor, params: CorrelatedNoiseParams) -> torch.Tensor:
    """:func:`add_correlated_noise` with the sampled parameters (deterministic)."""
    matrix = torch.tensor(params.matrix, dtype=torch.float64)
    return add_correlated_noise(x, matrix, generator=_generator(params.seed))


def sample_gaussian_noise(
    generator: torch.Generator, *, sigma_range: tuple[float, float] = (1.0, 30.0), gray_prob: float = 0.4
) -> GaussianNoiseParams:
    """Draw Gaussian-noise parameters: ``sigma`` uniform in ``sigma_range`` (0-255 scale), gray with
    ``gray_prob``, and a seed. Defaults: Real-ESRGAN's first order (sigma in [1, 30], gray with 0.4).

    Example:
        >>> p = sample_gaussian_noise(torch.Generator().manual_seed(0))
        >>> 1.0 <= p.sigma <= 30.0
        True
    """
    lo, hi = _check_range("sigma_range", sigma_range, 0.0)
    gray_prob = _check_prob("gray_prob", gray_prob)
    sigma = _uniform(generator, lo, hi)
    gray = _uniform(generator, 0.0, 1.0) < gray_prob
    return GaussianNoiseParams(sigma=sigma, gray=gray, seed=_seed(generator))


def sample_poisson_noise(
    generator: torch.Generator, *, scale_range: tuple[float, float] = (0.05, 3.0), gray_prob: float = 0.4
) -> PoissonNoiseParams:
    """Draw Poisson-noise parameters: ``scale`` uniform in ``scale_range``, gray with ``gray_prob``, a seed.
    Defaults: Real-ESRGAN's first order (scale in [0.05, 3], gray with 0.4).

    Example:
        >>> sample_poisson_noise(torch.Generator().manual_seed(0), scale_range=(0.05, 2.5)).scale <= 2.5
        True
    """
    lo, hi = _check_range("scale_range", scale_range, 0.0)
    gray_prob = _check_prob("gray_prob", gray_prob)
    scale = _uniform(generator, lo, hi)
    gray = _uniform(generator, 0.0, 1.0) < gray_prob
    return PoissonNoiseParams(scale=scale, gray=gray, seed=_seed(generator))


def sample_correlated_noise(generator: torch.Generator, *, sigma: float = 25.0) -> CorrelatedNoiseParams:
    """Draw BSRGAN's channel-correlated noise: covariance ``(sigma/255)^2 U^T D U`` with ``D`` diagonal,
    entries uniform in [0, 1], and ``U`` orthonormal (QR of a uniform random 3x3 matrix); ``sigma = 25`` is
    BSRGAN's upper noise level, which its code uses here. Stored as ``U^T sqrt(D) * sigma``.

    Example:
        >>> len(sample_correlated_noise(torch.Generator().manual_seed(0)).matrix)
        3
    """
    if not (math.isfinite(sigma) and sigma >= 0):
        raise SrkitError(f"noise sigma must be finite and >= 0, got {sigma!r}")
    d = torch.tensor([_uniform(generator, 0.0, 1.0) for _ in range(3)], dtype=torch.float64)
    m = torch.tensor([[_uniform(generator, 0.0, 1.0) for _ in range(3)] for _ in range(3)], dtype=torch.float64)
    u = torch.linalg.qr(m).Q.T  # rows orthonormal
    a = (u.T * d.sqrt()[None, :]) * sigma  # a @ a.T = sigma^2 U^T D U
    r = a.tolist()
    matrix = tuple((float(row[0]), float(row[1]), float(row[2])) for row in r)
    return CorrelatedNoiseParams(matrix=(matrix[0], matrix[1], matrix[2]), seed=_seed(generator))
