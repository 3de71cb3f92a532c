"""Attention mechanisms (survey section 3.3.3, channel attention), plus pixel attention.

Papers followed:

- Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018: the squeeze-and-excitation gate.
- Zhang, Li, Li, Wang, Zhong, Fu, "Image Super-Resolution Using Very Deep Residual Channel Attention Networks"
  (RCAN), ECCV 2018: channel attention inside residual blocks (RCAB) stacked in residual groups.
- Zhao, Kong, He, Qiao, Dong, "Efficient Image Super-Resolution Using Pixel Attention" (PAN), ECCV Workshops
  2020: pixel attention (a per-pixel, per-channel gate) and the self-calibrated SCPA block.

Submodule names follow the official releases (RCAN's ``conv_du``, PAN's ``conv1_a`` ... ``PAConv.k4``), so that
their checkpoints load by state-dict key.
"""

from __future__ import annotations

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d


def _reduced(n_feats: int, reduction: int) -> int:
    if reduction < 1 or n_feats // reduction < 1:
        raise SrkitError(f"reduction must be between 1 and n_feats={n_feats}, got {reduction}")
    return n_feats // reduction


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention, as used by RCAN (RCAN's ``CALayer``).

    ``y = x * sigmoid(W2 relu(W1 avgpool(x)))`` where ``W1`` (1x1, ``n_feats -> n_feats // reduction``) and
    ``W2`` (1x1, back to ``n_feats``) have biases; the gate is one number in (0, 1) per sample and channel.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``; :meth:`gate` gives ``(B, n_feats, 1, 1)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, reduction: int = 16) -> None:
        super().__init__()
        hidden = _reduced(n_feats, reduction)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_du = nn.Sequential(
            conv2d(n_feats, hidden, 1),
            nn.ReLU(inplace=True),
            conv2d(hidden, n_feats, 1),
            nn.Sigmoid(),
        )

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """The per-channel weights ``sigmoid(W2 relu(W1 avgpool(x)))``, shape ``(B, n_feats, 1, 1)``."""
        return self.conv_du(self.avg_pool(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class RCAB(nn.Module):
    """Residual channel attention block (RCAN): ``x + res_scale * CA(conv(act(conv(x))))``.

    RCAN uses 3x3 convolutions with biases, ReLU, ``reduction=16`` and ``res_scale=1``. Keys match RCAN's
    release: ``body.0`` conv, ``body.2`` conv, ``body.3`` the channel attention.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(
        self, *, n_feats: int = 64, kernel_size: int = 3, reduction: int = 16, act: str = "relu", res_scale: float = 1.0
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv2d(n_feats, n_feats, kernel_size),
            activation(act, channels=n_feats),
            conv2d(n_feats, n_feats, kernel_size),
            ChannelAttention(n_feats=n_feats, reduction=reduction),
        )
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale


class ResidualGroup(nn.Module):
    """RCAN's residual group: ``x + conv(RCAB_n(... RCAB_1(x)))`` (short skip connection).

    RCAN stacks 10 groups of ``n_blocks=20`` RCABs with ``reduction=16``. Keys: ``body.0`` ... ``body.{n-1}``
    are the RCABs, ``body.{n}`` the closing convolution (as in RCAN's release).

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(
        self,
        *,
        n_feats: int = 64,
        n_blocks: int = 20,
        kernel_size: int = 3,
        reduction: int = 16,
        act: str = "relu",
        res_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if n_blocks < 1:
            raise SrkitError(f"a residual group needs n_blocks >= 1, got {n_blocks}")
        blocks: list[nn.Module] = [
            RCAB(n_feats=n_feats, kernel_size=kernel_size, reduction=reduction, act=act, res_scale=res_scale)
            for _ in range(n_blocks)
        ]
        blocks.append(conv2d(n_feats, n_feats, kernel_size))
        self.body = nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class PixelAttention(nn.Module):
    """PAN's pixel attention: ``x * sigmoid(conv1x1(x))``, a gate in (0, 1) per pixel *and* channel.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 40) -> None:
        super().__init__()
        self.conv = conv2d(n_feats, n_feats, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.conv(x))


class PAConv(nn.Module):
    """PAN's pixel-attention convolution: ``k4(k3(x) * sigmoid(k2(x)))``; ``k2`` is 1x1 with bias, ``k3`` and
    ``k4`` are ``kernel_size`` convolutions without bias. Used inside :class:`SCPA`.

    Shape:
        ``(B, channels, H, W) -> (B, channels, H, W)``.
    """

    def __init__(self, *, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.k2 = conv2d(channels, channels, 1)
        self.k3 = conv2d(channels, channels, kernel_size, bias=False)
        self.k4 = conv2d(channels, channels, kernel_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.k4(self.k3(x) * torch.sigmoid(self.k2(x)))


class SCPA(nn.Module):
    """PAN's self-calibrated convolution with pixel attention (SCPA)::

        a = lrelu(k1(lrelu(conv1_a(x))))          # plain branch
        b = lrelu(PAConv(lrelu(conv1_b(x))))      # pixel-attention branch
        y = x + conv3(cat(a, b))

    ``conv1_a``/``conv1_b`` are 1x1 reductions to ``n_feats // reduction`` channels, ``k1`` a 3x3 convolution,
    ``conv3`` a 1x1 from the two concatenated branches back to ``n_feats``; none has a bias except PAConv's
    ``k2``; LeakyReLU slope 0.2. The state-dict keys are the official ones (``conv1_a.weight``,
    ``k1.0.weight``, ``PAConv.k2.bias``, ...).

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 40, reduction: int = 2, kernel_size: int = 3) -> None:
        super().__init__()
        width = _reduced(n_feats, reduction)
        self.conv1_a = conv2d(n_feats, width, 1, bias=False)
        self.conv1_b = conv2d(n_feats, width, 1, bias=False)
        self.k1 = nn.Sequential(conv2d(width, width, kernel_size, bias=False))
        self.PAConv = PAConv(channels=width, kernel_size=kernel_size)
        self.conv3 = conv2d(2 * width, n_feats, 1, bias=False)  # the two branches, concatenated
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.lrelu(self.k1(self.lrelu(self.conv1_a(x))))
        b = self.lrelu(self.PAConv(self.lrelu(self.conv1_b(x))))
        return x + self.conv3(torch.cat([a, b], dim=1))
