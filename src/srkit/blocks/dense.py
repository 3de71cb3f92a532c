"""Dense connections (survey section 3.3.4): every layer sees the concatenation of all earlier features.

Papers followed:

- Tong, Li, Liu, Gao, "Image Super-Resolution Using Dense Skip Connections" (SRDenseNet), ICCV 2017.
- Zhang, Tian, Kong, Zhong, Fu, "Residual Dense Network for Image Super-Resolution" (RDN), CVPR 2018.
- Wang, Yu, Wu, Gu, Liu, Dong, Qiao, Loy, "ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks",
  ECCV Workshops 2018: the residual-in-residual dense block (RRDB).

Submodule names follow the official releases (RDN's ``convs.{i}.conv.0`` and ``LFF``; ESRGAN/BasicSR's
``rdb1.conv1`` ... ``rdb3.conv5``), so that their checkpoints load by state-dict key.
"""

from __future__ import annotations

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d


def _check_layers(n_layers: int, growth: int) -> None:
    if n_layers < 1 or growth < 1:
        raise SrkitError(f"a dense block needs n_layers >= 1 and growth >= 1, got {n_layers} and {growth}")


class DenseBlock(nn.Module):
    """SRDenseNet's dense block, closed by a 1x1 bottleneck so that it is a body block.

    Layer ``i`` computes ``h_i = act(conv3x3(cat(x, h_1, ..., h_{i-1})))`` with ``growth`` output channels. In
    SRDenseNet the block's output is ``cat(h_1, ..., h_n)`` (``n_layers * growth`` channels, 8 x 16 = 128) and
    one bottleneck after all blocks reduces the channels; here each block ends with its own 1x1 bottleneck
    ``cat(h_1, ..., h_n) -> n_feats``, so that it keeps the body contract (channels in = channels out). The
    defaults (``n_feats=128, growth=16, n_layers=8``) are SRDenseNet's.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(
        self, *, n_feats: int = 128, growth: int = 16, n_layers: int = 8, kernel_size: int = 3, act: str = "relu"
    ) -> None:
        super().__init__()
        _check_layers(n_layers, growth)
        self.layers = nn.ModuleList(
            nn.Sequential(conv2d(n_feats + i * growth, growth, kernel_size), activation(act, channels=growth))
            for i in range(n_layers)
        )
        self.bottleneck = conv2d(n_layers * growth, n_feats, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return self.bottleneck(torch.cat(features[1:], dim=1))


class _DenseLayer(nn.Module):
    """One RDN layer: ``cat(x, act(conv(x)))`` (RDN's ``RDB_Conv``; ``conv.0`` is the convolution)."""

    def __init__(self, in_channels: int, growth: int, kernel_size: int, act: str) -> None:
        super().__init__()
        self.conv = nn.Sequential(conv2d(in_channels, growth, kernel_size), activation(act, channels=growth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.conv(x)], dim=1)


class RDB(nn.Module):
    """RDN's residual dense block: ``x + LFF(cat(x, h_1, ..., h_C))``.

    ``h_c = act(conv3x3(cat(x, h_1, ..., h_{c-1})))`` has ``growth`` (G) channels, ``C = n_layers``; the local
    feature fusion ``LFF`` is a 1x1 convolution ``n_feats + C * G -> n_feats`` (all convolutions with bias).
    RDN's defaults: ``n_feats=64`` (G0), ``growth=64``, ``n_layers=8``, 16 blocks.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(
        self, *, n_feats: int = 64, growth: int = 64, n_layers: int = 8, kernel_size: int = 3, act: str = "relu"
    ) -> None:
        super().__init__()
        _check_layers(n_layers, growth)
        self.convs = nn.Sequential(
            *(_DenseLayer(n_feats + i * growth, growth, kernel_size, act) for i in range(n_layers))
        )
        self.LFF = conv2d(n_feats + n_layers * growth, n_feats, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.LFF(self.convs(x))


class ResidualDenseBlock(nn.Module):
    """ESRGAN's five-convolution dense block: ``x + res_scale * conv5(cat(x, x1, ..., x4))`` with
    ``x_i = lrelu(conv_i(cat(x, x1, ..., x_{i-1})))`` (``growth`` channels each, LeakyReLU slope 0.2, 3x3
    convolutions with bias; ``conv5`` has no activation).

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, growth: int = 32, res_scale: float = 0.2) -> None:
        super().__init__()
        _check_layers(5, growth)
        self.conv1 = conv2d(n_feats, growth)
        self.conv2 = conv2d(n_feats + growth, growth)
        self.conv3 = conv2d(n_feats + 2 * growth, growth)
        self.conv4 = conv2d(n_feats + 3 * growth, growth)
        self.conv5 = conv2d(n_feats + 4 * growth, n_feats)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat([x, x1], dim=1)))
        x3 = self.lrelu(self.conv3(torch.cat([x, x1, x2], dim=1)))
        x4 = self.lrelu(self.conv4(torch.cat([x, x1, x2, x3], dim=1)))
        x5 = self.conv5(torch.cat([x, x1, x2, x3, x4], dim=1))
        return x + x5 * self.res_scale


class RRDB(nn.Module):
    """ESRGAN's residual-in-residual dense block: ``x + res_scale * rdb3(rdb2(rdb1(x)))``, each ``rdb`` a
    :class:`ResidualDenseBlock` with the same ``res_scale`` (0.2 in ESRGAN). Keys ``rdb1.conv1.weight`` ...
    ``rdb3.conv5.bias`` are BasicSR's.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, growth: int = 32, res_scale: float = 0.2) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(n_feats=n_feats, growth=growth, res_scale=res_scale)
        self.rdb2 = ResidualDenseBlock(n_feats=n_feats, growth=growth, res_scale=res_scale)
        self.rdb3 = ResidualDenseBlock(n_feats=n_feats, growth=growth, res_scale=res_scale)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.rdb3(self.rdb2(self.rdb1(x))) * self.res_scale
