"""The benchmark degradations: the SR literature's BI, BD and DN (see ``docs/evaluation.md``), and fixed
synthetic "real-world" test sets made by Real-ESRGAN's and BSRGAN's pipelines (``REAL_ESRGAN``, ``BSRGAN``).

All take an HR uint8 image, numpy ``(H, W)`` or ``(H, W, C)``, already mod-cropped to the scale, and return the
LR uint8 image, as the MATLAB scripts that made the published tables do. Randomness comes only from the
``seed`` argument: the same call gives byte-identical output (on the same torch and libjpeg builds).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

from srkit._core.errors import SrkitError
from srkit.degradations.pipeline import bsrgan, degrade_batch, real_esrgan
from srkit.functional.image import to_uint8
from srkit.functional.resize import imresize

REAL_WORLD: dict[str, Callable[[], Any]] = {"REAL_ESRGAN": real_esrgan, "BSRGAN": bsrgan}
PROTOCOLS = ("BI", "BD", "DN", *REAL_WORLD)
RANDOM_PROTOCOLS = ("DN", *REAL_WORLD)


def _check(hr: np.ndarray, scale: int) -> None:
    if not isinstance(hr, np.ndarray) or hr.dtype != np.uint8 or hr.ndim not in (2, 3):
        shape = getattr(hr, "shape", None)
        raise SrkitError(f"expected a uint8 numpy image (H, W) or (H, W, C), got {type(hr).__name__} {shape}")
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise SrkitError(f"the scale must be an integer >= 1, got {scale!r}")
    h, w = hr.shape[:2]
    if h % scale or w % scale:
        raise SrkitError(f"HR size {h}x{w} is not a multiple of the scale {scale} (mod-crop it first)")


def gaussian_kernel(size: int = 7, sigma: float = 1.6) -> np.ndarray:
    """MATLAB ``fspecial('gaussian', size, sigma)``: a normalised ``(size, size)`` float64 kernel."""
    if size < 1 or sigma <= 0:
        raise SrkitError(f"a Gaussian kernel needs size >= 1 and sigma > 0, got {size}, {sigma}")
    r = (size - 1) / 2
    x = np.arange(size) - r
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma**2))
    g[g < np.finfo(np.float64).eps * g.max()] = 0
    return g / g.sum()


def bicubic_degradation(hr: np.ndarray, scale: int) -> np.ndarray:
    """BI: MATLAB ``imresize(HR, 1/scale, 'bicubic')`` on uint8 (antialiased, rounded after each pass)."""
    _check(hr, scale)
    return imresize(hr, 1 / scale, kernel="bicubic")


def blur_degradation(hr: np.ndarray, scale: int, *, size: int = 7, sigma: float = 1.6) -> np.ndarray:
    """BD: Gaussian blur (``imfilter(HR, fspecial('gaussian', 7, 1.6), 'replicate')``, rounded to uint8), then
    MATLAB ``imresize(.., 1/scale, 'nearest')``, i.e. keep the centre pixel of every scale x scale cell."""
    _check(hr, scale)
    kernel = gaussian_kernel(size, sigma)
    img = hr.astype(np.float64)
    chw = img[None] if img.ndim == 2 else np.moveaxis(img, -1, 0)
    before, after = (size - 1) // 2, size // 2
    padded = np.pad(chw, ((0, 0), (before, after), (before, after)), mode="edge")
    windows = sliding_window_view(padded, (size, size), axis=(1, 2))  # (C, H, W, size, size)
    blurred = np.einsum("chwij,ij->chw", windows, kernel)
    out = np.clip(np.floor(blurred + 0.5), 0, 255).astype(np.uint8)
    out = out[0] if hr.ndim == 2 else np.moveaxis(out, 0, -1)
    return imresize(np.ascontiguousarray(out), 1 / scale, kernel="nearest")


def noise_degradation(hr: np.ndarray, scale: int, *, sigma: float = 30.0, seed: int = 0) -> np.ndarray:
    """DN: BI, then additive Gaussian noise of standard deviation ``sigma`` (0-255 scale) from ``seed``,
    rounded and saturated to uint8."""
    lr = bicubic_degradation(hr, scale)
    rng = np.random.default_rng(seed)
    noisy = lr.astype(np.float64) + rng.normal(0.0, sigma, size=lr.shape)
    return np.clip(np.floor(noisy + 0.5), 0, 255).astype(np.uint8)


def image_seed(base: int, name: str) -> int:
    """A per-image seed that depends only on ``base`` and the image name (stable across runs and machines)."""
    return (int(base) * 1_000_003 + zlib.crc32(name.encode("utf-8"))) % (2**32)


def real_world_degradation(hr: np.ndarray, scale: int, pipeline: str = "BSRGAN", *, seed: int = 0) -> np.ndarray:
    """``REAL_ESRGAN`` or ``BSRGAN``: the training pipeline :func:`srkit.degradations.real_esrgan` or
    :func:`srkit.degradations.bsrgan` with its parameters drawn from ``torch.Generator().manual_seed(seed)``, on
    the RGB image (a gray one is degraded as three equal channels and returned as their mean)."""
    _check(hr, scale)
    key = pipeline.upper()
    if key not in REAL_WORLD:
        raise SrkitError(f"unknown real-world degradation {pipeline!r}; choose one of {', '.join(REAL_WORLD)}")
    rgb = np.repeat(hr[..., None], 3, axis=-1) if hr.ndim == 2 else hr
    if rgb.shape[2] != 3:
        raise SrkitError(f"the {key} degradation needs an RGB or gray image, got {rgb.shape[2]} channels")
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].float() / 255.0
    lr = degrade_batch(x, REAL_WORLD[key](), torch.Generator().manual_seed(int(seed) % 2**63), scale)
    out = to_uint8(lr[0].permute(1, 2, 0).contiguous().numpy())
    if hr.ndim == 2:
        out = np.clip(np.floor(out.astype(np.float64).mean(axis=2) + 0.5), 0, 255).astype(np.uint8)
    return out


class MixedDegradation:
    """Per training sample, one of several ``PROTOCOLS`` drawn with the given probabilities: the callable
    ``(hr_uint8, scale, generator) -> lr_uint8`` that :class:`srkit.data.TrainPatches` takes. The choice and the
    degradation's seed both come from the sample's generator, so a batch is the same on every run.

    Example:
        >>> mix = MixedDegradation({"BSRGAN": 0.8, "BI": 0.2})
        >>> mix(np.zeros((16, 16, 3), dtype=np.uint8), 4, torch.Generator().manual_seed(0)).shape
        (4, 4, 3)
    """

    def __init__(self, probs: Mapping[str, float]) -> None:
        if not probs:
            raise SrkitError("a mixture of degradations needs at least one")
        keys = [str(k).upper() for k in probs]
        unknown = [k for k in keys if k not in PROTOCOLS]
        if unknown:
            raise SrkitError(f"unknown degradation {unknown[0]!r}; choose among {', '.join(PROTOCOLS)}")
        weights = [float(v) for v in probs.values()]
        if any(not np.isfinite(w) or w < 0 for w in weights) or abs(sum(weights) - 1.0) > 1e-6:
            raise SrkitError(f"the degradation probabilities must be >= 0 and add up to 1, got {dict(probs)}")
        self.protocols, self.cumulative = tuple(keys), np.cumsum(weights)

    def __call__(self, hr: np.ndarray, scale: int, generator: torch.Generator) -> np.ndarray:
        u = float(torch.rand(1, generator=generator, dtype=torch.float64))
        key = self.protocols[min(int(np.searchsorted(self.cumulative, u, side="right")), len(self.protocols) - 1)]
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
        return degrade(hr, scale, key, seed=seed)

    def __repr__(self) -> str:
        weights = np.diff(self.cumulative, prepend=0.0)
        return f"MixedDegradation({dict(zip(self.protocols, weights.round(6).tolist(), strict=True))})"


def degrade(hr: np.ndarray, scale: int, protocol: str = "BI", *, seed: int = 0) -> np.ndarray:
    """Make the LR image of ``hr`` by one of the benchmark ``PROTOCOLS`` (``"BI"``, ``"BD"``, ``"DN"``, and the
    synthetic real-world test degradations ``"REAL_ESRGAN"`` and ``"BSRGAN"``: :func:`real_world_degradation`).

    Example:
        >>> degrade(np.zeros((8, 8, 3), dtype=np.uint8), 4).shape
        (2, 2, 3)
    """
    key = protocol.upper()
    if key == "BI":
        return bicubic_degradation(hr, scale)
    if key == "BD":
        return blur_degradation(hr, scale)
    if key == "DN":
        return noise_degradation(hr, scale, seed=seed)
    if key in REAL_WORLD:
        return real_world_degradation(hr, scale, key, seed=seed)
    raise SrkitError(f"unknown degradation {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
