"""RDN: Y. Zhang, Y. Tian, Y. Kong, B. Zhong, Y. Fu, "Residual Dense Network for Image Super-Resolution", CVPR 2018.
https://arxiv.org/abs/1802.08797 (official code: github.com/yulunzhang/RDN, Torch7; the authors' PyTorch version is
``model/rdn.py`` of github.com/sanghyun-son/EDSR-PyTorch).

Two shallow convolutions, D residual dense blocks (:class:`srkit.blocks.RDB`: C densely connected 3x3 layers of G
channels each, a 1x1 local fusion and a local skip), global feature fusion of all blocks' outputs (1x1 then 3x3),
a global skip to the first shallow features, and a sub-pixel upsampling net. No mean shift.

Submodule names follow EDSR-PyTorch's ``rdn.py`` (``SFENet1``, ``SFENet2``, ``RDBs.{d}.convs.{c}.conv.0``,
``RDBs.{d}.LFF``, ``GFF.{0,1}``, ``UPNet.{0,2,4}``), so its checkpoints load with ``strict=True``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import receptive_field
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import RDB, EDSRUpsampler, check_scale, conv2d

PAPER = "Y. Zhang, Y. Tian, Y. Kong, B. Zhong, Y. Fu, 'Residual Dense Network for Image Super-Resolution', CVPR 2018"


class RDN(nn.Module):
    """The residual dense network (Zhang et al. 2018)::

        f_1 = SFENet1(x);  f_0 = SFENet2(f_1)                   # 3x3 convolutions, G0 = n_feats channels
        f_d = RDB_d(f_{d-1})                                    # d = 1 .. D (n_blocks)
        f   = GFF(cat(f_1 .. f_D)) + f_1                        # 1x1 D*G0 -> G0, then 3x3 (global fusion)
        y   = UPNet(f)                                          # per prime factor: conv G0|G -> f^2 G, shuffle;
                                                                # then 3x3 G -> out_channels

    The paper's model (D=16 blocks, C=8 layers, G=G0=64) has 22.12M / 22.31M / 22.27M parameters at x2 / x3 / x4.

    Args:
        scale: upscaling factor (the paper's 2, 3, 4; any integer works, in prime sub-pixel steps).
        in_channels, out_channels: image channels.
        n_feats: G0, the channels between blocks.
        n_blocks: D, residual dense blocks.
        n_layers: C, convolutions per block.
        growth: G, channels each dense layer adds (and the upsampler's channels).
        kernel_size: convolution size.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> RDN(scale=4, n_feats=8, n_blocks=2, n_layers=2, growth=4)(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 32, 32])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_blocks: int = 16,
        n_layers: int = 8,
        growth: int = 64,
        kernel_size: int = 3,
    ) -> None:
        super().__init__()
        check_scale("RDN", scale)
        if n_blocks < 1:
            raise SrkitError(f"RDN needs n_blocks >= 1, got {n_blocks}")
        self.scale = scale
        self.SFENet1 = conv2d(in_channels, n_feats, kernel_size)
        self.SFENet2 = conv2d(n_feats, n_feats, kernel_size)
        self.RDBs = nn.ModuleList(
            RDB(n_feats=n_feats, growth=growth, n_layers=n_layers, kernel_size=kernel_size) for _ in range(n_blocks)
        )
        self.GFF = nn.Sequential(conv2d(n_blocks * n_feats, n_feats, 1), conv2d(n_feats, n_feats, kernel_size))
        up = EDSRUpsampler(scale=scale, n_feats=n_feats, out_feats=growth, kernel_size=kernel_size)
        last = conv2d(growth if len(up) else n_feats, out_channels, kernel_size)  # x1: no upsampling step
        self.UPNet = nn.Sequential(*up, last)  # keys UPNet.0, .2, ... as RDN's

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f1 = self.SFENet1(x)
        f = self.SFENet2(f1)
        outs: list[torch.Tensor] = []
        for block in self.RDBs:
            f = block(f)
            outs.append(f)
        return self.UPNet(self.GFF(torch.cat(outs, dim=1)) + f1)


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`RDN` for an RDN state dict in EDSR-PyTorch's (= srkit's) layout, else None.

    Example:
        >>> detect(RDN(scale=3, n_feats=8, n_blocks=2, n_layers=2, growth=4).state_dict())["scale"]
        3
    """
    required = ("SFENet1.weight", "SFENet2.weight", "RDBs.0.convs.0.conv.0.weight", "GFF.0.weight", "UPNet.0.weight")
    if not all(k in state for k in required) or state["SFENet1.weight"].ndim != 4:
        return None
    n_feats, in_channels, _, kernel_size = (int(d) for d in state["SFENet1.weight"].shape)
    growth = int(state["RDBs.0.convs.0.conv.0.weight"].shape[0])
    scale, i = 1, 0
    while f"UPNet.{i + 2}.weight" in state:  # every conv but the last one is followed by a pixel shuffle
        out = int(state[f"UPNet.{i}.weight"].shape[0])
        f = math.isqrt(out // growth) if out % growth == 0 else 0
        if f < 2 or f * f * growth != out:
            return None
        scale, i = scale * f, i + 2
    n_blocks = 0
    while f"RDBs.{n_blocks}.LFF.weight" in state:
        n_blocks += 1
    n_layers = 0
    while f"RDBs.0.convs.{n_layers}.conv.0.weight" in state:
        n_layers += 1
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": int(state[f"UPNet.{i}.weight"].shape[0]),
        "n_feats": n_feats,
        "n_blocks": n_blocks,
        "n_layers": n_layers,
        "growth": growth,
        "kernel_size": kernel_size,
    }


def rdn(*, scale: int = 2, **overrides: Any) -> RDN:
    """RDN as in the paper: D=16 blocks of C=8 layers, G=G0=64."""
    return RDN(scale=scale, **{"n_feats": 64, "n_blocks": 16, "n_layers": 8, "growth": 64, **overrides})


# SFENet1, SFENet2, 16 x 8 dense 3x3 layers and GFF's 3x3 at LR; then UPNet's convolutions
_RF = max(receptive_field(1 + 1 + 16 * 8 + 1, s) for s in (2, 3, 4))
_SRC = "[RCAN]"
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        rdn,
        ModelCard(
            name="rdn",
            arch="RDN",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 22_123_395, 3: 22_308_035, 4: 22_271_107},
            published_params={2: 22_100_000, 3: 22_100_000, 4: 22_100_000},
            receptive_field=_RF,
            published=(
                Published("Set5", 2, 38.24, 0.9614, _SRC),
                Published("Set14", 2, 34.01, 0.9212, _SRC),
                Published("Set5", 3, 34.71, 0.9296, _SRC),
                Published("Set14", 3, 30.57, 0.8468, _SRC),
                Published("Set5", 4, 32.47, 0.8990, _SRC),
                Published("Set14", 4, 28.81, 0.7871, _SRC),
            ),
            notes=(
                "RGB in [0, 1], no mean shift (as the authors' PyTorch code). Parameters counted with "
                "sum(p.numel()) over model.parameters(): 22,123,395 / 22,308,035 / 22,271,107 at x2 / x3 / x4. "
                "The paper gives about 22M; published_params uses torchSR's README figure, 22.1M, for every scale "
                "(x3 is 0.94% above it: its upsampler is larger). Loads EDSR-PyTorch's rdn.py checkpoints with "
                "strict=True (see detect)."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("rdn", detect, "SFENet1, RDBs.N, GFF (RDN)"),
]

__all__ = ["DETECTIONS", "RDN", "ZOO", "detect", "rdn"]
