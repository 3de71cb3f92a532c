"""MSRN: J. Li, F. Fang, K. Mei, G. Zhang, "Multi-scale Residual Network for Image Super-Resolution", ECCV 2018.
https://openaccess.thecvf.com/content_ECCV_2018/html/Juncheng_Li_Multi-scale_Residual_Network_ECCV_2018_paper.html
(official code: github.com/MIVRC/MSRN-PyTorch, ``MSRN/Train/model/msrn.py``).

Local multi-path learning: eight multi-scale residual blocks (:class:`srkit.blocks.MSRB`, 3x3 and 5x5 paths that
cross-feed), whose outputs and the shallow features are concatenated (the hierarchical feature fusion structure) and
fused by a 1x1 and a 3x3 convolution before a sub-pixel upsampler. Submodule names follow the official code
(``head``, ``body.{i}``, ``tail.{0..3}``); the official checkpoints (``MSRN_x{2,3,4}.pt``) load after
:func:`convert_official` has turned their mean-shift convolutions into srkit's buffers and folded their [0, 255]
pixel range into the first and last convolutions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count, mean_shift, require, upsampler_scale
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import MSRB, MeanShift, check_scale, conv2d

PAPER = "J. Li, F. Fang, K. Mei, G. Zhang, 'Multi-scale Residual Network for Image Super-Resolution', ECCV 2018"


def _upsampler(n_feats: int, scale: int) -> nn.Sequential:
    """EDSR-style sub-pixel upsampler without activation: per x2 step (or the one x3 step) a 3x3 convolution to
    ``s^2 n_feats`` and a pixel shuffle."""
    if scale == 3:
        steps = [3]
    elif scale >= 1 and scale & (scale - 1) == 0:
        steps = [2] * int(math.log2(scale))
    else:
        raise SrkitError(f"MSRN's upsampler supports scale 3 and powers of two, got {scale!r}")
    layers: list[nn.Module] = []
    for step in steps:
        layers += [conv2d(n_feats, step * step * n_feats, 3), nn.PixelShuffle(step)]
    return nn.Sequential(*layers)


class MSRN(nn.Module):
    """The multi-scale residual network (Li et al. 2018)::

        m_0 = head(sub_mean(x))                              # 3x3, in_channels -> n_feats
        m_i = MSRB_i(m_{i-1})                                # i = 1 .. n_blocks
        f = conv3x3(conv1x1(cat(m_1, ..., m_n, m_0)))        # (n_blocks + 1) n_feats -> n_feats
        y = add_mean(conv3x3(upsample(f)))                   # n_feats -> out_channels

    The DIV2K mean is subtracted and added back (in [0, 1]). Defaults are the paper's (64 features, 8 MSRBs, ReLU):
    5.93M / 6.11M / 6.08M parameters at x2 / x3 / x4.

    Args:
        scale: 3 or a power of two.
        in_channels, out_channels: image channels.
        n_feats: feature channels.
        n_blocks: number of MSRBs.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> MSRN(scale=3, n_feats=8, n_blocks=2)(torch.rand(1, 3, 5, 5)).shape
        torch.Size([1, 3, 15, 15])
    """

    @store_hparams
    def __init__(
        self, *, scale: int = 4, in_channels: int = 3, out_channels: int = 3, n_feats: int = 64, n_blocks: int = 8
    ) -> None:
        super().__init__()
        check_scale("MSRN", scale)
        if n_blocks < 1:
            raise SrkitError(f"MSRN needs n_blocks >= 1, got {n_blocks}")
        self.scale = scale
        self.sub_mean = MeanShift(channels=in_channels, sign=-1)
        self.add_mean = MeanShift(channels=out_channels, sign=+1)
        self.head = nn.Sequential(conv2d(in_channels, n_feats, 3))
        self.body = nn.ModuleList(MSRB(n_feats=n_feats) for _ in range(n_blocks))
        self.tail = nn.Sequential(
            conv2d((n_blocks + 1) * n_feats, n_feats, 1),
            conv2d(n_feats, n_feats, 3),
            _upsampler(n_feats, scale),
            conv2d(n_feats, out_channels, 3),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = shallow = self.head(self.sub_mean(x))
        hierarchy: list[torch.Tensor] = []
        for block in self.body:
            out = block(out)
            hierarchy.append(out)
        hierarchy.append(shallow)
        return self.add_mean(self.tail(torch.cat(hierarchy, dim=1)))


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An official MSRN state dict (MIVRC/MSRN-PyTorch, EDSR-PyTorch framework) in srkit's layout and pixel range;
    a state dict already in srkit's layout passes through.

    The keys are srkit's; the mean shifts ``sub_mean``/``add_mean`` (``bias = -/+ pixel_range * mean``) are
    brought to range 1. The official network sees ``pixel_range x`` (255) and returns ``pixel_range y``:
    ``head.0.weight`` is multiplied by the range and the last convolution (``tail.3``) divided by it, so srkit's
    model takes and returns [0, 1] and computes the same image (range 1: nothing changes).

    Raises:
        SrkitError: neither layout, or mean shifts srkit cannot express.
    """
    require(state, ("head.0.weight", "body.0.conv_3_1.weight", "tail.3.weight", "tail.3.bias"), "MSRN")
    if "sub_mean.shift" not in state:
        require(state, ("sub_mean.weight", "add_mean.bias"), "MSRN")
    sub, pixel_range = mean_shift(state, "sub_mean", -1)
    add, add_range = mean_shift(state, "add_mean", +1)
    if add_range != pixel_range:
        raise SrkitError(f"MSRN mean shifts of different ranges: {pixel_range} and {add_range}")
    out = {k: v for k, v in state.items() if not k.startswith(("sub_mean.", "add_mean."))}
    out.update(sub | add)
    out["head.0.weight"] = out["head.0.weight"] * pixel_range
    out["tail.3.weight"] = out["tail.3.weight"] / pixel_range
    out["tail.3.bias"] = out["tail.3.bias"] / pixel_range
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`MSRN` for an MSRN state dict in srkit's layout (run
    :func:`convert_official` first on an official one), else None; the scale comes from the upsampler
    (``tail.2``), the blocks from ``body``, the features from ``head``.

    Example:
        >>> detect(MSRN(scale=3, n_feats=8, n_blocks=2).state_dict())["scale"]
        3
    """
    required: tuple[str, ...] = ("sub_mean.bias", "head.0.weight", "body.0.conv_3_1.weight", "body.0.conv_5_2.weight")
    required += ("body.0.confusion.weight", "tail.0.weight", "tail.1.weight", "tail.2.0.weight", "tail.3.weight")
    if not all(k in state for k in required) or state["head.0.weight"].ndim != 4:
        return None
    n_feats, in_channels = (int(d) for d in state["head.0.weight"].shape[:2])
    n_blocks = count(state, "body.{}.conv_3_1.weight")
    scale = upsampler_scale(state, "tail.2", n_feats)
    if scale is None or not (scale == 3 or scale & (scale - 1) == 0):
        return None
    if state["tail.0.weight"].shape[1] != (n_blocks + 1) * n_feats:
        return None
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": int(state["tail.3.weight"].shape[0]),
        "n_feats": n_feats,
        "n_blocks": n_blocks,
    }


def msrn(*, scale: int = 4, **overrides: Any) -> MSRN:
    """MSRN as in the paper (64 features, 8 MSRBs)."""
    return MSRN(scale=scale, **{"n_feats": 64, "n_blocks": 8, **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        msrn,
        ModelCard(
            name="msrn",
            arch="MSRN",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 5_930_307, 3: 6_114_947, 4: 6_078_019},
            receptive_field=36,
            notes=(
                "RGB in [0, 1] with the DIV2K mean shift (a buffer). Parameters counted with sum(p.numel()): "
                "5,930,307 / 6,114,947 / 6,078,019, the official msrn.py's counts without its mean-shift "
                "convolutions (24 floats); later papers' tables list MSRN as 5,930K / 6,114K / 6,078K. "
                "published_params is left out: the exact figure of the MSRN paper could not be checked against a "
                "source. receptive_field: head + 8 MSRBs (two 5x5 deep) + 3x3 + upsampler, HR convolutions in LR "
                "pixels, rounded up. PSNRs: MSRN is not in PUBLISHED.md."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("msrn", detect, "sub_mean, body.N.conv_3_1, tail.3 (MSRN)", convert_official),
]

__all__ = ["DETECTIONS", "MSRN", "ZOO", "convert_official", "detect", "msrn"]
