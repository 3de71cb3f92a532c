"""DRCN: J. Kim, J. K. Lee, K. M. Lee, "Deeply-Recursive Convolutional Network for Image Super-Resolution",
CVPR 2016. https://arxiv.org/abs/1511.04491

Pre-upsampling on the Y channel, in three sub-networks of 3x3 convolutions with 256 filters and ReLU:

- embedding net: two convolutions, image -> features ``H_0``;
- inference net: ONE convolution applied ``D = 16`` times with shared weights, ``H_d = relu(conv(H_{d-1}))``
  (srkit's :class:`~srkit.blocks.Recursive`);
- reconstruction net: two convolutions back to the image, shared by every recursion; a skip connection adds the
  interpolated input, ``y_d = recon(H_d) + up``.

Every ``y_d`` is supervised (recursive supervision) and the output is their learned weighted average
``y = sum_d w_d y_d`` (``w_d`` start at ``1 / D``). ``forward_all`` returns ``[y_1, ..., y_D, y]``.
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.checks import check_positive_scale
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import Recursive, activation, check_interpolation, conv2d, interpolate

PAPER = "Kim, Lee, Lee, Deeply-Recursive Convolutional Network for Image Super-Resolution (DRCN), CVPR 2016"


class DRCN(nn.Module):
    """DRCN (Kim et al. 2016): embedding, a 16-fold recursion of one convolution, a shared reconstruction, and a
    learned ensemble of the 16 reconstructions.

    Args:
        scale: upscaling factor of the interpolation (``forward(x, scale=...)`` runs another one).
        in_channels: image channels, in and out (1: the paper works on Y).
        n_feats: filters per layer (256).
        n_recursions: ``D``, recursions of the inference layer (16).
        interpolation: ``"matlab"`` (MATLAB-exact bicubic, as trained) or a torch mode (``"bicubic"``...).

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, scale*H, scale*W)``; ``forward_all`` gives ``D + 1`` such.

    Example:
        >>> m = DRCN(scale=2, n_feats=8, n_recursions=3)
        >>> [y.shape[-1] for y in m.forward_all(torch.rand(1, 1, 8, 8))]
        [16, 16, 16, 16]
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 1,
        n_feats: int = 256,
        n_recursions: int = 16,
        interpolation: str = "matlab",
    ) -> None:
        super().__init__()
        check_positive_scale(scale)
        self.scale = scale
        self.interpolation = check_interpolation(interpolation)
        self.embed = nn.Sequential(
            conv2d(in_channels, n_feats), activation("relu"), conv2d(n_feats, n_feats), activation("relu")
        )
        self.inference = Recursive(n_feats=n_feats, n_recursions=n_recursions, return_all=True)
        self.reconstruct = nn.Sequential(conv2d(n_feats, n_feats), activation("relu"), conv2d(n_feats, in_channels))
        self.ensemble = nn.Parameter(torch.full((n_recursions,), 1.0 / n_recursions))

    def forward_all(self, x: torch.Tensor, scale: float | None = None) -> list[torch.Tensor]:
        """``[y_1, ..., y_D, y]``: every recursion's reconstruction, then their learned weighted average."""
        up = interpolate(x, self.scale if scale is None else scale, self.interpolation)
        hidden = cast(list[torch.Tensor], self.inference(self.embed(up)))
        outs = [self.reconstruct(h) + up for h in hidden]
        weights = self.ensemble.to(up.dtype).view(-1, 1, 1, 1, 1)
        return [*outs, (weights * torch.stack(outs)).sum(0)]

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        return self.forward_all(x, scale)[-1]


def drcn(*, scale: int = 2, **overrides: Any) -> DRCN:
    """DRCN: 256 filters, 16 recursions, Y channel."""
    return DRCN(scale=scale, **{"n_feats": 256, "n_recursions": 16, **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        drcn,
        ModelCard(
            name="drcn",
            arch="DRCN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            forward_all="hr",
            in_channels=1,
            out_channels=1,
            params={2: 1_775_121, 3: 1_775_121, 4: 1_775_121},
            published_params={2: 1_774_000, 3: 1_774_000, 4: 1_774_000},
            receptive_field=12,  # 2 + 16 + 2 3x3 layers: HR radius 20 -> 10 LR pixels at x2, + 2 for bicubic
            published=(
                Published(dataset="Set5", scale=2, psnr=37.63, ssim=0.9588, source="[CARN]"),
                Published(dataset="Set14", scale=2, psnr=33.04, ssim=0.9118, source="[CARN]"),
                Published(dataset="Set5", scale=3, psnr=33.82, ssim=0.9226, source="[CARN]"),
                Published(dataset="Set14", scale=3, psnr=29.76, ssim=0.8311, source="[CARN]"),
                Published(dataset="Set5", scale=4, psnr=31.53, ssim=0.8854, source="[CARN]"),
                Published(dataset="Set14", scale=4, psnr=28.02, ssim=0.7670, source="[CARN]"),
            ),
            notes=(
                "Y-channel model: 1 input channel, params counted with biases and the 16 ensemble weights. "
                "forward_all returns the 16 recursion outputs then the ensemble (recursive supervision). "
                "MATLAB-exact bicubic inside (interpolation='matlab'); forward(x, scale=...) runs any scale. "
                "Memory-heavy: 256 channels at HR resolution, 20 layers deep."
            ),
        ),
    ),
]
