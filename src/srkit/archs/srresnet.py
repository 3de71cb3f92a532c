"""SRResNet: C. Ledig, L. Theis, F. Huszar, J. Caballero, A. Cunningham, A. Acosta, A. Aitken, A. Tejani, J. Totz,
Z. Wang, W. Shi, "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network", CVPR 2017.
https://arxiv.org/abs/1609.04802 (no official code release).

SRGAN's generator, trained alone with MSE it is SRResNet: a 9x9 convolution with PReLU, 16 residual blocks
(conv-BN-PReLU-conv-BN with a skip, :class:`srkit.blocks.ResBlock` with ``bn=True``), a convolution with batch
norm and a long skip, two sub-pixel x2 steps (convolution to 256 channels, pixel shuffle, PReLU) and a 9x9
convolution to the image. The paper trains x4 only.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import ResBlock, activation, conv2d
from srkit.blocks.upsample import prime_factors

PAPER = (
    "C. Ledig, L. Theis, F. Huszar, J. Caballero, A. Cunningham, A. Acosta, A. Aitken, A. Tejani, J. Totz, Z. Wang, "
    "W. Shi, 'Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network', CVPR 2017"
)


class SRResNet(nn.Module):
    """SRGAN's generator network (Ledig et al. 2017)::

        f0 = head(x)                         # 9x9 conv in_channels -> n_feats, PReLU
        f  = body(f0) + f0                   # n_blocks ResBlocks (conv-BN-PReLU-conv-BN, + x), 3x3 conv, BN
        y  = tail(upsample(f))               # per prime factor p: 3x3 conv -> p^2 n_feats, shuffle, PReLU; 9x9 conv

    Convolutions followed by batch norm have no bias (the norm's shift replaces it); PReLU has one slope per
    channel. Batch norm makes the output depend on the batch in training mode; use ``eval()`` for inference.

    Args:
        scale: upscaling factor (the paper: 4, as two x2 steps; other integers use prime steps).
        in_channels, out_channels: image channels.
        n_feats: feature channels.
        n_blocks: residual blocks.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> SRResNet(scale=4, n_feats=8, n_blocks=2)(torch.rand(2, 3, 8, 8)).shape
        torch.Size([2, 3, 32, 32])
    """

    @store_hparams
    def __init__(
        self, *, scale: int = 4, in_channels: int = 3, out_channels: int = 3, n_feats: int = 64, n_blocks: int = 16
    ) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
            raise SrkitError(f"SRResNet needs an integer scale >= 1, got {scale!r}")
        if n_blocks < 0:
            raise SrkitError(f"SRResNet needs n_blocks >= 0, got {n_blocks}")
        self.scale = scale
        self.head = nn.Sequential(conv2d(in_channels, n_feats, 9), activation("prelu", channels=n_feats))
        blocks: list[nn.Module] = [ResBlock(n_feats=n_feats, bn=True, act="prelu") for _ in range(n_blocks)]
        self.body = nn.Sequential(*blocks, conv2d(n_feats, n_feats, 3, bias=False), nn.BatchNorm2d(n_feats))
        up: list[nn.Module] = []
        for f in prime_factors(scale):
            up += [conv2d(n_feats, f * f * n_feats, 3), nn.PixelShuffle(f), activation("prelu", channels=n_feats)]
        self.upsample = nn.Sequential(*up)
        self.tail = conv2d(n_feats, out_channels, 9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f0 = self.head(x)
        return self.tail(self.upsample(self.body(f0) + f0))


def srresnet(*, scale: int = 4, **overrides: Any) -> SRResNet:
    """SRResNet as in the paper: 16 residual blocks of 64 features."""
    return SRResNet(scale=scale, **{"n_feats": 64, "n_blocks": 16, **overrides})


def _rf(n_blocks: int, scale: int) -> int:
    """9x9 head (4), two 3x3 per block, the body conv; one conv per upsampling step; the 9x9 tail at HR."""
    total, reached = 4 + 2 * n_blocks + 1.0, 1
    for f in prime_factors(scale):
        total += 1 / reached
        reached *= f
    return math.ceil(total + 4 / reached - 1e-9)


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        srresnet,
        ModelCard(
            name="srresnet",
            arch="SRResNet",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 1_400_771, 3: 1_585_411, 4: 1_548_547},
            receptive_field=max(_rf(16, s) for s in (2, 3, 4)),
            notes=(
                "RGB in [0, 1] in and out (the paper scales HR targets to [-1, 1]; an affine change the last "
                "convolution absorbs). The paper trains x4 only (as two x2 sub-pixel steps); x2 and x3 use one step. "
                "Parameters counted with sum(p.numel()) over model.parameters(), batch-norm affine weights and "
                "per-channel PReLU slopes included, running statistics (buffers) not: 1,548,547 at x4. The paper "
                "states no exact count (about 1.5M is folklore), so published_params is left out. PUBLISHED.md has "
                "no SRResNet rows. Batch norm: call eval() for inference."
            ),
        ),
    ),
]

__all__ = ["ZOO", "SRResNet", "srresnet"]
