"""MDSR: B. Lim, S. Son, H. Kim, S. Nah, K. M. Lee, "Enhanced Deep Residual Networks for Single Image
Super-Resolution", CVPR Workshops (NTIRE) 2017, section 3.3. https://arxiv.org/abs/1707.02921 (official code:
github.com/sanghyun-son/EDSR-PyTorch, ``model/mdsr.py``).

The multi-scale deep super-resolution system: one network serves x2, x3 and x4. Per scale, a pre-processing head
of two residual blocks with 5x5 kernels (:class:`srkit.blocks.ScaleSpecific`) and a sub-pixel upsampler; in
between, one body of 80 residual blocks (64 features) shared by every scale. ``forward(x, scale)`` picks the
scale's head and upsampler.

Key layout: EDSR-PyTorch's for ``sub_mean``, ``head.0``, ``body.*``, ``tail.0``, ``add_mean``; the per-scale parts
are ``pre_process.heads.x{s}.{j}.*`` (srkit's ScaleSpecific) and ``upsample.x{s}.*`` where the official release has
``pre_process.{i}.{j}.*`` and ``upsample.{i}.*`` (``i`` the index of the scale): :func:`convert_official` renames
them, after which official checkpoints load with ``strict=True``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count_indexed, pixel_range_of, receptive_field
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import EDSRUpsampler, MeanShift, ResBlock, ScaleSpecific, check_scale, conv2d

PAPER = (
    "B. Lim, S. Son, H. Kim, S. Nah, K. M. Lee, 'Enhanced Deep Residual Networks for Single Image "
    "Super-Resolution' (MDSR), CVPR Workshops 2017"
)


class MDSR(nn.Module):
    """The multi-scale deep super-resolution network (Lim et al. 2017)::

        f0 = pre_process[s](head(sub_mean(pixel_range * x)))      # 3x3 conv, then 2 ResBlocks 5x5 for scale s
        f  = body(f0) + f0                                       # n_blocks ResBlocks (3x3), then a 3x3 conv
        y  = add_mean(tail(upsample[s](f))) / pixel_range          # EDSRUpsampler of scale s, 3x3 conv

    The paper's model (80 blocks, 64 features, scales 2, 3, 4) has 7.95M parameters (the paper: 8.0M), counting
    every scale's head and upsampler.

    Args:
        scale: the scale ``forward`` uses when called without one; must be in ``scales``.
        scales: the scales the network serves (one head and one upsampler each).
        in_channels, out_channels: image channels.
        n_feats: feature channels.
        n_blocks: residual blocks in the shared body.
        kernel_size: the body's convolution size (the heads use 5x5).
        pixel_range: 1 (srkit) or 255 (EDSR-PyTorch checkpoints); the model still takes and returns [0, 1].

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, s*H, s*W)`` with ``s = scale`` given to ``forward`` (or the
        built one).

    Example:
        >>> m = MDSR(scale=2, n_feats=8, n_blocks=2)
        >>> m(torch.rand(1, 3, 8, 8)).shape, m(torch.rand(1, 3, 8, 8), 3).shape
        (torch.Size([1, 3, 16, 16]), torch.Size([1, 3, 24, 24]))
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        scales: Sequence[int] = (2, 3, 4),
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_blocks: int = 80,
        kernel_size: int = 3,
        pixel_range: float = 1.0,
    ) -> None:
        super().__init__()
        self.scales = tuple(check_scale("MDSR", s) for s in scales)
        if check_scale("MDSR", scale) not in self.scales:
            raise SrkitError(f"MDSR is built for scales {self.scales}; scale={scale} is not one of them")
        if n_blocks < 0 or not pixel_range > 0:
            raise SrkitError(f"MDSR needs n_blocks >= 0 and pixel_range > 0, got {n_blocks} and {pixel_range!r}")
        self.scale, self.pixel_range = scale, float(pixel_range)
        self.sub_mean = MeanShift(channels=in_channels, sign=-1, pixel_range=pixel_range)
        self.head = nn.Sequential(conv2d(in_channels, n_feats, kernel_size))
        self.pre_process = ScaleSpecific(n_feats=n_feats, scales=self.scales, n_blocks=2, kernel_size=5)
        blocks: list[nn.Module] = [ResBlock(n_feats=n_feats, kernel_size=kernel_size) for _ in range(n_blocks)]
        self.body = nn.Sequential(*blocks, conv2d(n_feats, n_feats, kernel_size))
        self.upsample = nn.ModuleDict({f"x{s}": EDSRUpsampler(scale=s, n_feats=n_feats) for s in self.scales})
        self.tail = nn.Sequential(conv2d(n_feats, out_channels, kernel_size))
        self.add_mean = MeanShift(channels=out_channels, sign=1, pixel_range=pixel_range)

    def forward(self, x: torch.Tensor, scale: int | None = None) -> torch.Tensor:
        s = self.scale if scale is None else scale
        if s not in self.scales:
            raise SrkitError(f"this MDSR serves scales {self.scales}, not {s!r}")
        if self.pixel_range != 1.0:
            x = x * self.pixel_range
        f0 = self.pre_process(self.head(self.sub_mean(x)), s)
        y = self.add_mean(self.tail(self.upsample[f"x{s}"](self.body(f0) + f0)))
        return y / self.pixel_range if self.pixel_range != 1.0 else y


