"""Small shared pieces of every block and architecture: 'same'-padded convolutions, activations, the mean shift,
the scale check, and image interpolation (MATLAB-exact or PyTorch's) for pre-upsampling and image skips."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.functional.resize import imresize

RGB_MEAN = (0.4488, 0.4371, 0.4040)  # DIV2K mean, used by EDSR, RCAN, CARN, ...
INTERPOLATIONS = ("bicubic", "bilinear", "nearest", "matlab")


def check_interpolation(mode: str) -> str:
    """Return ``mode`` if it is one of :data:`INTERPOLATIONS`, else raise :class:`SrkitError` listing them."""
    if mode not in INTERPOLATIONS:
        raise SrkitError(f"unknown interpolation {mode!r}; choose one of {', '.join(INTERPOLATIONS)}")
    return mode


def interpolate(x: torch.Tensor, scale: float, mode: str) -> torch.Tensor:
    """Upscale ``x`` by ``scale``: ``torch.nn.functional.interpolate`` modes, or ``"matlab"`` for srkit's
    MATLAB-exact bicubic (what VDSR-style networks were trained on; slower, shapes fixed under tracing)."""
    if mode == "matlab":
        return imresize(x, scale)
    check_interpolation(mode)
    align = None if mode == "nearest" else False
    return F.interpolate(x, scale_factor=scale, mode=mode, align_corners=align)


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


def default_mean(channels: int) -> tuple[float, ...]:
    """The DIV2K RGB mean for 3 channels; for other channel counts, its average (a grey level) per channel."""
    if channels == 3:
        return RGB_MEAN
    return (sum(RGB_MEAN) / 3,) * channels


class MeanShift(nn.Module):
    """Subtract (``sign=-1``) or add (``sign=+1``) a fixed per-channel mean, times ``pixel_range``: EDSR's
    ``MeanShift``, a fixed 1x1 convolution ``y = W x + b`` with ``W = I`` and ``b = sign * pixel_range * mean``.

    ``weight`` ``(C, C, 1, 1)`` and ``bias`` ``(C,)`` are buffers (constants that follow ``.to()`` and load from
    a state dict, but are not trained and not counted as parameters), with the keys of EDSR-PyTorch's layer, so
    official EDSR/RCAN/MDSR/MSRN/SRFBN checkpoints load with ``strict=True``.

    Args:
        channels: image channels.
        sign: -1 subtracts the mean, +1 adds it.
        pixel_range: the range the network works in (1, or 255 for official EDSR-style checkpoints).
        mean: the per-channel mean (default :func:`default_mean`).
        persistent: keep the buffers in the state dict (SwinIR's checkpoints leave them out).

    Shape:
        ``(B, channels, H, W) -> (B, channels, H, W)``.

    Example:
        >>> MeanShift(sign=-1)(torch.full((1, 3, 1, 1), 0.5)).flatten().tolist()  # doctest: +ELLIPSIS
        [0.0512..., 0.0629..., 0.0960...]
    """

    weight: torch.Tensor
    bias: torch.Tensor

    def __init__(
        self,
        *,
        channels: int = 3,
        sign: int = -1,
        pixel_range: float = 1.0,
        mean: tuple[float, ...] | None = None,
        persistent: bool = True,
    ) -> None:
        super().__init__()
        values = default_mean(channels) if mean is None else tuple(mean)
        if len(values) != channels or sign not in (-1, 1) or not pixel_range > 0:
            raise SrkitError(f"MeanShift needs {channels} mean values, sign -1 or +1 and pixel_range > 0")
        eye = torch.eye(channels).view(channels, channels, 1, 1)
        self.register_buffer("weight", eye, persistent=persistent)
        self.register_buffer("bias", sign * pixel_range * torch.tensor(values), persistent=persistent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight.to(x.dtype), self.bias.to(x.dtype))
