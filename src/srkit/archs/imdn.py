"""IMDN: Z. Hui, X. Gao, Y. Yang, X. Wang, "Lightweight Image Super-Resolution with Information Multi-distillation
Network", ACM Multimedia 2019. https://arxiv.org/abs/1909.11856 (official code: github.com/Zheng222/IMDN).

A lightweight post-upsampling network: six information multi-distillation blocks (:class:`srkit.blocks.IMDB`), the
concatenation of their outputs fused by a 1x1 convolution, a global skip, and a sub-pixel upsampler that emits the
image directly. Submodule names are the official ones, so ``IMDN_x{2,3,4}.pth`` load with
``load_state_dict(strict=True)`` once the ``module.`` prefix is stripped (:func:`detect` reads their hyper-parameters).
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
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import IMDB, activation, check_scale, conv2d

PAPER = (
    "Z. Hui, X. Gao, Y. Yang, X. Wang, 'Lightweight Image Super-Resolution with Information Multi-distillation "
    "Network', ACM Multimedia 2019"
)


class IMDN(nn.Module):
    """The information multi-distillation network (Hui et al. 2019)::

        f0 = fea_conv(x)                                # 3x3, in_channels -> n_feats
        b_i = IMDB_i(b_{i-1}),  b_0 = f0                # n_blocks IMDBs
        f = LR_conv(c(cat(b_1, ..., b_n))) + f0         # c: 1x1 n_blocks*n_feats -> n_feats + LeakyReLU(0.05)
        y = PixelShuffle(s)(conv3x3(f))                 # upsampler: n_feats -> out_channels * s^2

    No mean shift (the official model takes RGB in [0, 1] as is) and no activation on the output. Defaults are the
    paper's (64 features, 6 blocks, distillation rate 0.25, CCA reduction 16): 694K / 703K / 715K parameters at
    x2 / x3 / x4.

    Args:
        scale: upscaling factor (the sub-pixel upsampler takes any integer >= 1).
        in_channels, out_channels: image channels.
        n_feats: feature channels.
        n_blocks: number of IMDBs (submodules ``IMDB1`` ... ``IMDB{n}``).
        distillation_rate: share of channels each IMDB step keeps.
        reduction: the contrast-aware channel attention's squeeze ratio.
        negative_slope: LeakyReLU slope (IMDN: 0.05).

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> IMDN(scale=2, n_feats=16, n_blocks=2, reduction=4)(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 16, 16])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_blocks: int = 6,
        distillation_rate: float = 0.25,
        reduction: int = 16,
        negative_slope: float = 0.05,
    ) -> None:
        super().__init__()
        check_scale("IMDN", scale)
        if n_blocks < 1:
            raise SrkitError(f"IMDN needs n_blocks >= 1, got {n_blocks}")
        self.scale, self.n_blocks = scale, n_blocks
        self.fea_conv = conv2d(in_channels, n_feats, 3)
        for i in range(1, n_blocks + 1):
            block = IMDB(
                n_feats=n_feats,
                distillation_rate=distillation_rate,
                reduction=reduction,
                negative_slope=negative_slope,
            )
            self.add_module(f"IMDB{i}", block)
        self.c = nn.Sequential(
            conv2d(n_blocks * n_feats, n_feats, 1), activation("lrelu", negative_slope=negative_slope)
        )
        self.LR_conv = conv2d(n_feats, n_feats, 3)
        self.upsampler = nn.Sequential(conv2d(n_feats, out_channels * scale * scale, 3), nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f0 = self.fea_conv(x)
        outs: list[torch.Tensor] = []
        out = f0
        for i in range(1, self.n_blocks + 1):
            out = getattr(self, f"IMDB{i}")(out)
            outs.append(out)
        features = self.LR_conv(self.c(torch.cat(outs, dim=1))) + f0
        return self.upsampler(features)


def _strip(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k.removeprefix("module."): v for k, v in state.items()}


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`IMDN` for an IMDN state dict (a ``module.`` prefix is ignored), else None.

    ``scale`` comes from the upsampler: its convolution has ``out_channels * scale^2`` filters, and the output has
    as many channels as the input (``fea_conv``'s input channels), as in every released IMDN.

    Example:
        >>> detect(IMDN(scale=3, n_feats=16, n_blocks=2, reduction=4).state_dict())["scale"]
        3
    """
    s = _strip(state)
    required: tuple[str, ...] = ("fea_conv.weight", "IMDB1.c1.weight", "IMDB1.c4.weight", "IMDB1.cca.conv_du.0.weight")
    required += ("c.0.weight", "LR_conv.weight", "upsampler.0.weight")
    if not all(k in s for k in required) or s["fea_conv.weight"].ndim != 4:
        return None
    n_feats, in_channels = int(s["fea_conv.weight"].shape[0]), int(s["fea_conv.weight"].shape[1])
    n_blocks = 0
    while f"IMDB{n_blocks + 1}.c1.weight" in s:
        n_blocks += 1
    distilled = int(s["IMDB1.c4.weight"].shape[0])
    squeezed = int(s["IMDB1.cca.conv_du.0.weight"].shape[0])
    up = int(s["upsampler.0.weight"].shape[0])
    scale = math.isqrt(up // in_channels) if up % in_channels == 0 else 0
    if scale < 1 or scale * scale * in_channels != up or squeezed < 1 or not 0 < distilled < n_feats:
        return None
    if s["c.0.weight"].shape[1] != n_blocks * n_feats:
        return None
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": in_channels,
        "n_feats": n_feats,
        "n_blocks": n_blocks,
        "distillation_rate": distilled / n_feats,
        "reduction": (4 * distilled) // squeezed,
    }


def imdn(*, scale: int = 4, **overrides: Any) -> IMDN:
    """IMDN as in the paper (64 features, 6 IMDBs)."""
    return IMDN(scale=scale, **{"n_feats": 64, "n_blocks": 6, **overrides})


_SRC = "[IMDN]"
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        imdn,
        ModelCard(
            name="imdn",
            arch="IMDN",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 694_404, 3: 703_059, 4: 715_176},
            published_params={2: 694_000, 3: 703_000, 4: 715_000},
            tiling=False,
            receptive_field=27,
            published=(
                Published("Set5", 2, 38.00, 0.9605, _SRC),
                Published("Set14", 2, 33.63, 0.9177, _SRC),
                Published("Set5", 3, 34.36, 0.9270, "[SwinIR]"),
                Published("Set14", 3, 30.32, 0.8417, "[SwinIR]"),
                Published("Set5", 4, 32.21, 0.8948, "[SwinIR]"),
                Published("Set14", 4, 28.58, 0.7811, "[SwinIR]"),
            ),
            notes=(
                "RGB in [0, 1], no mean shift. Parameters counted with sum(p.numel()) over model.parameters(); they "
                "equal the float count of the official IMDN_x{2,3,4}.pth. Official checkpoints load with strict=True "
                "after stripping 'module.' (see detect). Not tileable exactly: the contrast-aware channel attention "
                "pools mean and standard deviation over the whole image; receptive_field (27 LR pixels) counts the "
                "3x3 convolutions only."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("imdn", detect, "fea_conv, IMDB1..6, c.0, LR_conv, upsampler.0 (IMDN)"),
]

__all__ = ["DETECTIONS", "IMDN", "ZOO", "detect", "imdn"]
