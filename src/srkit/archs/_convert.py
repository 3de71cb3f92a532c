"""Small helpers shared by the paper files: renaming another code base's state dict into an srkit model's keys,
exactly (the converted model computes what the original computed), reading hyper-parameters back from stored
shapes (``detect``), and the receptive field of post-upsampling networks (for the cards).

- :func:`require`: the keys that identify a layout, or a :class:`SrkitError` (what ``Detection.convert`` raises
  for a state dict of another layout).
- :func:`zero_bias`: the bias a bias-free convolution of another code base has (srkit's layer has one).
- :func:`prelu_slopes`: a one-slope ``PReLU`` (or ``LeakyReLU(s)``) as srkit's per-channel ``PReLU``.
- :func:`mean_shift`: EDSR-style mean-shift convolutions (``weight`` = I, ``bias`` = ``sign * range * mean``) as
  srkit's ``MeanShift`` at range 1, and the pixel range they were built for.
- :func:`count`, :func:`count_indexed`: how many consecutive indexed keys exist.
- :func:`pixel_range_of`: the pixel range a stored EDSR-style mean shift was built for.
- :func:`upsampler_scale`: the scale of a stored EDSR-style sub-pixel upsampler.
- :func:`receptive_field`: LR pixels of context of a post-upsampling network.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import torch

from srkit._core.errors import SrkitError
from srkit.blocks.common import default_mean
from srkit.blocks.upsample import prime_factors

StateDict = dict[str, torch.Tensor]


def require(state: Mapping[str, torch.Tensor], keys: Iterable[str], layout: str) -> None:
    """Raise :class:`SrkitError` unless every key of ``keys`` is in ``state`` (``layout`` names the format)."""
    missing = [k for k in keys if k not in state]
    if missing:
        raise SrkitError(f"not a {layout} state dict: no {', '.join(missing[:3])}")


def zero_bias(weight: torch.Tensor, *, transposed: bool = False) -> torch.Tensor:
    """A zero bias for a convolution weight ``(out, in, k, k)`` (``(in, out, k, k)`` when ``transposed``)."""
    return weight.new_zeros(int(weight.shape[1 if transposed else 0]))


def prelu_slopes(slope: torch.Tensor | float, channels: int, like: torch.Tensor) -> torch.Tensor:
    """``channels`` PReLU slopes equal to ``slope`` (a one-element tensor, or a LeakyReLU's fixed slope)."""
    value = slope if isinstance(slope, torch.Tensor) else torch.tensor(float(slope))
    if value.numel() == channels:
        return value.detach().to(like.dtype).reshape(channels).clone()
    if value.numel() != 1:
        raise SrkitError(f"a PReLU with {value.numel()} slopes cannot serve {channels} channels")
    return like.new_full((channels,), float(value.reshape(())))


def mean_shift(state: Mapping[str, torch.Tensor], prefix: str, sign: int) -> tuple[StateDict, float]:
    """The EDSR-style 1x1 mean-shift convolution stored under ``prefix`` (``sub_mean``: ``sign=-1``,
    ``add_mean``: ``sign=+1``) as srkit's :class:`~srkit.blocks.MeanShift` tensors at pixel range 1
    (``{prefix}.weight``, ``{prefix}.bias``), and the pixel range it was built for (255 for most official code).
    srkit's earlier layout (one ``{prefix}.shift`` buffer ``(1, C, 1, 1)``) is read too, at range 1.

    Raises:
        SrkitError: the weight is not the identity (a standard deviation other than 1) or the bias is not a
            multiple of the DIV2K mean.
    """
    if f"{prefix}.shift" in state:
        shift = state[f"{prefix}.shift"].detach().reshape(-1)
        c = int(shift.numel())
        return {f"{prefix}.weight": torch.eye(c, dtype=shift.dtype).view(c, c, 1, 1), f"{prefix}.bias": shift}, 1.0
    weight, bias = state[f"{prefix}.weight"], state[f"{prefix}.bias"]
    c = int(bias.numel())
    eye = torch.eye(c, dtype=weight.dtype).view(c, c, 1, 1)
    if weight.shape != eye.shape or not torch.allclose(weight.detach().cpu(), eye):
        raise SrkitError(f"{prefix}.weight is not the identity: srkit's mean shift has no standard deviation")
    pixel_range = pixel_range_of({"b": bias if sign < 0 else -bias}, "b")
    if pixel_range is None:
        raise SrkitError(f"{prefix}.bias is not a positive multiple of {sign:+d} x the DIV2K mean")
    return {f"{prefix}.weight": eye, f"{prefix}.bias": (bias.detach() / pixel_range).clone()}, pixel_range


def count(state: Mapping[str, torch.Tensor], template: str) -> int:
    """How many consecutive ``template.format(i)`` keys exist, from ``i = 0``."""
    n = 0
    while template.format(n) in state:
        n += 1
    return n


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


def pixel_range_of(state: Mapping[str, torch.Tensor], key: str = "sub_mean.bias") -> float | None:
    """The ``pixel_range`` that a stored mean shift was built with (``bias = -pixel_range * mean``): 255 for the
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
    "StateDict",
    "count",
    "count_indexed",
    "mean_shift",
    "pixel_range_of",
    "prelu_slopes",
    "receptive_field",
    "require",
    "upsampler_scale",
    "zero_bias",
]
