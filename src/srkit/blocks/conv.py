"""Advanced convolution (survey section 3.3.7): dilated, group and cascading convolutions, and information
distillation.

- :class:`DilatedConvBlock`: stacked dilated convolutions, as in IRCNN. Zhang et al., "Learning Deep CNN Denoiser
  Prior for Image Restoration", CVPR 2017.
- :class:`EResidualBlock`, :class:`ResidualBlock`, :class:`CascadingBlock`: CARN and CARN-M. Ahn et al., "Fast,
  Accurate, and Lightweight Super-Resolution with Cascading Residual Network", ECCV 2018.
- :class:`IMDB` with :class:`CCALayer`: IMDN. Hui et al., "Lightweight Image Super-Resolution with Information
  Multi-distillation Network", ACM Multimedia 2019.

Parameter names follow the official CARN and IMDN code, so their checkpoints load by prefix.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d


class DilatedConvBlock(nn.Module):
    """Dilated convolutions with growing then shrinking rates, plus ``x`` (IRCNN, Zhang et al. 2017).

    ``y = x + conv_{d_n}(act(... act(conv_{d_1}(x))))``: one 3x3 convolution per rate in ``dilations``, the
    activation between them (not after the last, so the residual can be negative). Dilation enlarges the
    receptive field at no extra cost: rates (1, 2, 4, 2, 1) see a 21x21 window with five 3x3 layers, where plain
    convolutions would see 11x11.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        dilations: tuple[int, ...] = (1, 2, 4, 2, 1),
        kernel_size: int = 3,
        act: str = "relu",
    ) -> None:
        super().__init__()
        if not dilations or min(dilations) < 1:
            raise SrkitError(f"DilatedConvBlock needs dilation rates >= 1, got {tuple(dilations)}")
        layers: list[nn.Module] = []
        for i, d in enumerate(dilations):
            if i:
                layers.append(activation(act, channels=n_feats))
            layers.append(conv2d(n_feats, n_feats, kernel_size, dilation=d))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResidualBlock(nn.Module):
    """CARN's residual block: ``relu(x + conv3x3(relu(conv3x3(x))))`` (note the activation after the sum).

    Keys as CARN's ``ops.ResidualBlock``: ``body.0``, ``body.2``.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, act: str = "relu") -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv2d(n_feats, n_feats, 3), activation(act, channels=n_feats), conv2d(n_feats, n_feats, 3)
        )
        self.act = activation(act, channels=n_feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + x)


class EResidualBlock(nn.Module):
    """CARN-M's efficient residual block: group convolutions and a 1x1 convolution.

    ``y = relu(x + conv1x1(relu(gconv3x3(relu(gconv3x3(x))))))`` with ``groups`` groups in both 3x3 layers
    (CARN-M: 4), which divides their parameters and operations by ``groups``; the 1x1 convolution mixes the groups.
    Keys as CARN's ``ops.EResidualBlock``: ``body.0``, ``body.2`` (group convs), ``body.4`` (1x1).

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, groups: int = 4, act: str = "relu") -> None:
        super().__init__()
        if groups < 1 or n_feats % groups:
            raise SrkitError(f"EResidualBlock needs n_feats divisible by groups, got {n_feats} and {groups}")
        self.body = nn.Sequential(
            conv2d(n_feats, n_feats, 3, groups=groups),
            activation(act, channels=n_feats),
            conv2d(n_feats, n_feats, 3, groups=groups),
            activation(act, channels=n_feats),
            conv2d(n_feats, n_feats, 1),
        )
        self.act = activation(act, channels=n_feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.body(x) + x)


