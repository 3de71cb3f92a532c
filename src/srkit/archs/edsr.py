"""EDSR: B. Lim, S. Son, H. Kim, S. Nah, K. M. Lee, "Enhanced Deep Residual Networks for Single Image
Super-Resolution", CVPR Workshops (NTIRE) 2017. https://arxiv.org/abs/1707.02921 (official code:
github.com/sanghyun-son/EDSR-PyTorch).

A post-upsampling residual network without batch normalisation: a head convolution, residual blocks
``x + res_scale * conv(relu(conv(x)))``, a convolution and a long skip, then a sub-pixel upsampler and a last
convolution; the DIV2K RGB mean is subtracted at the input and added back at the output. Two variants: the
baseline (16 blocks, 64 features) and EDSR (32 blocks, 256 features, residual scaling 0.1).

Submodule names are EDSR-PyTorch's (``sub_mean``, ``head.0``, ``body.{i}.body.{0,2}``, ``body.{n}``, ``tail.0.{0,2}``,
``tail.1``, ``add_mean``), so its released checkpoints load with ``load_state_dict(strict=True)``; they were
trained on pixel values in [0, 255], which ``pixel_range=255`` reproduces while the model still takes [0, 1]
(:func:`detect` reads it from the stored mean shift).
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
from srkit.blocks import EDSRUpsampler, MeanShift, ResBlock, check_scale, conv2d

PAPER = (
    "B. Lim, S. Son, H. Kim, S. Nah, K. M. Lee, 'Enhanced Deep Residual Networks for Single Image "
    "Super-Resolution', CVPR Workshops 2017"
)


class EDSR(nn.Module):
    """The enhanced deep super-resolution network (Lim et al. 2017)::

        f0 = head(sub_mean(pixel_range * x))                       # 3x3, in_channels -> n_feats
        f  = body(f0) + f0                                        # n_blocks ResBlocks, then a 3x3 convolution
        y  = add_mean(tail(f)) / pixel_range                        # EDSRUpsampler, then 3x3 n_feats -> out_channels

    Each residual block is ``x + res_scale * conv(relu(conv(x)))`` (3x3, biases, no batch norm). The paper's
    baseline has 16 blocks of 64 features (1.37M / 1.55M / 1.52M parameters at x2 / x3 / x4); EDSR has 32 blocks
    of 256 features and ``res_scale=0.1`` (40.7M / 43.7M / 43.1M).

    Args:
        scale: upscaling factor (EDSR uses 2, 3, 4; any integer works, in prime sub-pixel steps).
        in_channels, out_channels: image channels (the mean shift uses the DIV2K RGB mean for 3 channels).
        n_feats: feature channels.
        n_blocks: residual blocks.
        res_scale: residual scaling inside each block.
        kernel_size: convolution size.
        pixel_range: the pixel range the weights were trained for: 1 (srkit) or 255 (EDSR-PyTorch checkpoints).
            The model still takes and returns [0, 1]: it scales by ``pixel_range`` inside.

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> EDSR(scale=3, n_feats=8, n_blocks=2)(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 24, 24])
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
        res_scale: float = 1.0,
        kernel_size: int = 3,
        pixel_range: float = 1.0,
    ) -> None:
        super().__init__()
        self.scale = check_scale("EDSR", scale)
        if n_blocks < 0 or n_feats < 1:
            raise SrkitError(f"EDSR needs n_blocks >= 0 and n_feats >= 1, got {n_blocks} and {n_feats}")
        if not pixel_range > 0:
            raise SrkitError(f"pixel_range must be > 0, got {pixel_range!r}")
        self.pixel_range = float(pixel_range)
        self.sub_mean = MeanShift(channels=in_channels, sign=-1, pixel_range=pixel_range)
        self.head = nn.Sequential(conv2d(in_channels, n_feats, kernel_size))
        blocks: list[nn.Module] = [
            ResBlock(n_feats=n_feats, kernel_size=kernel_size, act="relu", res_scale=res_scale) for _ in range(n_blocks)
        ]
        self.body = nn.Sequential(*blocks, conv2d(n_feats, n_feats, kernel_size))
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
    """Constructor arguments of :class:`EDSR` for an EDSR-PyTorch (or srkit) EDSR state dict, else None.

    ``res_scale`` is not stored: 0.1 for models of 256 features or more (EDSR's setting), else 1. RCAN
    (``body.0.body.0.body.*``) and MDSR (``pre_process.*``) state dicts are refused.

    Example:
        >>> detect(EDSR(scale=4, n_feats=8, n_blocks=2).state_dict())["scale"]
        4
    """
    required = ("sub_mean.bias", "head.0.weight", "body.0.body.0.weight", "body.0.body.2.weight", "tail.1.weight")
    if not all(k in state for k in required) or state["head.0.weight"].ndim != 4:
        return None
    if "body.0.body.0.body.0.weight" in state or any(k.startswith("pre_process.") for k in state):
        return None
    n_feats, in_channels, _, kernel_size = (int(d) for d in state["head.0.weight"].shape)
    n_blocks = count_indexed(state, "body.", ".body.0.weight")
    scale = upsampler_scale(state, "tail.0", n_feats)
    pixel_range = pixel_range_of(state)
    if scale is None or pixel_range is None or f"body.{n_blocks}.weight" not in state:
        return None
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": int(state["tail.1.weight"].shape[0]),
        "n_feats": n_feats,
        "n_blocks": n_blocks,
        "res_scale": 0.1 if n_feats >= 256 else 1.0,
        "kernel_size": kernel_size,
        "pixel_range": pixel_range,
    }


