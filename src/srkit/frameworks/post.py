"""Post-upsampling framework (survey section 3.1.2): features at LR, learnable upsampling at the end (FSRCNN,
ESPCN, EDSR, RCAN, RDN, CARN, IMDN, PAN, SwinIR...)."""

from __future__ import annotations

import torch
from torch import nn

from srkit.blocks.common import MeanShift, activation, conv2d
from srkit.frameworks.base import Framework, Outputs, interpolate, run_body


class PostUpsampling(Framework):
    """``f0 = head(x)``; ``f = body(f0) (+ f0)``; ``y = tail(upsampler(f)) (+ interpolate(x))``.

    Args:
        scale: the upsampler's factor (for ``image_skip``); an arbitrary-scale upsampler may also be called with
            another scale (``forward(x, scale=...)`` is not part of this framework: use the upsampler directly).
        body: blocks on ``n_feats`` channels at LR resolution; the last may return a list (feedback steps).
        upsampler: maps ``n_feats`` to ``upsampler_channels`` at ``scale`` times the size.
        in_channels, out_channels, n_feats: image and feature channels.
        upsampler_channels: the upsampler's output channels; when equal to ``out_channels`` and ``tail=False``
            the upsampler emits the image (ESPCN, IMDN).
        tail: a 3x3 convolution from ``upsampler_channels`` to ``out_channels`` after the upsampler.
        body_conv: a 3x3 convolution after the body blocks (EDSR/RCAN's conv before the long skip).
        feature_skip: add the head's features to the body's (EDSR's global residual at feature level).
        image_skip: ``None`` or an interpolation mode: add the interpolated input to the output.
        mean_shift: subtract the DIV2K RGB mean at the input and add it back at the output.
        head_kernel, head_act: first convolution's kernel size and activation.
    """

    def __init__(
        self,
        *,
        scale: float,
        body: list[nn.Module],
        upsampler: nn.Module,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        upsampler_channels: int | None = None,
        tail: bool = True,
        body_conv: bool = True,
        feature_skip: bool = True,
        image_skip: str | None = None,
        mean_shift: bool = False,
        head_kernel: int = 3,
        head_act: str = "none",
    ) -> None:
        super().__init__()
        self.scale, self.feature_skip, self.image_skip = scale, feature_skip, image_skip
        channels = upsampler_channels or n_feats
        self.sub_mean = MeanShift(channels=in_channels, sign=-1) if mean_shift else nn.Identity()
        self.add_mean = MeanShift(channels=out_channels, sign=+1) if mean_shift else nn.Identity()
        self.head = nn.Sequential(conv2d(in_channels, n_feats, head_kernel), activation(head_act, channels=n_feats))
        self.body = nn.ModuleList(body)
        self.body_conv = conv2d(n_feats, n_feats) if body_conv else nn.Identity()
        self.upsampler = upsampler
        self.tail = conv2d(channels, out_channels) if tail else nn.Identity()

    def forward_all(self, x: torch.Tensor) -> Outputs:
        f0 = self.head(self.sub_mean(x))
        outs = []
        for f in run_body(self.body, f0):
            f = self.body_conv(f)
            if self.feature_skip:
                f = f + f0
            outs.append(self.add_mean(self.tail(self.upsampler(f))))
        if self.image_skip is not None:
            skip = interpolate(x, self.scale, self.image_skip)
            outs = [o + skip for o in outs]
        return outs
