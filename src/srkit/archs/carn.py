"""CARN and CARN-M: N. Ahn, B. Kang, K.-A. Sohn, "Fast, Accurate, and Lightweight Super-Resolution with Cascading
Residual Network", ECCV 2018. https://arxiv.org/abs/1803.08664 (official code: github.com/nmhkahn/CARN-pytorch).

Cascading connections at two levels: three cascading blocks (:class:`srkit.blocks.CascadingBlock`), whose outputs are
concatenated with everything before them and fused by 1x1 convolutions, exactly as inside each block. CARN-M makes it
mobile-sized with group convolutions and one residual unit re-used three times per block. The paper's models are
multi-scale (one network with a x2, a x3 and a x4 upsampler; ``forward(x, scale)``), which is how the published
parameter counts (1,592K and 412K) are made; single-scale variants are registered too. Submodule names are the
official ones (the frozen mean shifts included), so the official ``carn_m.pth`` loads with ``strict=True``.
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
from srkit.archs._convert import require
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import CascadingBlock, MeanShift, check_scale, conv2d

PAPER = (
    "N. Ahn, B. Kang, K.-A. Sohn, 'Fast, Accurate, and Lightweight Super-Resolution with Cascading Residual "
    "Network', ECCV 2018"
)
MULTI_SCALES = (2, 3, 4)


class _Fusion(nn.Module):
    """CARN's ``BasicBlock`` as a cascading fusion: ``relu(conv1x1(x))`` (key ``body.0``)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv2d(in_channels, out_channels, 1), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class _UpsampleBlock(nn.Module):
    """CARN's ``_UpsampleBlock``: per x2 (or the one x3) step, group conv 3x3 to ``s^2 n_feats``, ReLU, pixel
    shuffle (keys ``body.0``, ``body.3``, ...)."""

    def __init__(self, n_feats: int, scale: int, groups: int) -> None:
        super().__init__()
        steps = [3] if scale == 3 else [2] * int(math.log2(scale))
        layers: list[nn.Module] = []
        for step in steps:
            layers += [conv2d(n_feats, step * step * n_feats, 3, groups=groups), nn.ReLU(inplace=True)]
            layers.append(nn.PixelShuffle(step))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class _Upsample(nn.Module):
    """CARN's ``UpsampleBlock``: ``up2``/``up3``/``up4`` for a multi-scale model, else one ``up``."""

    def __init__(self, n_feats: int, scale: int, multi_scale: bool, groups: int) -> None:
        super().__init__()
        self.multi_scale = multi_scale
        if multi_scale:
            for s in MULTI_SCALES:
                self.add_module(f"up{s}", _UpsampleBlock(n_feats, s, groups))
        else:
            self.up = _UpsampleBlock(n_feats, scale, groups)

    def forward(self, x: torch.Tensor, scale: int) -> torch.Tensor:
        return getattr(self, f"up{scale}")(x) if self.multi_scale else self.up(x)


