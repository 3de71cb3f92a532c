"""PAN: H. Zhao, X. Kong, J. He, Y. Qiao, C. Dong, "Efficient Image Super-Resolution Using Pixel Attention", ECCV
Workshops (AIM) 2020. https://arxiv.org/abs/2010.01073 (official code: github.com/zhaohengyuan1/PAN).

A very small post-upsampling network: 16 self-calibrated pixel-attention blocks (:class:`srkit.blocks.SCPA`) at LR,
then upsampling by nearest interpolation, each stage followed by a convolution, pixel attention and a second
convolution (the "U-PA" block), and the bilinearly upsampled input added at the end. Submodule names are the official
ones, so ``PANx{2,3,4}_DF2K.pth`` load with ``load_state_dict(strict=True)`` (:func:`detect` reads their
hyper-parameters, except that x2 and x3 cannot be told apart).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import SCPA, PixelAttention, check_scale, conv2d

PAPER = (
    "H. Zhao, X. Kong, J. He, Y. Qiao, C. Dong, 'Efficient Image Super-Resolution Using Pixel Attention', "
    "ECCV Workshops 2020"
)


def _stages(scale: int) -> list[int]:
    """PAN's upsampling stages: x4 in two nearest x2 steps, any other scale in one step."""
    return [2, 2] if scale == 4 else [scale]


class PAN(nn.Module):
    """The pixel attention network (Zhao et al. 2020)::

        f0 = conv_first(x)                                   # 3x3, in_channels -> n_feats
        f = f0 + trunk_conv(SCPA_trunk(f0))                  # n_blocks SCPA blocks, then 3x3
        for each stage k (x4: two x2 stages; x2, x3: one):
            f = lrelu(att_k(upconv_k(nearest(f))))           # upconv: 3x3 to n_up_feats; att: pixel attention
            f = lrelu(HRconv_k(f))                           # 3x3
        y = conv_last(f) + bilinear(x)                       # 3x3 to out_channels; align_corners=False

    LeakyReLU slope 0.2; no mean shift. Defaults are the paper's (40 features, 24 upsampling features, 16 SCPA with
    reduction 2): 261K parameters at x2/x3, 272K at x4.

    Args:
        scale: upscaling factor; 4 upsamples in two x2 stages (``upconv2``/``att2``/``HRconv2``), any other in one.
        in_channels, out_channels: image channels (equal, for the bilinear skip).
        n_feats: trunk channels (``nf``).
        n_up_feats: channels of the upsampling branch (``unf``).
        n_blocks: number of SCPA blocks (``nb``).
        reduction: SCPA's branch reduction.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> PAN(scale=4, n_feats=8, n_up_feats=8, n_blocks=2)(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 32, 32])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 40,
        n_up_feats: int = 24,
        n_blocks: int = 16,
        reduction: int = 2,
    ) -> None:
        super().__init__()
        check_scale("PAN", scale, minimum=2)
        if in_channels != out_channels:
            raise SrkitError(f"PAN adds the upsampled input: in_channels must equal out_channels, got {in_channels}")
        self.scale = scale
        self.conv_first = conv2d(in_channels, n_feats, 3)
        self.SCPA_trunk = nn.Sequential(*(SCPA(n_feats=n_feats, reduction=reduction) for _ in range(n_blocks)))
        self.trunk_conv = conv2d(n_feats, n_feats, 3)
        self.factors = _stages(scale)
        for k in range(1, len(self.factors) + 1):
            self.add_module(f"upconv{k}", conv2d(n_feats if k == 1 else n_up_feats, n_up_feats, 3))
            self.add_module(f"att{k}", PixelAttention(n_feats=n_up_feats))
            self.add_module(f"HRconv{k}", conv2d(n_up_feats, n_up_feats, 3))
        self.conv_last = conv2d(n_up_feats, out_channels, 3)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.conv_first(x)
        f = f + self.trunk_conv(self.SCPA_trunk(f))
        for k, factor in enumerate(self.factors, start=1):
            f = getattr(self, f"upconv{k}")(F.interpolate(f, scale_factor=factor, mode="nearest"))
            f = self.lrelu(getattr(self, f"att{k}")(f))
            f = self.lrelu(getattr(self, f"HRconv{k}")(f))
        skip = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        return self.conv_last(f) + skip


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`PAN` for a PAN state dict (a ``module.`` prefix is ignored), else None.

    A x4 model has a second upsampling stage (``upconv2``), so ``scale`` is 4. The x2 and x3 models have the same
    keys and shapes (nearest interpolation has no weights), so nothing in the state dict tells them apart: then
    ``scale`` is None and the caller must give it (e.g. from the file name, ``PANx3_DF2K.pth``).

    Example:
        >>> detect(PAN(scale=4, n_feats=8, n_up_feats=8, n_blocks=2).state_dict())["scale"]
        4
        >>> detect(PAN(scale=3, n_feats=8, n_up_feats=8, n_blocks=2).state_dict())["scale"] is None
        True
    """
    s = {k.removeprefix("module."): v for k, v in state.items()}
    required: tuple[str, ...] = ("conv_first.weight", "SCPA_trunk.0.conv1_a.weight", "SCPA_trunk.0.PAConv.k2.weight")
    required += ("trunk_conv.weight", "upconv1.weight", "att1.conv.weight", "HRconv1.weight", "conv_last.weight")
    if not all(k in s for k in required):
        return None
    n_feats, in_channels = int(s["conv_first.weight"].shape[0]), int(s["conv_first.weight"].shape[1])
    width = int(s["SCPA_trunk.0.conv1_a.weight"].shape[0])
    n_blocks = 0
    while f"SCPA_trunk.{n_blocks}.conv1_a.weight" in s:
        n_blocks += 1
    if width < 1 or n_feats % width:
        return None
    return {
        "scale": 4 if "upconv2.weight" in s else None,
        "in_channels": in_channels,
        "out_channels": int(s["conv_last.weight"].shape[0]),
        "n_feats": n_feats,
        "n_up_feats": int(s["upconv1.weight"].shape[0]),
        "n_blocks": n_blocks,
        "reduction": n_feats // width,
    }


