"""RCAN: Y. Zhang, K. Li, K. Li, L. Wang, B. Zhong, Y. Fu, "Image Super-Resolution Using Very Deep Residual Channel
Attention Networks", ECCV 2018. https://arxiv.org/abs/1807.02758 (official code: github.com/yulunzhang/RCAN).

Residual in residual: 10 residual groups, each of 20 residual channel-attention blocks (:class:`srkit.blocks.RCAB`,
squeeze-and-excitation with reduction 16) and a convolution with a short skip
(:class:`srkit.blocks.ResidualGroup`), a convolution and a long skip over all groups, then EDSR's sub-pixel
upsampler and a last convolution, with the DIV2K mean shift around it.

Submodule names are the official ones (``sub_mean``, ``head.0``, ``body.{g}.body.{b}.body.{0,2}``,
``body.{g}.body.{b}.body.3.conv_du.{0,2}``, ``body.{g}.body.{n}``, ``body.{G}``, ``tail.0.{0,2}``, ``tail.1``,
``add_mean``), so ``RCAN_BIX{2,3,4}.pt`` load with ``load_state_dict(strict=True)`` (build with ``pixel_range=255``,
which :func:`detect` reads from the stored mean shift).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count_indexed, pixel_range_of, receptive_field, upsampler_scale
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import EDSRUpsampler, MeanShift, ResidualGroup, check_scale, conv2d

PAPER = (
    "Y. Zhang, K. Li, K. Li, L. Wang, B. Zhong, Y. Fu, 'Image Super-Resolution Using Very Deep Residual Channel "
    "Attention Networks', ECCV 2018"
)


class RCAN(nn.Module):
    """The residual channel attention network (Zhang et al. 2018)::

        f0 = head(sub_mean(pixel_range * x))                 # 3x3, in_channels -> n_feats
        f  = body(f0) + f0                                  # n_groups ResidualGroups, then a 3x3 convolution
        y  = add_mean(tail(f)) / pixel_range                  # EDSRUpsampler, then 3x3 n_feats -> out_channels

    A residual group is ``x + conv(RCAB_n(... RCAB_1(x)))``; an RCAB is ``x + CA(conv(relu(conv(x))))`` with
    ``CA(z) = z * sigmoid(W2 relu(W1 avgpool(z)))``. The paper's model (10 groups of 20 blocks, 64 features,
    reduction 16) has 15.44M / 15.63M / 15.59M parameters at x2 / x3 / x4.

    Args:
        scale: upscaling factor (RCAN uses 2, 3, 4, 8; any integer works, in prime sub-pixel steps).
        in_channels, out_channels: image channels.
        n_feats: feature channels.
        n_groups: residual groups.
        n_blocks: RCABs per group.
        reduction: channel-attention squeeze ratio.
        res_scale: residual scaling inside each RCAB (1 in the paper).
        kernel_size: convolution size.
        pixel_range: 1 (srkit) or 255 (official checkpoints); the model still takes and returns [0, 1].

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> RCAN(scale=2, n_feats=16, n_groups=2, n_blocks=2, reduction=4)(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 16, 16])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_groups: int = 10,
        n_blocks: int = 20,
        reduction: int = 16,
        res_scale: float = 1.0,
        kernel_size: int = 3,
        pixel_range: float = 1.0,
    ) -> None:
        super().__init__()
        self.scale = check_scale("RCAN", scale)
        if n_groups < 0 or not pixel_range > 0:
            raise SrkitError(f"RCAN needs n_groups >= 0 and pixel_range > 0, got {n_groups} and {pixel_range!r}")
        self.pixel_range = float(pixel_range)
        self.sub_mean = MeanShift(channels=in_channels, sign=-1, pixel_range=pixel_range)
        self.head = nn.Sequential(conv2d(in_channels, n_feats, kernel_size))
        groups: list[nn.Module] = [
            ResidualGroup(
                n_feats=n_feats, n_blocks=n_blocks, kernel_size=kernel_size, reduction=reduction, res_scale=res_scale
            )
            for _ in range(n_groups)
        ]
        self.body = nn.Sequential(*groups, conv2d(n_feats, n_feats, kernel_size))
        self.tail = nn.Sequential(
            EDSRUpsampler(scale=scale, n_feats=n_feats, kernel_size=kernel_size),
            conv2d(n_feats, out_channels, kernel_size),
        )
        self.add_mean = MeanShift(channels=out_channels, sign=1, pixel_range=pixel_range)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pixel_range != 1.0:
            x = x * self.pixel_range
        f0 = self.head(self.sub_mean(x))
        y = self.add_mean(self.tail(self.body(f0) + f0))
        return y / self.pixel_range if self.pixel_range != 1.0 else y


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`RCAN` for an official (or srkit) RCAN state dict, else None.

    ``res_scale`` is not stored (1, the paper's); ``pixel_range`` comes from ``sub_mean.bias`` (255 in the official
    checkpoints). State dicts without the mean shift (some third-party RCANs) are refused: they would not load.

    Example:
        >>> detect(RCAN(scale=3, n_feats=16, n_groups=2, n_blocks=2, reduction=4).state_dict())["n_groups"]
        2
    """
    ca = "body.0.body.0.body.3.conv_du.0.weight"
    required = ("sub_mean.bias", "head.0.weight", "body.0.body.0.body.0.weight", ca, "tail.1.weight")
    if not all(k in state for k in required) or state["head.0.weight"].ndim != 4:
        return None
    n_feats, in_channels, _, kernel_size = (int(d) for d in state["head.0.weight"].shape)
    n_groups = count_indexed(state, "body.", ".body.0.body.0.weight")
    n_blocks = count_indexed(state, "body.0.body.", ".body.0.weight")
    scale = upsampler_scale(state, "tail.0", n_feats)
    pixel_range = pixel_range_of(state)
    squeezed = int(state[ca].shape[0])
    if scale is None or pixel_range is None or squeezed < 1 or n_feats % squeezed:
        return None
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": int(state["tail.1.weight"].shape[0]),
        "n_feats": n_feats,
        "n_groups": n_groups,
        "n_blocks": n_blocks,
        "reduction": n_feats // squeezed,
        "kernel_size": kernel_size,
        "pixel_range": pixel_range,
    }


def rcan(*, scale: int = 2, **overrides: Any) -> RCAN:
    """RCAN as in the paper: 10 residual groups of 20 RCABs, 64 features, reduction 16."""
    return RCAN(scale=scale, **{"n_feats": 64, "n_groups": 10, "n_blocks": 20, "reduction": 16, **overrides})


# head (1) + 10 groups x (20 RCABs x 2 convs + group conv) + body conv (1), then upsampler and tail
_RF = max(receptive_field(1 + 10 * (20 * 2 + 1) + 1, s) for s in (2, 3, 4))
_SRC = "[RCAN]"
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        rcan,
        ModelCard(
            name="rcan",
            arch="RCAN",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 15_444_643, 3: 15_629_283, 4: 15_592_355},
            published_params={2: 15_440_000, 3: 15_630_000, 4: 15_590_000},
            fp16=False,
            tiling=False,
            receptive_field=_RF,
            published=(
                Published("Set5", 2, 38.27, 0.9614, _SRC),
                Published("Set14", 2, 34.12, 0.9216, _SRC),
                Published("Set5", 3, 34.74, 0.9299, _SRC),
                Published("Set14", 3, 30.65, 0.8482, _SRC),
                Published("Set5", 4, 32.63, 0.9002, _SRC),
                Published("Set14", 4, 28.87, 0.7889, _SRC),
            ),
            notes=(
                "RGB in [0, 1], DIV2K mean shift inside (buffers sub_mean/add_mean.{weight,bias}, not counted: the "
                "official code stores them as 24 frozen parameters). Parameters counted with sum(p.numel()) over "
                "model.parameters(). Official RCAN_BIX{2,3,4}.pt load with strict=True (pixel_range=255, read by "
                "detect). Not tileable exactly: channel attention pools over the whole image; receptive_field "
                f"({_RF} LR pixels) counts the convolutions only. fp16=False as spandrel marks RCAN (overflow risk "
                "with the official 0-255 weights); bf16 is fine."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("rcan", detect, "head.0, body.G.body.B.body.3.conv_du (RCAN)"),
]

__all__ = ["DETECTIONS", "RCAN", "ZOO", "detect", "rcan"]
