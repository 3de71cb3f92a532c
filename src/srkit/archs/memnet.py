"""MemNet: Y. Tai, J. Yang, X. Liu, C. Xu, "MemNet: A Persistent Memory Network for Image Restoration", ICCV 2017.
https://arxiv.org/abs/1708.02209

Pre-upsampling on the Y channel. A feature extraction net (FENet, one convolution) gives ``B_0``; ``M`` memory
blocks follow, each made of

- a recursive unit: one residual building block (two pre-activated 3x3 convolutions) applied ``R`` times with
  shared weights, whose ``R`` outputs are the block's short-term memory;
- a gate unit: a pre-activated 1x1 convolution over the concatenation of the long-term memory (``B_0`` and the
  earlier blocks' outputs ``B_1 ... B_{m-1}``) and the short-term memory, ``(R + m) * 64 -> 64`` channels,

``B_m = gate([B_0, ..., B_{m-1}, s_1, ..., s_R])``. A reconstruction net (ReconNet, one pre-activated
convolution) shared by all blocks maps every ``B_m`` to an image, plus the interpolated input (multi-supervision);
the output is their learned weighted average. ``forward_all`` returns ``[y_1, ..., y_M, y]``.

Pre-activation is BatchNorm-ReLU-conv, as in the paper and the official Caffe files (each recursion has its own
BatchNorm there, while the convolutions are shared; srkit does the same). ``bn=False`` drops BatchNorm.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.checks import check_positive_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import check_interpolation, conv2d, interpolate

PAPER = "Tai, Yang, Liu, Xu, MemNet: A Persistent Memory Network for Image Restoration, ICCV 2017"


def _norm(channels: int, bn: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if bn else nn.Identity()


def _pre_activated(in_channels: int, out_channels: int, kernel_size: int, bn: bool) -> nn.Sequential:
    """BN-ReLU-conv; the ReLU is not in place (its input is read again by skip connections)."""
    return nn.Sequential(_norm(in_channels, bn), nn.ReLU(), conv2d(in_channels, out_channels, kernel_size))


class MemoryBlock(nn.Module):
    """One MemNet memory block (the ``m``-th, fed ``m`` long-term memories).

    ``s_0 = x``, ``s_r = s_{r-1} + conv2(relu(bn2_r(conv1(relu(bn1_r(s_{r-1}))))))`` for ``r = 1 ... R`` (the
    two convolutions shared by every recursion), then ``gate(relu(bn([memories, s_1, ..., s_R])))``.

    Shape:
        ``x (B, n_feats, H, W)``, ``memories``: ``n_memories`` tensors ``(B, n_feats, H, W)``
        ``-> (B, n_feats, H, W)``.
    """

    def __init__(self, *, n_feats: int = 64, n_recursions: int = 6, n_memories: int = 1, bn: bool = True) -> None:
        super().__init__()
        self.conv1 = conv2d(n_feats, n_feats)
        self.conv2 = conv2d(n_feats, n_feats)
        self.bn1 = nn.ModuleList(_norm(n_feats, bn) for _ in range(n_recursions))
        self.bn2 = nn.ModuleList(_norm(n_feats, bn) for _ in range(n_recursions))
        self.gate = _pre_activated((n_recursions + n_memories) * n_feats, n_feats, 1, bn)

    def forward(self, x: torch.Tensor, memories: list[torch.Tensor]) -> torch.Tensor:
        short: list[torch.Tensor] = []
        h = x
        for bn1, bn2 in zip(self.bn1, self.bn2, strict=True):
            h = h + self.conv2(torch.relu(bn2(self.conv1(torch.relu(bn1(h))))))
            short.append(h)
        return self.gate(torch.cat([*memories, *short], dim=1))


class MemNet(nn.Module):
    """MemNet (Tai et al. 2017) for super-resolution: FENet, ``M`` memory blocks of ``R`` recursions, a shared
    ReconNet with multi-supervision, and a learned average of the ``M`` reconstructions.

    Args:
        scale: upscaling factor of the interpolation (``forward(x, scale=...)`` runs another one).
        in_channels: image channels, in and out (1: the paper works on Y).
        n_feats: filters per layer (64).
        n_blocks: ``M``, memory blocks (6).
        n_recursions: ``R``, recursions of each block's residual unit (6).
        bn: BatchNorm before every ReLU (the paper's pre-activation).
        interpolation: ``"matlab"`` (MATLAB-exact bicubic, as trained) or a torch mode (``"bicubic"``...).

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, scale*H, scale*W)``; ``forward_all`` gives ``M + 1`` such.

    Example:
        >>> m = MemNet(scale=2, n_feats=8, n_blocks=2, n_recursions=2)
        >>> len(m.forward_all(torch.rand(1, 1, 8, 8)))
        3
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 1,
        n_feats: int = 64,
        n_blocks: int = 6,
        n_recursions: int = 6,
        bn: bool = True,
        interpolation: str = "matlab",
    ) -> None:
        super().__init__()
        if n_blocks < 1 or n_recursions < 1:
            raise SrkitError(f"MemNet needs n_blocks, n_recursions >= 1, got {n_blocks}, {n_recursions}")
        check_positive_scale(scale)
        self.scale = scale
        self.interpolation = check_interpolation(interpolation)
        self.fenet = _pre_activated(in_channels, n_feats, 3, bn)
        self.blocks = nn.ModuleList(
            MemoryBlock(n_feats=n_feats, n_recursions=n_recursions, n_memories=m, bn=bn) for m in range(1, n_blocks + 1)
        )
        self.reconstruct = _pre_activated(n_feats, in_channels, 3, bn)
        self.ensemble = nn.Parameter(torch.full((n_blocks,), 1.0 / n_blocks))

    def forward_all(self, x: torch.Tensor, scale: float | None = None) -> list[torch.Tensor]:
        """``[y_1, ..., y_M, y]``: every memory block's reconstruction, then their learned weighted average."""
        up = interpolate(x, self.scale if scale is None else scale, self.interpolation)
        memories = [self.fenet(up)]
        for block in self.blocks:
            memories.append(block(memories[-1], memories))
        outs = [self.reconstruct(b) + up for b in memories[1:]]
        weights = self.ensemble.to(up.dtype).view(-1, 1, 1, 1, 1)
        return [*outs, (weights * torch.stack(outs)).sum(0)]

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        return self.forward_all(x, scale)[-1]


