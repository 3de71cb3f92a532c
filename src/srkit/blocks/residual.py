"""Residual learning (survey section 3.3.1): local residual blocks and the global input skip."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d


class ResBlock(nn.Module):
    """Local residual block ``x + res_scale * conv(act(conv(x)))``.

    ``bn=True`` gives SRResNet's block (conv-BN-PReLU-conv-BN); ``bn=False`` with ``res_scale`` gives EDSR's
    (Lim et al. 2017: BN removed, residual scaling 0.1 for the wide model).
    """

    @store_hparams
    def __init__(
        self, *, n_feats: int = 64, kernel_size: int = 3, bn: bool = False, act: str = "relu", res_scale: float = 1.0
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv2d(n_feats, n_feats, kernel_size, bias=not bn)]
        if bn:
            layers.append(nn.BatchNorm2d(n_feats))
        layers.append(activation(act, channels=n_feats))
        layers.append(conv2d(n_feats, n_feats, kernel_size, bias=not bn))
        if bn:
            layers.append(nn.BatchNorm2d(n_feats))
        self.body = nn.Sequential(*layers)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale


INPUT_SKIPS = ("none", "identity", "interpolate")


class GlobalResidual(nn.Module):
    """Global residual learning: ``output = inner(x) + skip(x)``.

    ``skip="identity"`` adds the input itself (the inner module keeps the size: VDSR on a pre-upsampled input,
    or EDSR's feature-level skip); ``skip="interpolate"`` adds the input interpolated by ``scale`` (the inner
    module upsamples: a post-upsampling network learning only the residual over bicubic).
    """

    def __init__(self, *, inner: nn.Module, skip: str = "identity", scale: int = 1, mode: str = "bicubic") -> None:
        super().__init__()
        if skip not in ("identity", "interpolate"):
            raise SrkitError(f"unknown global skip {skip!r}; choose 'identity' or 'interpolate'")
        self.inner, self.skip, self.scale, self.mode = inner, skip, scale, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.inner(x)
        if self.skip == "identity":
            return y + x
        align = None if self.mode == "nearest" else False
        return y + F.interpolate(x, size=y.shape[-2:], mode=self.mode, align_corners=align)
