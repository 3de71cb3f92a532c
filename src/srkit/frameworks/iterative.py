"""Iterative up-and-down framework (survey section 3.1.4): alternating up- and down-projection units that feed
back the reconstruction error (DBPN, D-DBPN; SRFBN's feedback block uses the same units)."""

from __future__ import annotations

import torch
from torch import nn

from srkit.blocks.common import activation, conv2d
from srkit.frameworks.base import Framework, Outputs, interpolate


class IterativeUpDown(Framework):
    """``L0 = head(x)``; ``H_t = up_t(L_{<t})``, ``L_t = down_t(H_{<=t})``; ``y = tail(concat(H_1..H_T))``.

    With ``dense=True`` (D-DBPN) each unit takes the concatenation of all earlier outputs of the other
    resolution (the units reduce it with a 1x1 convolution); otherwise only the latest (DBPN).

    Args:
        scale: the projection units' factor.
        up_units: ``T`` up-projection units (``n_feats`` at LR -> ``n_feats`` at HR).
        down_units: ``T - 1`` down-projection units.
        in_channels, out_channels, n_feats: image and feature channels.
        n_init: channels of the first 3x3 convolution before the 1x1 reduction to ``n_feats`` (DBPN: 256).
        image_skip: ``None`` or an interpolation mode added to the output.
    """

    def __init__(
        self,
        *,
        scale: int,
        up_units: list[nn.Module],
        down_units: list[nn.Module],
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_init: int = 256,
        dense: bool = True,
        image_skip: str | None = None,
        act: str = "prelu",
    ) -> None:
        super().__init__()
        self.scale, self.dense, self.image_skip = scale, dense, image_skip
        self.head = nn.Sequential(
            conv2d(in_channels, n_init),
            activation(act, channels=n_init),
            conv2d(n_init, n_feats, 1),
            activation(act, channels=n_feats),
        )
        self.up_units = nn.ModuleList(up_units)
        self.down_units = nn.ModuleList(down_units)
        self.tail = conv2d(n_feats * len(up_units), out_channels)

    def forward_all(self, x: torch.Tensor) -> Outputs:
        lows, highs = [self.head(x)], []
        for t, up in enumerate(self.up_units):
            highs.append(up(torch.cat(lows, 1) if self.dense else lows[-1]))
            if t < len(self.down_units):
                lows.append(self.down_units[t](torch.cat(highs, 1) if self.dense else highs[-1]))
        y = self.tail(torch.cat(highs, 1))
        if self.image_skip is not None:
            y = y + interpolate(x, self.scale, self.image_skip)
        return [y]