def memnet(*, scale: int = 2, **overrides: Any) -> MemNet:
    """MemNet M6R6 (80 layers), the paper's super-resolution model: 6 memory blocks of 6 recursions, 64 filters."""
    return MemNet(scale=scale, **{"n_feats": 64, "n_blocks": 6, "n_recursions": 6, **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        memnet,
        ModelCard(
            name="memnet",
            arch="MemNet",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            multi_scale=True,
            forward_all="hr",
            in_channels=1,
            out_channels=1,
            params={2: 694_857, 3: 694_857, 4: 694_857},
            receptive_field=39,  # 1 + 6*6*2 + 1 = 74 3x3 layers: HR radius 74 -> 37 LR pixels at x2, + 2 bicubic
            published=(
                Published(dataset="Set5", scale=2, psnr=37.78, ssim=0.9597, source="[RCAN]"),
                Published(dataset="Set14", scale=2, psnr=33.28, ssim=0.9142, source="[RCAN]"),
                Published(dataset="Set5", scale=3, psnr=34.09, ssim=0.9248, source="[RCAN]"),
                Published(dataset="Set14", scale=3, psnr=30.00, ssim=0.8350, source="[RCAN]"),
                Published(dataset="Set5", scale=4, psnr=31.74, ssim=0.8893, source="[RCAN]"),
                Published(dataset="Set14", scale=4, psnr=28.26, ssim=0.7723, source="[RCAN]"),
            ),
            notes=(
                "Y-channel model: 1 input channel. The paper's 677K counts convolution weights only: 676,992, "
                "which srkit matches exactly (tests/archs/test_memnet.py). srkit's 694,857 adds 1,217 biases, "
                "the 6 ensemble weights and 16,642 BatchNorm scales and shifts (bn=True: per-recursion "
                "BatchNorm as in the official Caffe files); that is 2.6% above 677K, so published_params is "
                "left out. bn=False gives 678,215 (0.2% above). forward_all returns the 6 memory blocks' "
                "reconstructions then their weighted average. MATLAB-exact bicubic inside "
                "(interpolation='matlab'); forward(x, scale=...) runs any scale."
            ),
        ),
    ),
]
