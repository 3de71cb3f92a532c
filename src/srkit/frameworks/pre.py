"""Pre-upsampling framework (survey section 3.1.1): interpolate first, then refine at HR (SRCNN, VDSR, DRCN,
DRRN, MemNet)."""

from __future__ import annotations

import torch
from torch import nn

from srkit.blocks.common import activation, conv2d
from srkit.frameworks.base import Framework, Outputs, interpolate, run_body


class PreUpsampling(Framework):
    """``up = interpolate(x)``; ``y = tail(body(head(up))) (+ up)``.

    Args:
        scale: upscaling factor (any positive number: the interpolation does the resizing).
        body: blocks at HR resolution on ``n_feats`` channels; the last may return a list (DRCN recursions).
        in_channels, out_channels, n_feats: image and feature channels.
        interpolation: ``bicubic``/``bilinear``/``nearest`` (torch) or ``matlab`` (MATLAB-exact bicubic).
        global_residual: add the interpolated input to the output (VDSR's residual learning).
        head_kernel, tail_kernel: kernel sizes of the first and last convolutions (SRCNN: 9 and 5).
        act: activation after the head convolution.
        feature_space: with False there is no head and tail: the body refines the interpolated image itself
            (image-to-image blocks such as DWSR's :class:`srkit.blocks.WaveletSR`).
    """

    def __init__(
        self,
        *,
        scale: float,
        body: list[nn.Module],
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        interpolation: str = "bicubic",
        global_residual: bool = True,
        head_kernel: int = 3,
        tail_kernel: int = 3,
        act: str = "relu",
        feature_space: bool = True,
    ) -> None:
        super().__init__()
        self.scale, self.interpolation, self.global_residual = scale, interpolation, global_residual
        self.head: nn.Module = nn.Identity()
        self.tail: nn.Module = nn.Identity()
        if feature_space:
            self.head = nn.Sequential(conv2d(in_channels, n_feats, head_kernel), activation(act, channels=n_feats))
            self.tail = conv2d(n_feats, out_channels, tail_kernel)
        self.body = nn.ModuleList(body)

    def forward_all(self, x: torch.Tensor) -> Outputs:
        up = interpolate(x, self.scale, self.interpolation)
        outs = [self.tail(f) for f in run_body(self.body, self.head(up))]
        return [o + up for o in outs] if self.global_residual else outs
