"""Small helpers for the ``convert_*`` functions of the arch files: renaming another code base's state dict into an
srkit model's keys, exactly (the converted model computes what the original computed).

- :func:`require`: the keys that identify a layout, or a :class:`SrkitError` (what ``Detection.convert`` raises
  for a state dict of another layout).
- :func:`zero_bias`: the bias a bias-free convolution of another code base has (srkit's layer has one).
- :func:`prelu_slopes`: a one-slope ``PReLU`` (or ``LeakyReLU(s)``) as srkit's per-channel ``PReLU``.
- :func:`mean_shift`: EDSR-style mean-shift convolutions (``weight`` = I, ``bias`` = ``sign * range * mean``) as
  srkit's ``MeanShift`` buffer, and the pixel range they were built for.
- :func:`count`: how many consecutive indexed keys exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch

from srkit._core.errors import SrkitError
from srkit.archs._edsr_parts import rgb_range_of

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


def mean_shift(state: Mapping[str, torch.Tensor], prefix: str, sign: int) -> tuple[torch.Tensor, float]:
    """srkit's ``MeanShift`` buffer ``(1, C, 1, 1)`` for the EDSR-style 1x1 mean-shift convolution stored under
    ``prefix`` (``sub_mean``: ``sign=-1``, ``add_mean``: ``sign=+1``), and the pixel range it was built for (255
    for most official code).

    Raises:
        SrkitError: the weight is not the identity (a standard deviation other than 1) or the bias is not a
            multiple of the DIV2K mean.
    """
    weight, bias = state[f"{prefix}.weight"], state[f"{prefix}.bias"]
    c = int(bias.numel())
    eye = torch.eye(c, dtype=weight.dtype).view(c, c, 1, 1)
    if weight.shape != eye.shape or not torch.allclose(weight.detach().cpu(), eye):
        raise SrkitError(f"{prefix}.weight is not the identity: srkit's mean shift has no standard deviation")
    pixel_range = rgb_range_of({"b": bias if sign < 0 else -bias}, "b")
    if pixel_range is None:
        raise SrkitError(f"{prefix}.bias is not a positive multiple of {sign:+d} x the DIV2K mean")
    return (bias.detach() / pixel_range).view(1, c, 1, 1).clone(), pixel_range


def count(state: Mapping[str, torch.Tensor], template: str) -> int:
    """How many consecutive ``template.format(i)`` keys exist, from ``i = 0``."""
    n = 0
    while template.format(n) in state:
        n += 1
    return n


__all__ = ["StateDict", "count", "mean_shift", "prelu_slopes", "require", "zero_bias"]