class _Fusion(nn.Module):
    """CARN's ``BasicBlock`` used as a cascading fusion: ``act(conv1x1(x))`` (keys ``body.0``)."""

    def __init__(self, in_channels: int, out_channels: int, act: str) -> None:
        super().__init__()
        self.body = nn.Sequential(conv2d(in_channels, out_channels, 1), activation(act, channels=out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class CascadingBlock(nn.Module):
    """CARN's cascading block (Ahn et al. 2018): residual units whose outputs are concatenated with everything
    before them and fused by 1x1 convolutions (cascading connections)::

        c_0 = o_0 = x
        b_i = unit_i(o_{i-1});   c_i = cat(c_{i-1}, b_i);   o_i = relu(conv1x1_i(c_i))    # (i+1) n_feats -> n_feats

    and the block returns ``o_{n_blocks}``. CARN (``efficient=False, shared=False``) has ``n_blocks`` distinct
    :class:`ResidualBlock` units ``b1, b2, b3``; CARN-M (``efficient=True, shared=True, groups=4``) applies one
    :class:`EResidualBlock` ``b1`` ``n_blocks`` times (recursive, shared weights), which cuts the parameters.
    Fusions are ``c1 .. c{n_blocks}`` with keys ``c{i}.body.0``; keys match the official ``Block`` of both
    models.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        n_blocks: int = 3,
        efficient: bool = True,
        shared: bool = True,
        groups: int = 4,
        act: str = "relu",
    ) -> None:
        super().__init__()
        if n_blocks < 1:
            raise SrkitError(f"CascadingBlock needs n_blocks >= 1, got {n_blocks}")
        self.n_blocks, self.shared = n_blocks, shared
        for i in range(1 if shared else n_blocks):
            unit: nn.Module = (
                EResidualBlock(n_feats=n_feats, groups=groups, act=act)
                if efficient
                else ResidualBlock(n_feats=n_feats, act=act)
            )
            self.add_module(f"b{i + 1}", unit)
        for i in range(n_blocks):
            self.add_module(f"c{i + 1}", _Fusion((i + 2) * n_feats, n_feats, act))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cascade, out = x, x
        for i in range(1, self.n_blocks + 1):
            unit = getattr(self, "b1" if self.shared else f"b{i}")
            cascade = torch.cat([cascade, unit(out)], dim=1)
            out = getattr(self, f"c{i}")(cascade)
        return out


def channel_contrast(x: torch.Tensor) -> torch.Tensor:
    """Per-channel contrast ``std + mean`` over the spatial positions (IMDN's contrast-aware statistic).

    The standard deviation is the population one (divided by ``H W``), as in IMDN; the variance is clamped at
    ``1e-12`` before the square root, so a constant channel gets a finite gradient.

    Shape:
        ``(B, C, H, W) -> (B, C, 1, 1)``
    """
    var, mean = torch.var_mean(x, dim=(2, 3), correction=0, keepdim=True)
    return var.clamp_min(1e-12).sqrt() + mean


class CCALayer(nn.Module):
    """IMDN's contrast-aware channel attention: ``x * sigmoid(conv1x1(relu(conv1x1(std(x) + mean(x)))))``,
    squeezing ``n_feats`` to ``n_feats // reduction`` channels in between. Keys as IMDN: ``conv_du.0``,
    ``conv_du.2``.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, reduction: int = 16) -> None:
        super().__init__()
        hidden = n_feats // reduction
        if hidden < 1:
            raise SrkitError(f"CCALayer needs n_feats >= reduction, got {n_feats} and {reduction}")
        self.conv_du = nn.Sequential(
            conv2d(n_feats, hidden, 1), nn.ReLU(inplace=True), conv2d(hidden, n_feats, 1), nn.Sigmoid()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.conv_du(channel_contrast(x))


class IMDB(nn.Module):
    """IMDN's information multi-distillation block (Hui et al. 2019).

    Each 3x3 convolution's output is split: ``d = n_feats * distillation_rate`` channels are kept (distilled) and
    the other ``n_feats - d`` go on to the next convolution; the fourth convolution gives the last ``d``::

        d1, r1 = split(act(c1(x)))          # c1: n_feats -> n_feats
        d2, r2 = split(act(c2(r1)))         # c2: n_feats - d -> n_feats
        d3, r3 = split(act(c3(r2)))         # c3: n_feats - d -> n_feats
        d4 = c4(r3)                         # c4: n_feats - d -> d
        y = c5(cca(cat(d1, d2, d3, d4))) + x    # c5: 1x1, 4 d -> n_feats

    with LeakyReLU(0.05) as ``act`` and :class:`CCALayer` as ``cca``. Keys as the official ``IMDModule``.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        distillation_rate: float = 0.25,
        reduction: int = 16,
        negative_slope: float = 0.05,
    ) -> None:
        super().__init__()
        self.distilled = int(n_feats * distillation_rate)
        self.remaining = n_feats - self.distilled
        if not 0 < self.distilled < n_feats:
            raise SrkitError(
                f"IMDB needs 0 < n_feats * distillation_rate < n_feats, got {n_feats} * {distillation_rate}"
            )
        self.c1 = conv2d(n_feats, n_feats, 3)
        self.c2 = conv2d(self.remaining, n_feats, 3)
        self.c3 = conv2d(self.remaining, n_feats, 3)
        self.c4 = conv2d(self.remaining, self.distilled, 3)
        self.c5 = conv2d(4 * self.distilled, n_feats, 1)
        self.cca = CCALayer(n_feats=4 * self.distilled, reduction=reduction)
        self.negative_slope = negative_slope

    def _step(self, conv: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = F.leaky_relu(conv(x), self.negative_slope)
        distilled, remaining = torch.split(out, [self.distilled, self.remaining], dim=1)
        return distilled, remaining

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d1, r = self._step(self.c1, x)
        d2, r = self._step(self.c2, r)
        d3, r = self._step(self.c3, r)
        d4 = self.c4(r)
        return self.c5(self.cca(torch.cat([d1, d2, d3, d4], dim=1))) + x


__all__ = [
    "IMDB",
    "CCALayer",
    "CascadingBlock",
    "DilatedConvBlock",
    "EResidualBlock",
    "ResidualBlock",
    "channel_contrast",
]