def pan(*, scale: int = 4, **overrides: Any) -> PAN:
    """PAN as in the paper (nf=40, unf=24, 16 SCPA)."""
    return PAN(scale=scale, **{"n_feats": 40, "n_up_feats": 24, "n_blocks": 16, **overrides})


_SRC = "PAN repo test logs results/PANx{s}_DF2K (../shared/weights/MANIFEST.md)"
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        pan,
        ModelCard(
            name="pan",
            arch="PAN",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 261_403, 3: 261_403, 4: 272_419},
            published_params={2: 261_000, 3: 261_000, 4: 272_000},
            receptive_field=36,
            published=(
                Published("Set5", 2, 38.00, source=_SRC.format(s=2)),
                Published("Set14", 2, 33.59, source=_SRC.format(s=2)),
                Published("Set5", 3, 34.40, source=_SRC.format(s=3)),
                Published("Set14", 3, 30.36, source=_SRC.format(s=3)),
                Published("Set5", 4, 32.13, source=_SRC.format(s=4)),
                Published("Set14", 4, 28.61, source=_SRC.format(s=4)),
            ),
            notes=(
                "RGB in [0, 1], no mean shift; trained on DF2K. Parameters counted with sum(p.numel()); they equal "
                "the float count of the official PANx{2,3,4}_DF2K.pth, which load with strict=True. x2 and x3 "
                "checkpoints are indistinguishable by keys and shapes: detect() returns scale=None for them. PAN "
                "is not in PUBLISHED.md: the PSNRs are the official repo's Y-channel test logs. receptive_field: "
                "conv_first + 16 SCPA (two 3x3 deep) + trunk_conv at LR, the HR convolutions counted in LR pixels, "
                "rounded up."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("pan", detect, "conv_first, SCPA_trunk.N, trunk_conv, upconv1, att1 (PAN)"),
]

__all__ = ["DETECTIONS", "PAN", "ZOO", "detect", "pan"]
