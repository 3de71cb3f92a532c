"""Small shared pieces of every block: 'same'-padded convolutions, activations, mean shift."""

from __future__ import annotations

import torch
from torch import nn

from srkit._core.errors import SrkitError

RGB_MEAN = (0.4488, 0.4371, 0.4040)  # DIV2K mean, used by EDSR, RCAN, CARN, ...


def conv2d(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    *,
    stride: int = 1,
    dilation: int = 1,
    groups: int = 1,
    bias: bool = True,
) -> nn.Conv2d:
    """A convolution that keeps the spatial size (for stride 1): padding ``dilation * (kernel_size - 1) / 2``."""
    if kernel_size % 2 == 0:
        raise SrkitError(f"'same' convolutions need an odd kernel size, got {kernel_size}")
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=dilation * (kernel_size - 1) // 2,
        dilation=dilation,
        groups=groups,
        bias=bias,
    )


ACTIVATIONS = ("relu", "lrelu", "prelu", "gelu", "silu", "none")


def activation(name: str, *, channels: int = 1, negative_slope: float = 0.2) -> nn.Module:
    """An activation by name: ``relu``, ``lrelu`` (slope ``negative_slope``), ``prelu`` (one slope per
    channel), ``gelu``, ``silu`` or ``none``."""
    if name == "relu":
        return nn.ReLU(inplace=True)
    if name == "lrelu":
        return nn.LeakyReLU(negative_slope, inplace=True)
    if name == "prelu":
        return nn.PReLU(channels)
    if name == "gelu":
        return nn.GELU()
    if name == "silu":
        return nn.SiLU(inplace=True)
    if name == "none":
        return nn.Identity()
    raise SrkitError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")


class MeanShift(nn.Module):
    """Subtract (``sign=-1``) or add (``sign=+1``) a fixed per-channel mean, times ``range``; a buffer, not a
    parameter (EDSR's ``MeanShift``)."""

    def __init__(self, *, mean: tuple[float, ...] = RGB_MEAN, sign: int = -1, pixel_range: float = 1.0) -> None:
        super().__init__()
        self.register_buffer("shift", sign * pixel_range * torch.tensor(mean).view(1, -1, 1, 1))

    shift: torch.Tensor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.shift.to(x.dtype)
