"""srkit's "unknown" degradation: a fixed pipeline of blur, bicubic downscaling, noise and JPEG, for training and
testing methods that learn a degradation from unpaired data (issue 11: Bulat et al.'s two-step GAN, CinCGAN).

The models trained on it never see this pipeline or its parameters: they see only its LR output (the real-LR side
of an unpaired training set, :func:`srkit.data.unpairedset.make_unpaired_set`). It is written down here so that
the data can be regenerated and the test pairs checked. Per image and scale ``s`` (parameters drawn by
:func:`sample_unknown` from a generator seeded by the set's seed and the image's name, then applied by
:func:`apply_unknown`, which is deterministic):

1. **Blur** the HR image (values in [0, 1], float32) with an anisotropic Gaussian kernel
   (:func:`srkit.degradations.anisotropic_gaussian_kernel`): standard deviations ``sigma_major ~ U(0.3, 0.6) * s``
   and ``sigma_minor ~ U(0.2, 0.4) * s`` HR pixels along axes rotated by ``theta ~ U(0, pi)``, kernel side
   ``2 * ceil(1.8 * s) + 1`` (9 at x2, 17 at x4: three of the largest standard deviations on each side),
   reflect padding.
2. **Downscale** by ``1 / s`` with MATLAB's bicubic ``imresize`` (antialiased; :func:`srkit.functional.imresize`)
   and round to uint8.
3. **Noise**: add white Gaussian noise of standard deviation ``noise_sigma ~ U(10, 15)`` (0-255 scale),
   independent per channel, clamp to [0, 1] (:func:`srkit.degradations.add_gaussian_noise`, its own seed).
4. **JPEG**: encode and decode with libjpeg at quality ``jpeg_quality ~ U{60, ..., 80}``, 4:2:0 chroma
   (:func:`srkit.degradations.jpeg_compress`).

The ranges are those of mild real degradations (the NTIRE 2018 "realistic" tracks CinCGAN was made for combine blur,
noise and compression of this order); the order (blur, downscale, noise, JPEG) is the classical first-order model
that Real-ESRGAN's first stage also follows.

Example:
    >>> g = torch.Generator().manual_seed(0)
    >>> params = sample_unknown(g, scale=4)
    >>> apply_unknown(np.zeros((32, 48, 3), np.uint8), params).shape
    (8, 12, 3)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit.degradations.jpeg import jpeg_compress
from srkit.degradations.kernels import anisotropic_gaussian_kernel, blur
from srkit.degradations.noise import add_gaussian_noise
from srkit.functional.image import to_uint8
from srkit.functional.resize import imresize

__all__ = ["UNKNOWN_SCALES", "UnknownParams", "apply_unknown", "describe_unknown", "sample_unknown", "unknown_kernel"]

UNKNOWN_SCALES = (2, 4)
_MAJOR = (0.3, 0.6)  # times the scale, HR pixels
_MINOR = (0.2, 0.4)
_NOISE = (10.0, 15.0)  # 0-255 scale
_QUALITY = (60, 80)  # inclusive


@dataclass(frozen=True)
class UnknownParams:
    """The parameters of one application of the pipeline (see the module's description).

    Attributes:
        scale: the downscaling factor (2 or 4).
        sigma_major, sigma_minor: the blur's standard deviations, HR pixels.
        theta: the major axis's angle, radians counter-clockwise.
        noise_sigma: the noise's standard deviation, 0-255 scale.
        noise_seed: the seed of the noise's generator.
        jpeg_quality: the JPEG quality (libjpeg, 1-100).
    """

    scale: int
    sigma_major: float
    sigma_minor: float
    theta: float
    noise_sigma: float
    noise_seed: int
    jpeg_quality: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for a set's ``protocol.json``)."""
        return asdict(self)


def _check_scale(scale: int) -> int:
    if isinstance(scale, bool) or scale not in UNKNOWN_SCALES:
        raise SrkitError(f"the unknown degradation has scales x2 and x4, got {scale!r}")
    return int(scale)


def sample_unknown(generator: torch.Generator, *, scale: int) -> UnknownParams:
    """Draw the parameters of one application at ``scale`` (2 or 4) from ``generator``.

    Example:
        >>> sample_unknown(torch.Generator().manual_seed(1), scale=2).jpeg_quality in range(60, 81)
        True
    """
    s = _check_scale(scale)
    u = torch.rand(4, generator=generator, dtype=torch.float64).tolist()
    quality = _QUALITY[0] + int(torch.randint(_QUALITY[1] - _QUALITY[0] + 1, (1,), generator=generator))
    noise_seed = int(torch.randint(2**62, (1,), generator=generator))
    return UnknownParams(
        scale=s,
        sigma_major=(_MAJOR[0] + (_MAJOR[1] - _MAJOR[0]) * u[0]) * s,
        sigma_minor=(_MINOR[0] + (_MINOR[1] - _MINOR[0]) * u[1]) * s,
        theta=math.pi * u[2],
        noise_sigma=_NOISE[0] + (_NOISE[1] - _NOISE[0]) * u[3],
        noise_seed=noise_seed,
        jpeg_quality=quality,
    )


def unknown_kernel(params: UnknownParams) -> torch.Tensor:
    """The blur kernel of ``params`` (float64, sums to 1), side ``2 * ceil(1.8 * scale) + 1``."""
    size = 2 * math.ceil(1.8 * params.scale) + 1
    return anisotropic_gaussian_kernel(size, params.sigma_major, params.sigma_minor, params.theta, dtype=torch.float64)


def apply_unknown(hr: np.ndarray, params: UnknownParams) -> np.ndarray:
    """The LR image of ``hr`` under ``params`` (deterministic).

    Args:
        hr: uint8 ``(H, W, 3)`` or ``(H, W)`` (grayscale: made three-channel first), ``H`` and ``W`` multiples of
            the scale.

    Returns:
        uint8 ``(H / s, W / s, 3)``.

    Raises:
        SrkitError: not a uint8 image, or a size that is not a multiple of the scale.
    """
    s = _check_scale(params.scale)
    if not isinstance(hr, np.ndarray) or hr.dtype != np.uint8 or hr.ndim not in (2, 3):
        got = f"{type(hr).__name__} {getattr(hr, 'dtype', '')} {getattr(hr, 'shape', '')}"
        raise SrkitError(f"apply_unknown takes a uint8 image (H, W, 3) or (H, W), got {got}")
    rgb = np.repeat(hr[..., None], 3, axis=2) if hr.ndim == 2 else hr
    if rgb.shape[2] != 3:
        raise SrkitError(f"apply_unknown takes RGB or grayscale images, got {rgb.shape[2]} channels")
    h, w = rgb.shape[:2]
    if h % s or w % s or h < s or w < s:
        raise SrkitError(f"apply_unknown: the image ({h}x{w}) must be a multiple of the scale {s}")
    x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].to(torch.float32) / 255.0
    blurred = blur(x, unknown_kernel(params).to(torch.float32), padding="reflect")  # float64: 12x slower
    lr = to_uint8(imresize(blurred, 1 / s)).to(torch.float32) / 255.0  # (1, 3, H/s, W/s) on the 1/255 grid
    noisy = add_gaussian_noise(lr, params.noise_sigma, generator=torch.Generator().manual_seed(params.noise_seed))
    out = jpeg_compress(noisy, params.jpeg_quality)
    return np.ascontiguousarray(to_uint8(out[0]).permute(1, 2, 0).numpy())


def describe_unknown() -> dict[str, str]:
    """The pipeline in words (written into a set's ``protocol.json``)."""
    return {
        "1 blur": f"anisotropic Gaussian on the HR in [0, 1] (float32): sigma_major ~ U{_MAJOR} * s, sigma_minor ~ "
        f"U{_MINOR} * s HR pixels, theta ~ U(0, pi) counter-clockwise; side 2 * ceil(1.8 * s) + 1; reflect padding",
        "2 downscale": "MATLAB bicubic imresize by 1 / s (antialiased), rounded half up to uint8",
        "3 noise": f"white Gaussian, sigma ~ U{_NOISE} (0-255 scale), per channel, own seed; clamped to [0, 1]",
        "4 jpeg": f"libjpeg (Pillow) quality ~ U{{{_QUALITY[0]}..{_QUALITY[1]}}}, 4:2:0 chroma",
        "parameters": "per image and scale, from torch.Generator().manual_seed(image_seed(seed, 'NAME_xS')) "
        "(srkit.degradations.unknown.sample_unknown)",
    }