_OFFICIAL = re.compile(r"^(pre_process|upsample)\.(\d+)\.(.*)$")


def convert_official(state: Mapping[str, torch.Tensor], scales: Sequence[int] = (2, 3, 4)) -> dict[str, torch.Tensor]:
    """Rename an EDSR-PyTorch MDSR state dict to :class:`MDSR`'s keys: ``pre_process.{i}.`` becomes
    ``pre_process.heads.x{scales[i]}.`` and ``upsample.{i}.`` becomes ``upsample.x{scales[i]}.``; other keys are
    kept. Already converted keys pass through unchanged.

    Example:
        >>> sorted(convert_official({"upsample.1.0.weight": torch.zeros(1)}))
        ['upsample.x3.0.weight']
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        m = _OFFICIAL.match(key)
        if m is None:
            out[key] = value
            continue
        part, index, rest = m.group(1), int(m.group(2)), m.group(3)
        if index >= len(scales):
            raise SrkitError(f"{key}: scale index {index}, but only scales {tuple(scales)} were given")
        middle = "heads." if part == "pre_process" else ""
        out[f"{part}.{middle}x{scales[index]}.{rest}"] = value
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`MDSR` for an MDSR state dict in srkit's layout (run
    :func:`convert_official` first on an EDSR-PyTorch one), else None. ``scale`` is the smallest scale served;
    ``pixel_range`` is read from the stored mean shift.

    Example:
        >>> detect(MDSR(scale=3, n_feats=8, n_blocks=2).state_dict())["scales"]
        (2, 3, 4)
    """
    if "head.0.weight" not in state or "tail.0.weight" not in state:
        return None
    scales = sorted({int(k.split(".")[2][1:]) for k in state if re.match(r"^pre_process\.heads\.x\d+\.", k)})
    pixel_range = pixel_range_of(state)
    if not scales or pixel_range is None:
        return None
    n_feats, in_channels, _, kernel_size = (int(d) for d in state["head.0.weight"].shape)
    return {
        "scale": scales[0],
        "scales": tuple(scales),
        "in_channels": in_channels,
        "out_channels": int(state["tail.0.weight"].shape[0]),
        "n_feats": n_feats,
        "n_blocks": count_indexed(state, "body.", ".body.0.weight"),
        "kernel_size": kernel_size,
        "pixel_range": pixel_range,
    }


def mdsr(*, scale: int = 2, **overrides: Any) -> MDSR:
    """MDSR as in the paper: scales 2, 3, 4 in one model, 80 shared residual blocks of 64 features."""
    return MDSR(scale=scale, **{"scales": (2, 3, 4), "n_feats": 64, "n_blocks": 80, **overrides})


# head 3x3 (1) + two 5x5 ResBlocks (4 x 2) + 80 blocks (2 each) + body conv (1), then upsampler and tail
_RF = max(receptive_field(1 + 8 + 2 * 80 + 1, s) for s in (2, 3, 4))
_PARAMS = 7_953_987
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        mdsr,
        ModelCard(
            name="mdsr",
            arch="MDSR",
            paper=PAPER,
            scales=(2, 3, 4),
            scale_arg=True,
            multi_scale=True,
            params={2: _PARAMS, 3: _PARAMS, 4: _PARAMS},
            published_params={2: 8_000_000, 3: 8_000_000, 4: 8_000_000},
            receptive_field=_RF,
            notes=(
                "One model for x2, x3 and x4: call model(x, scale) (scale=None: the built one). RGB in [0, 1], "
                "DIV2K mean shift inside (buffers). Parameters counted with sum(p.numel()) over model.parameters() "
                "for the whole multi-scale model (all three heads and upsamplers): 7,953,987, the paper's 8.0M "
                "(0.6% off); EDSR-PyTorch's MDSR has the same count (plus its 24 frozen mean-shift numbers). Its "
                "checkpoints load with strict=True after convert_official(). A forward pass trains only the called "
                "scale's head and upsampler. PUBLISHED.md has no MDSR rows."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("mdsr", detect, "pre_process.N, upsample.N (EDSR-PyTorch MDSR)", convert_official),
]

__all__ = ["DETECTIONS", "MDSR", "ZOO", "convert_official", "detect", "mdsr"]
