"""Recursive learning (survey section 3.3.2): one module applied again and again with shared weights, so depth
grows without adding parameters.

Papers followed:

- Kim, Lee, Lee, "Deeply-Recursive Convolutional Network for Image Super-Resolution" (DRCN), CVPR 2016: one
  conv-ReLU layer applied up to 16 times; every recursion's output is reconstructed and supervised.
- Tai, Yang, Liu, "Image Super-Resolution via Deep Recursive Residual Network" (DRRN), CVPR 2017: a recursive
  block of residual units that share their weights, each adding to the block's entry features.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks._build import build_block
from srkit.blocks.common import activation, conv2d


class ConvAct(nn.Module):
    """A convolution then an activation, ``act(conv(x))``: DRCN's recursive layer (3x3, 256 channels, ReLU).

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 256, kernel_size: int = 3, act: str = "relu") -> None:
        super().__init__()
        self.conv = conv2d(n_feats, n_feats, kernel_size)
        self.act = activation(act, channels=n_feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv(x))


class Recursive(nn.Module):
    """DRCN's recursion: one block, built once from ``unit`` (a spec such as ``{"block": "resblock"}``; ``None``
    is DRCN's :class:`ConvAct`), applied ``n_recursions`` times with the same weights::

        h_0 = x,  h_d = unit(h_{d-1})  for d = 1 ... n_recursions

    ``return_all=False`` returns ``h_D``; ``return_all=True`` returns ``[h_1, ..., h_D]``, the recursion outputs
    that DRCN reconstructs and supervises one by one (then averages with learned weights). The number of
    parameters does not depend on ``n_recursions``. DRCN's defaults: ``n_feats=256``, ``n_recursions=16``.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``, or a list of ``n_recursions`` such tensors.
    """

    @store_hparams
    def __init__(
        self,
        *,
        unit: dict[str, Any] | None = None,
        n_feats: int = 256,
        n_recursions: int = 16,
        return_all: bool = False,
    ) -> None:
        super().__init__()
        if n_recursions < 1:
            raise SrkitError(f"a recursive block needs n_recursions >= 1, got {n_recursions}")
        self.block = ConvAct(n_feats=n_feats) if unit is None else build_block(unit, n_feats=n_feats)
        self.n_recursions = n_recursions
        self.return_all = return_all

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        outputs: list[torch.Tensor] = []
        h = x
        for _ in range(self.n_recursions):
            h = self.block(h)
            outputs.append(h)
        return outputs if self.return_all else h


class RecursiveResidual(nn.Module):
    """DRRN's recursive block: an entry convolution, then ``n_units`` residual units that share one pair of
    convolutions, each adding its output to the entry features (multi-path local residual learning)::

        e = conv_in(pre(x)),  h_0 = e,  h_u = e + conv2(pre2(conv1(pre1(h_{u-1}))))  for u = 1 ... U

    where ``pre`` is ReLU (``bn=False``) or BatchNorm-ReLU (``bn=True``, DRRN's pre-activation as trained;
    the BatchNorm layers are shared across units like the convolutions). Returns ``h_U``; the global residual
    to the network input belongs to the network. Parameters do not depend on ``n_units``. DRRN's defaults:
    ``n_feats=128``, ``n_units=9`` (B1U9); B1U25 is ``n_units=25``.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 128, n_units: int = 9, kernel_size: int = 3, bn: bool = False) -> None:
        super().__init__()
        if n_units < 1:
            raise SrkitError(f"a recursive residual block needs n_units >= 1, got {n_units}")
        self.bn_in: nn.Module = nn.BatchNorm2d(n_feats) if bn else nn.Identity()
        self.conv_in = conv2d(n_feats, n_feats, kernel_size)
        self.bn1: nn.Module = nn.BatchNorm2d(n_feats) if bn else nn.Identity()
        self.conv1 = conv2d(n_feats, n_feats, kernel_size)
        self.bn2: nn.Module = nn.BatchNorm2d(n_feats) if bn else nn.Identity()
        self.conv2 = conv2d(n_feats, n_feats, kernel_size)
        self.n_units = n_units

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # torch.relu (not in place): ``x`` and ``entry`` are read again after being activated.
        entry = self.conv_in(torch.relu(self.bn_in(x)))
        h = entry
        for _ in range(self.n_units):
            h = entry + self.conv2(torch.relu(self.bn2(self.conv1(torch.relu(self.bn1(h))))))
        return h