class CARN(nn.Module):
    """The cascading residual network (Ahn et al. 2018)::

        c_0 = o_0 = entry(sub_mean(x))                       # 3x3, in_channels -> n_feats
        b_i = block_i(o_{i-1});  c_i = cat(c_{i-1}, b_i);  o_i = relu(conv1x1_i(c_i))    # i = 1 .. n_groups
        y = add_mean(exit(upsample(o_n)))                    # exit: 3x3, n_feats -> out_channels

    ``block_i`` is a :class:`srkit.blocks.CascadingBlock` of ``n_blocks`` residual units: CARN's plain residual blocks
    (``efficient=False``), or CARN-M's efficient residual block with ``groups`` group convolutions, re-used
    ``n_blocks`` times (``efficient=True``). The upsampler has ``groups`` group convolutions too (CARN-M: 4; CARN's
    release: 1). The DIV2K RGB mean is subtracted at the input and added back at the output (in [0, 1]).

    With ``multi_scale=True`` (the paper's models) there is one upsampler per scale 2, 3 and 4, chosen at call time:
    ``forward(x, scale)``; ``scale=None`` uses the built ``scale``. A single-scale model has one upsampler and
    refuses other scales.

    Args:
        scale: the upscaling factor (multi-scale: the default of ``forward``); single-scale: 2, 3, 4 or 8.
        in_channels, out_channels: image channels (the mean shift uses the DIV2K mean for 3 channels, none else).
        n_feats: feature channels.
        n_groups: cascading blocks in the network (``b1`` ... ``b{n}``, fusions ``c1`` ... ``c{n}``).
        n_blocks: residual units (CARN) or re-uses of the shared unit (CARN-M) per cascading block.
        efficient: CARN-M's efficient residual unit, shared within a block.
        groups: group convolutions in the efficient units and in the upsampler.
        multi_scale: one upsampler per scale 2, 3, 4 (``upsample.up2`` ...) instead of one (``upsample.up``).

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, s*H, s*W)``.

    Example:
        >>> m = CARN(scale=2, n_feats=8, n_groups=1, n_blocks=1, efficient=True, groups=2, multi_scale=True)
        >>> m(torch.rand(1, 3, 4, 4), scale=3).shape
        torch.Size([1, 3, 12, 12])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 64,
        n_groups: int = 3,
        n_blocks: int = 3,
        efficient: bool = False,
        groups: int = 1,
        multi_scale: bool = False,
    ) -> None:
        super().__init__()
        check_scale(f"CARN (multi_scale={multi_scale})", scale, allowed=MULTI_SCALES if multi_scale else (2, 3, 4, 8))
        if n_groups < 1 or n_blocks < 1:
            raise SrkitError(f"CARN needs n_groups >= 1 and n_blocks >= 1, got {n_groups} and {n_blocks}")
        if groups < 1 or n_feats % groups:
            raise SrkitError(f"CARN needs n_feats divisible by groups, got {n_feats} and {groups}")
        self.scale, self.n_groups, self.multi_scale = scale, n_groups, multi_scale
        self.sub_mean = MeanShift(channels=in_channels, sign=-1)
        self.add_mean = MeanShift(channels=out_channels, sign=+1)
        self.entry = conv2d(in_channels, n_feats, 3)
        for i in range(1, n_groups + 1):
            block = CascadingBlock(
                n_feats=n_feats, n_blocks=n_blocks, efficient=efficient, shared=efficient, groups=groups
            )
            self.add_module(f"b{i}", block)
            self.add_module(f"c{i}", _Fusion((i + 1) * n_feats, n_feats))
        self.upsample = _Upsample(n_feats, scale, multi_scale, groups)
        self.exit = conv2d(n_feats, out_channels, 3)

    def forward(self, x: torch.Tensor, scale: int | None = None) -> torch.Tensor:
        s = self.scale if scale is None else scale
        if s != self.scale and not (self.multi_scale and s in MULTI_SCALES):
            served = MULTI_SCALES if self.multi_scale else (self.scale,)
            raise SrkitError(f"this CARN serves scales {served}, not {s!r}")
        cascade = out = self.entry(self.sub_mean(x))
        for i in range(1, self.n_groups + 1):
            cascade = torch.cat([cascade, getattr(self, f"b{i}")(out)], dim=1)
            out = getattr(self, f"c{i}")(cascade)
        return self.add_mean(self.exit(self.upsample(out, s)))


def _count(s: Mapping[str, torch.Tensor], pattern: str) -> int:
    n = 0
    while pattern.format(n + 1) in s:
        n += 1
    return n


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An official CARN/CARN-M state dict (nmhkahn/CARN-pytorch) in srkit's layout: its mean shifts are 1x1
    convolutions one level down (``sub_mean.shifter.weight``), srkit's :class:`~srkit.blocks.MeanShift` holds the
    same tensors as ``sub_mean.weight``; a ``module.`` prefix is dropped. A state dict in srkit's layout passes
    through.

    Raises:
        SrkitError: no CARN mean shift in either layout.
    """
    s = {k.removeprefix("module."): v for k, v in state.items()}
    if "sub_mean.weight" in s:
        return s
    require(s, ("sub_mean.shifter.weight", "add_mean.shifter.bias"), "CARN")
    return {k.replace("_mean.shifter.", "_mean."): v for k, v in s.items()}


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`CARN` for a CARN/CARN-M state dict in srkit's layout (run
    :func:`convert_official` first on an official one), else None.

    ``efficient`` (CARN-M) shows in the 1x1 convolution of the efficient unit (``b1.b1.body.4``), ``groups`` in the
    input channels of its group convolutions and of the upsampler's; a multi-scale model has ``upsample.up2/3/4``
    (its ``scale``, only the default of ``forward``, is returned as 2); a single-scale one has ``upsample.up``, whose
    first convolution has ``9 n_feats`` filters at x3, else ``4 n_feats`` per x2 step (``body.0``, ``body.3``, ...).

    Example:
        >>> m = CARN(scale=8, n_feats=8, n_groups=2, n_blocks=2, efficient=True, groups=2)
        >>> {k: detect(m.state_dict())[k] for k in ("scale", "efficient", "groups", "n_groups")}
        {'scale': 8, 'efficient': True, 'groups': 2, 'n_groups': 2}
    """
    s = state
    required = ("sub_mean.weight", "entry.weight", "b1.b1.body.0.weight", "c1.body.0.weight", "exit.weight")
    if not all(k in s for k in required):
        return None
    n_feats, in_channels = int(s["entry.weight"].shape[0]), int(s["entry.weight"].shape[1])
    efficient = "b1.b1.body.4.weight" in s
    unit_groups = n_feats // int(s["b1.b1.body.0.weight"].shape[1])
    multi_scale = "upsample.up2.body.0.weight" in s
    prefix = "upsample.up2" if multi_scale else "upsample.up"
    if f"{prefix}.body.0.weight" not in s:
        return None
    up_filters = int(s[f"{prefix}.body.0.weight"].shape[0])
    up_groups = n_feats // int(s[f"{prefix}.body.0.weight"].shape[1])
    if multi_scale:
        scale = 2
    elif up_filters == 9 * n_feats:
        scale = 3
    elif up_filters == 4 * n_feats:
        scale = 2 ** sum(f"{prefix}.body.{3 * k}.weight" in s for k in range(3))
    else:
        return None
    if (efficient and unit_groups != up_groups) or (not efficient and unit_groups != 1):
        return None
    return {
        "scale": scale,
        "in_channels": in_channels,
        "out_channels": int(s["exit.weight"].shape[0]),
        "n_feats": n_feats,
        "n_groups": _count(s, "b{}.c1.body.0.weight"),
        "n_blocks": _count(s, "b1.c{}.body.0.weight"),
        "efficient": efficient,
        "groups": up_groups,
        "multi_scale": multi_scale,
    }


def arch_name(kwargs: Mapping[str, Any]) -> str:
    """The registry name of the variant that :func:`detect`'s arguments describe: ``carn``, ``carn_m``,
    ``carn_single`` or ``carn_m_single`` (for a loader that registers one detector per name).

    Example:
        >>> arch_name({"efficient": True, "multi_scale": True})
        'carn_m'
    """
    name = "carn_m" if kwargs.get("efficient") else "carn"
    return name if kwargs.get("multi_scale") else f"{name}_single"


def carn(*, scale: int = 2, **overrides: Any) -> CARN:
    """CARN as in the paper: multi-scale (x2, x3, x4 upsamplers in one model), 64 features, 3x3 cascading."""
    return CARN(scale=scale, **{"n_feats": 64, "efficient": False, "groups": 1, "multi_scale": True, **overrides})


def carn_m(*, scale: int = 2, **overrides: Any) -> CARN:
    """CARN-M as in the paper and the official ``carn_m.pth``: multi-scale, group convolutions (4), shared units."""
    return CARN(scale=scale, **{"n_feats": 64, "efficient": True, "groups": 4, "multi_scale": True, **overrides})


def carn_single(*, scale: int = 4, **overrides: Any) -> CARN:
    """CARN with a single upsampler (for training one scale)."""
    return carn(scale=scale, **{"multi_scale": False, **overrides})


def carn_m_single(*, scale: int = 4, **overrides: Any) -> CARN:
    """CARN-M with a single upsampler (for training one scale)."""
    return carn_m(scale=scale, **{"multi_scale": False, **overrides})


_COUNTED = (
    "Parameters counted with sum(p.numel()); the frozen mean shifts are buffers, not parameters (the official "
    "checkpoint stores them, 24 floats). "
)
_RF = (
    "receptive_field: entry + 3 blocks x 3 units x two 3x3 + upsampler conv, HR convolutions in LR pixels, rounded up."
)
_CARN_ROWS = (
    Published("Set5", 2, 37.76, 0.9590, "[CARN]"),
    Published("Set14", 2, 33.52, 0.9166, "[CARN]"),
    Published("Set5", 3, 34.29, 0.9255, "[CARN]"),
    Published("Set14", 3, 30.29, 0.8407, "[CARN]"),
    Published("Set5", 4, 32.13, 0.8937, "[CARN]"),
    Published("Set14", 4, 28.60, 0.7806, "[CARN]"),
)
_CARN_M_SRC = "CARN paper table (../shared/weights/MANIFEST.md)"
_CARN_M_ROWS = (
    Published("Set5", 2, 37.53, source=_CARN_M_SRC),
    Published("Set14", 2, 33.26, source=_CARN_M_SRC),
    Published("Set5", 3, 33.99, source=_CARN_M_SRC),
    Published("Set14", 3, 30.08, source=_CARN_M_SRC),
    Published("Set5", 4, 31.92, source=_CARN_M_SRC),
    Published("Set14", 4, 28.42, source=_CARN_M_SRC),
)
_MULTI = "Multi-scale: forward(x, scale) with scale 2, 3 or 4 (None: the built scale); all three upsamplers count. "
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        carn,
        ModelCard(
            name="carn",
            arch="CARN",
            paper=PAPER,
            scales=MULTI_SCALES,
            scale_arg=True,
            multi_scale=True,
            params={2: 1_591_939, 3: 1_591_939, 4: 1_591_939},
            published_params={2: 1_592_000, 3: 1_592_000, 4: 1_592_000},
            receptive_field=21,
            published=_CARN_ROWS,
            notes=_MULTI + _COUNTED + _RF,
        ),
    ),
    (
        carn_m,
        ModelCard(
            name="carn_m",
            arch="CARN",
            paper=PAPER + " (CARN-M)",
            scales=MULTI_SCALES,
            scale_arg=True,
            multi_scale=True,
            params={2: 414_787, 3: 414_787, 4: 414_787},
            published_params={2: 412_000, 3: 412_000, 4: 412_000},
            receptive_field=21,
            published=_CARN_M_ROWS,
            notes=(
                _MULTI
                + _COUNTED
                + "The paper's 412K is 0.7% below srkit's (and the official checkpoint's) 414,787. The official "
                "carn_m.pth loads with strict=True. CARN-M is not in PUBLISHED.md: the PSNRs are the CARN paper's. "
                + _RF
            ),
        ),
    ),
    (
        carn_single,
        ModelCard(
            name="carn_single",
            arch="CARN",
            paper=PAPER,
            scales=(2, 3, 4),
            scale_arg=True,
            params={2: 964_163, 3: 1_148_803, 4: 1_111_875},
            receptive_field=21,
            notes=(
                "Single-scale CARN (one upsampler); the paper reports only its multi-scale models, so no published "
                "parameter count or PSNR applies. " + _COUNTED + _RF
            ),
        ),
    ),
    (
        carn_m_single,
        ModelCard(
            name="carn_m_single",
            arch="CARN",
            paper=PAPER + " (CARN-M)",
            scales=(2, 3, 4),
            scale_arg=True,
            params={2: 257_027, 3: 303_427, 4: 294_147},
            receptive_field=21,
            notes=(
                "Single-scale CARN-M (one upsampler); the paper reports only its multi-scale models, so no published "
                "parameter count or PSNR applies. " + _COUNTED + _RF
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection(
        "carn",
        detect,
        "sub_mean.shifter, entry, b1.b1.body, c1.body, upsample (CARN, CARN-M)",
        convert_official,
        name_of=arch_name,
    ),
]

__all__ = [
    "CARN",
    "DETECTIONS",
    "ZOO",
    "arch_name",
    "carn",
    "carn_m",
    "carn_m_single",
    "carn_single",
    "convert_official",
    "detect",
]
