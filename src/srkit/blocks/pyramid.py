"""Pyramid pooling (survey section 3.3.9): global and regional context by pooling to a few fixed grids.

PSPNet's pyramid pooling module, Zhao et al., "Pyramid Scene Parsing Network", CVPR 2017, as used in SR by
EDSR-PP (Park et al., "Efficient Module Based Single Image Super Resolution for Multiple Problems", CVPRW 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d


class PyramidPooling(nn.Module):
    """PSPNet's pyramid pooling module (Zhao et al. 2017), without batch normalisation (as SR networks do).

    For every bin count ``b`` in ``bins``, the features are average-pooled to a ``b x b`` grid
    (``adaptive_avg_pool2d``, so any H and W work, even smaller than ``b``), reduced by a 1x1 convolution +
    activation to ``n_feats // len(bins)`` channels, and upsampled back to ``H x W`` (bilinear). The input and
    the pooled maps are concatenated and a 1x1 convolution fuses them back to ``n_feats``::

        y = fuse(cat(x, up(act(conv_1(pool_1(x)))), ..., up(act(conv_6(pool_6(x))))))

    Keys: ``stages.{i}.0`` (the per-bin 1x1 convolutions), ``fuse``.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, bins: tuple[int, ...] = (1, 2, 3, 6), act: str = "relu") -> None:
        super().__init__()
        if not bins or min(bins) < 1:
            raise SrkitError(f"PyramidPooling needs bin counts >= 1, got {tuple(bins)}")
        reduced = n_feats // len(bins)
        if reduced < 1:
            raise SrkitError(f"PyramidPooling needs n_feats >= len(bins), got {n_feats} and {len(bins)}")
        self.bins = tuple(int(b) for b in bins)
        self.stages = nn.ModuleList(
            nn.Sequential(conv2d(n_feats, reduced, 1), activation(act, channels=reduced)) for _ in self.bins
        )
        self.fuse = conv2d(n_feats + reduced * len(self.bins), n_feats, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        pooled = [
            F.interpolate(stage(F.adaptive_avg_pool2d(x, b)), size=size, mode="bilinear", align_corners=False)
            for b, stage in zip(self.bins, self.stages, strict=True)
        ]
        return self.fuse(torch.cat([x, *pooled], dim=1))


__all__ = ["PyramidPooling"]
