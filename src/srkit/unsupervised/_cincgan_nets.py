"""The networks of CinCGAN that are parts of its training recipe: the LR-to-LR generators ``G1`` (noisy LR -> clean
LR) and ``G2`` (back), the down-scaling generator ``G3`` (HR -> noisy LR) and the patch discriminators ``D1``
(clean LR) and ``D2`` (HR). The SR network is any zoo model (the recipe's ``model``).

Paper: Yuan Yuan, Siyuan Liu, Jiawei Zhang, Yongbing Zhang, Chao Dong, Liang Lin, "Unsupervised Image
Super-Resolution using Cycle-in-Cycle Generative Adversarial Networks", CVPR Workshops 2018,
https://arxiv.org/abs/1809.00437 (Figure 3: the generators' and discriminators' layers).

They are not in :mod:`srkit.archs`: none maps an LR image to an HR one (the zoo's image contract), and ``G1`` is
used outside training only in front of the SR network (:func:`srkit.unsupervised.cincgan.load_cincgan`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams

__all__ = ["CinCGANDiscriminator", "CinCGANGenerator", "CinCGANGenerators"]


def _lrelu() -> nn.Module:
    return nn.LeakyReLU(0.2, inplace=True)


class _ResBlock(nn.Module):
    """``x + BN(conv(LReLU(BN(conv(x)))))``, 3x3 convolutions of ``n_feats`` channels."""

    def __init__(self, n_feats: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
            nn.BatchNorm2d(n_feats),
            _lrelu(),
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
            nn.BatchNorm2d(n_feats),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class CinCGANGenerator(nn.Module):
    """CinCGAN's generator (``G1``, ``G2``; ``G3`` with ``down > 1``)::

        f = LReLU(conv7x7(x)); f = LReLU(conv3x3(f)); f = LReLU(conv3x3(f))     # 3 -> n_feats
        f = n_blocks residual blocks (x + BN(conv(LReLU(BN(conv(x))))))
        y = conv7x7(LReLU(conv3x3(LReLU(conv3x3(f)))))                         # n_feats -> 3

    With ``down`` = 2 or 4 (``G3``, HR -> LR) the head's second and third convolutions become 4x4 stride-2
    convolutions (one of them at x2), so the output is ``down`` times smaller.

    Args:
        down: 1 (same size: ``G1``, ``G2``), 2 or 4 (``G3``).
        n_feats: feature channels (64).
        n_blocks: residual blocks (6).
        residual: srkit's departure, off by default: ``y`` is added to the input (average-pooled by ``down``), and
            the last convolution starts at zero, so the untrained generator is the identity (the pooling). Trained
            for minutes, the paper's generators gave G1 a colour cast (the green channel +0.1 on every test image
            after 800 + 600 steps); with the residual, G1 starts from the image and learns the cleaning on top.

    Shape:
        ``(B, 3, H, W) -> (B, 3, H / down, W / down)``; ``H`` and ``W`` multiples of ``down``.

    Example:
        >>> CinCGANGenerator(down=4, n_feats=8, n_blocks=1)(torch.rand(1, 3, 16, 16)).shape
        torch.Size([1, 3, 4, 4])
    """

    @store_hparams
    def __init__(self, *, down: int = 1, n_feats: int = 64, n_blocks: int = 6, residual: bool = False) -> None:
        super().__init__()
        if down not in (1, 2, 4):
            raise SrkitError(f"CinCGANGenerator: down must be 1, 2 or 4, got {down!r}")
        strides = {1: (1, 1), 2: (2, 1), 4: (2, 2)}[down]
        head: list[nn.Module] = [nn.Conv2d(3, n_feats, 7, padding=3), _lrelu()]
        for stride in strides:
            conv = nn.Conv2d(n_feats, n_feats, 4, stride=2, padding=1) if stride == 2 else None
            head += [conv or nn.Conv2d(n_feats, n_feats, 3, padding=1), _lrelu()]
        self.head = nn.Sequential(*head)
        self.body = nn.Sequential(*(_ResBlock(n_feats) for _ in range(n_blocks)))
        last = nn.Conv2d(n_feats, 3, 7, padding=3)
        if residual:
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)  # type: ignore[arg-type]  # built with bias=True
        self.tail = nn.Sequential(
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
            _lrelu(),
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
            _lrelu(),
            last,
        )
        self.down, self.residual = down, residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 3 or x.shape[-2] % self.down or x.shape[-1] % self.down:
            raise SrkitError(
                f"CinCGANGenerator takes (B, 3, H, W) with H, W multiples of {self.down}, got {tuple(x.shape)}"
            )
        y = self.tail(self.body(self.head(x)))
        if not self.residual:
            return y
        return y + (F.avg_pool2d(x, self.down) if self.down > 1 else x)


class CinCGANDiscriminator(nn.Module):
    """CinCGAN's patch discriminator (``D1`` on LR, ``D2`` on HR)::

        LReLU(conv4x4(3 -> 64)), [conv4x4, BN, LReLU] x 3 (128, 256, 512), conv4x4(512 -> 1)    # one logit per patch

    The first ``n_strided`` convolutions have stride 2, the others stride 1 (``D2``: 3, the 70 x 70 PatchGAN
    layout; ``D1``: 0, as its LR input is small). Padding 1 throughout.

    Args:
        n_feats: the first convolution's channels (64; doubled up to 8x).
        n_strided: how many of the first four convolutions have stride 2.

    Shape:
        ``(B, 3, H, W) -> (B, 1, h, w)``.

    Example:
        >>> CinCGANDiscriminator(n_feats=4, n_strided=0)(torch.rand(1, 3, 16, 16)).shape
        torch.Size([1, 1, 11, 11])
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, n_strided: int = 3) -> None:
        super().__init__()
        if not 0 <= n_strided <= 4:
            raise SrkitError(f"CinCGANDiscriminator: n_strided must be in [0, 4], got {n_strided!r}")
        layers: list[nn.Module] = []
        channels = 3
        for i in range(4):
            out = n_feats * 2**i
            layers.append(nn.Conv2d(channels, out, 4, stride=2 if i < n_strided else 1, padding=1, bias=i == 0))
            layers += [_lrelu()] if i == 0 else [nn.BatchNorm2d(out), _lrelu()]
            channels = out
        layers.append(nn.Conv2d(channels, 1, 4, padding=1))
        self.features = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class CinCGANGenerators(nn.Module):
    """``G1``, ``G2`` and ``G3`` as one player with one optimiser (CycleGAN's joint generator update);
    ``forward(name, x)`` runs one of them, so the loop can wrap the player like any network.

    Args:
        scale: ``G3``'s downscaling factor (2 or 4).
        n_feats, n_blocks: the generators' width and depth (64, 6).
        residual: residual generators (see :class:`CinCGANGenerator`).
    """

    @store_hparams
    def __init__(self, *, scale: int = 4, n_feats: int = 64, n_blocks: int = 6, residual: bool = False) -> None:
        super().__init__()
        self.g1 = CinCGANGenerator(n_feats=n_feats, n_blocks=n_blocks, residual=residual)
        self.g2 = CinCGANGenerator(n_feats=n_feats, n_blocks=n_blocks, residual=residual)
        self.g3 = CinCGANGenerator(down=scale, n_feats=n_feats, n_blocks=n_blocks, residual=residual)

    def forward(self, name: str, x: torch.Tensor) -> torch.Tensor:
        net: nn.Module = getattr(self, name)
        out: torch.Tensor = net(x)
        return out
