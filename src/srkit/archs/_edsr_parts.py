"""Parts shared by the models built on the EDSR-PyTorch code base (EDSR, MDSR, RCAN), in that code base's layout.

Lim, Son, Kim, Nah, Lee, "Enhanced Deep Residual Networks for Single Image Super-Resolution", CVPR Workshops
2017 (https://arxiv.org/abs/1707.02921; code: github.com/sanghyun-son/EDSR-PyTorch). RCAN (Zhang et al., ECCV
2018) reuses the same ``common.py``, so its checkpoints have the same mean-shift and upsampler keys.

- :class:`FixedMeanShift`: EDSR's ``MeanShift``, a fixed 1x1 convolution whose state-dict keys are ``weight``
  ``(C, C, 1, 1)`` and ``bias`` ``(C,)`` like the official one, but stored as buffers (constants, not trainable
  parameters), so official checkpoints load with ``strict=True`` and parameter counts hold only what is learned.
- :class:`EDSRUpsampler`: EDSR's ``Upsampler``, ``[conv, PixelShuffle]`` per prime factor, keys ``0``, ``2``.

These belong in ``srkit.blocks`` (``MeanShift`` and ``SubPixelUpsample`` there use other key layouts); they live
here until they move.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.common import RGB_MEAN, conv2d
from srkit.blocks.upsample import prime_factors


def default_mean(channels: int) -> tuple[float, ...]:
    """The DIV2K RGB mean for 3 channels; for other channel counts, its average (a grey level) per channel."""
    if channels == 3:
        return RGB_MEAN
    return (sum(RGB_MEAN) / 3,) * channels


class FixedMeanShift(nn.Module):
    """``y = W x + b`` with ``W = I`` and ``b = sign * rgb_range * mean``: a fixed 1x1 convolution (EDSR's
    ``MeanShift``). ``weight`` and ``bias`` are buffers, so they follow ``.to()`` and load from a state dict
    (the official values, with ``rgb_range=255``, replace these) but are not trained.

    Shape:
        ``(B, channels, H, W) -> (B, channels, H, W)``.
    """

    weight: torch.Tensor
    bias: torch.Tensor

    def __init__(self, *, channels: int = 3, sign: int = -1, rgb_range: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("weight", torch.eye(channels).view(channels, channels, 1, 1))
        self.register_buffer("bias", sign * rgb_range * torch.tensor(default_mean(channels)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight.to(x.dtype), self.bias.to(x.dtype))


def check_scale(name: str, scale: object) -> int:
    """``scale`` as an int >= 1, or a :class:`SrkitError` naming the model."""
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise SrkitError(f"{name} needs an integer scale >= 1, got {scale!r}")
    return scale


class EDSRUpsampler(nn.Sequential):
    """EDSR's sub-pixel upsampler: per prime factor ``f`` of ``scale`` (x4 = 2 x 2), a 3x3 convolution
    ``n_feats -> f^2 n_feats`` then ``PixelShuffle(f)``; no activation. Keys ``0`` (x2, x3) and ``0``, ``2`` (x4)
    as in EDSR-PyTorch; PyTorch's default initialisation, as there.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, scale*H, scale*W)``.
    """

    def __init__(self, *, scale: int, n_feats: int, kernel_size: int = 3) -> None:
        layers: list[nn.Module] = []
        for f in prime_factors(check_scale("EDSRUpsampler", scale)):
            layers += [conv2d(n_feats, f * f * n_feats, kernel_size), nn.PixelShuffle(f)]
        super().__init__(*layers)


def receptive_field(lr_radius: float, scale: int, *, kernel_radius: int = 1, tail_radius: int = 1) -> int:
    """LR pixels of context (radius) of a post-upsampling network: ``lr_radius`` for the convolutions before the
    upsampler, then one convolution per upsampling step (the first at LR, each later one at the resolution reached
    so far) and the tail convolution at HR; rounded up."""
    total, reached = float(lr_radius), 1
    for f in prime_factors(scale):
        total += kernel_radius / reached
        reached *= f
    return math.ceil(total + tail_radius / reached - 1e-9)


def upsampler_scale(state: Mapping[str, torch.Tensor], prefix: str, n_feats: int) -> int | None:
    """The scale of an :class:`EDSRUpsampler` stored under ``prefix`` (``"tail.0"``), from its convolutions'
    filter counts (``f^2 n_feats`` each), or None if they are not of that form."""
    scale, i = 1, 0
    while f"{prefix}.{i}.weight" in state:
        out = int(state[f"{prefix}.{i}.weight"].shape[0])
        f = math.isqrt(out // n_feats) if n_feats > 0 and out % n_feats == 0 else 0
        if f < 2 or f * f * n_feats != out:
            return None
        scale, i = scale * f, i + 2
    return scale if i > 0 else None


def count_indexed(state: Mapping[str, torch.Tensor], prefix: str, suffix: str) -> int:
    """How many consecutive ``{prefix}{i}{suffix}`` keys exist, from ``i = 0``."""
    n = 0
    while f"{prefix}{n}{suffix}" in state:
        n += 1
    return n


def rgb_range_of(state: Mapping[str, torch.Tensor], key: str = "sub_mean.bias") -> float | None:
    """The ``rgb_range`` that a stored mean shift was built with (``bias = -rgb_range * mean``): 255 for the
    official EDSR/RCAN checkpoints, 1 for srkit's; None if the key is missing or does not fit."""
    bias = state.get(key)
    if bias is None or bias.ndim != 1 or bias.numel() == 0:
        return None
    mean = torch.tensor(default_mean(bias.numel()), dtype=torch.float64)
    ratio = (-bias.detach().to(torch.float64).cpu() / mean).mean().item()
    if not ratio > 0:
        return None
    return float(round(ratio, 3))


__all__ = [
    "EDSRUpsampler",
    "FixedMeanShift",
    "check_scale",
    "count_indexed",
    "default_mean",
    "receptive_field",
    "rgb_range_of",
    "upsampler_scale",
]
