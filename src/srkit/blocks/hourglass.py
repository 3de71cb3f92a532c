"""The stacked-hourglass module (Newell, Yang, Deng, "Stacked Hourglass Networks for Human Pose Estimation", ECCV
2016), as FSRNet's prior estimation network uses it for facial landmark heatmaps and parsing maps: residual blocks
at each resolution, max-pool down to ``depth`` levels, nearest upsampling back, a residual skip at every level."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.residual import ResBlock


class Hourglass(nn.Module):
    """One hourglass: ``skip = block(x)``; ``low = block(maxpool(x))``, recursively ``depth - 1`` more levels;
    ``out = skip + upsample(block(low))``. Input height and width must be multiples of ``2 ** depth``.

    Args:
        n_feats: channels, kept throughout.
        depth: number of halvings (FSRNet: 4 on 64x64 features; 3 keeps 8x8 at the bottom of 64x64).
        act: activation of the residual blocks.

    Example:
        >>> Hourglass(n_feats=8, depth=2)(torch.rand(1, 8, 16, 16)).shape
        torch.Size([1, 8, 16, 16])
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, depth: int = 4, act: str = "relu") -> None:
        super().__init__()
        if depth < 1:
            raise SrkitError(f"an hourglass needs depth >= 1, got {depth}")
        self.depth = depth
        self.skip = ResBlock(n_feats=n_feats, act=act)
        self.down = ResBlock(n_feats=n_feats, act=act)
        self.inner: nn.Module = (
            Hourglass(n_feats=n_feats, depth=depth - 1, act=act) if depth > 1 else ResBlock(n_feats=n_feats, act=act)
        )
        self.up = ResBlock(n_feats=n_feats, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.up(self.inner(self.down(F.max_pool2d(x, 2))))
        return self.skip(x) + F.interpolate(low, scale_factor=2, mode="nearest")