def edsr_baseline(*, scale: int = 2, **overrides: Any) -> EDSR:
    """EDSR's baseline: 16 residual blocks, 64 features, no residual scaling."""
    return EDSR(scale=scale, **{"n_feats": 64, "n_blocks": 16, "res_scale": 1.0, **overrides})


def edsr(*, scale: int = 2, **overrides: Any) -> EDSR:
    """EDSR: 32 residual blocks, 256 features, residual scaling 0.1."""
    return EDSR(scale=scale, **{"n_feats": 256, "n_blocks": 32, "res_scale": 0.1, **overrides})


def _rf(n_blocks: int) -> int:
    """Head conv, two convs per block, the body conv; then the upsampler and the tail (max over x2, x3, x4)."""
    return max(receptive_field(1 + 2 * n_blocks + 1, s) for s in (2, 3, 4))


_NOTES = (
    "RGB in [0, 1]; the DIV2K mean shift is inside the model (fixed buffers sub_mean/add_mean.{weight,bias}, "
    "not counted as parameters: EDSR-PyTorch stores them as frozen parameters, 24 numbers). Parameters counted "
    "with sum(p.numel()) over model.parameters(); they match EDSR-PyTorch's layout key for key, so its released "
    "checkpoints load with strict=True (build with pixel_range=255, which detect() reads from sub_mean.bias)."
)
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        edsr_baseline,
        ModelCard(
            name="edsr_baseline",
            arch="EDSR",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 1_369_859, 3: 1_554_499, 4: 1_517_571},
            published_params={2: 1_370_000, 3: 1_550_000, 4: 1_520_000},
            receptive_field=_rf(16),
            published=(
                Published("Set5", 2, 37.99, 0.9604, "[IMDN]"),
                Published("Set14", 2, 33.57, 0.9175, "[IMDN]"),
                Published("Set5", 3, 34.37, 0.9270, "IMDN paper (r)"),
                Published("Set14", 3, 30.28, 0.8417, "IMDN paper (r)"),
                Published("Set5", 4, 32.09, 0.8938, "IMDN paper via third-party READMEs"),
                Published("Set14", 4, 28.58, 0.7813, "IMDN paper via third-party READMEs"),
            ),
            notes=_NOTES + " Published counts: PUBLISHED.md (EDSR-PyTorch README).",
        ),
    ),
    (
        edsr,
        ModelCard(
            name="edsr",
            arch="EDSR",
            paper=PAPER,
            scales=(2, 3, 4),
            params={2: 40_729_603, 3: 43_680_003, 4: 43_089_923},
            published_params={2: 40_700_000, 3: 43_700_000, 4: 43_100_000},
            receptive_field=_rf(32),
            published=(
                Published("Set5", 2, 38.11, 0.9602, "[RCAN]"),
                Published("Set14", 2, 33.92, 0.9195, "[RCAN]"),
                Published("Set5", 3, 34.65, 0.9280, "[RCAN]"),
                Published("Set14", 3, 30.52, 0.8462, "[RCAN]"),
                Published("Set5", 4, 32.46, 0.8968, "[RCAN]"),
                Published("Set14", 4, 28.80, 0.7876, "[RCAN]"),
            ),
            notes=_NOTES + " Published counts: EDSR-PyTorch README (40.7M / 43.7M / 43.1M).",
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("edsr", detect, "head.0, body.N.body.0, tail.0 (EDSR-PyTorch)"),
]

__all__ = ["DETECTIONS", "EDSR", "ZOO", "detect", "edsr", "edsr_baseline"]
