"""DRRN: Y. Tai, J. Yang, X. Liu, "Image Super-Resolution via Deep Recursive Residual Network", CVPR 2017.
https://openaccess.thecvf.com/content_cvpr_2017/papers/Tai_Image_Super-Resolution_via_CVPR_2017_paper.pdf

Pre-upsampling on the Y channel with global residual learning. ``B`` recursive blocks
(:class:`~srkit.blocks.RecursiveResidual`), each an entry convolution and ``U`` residual units that share one
pair of 3x3 convolutions (128 filters) and all add to the block's entry features; pre-activation
(BatchNorm-ReLU-conv) everywhere; a last BN-ReLU-conv back to the image, plus the interpolated input. Depth
``d = (1 + 2U) B + 1``: B1U9 is 20 layers, B1U25 is 52, with the same 297K parameters.

As in the paper's layer count (and the official Caffe files), the first block's entry convolution reads the image
itself (``in_channels -> 128``); the parameter count then equals the paper's. BatchNorm follows the official
Caffe files (``bn=True``); srkit's block shares the BatchNorm of the residual units across recursions like their
convolutions (the Caffe files give each unit its own), and ``bn=False`` drops BatchNorm.

The two PyTorch releases (both without BatchNorm and biases) load after a key conversion:
:func:`convert_jt827859032` (jt827859032/DRRN-pytorch, B1U25: ``input``, ``conv1``, ``conv2``, ``output``; saved as
a pickled model, to re-save as a state dict first) and :func:`convert_yjn870` (yjn870/DRRN-pytorch, B1U9:
``rbs.{b}.h0``, ``rbs.{b}.ru``, ``rec``). Both are pre-activation DRRNs like srkit's with ``bn=False``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.checks import check_positive_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count, require, zero_bias
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import RecursiveResidual, check_interpolation, conv2d, interpolate

PAPER = "Tai, Yang, Liu, Image Super-Resolution via Deep Recursive Residual Network (DRRN), CVPR 2017"


class DRRN(nn.Module):
    """DRRN (Tai et al. 2017): ``up = interpolate(x)``; ``y = conv(relu(bn(blocks(up)))) + up``.

    Args:
        scale: upscaling factor of the interpolation (``forward(x, scale=...)`` runs another one).
        in_channels: image channels, in and out (1: the paper works on Y).
        n_feats: filters per layer (128).
        n_blocks: ``B``, recursive blocks (1).
        n_units: ``U``, residual units per block (9 or 25), sharing their weights.
        bn: BatchNorm before every ReLU (the official Caffe files).
        interpolation: ``"matlab"`` (MATLAB-exact bicubic, as trained) or a torch mode (``"bicubic"``...).

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, scale*H, scale*W)``.

    Example:
        >>> DRRN(scale=2, n_feats=8, n_units=2)(torch.rand(1, 1, 8, 8)).shape
        torch.Size([1, 1, 16, 16])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 1,
        n_feats: int = 128,
        n_blocks: int = 1,
        n_units: int = 25,
        bn: bool = True,
        interpolation: str = "matlab",
    ) -> None:
        super().__init__()
        if n_blocks < 1:
            raise SrkitError(f"DRRN needs n_blocks >= 1, got {n_blocks}")
        check_positive_scale(scale)
        self.scale = scale
        self.interpolation = check_interpolation(interpolation)
        blocks = [RecursiveResidual(n_feats=n_feats, n_units=n_units, bn=bn) for _ in range(n_blocks)]
        # The first block reads the image: its entry (pre-activation + convolution) takes in_channels. The block
        # has no option for this yet, so its two entry layers are replaced here, before any use.
        blocks[0].bn_in = nn.BatchNorm2d(in_channels) if bn else nn.Identity()
        blocks[0].conv_in = conv2d(in_channels, n_feats)
        self.blocks = nn.Sequential(*blocks)
        self.tail_bn: nn.Module = nn.BatchNorm2d(n_feats) if bn else nn.Identity()
        self.tail = conv2d(n_feats, in_channels)

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        up = interpolate(x, self.scale if scale is None else scale, self.interpolation)
        return self.tail(torch.relu(self.tail_bn(self.blocks(up)))) + up


_JT = {"input.weight": "blocks.0.conv_in", "conv1.weight": "blocks.0.conv1", "conv2.weight": "blocks.0.conv2"}
_JT |= {"output.weight": "tail"}
_YJN = re.compile(r"^(?:rbs\.(\d+)\.(h0|ru\.module\.0|ru\.module\.1)|rec)\.module\.1\.weight$")
_YJN_NAMES = {"h0": "conv_in", "ru.module.0": "conv1", "ru.module.1": "conv2"}


def _with_zero_biases(weights: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for name, weight in weights.items():
        out[f"{name}.weight"], out[f"{name}.bias"] = weight, zero_bias(weight)
    return out


def convert_jt827859032(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A jt827859032/DRRN-pytorch state dict (B1U25, 128 filters, no BatchNorm, no biases: exactly ``input``,
    ``conv1``, ``conv2``, ``output``) in the keys of srkit's DRRN with ``bn=False`` (zero biases added).

    Raises:
        SrkitError: not that layout.
    """
    require(state, _JT, "DRRN (jt827859032/DRRN-pytorch)")
    if len(state) != len(_JT):
        raise SrkitError(f"not a DRRN (jt827859032) state dict: {sorted(set(state) - set(_JT))[:3]} too")
    return _with_zero_biases({name: state[key] for key, name in _JT.items()})


def convert_yjn870(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A yjn870/DRRN-pytorch state dict (``rbs.{b}.h0``, ``rbs.{b}.ru.module.{0,1}``, ``rec``, each a ReLU +
    bias-free convolution as ``module.1``; released as B1U9) in the keys of srkit's DRRN with ``bn=False``.

    Raises:
        SrkitError: not that layout.
    """
    require(state, ("rbs.0.h0.module.1.weight", "rec.module.1.weight"), "DRRN (yjn870/DRRN-pytorch)")
    weights: dict[str, torch.Tensor] = {}
    for key, weight in state.items():
        m = _YJN.match(key)
        if m is None:
            raise SrkitError(f"not a DRRN (yjn870) state dict: unexpected key {key}")
        weights["tail" if m.group(1) is None else f"blocks.{m.group(1)}.{_YJN_NAMES[m.group(2)]}"] = weight
    return _with_zero_biases(weights)


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`DRRN` for a DRRN state dict in srkit's keys, else None: ``in_channels``,
    ``n_feats``, ``n_blocks`` and ``bn``. Neither ``scale`` (one network serves every scale: the caller chooses)
    nor ``n_units`` (not stored: the registry name, ``drrn_b1u9`` or ``drrn_b1u25``, gives it) is returned.

    Example:
        >>> detect(DRRN(scale=3, n_feats=8, n_blocks=2, bn=False).state_dict())
        {'in_channels': 1, 'n_feats': 8, 'n_blocks': 2, 'bn': False}
    """
    required = ("blocks.0.conv_in.weight", "blocks.0.conv1.weight", "blocks.0.conv2.weight", "tail.weight")
    if not all(k in state for k in required) or state["blocks.0.conv_in.weight"].ndim != 4:
        return None
    n_blocks, bn = count(state, "blocks.{}.conv1.weight"), "blocks.0.bn1.weight" in state
    layers = [f"blocks.{b}.{c}" for b in range(n_blocks) for c in ("conv_in", "conv1", "conv2")] + ["tail"]
    expected = {f"{n}.{p}" for n in layers for p in ("weight", "bias")}
    if bn:
        norms = [f"blocks.{b}.{n}" for b in range(n_blocks) for n in ("bn_in", "bn1", "bn2")] + ["tail_bn"]
        stats = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
        expected |= {f"{n}.{p}" for n in norms for p in stats}
    if set(state) != expected:
        return None
    n_feats, in_channels = (int(d) for d in state["blocks.0.conv_in.weight"].shape[:2])
    return {"in_channels": in_channels, "n_feats": n_feats, "n_blocks": n_blocks, "bn": bn}


def drrn_b1u9(*, scale: int = 2, **overrides: Any) -> DRRN:
    """DRRN B1U9 (20 layers): one recursive block of 9 residual units, 128 filters."""
    return DRRN(scale=scale, **{"n_feats": 128, "n_blocks": 1, "n_units": 9, **overrides})


def drrn_b1u25(*, scale: int = 2, **overrides: Any) -> DRRN:
    """DRRN B1U25 (52 layers, the paper's best): one recursive block of 25 residual units, 128 filters."""
    return DRRN(scale=scale, **{"n_feats": 128, "n_blocks": 1, "n_units": 25, **overrides})


_NOTES = (
    "Y-channel model: 1 input channel. 298,371 = 297,216 convolution weights (the paper's 297K) + 385 biases "
    "+ 770 BatchNorm scales and shifts (bn=True, the residual units' BatchNorm shared across recursions; "
    "bn=False: 297,601). Parameters do not depend on U. MATLAB-exact bicubic inside (interpolation='matlab'); "
    "forward(x, scale=...) runs any scale (the paper trains one model on x2, x3, x4)."
)
_PUBLISHED = (
    Published(dataset="Set5", scale=2, psnr=37.74, ssim=0.9591, source="[CARN]"),
    Published(dataset="Set14", scale=2, psnr=33.23, ssim=0.9136, source="[CARN]"),
    Published(dataset="Set5", scale=3, psnr=34.03, ssim=0.9244, source="[CARN]"),
    Published(dataset="Set14", scale=3, psnr=29.96, ssim=0.8349, source="[CARN]"),
    Published(dataset="Set5", scale=4, psnr=31.68, ssim=0.8888, source="[CARN]"),
    Published(dataset="Set14", scale=4, psnr=28.21, ssim=0.7720, source="[CARN]"),
)
_PARAMS = {2: 298_371, 3: 298_371, 4: 298_371}
_PUBLISHED_PARAMS = {2: 297_000, 3: 297_000, 4: 297_000}

ZOO: list[tuple[Builder, ModelCard]] = [
    (
        drrn_b1u9,
        ModelCard(
            name="drrn_b1u9",
            arch="DRRN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            multi_scale=True,
            in_channels=1,
            out_channels=1,
            params=_PARAMS,
            published_params=_PUBLISHED_PARAMS,
            receptive_field=12,  # 20 3x3 layers: HR radius 20 -> 10 LR pixels at x2, + 2 for bicubic
            notes=_NOTES + " PUBLISHED.md's DRRN rows are B1U25's.",
        ),
    ),
    (
        drrn_b1u25,
        ModelCard(
            name="drrn_b1u25",
            arch="DRRN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            multi_scale=True,
            in_channels=1,
            out_channels=1,
            params=_PARAMS,
            published_params=_PUBLISHED_PARAMS,
            receptive_field=28,  # 52 3x3 layers: HR radius 52 -> 26 LR pixels at x2, + 2 for bicubic
            published=_PUBLISHED,
            notes=_NOTES,
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("drrn_b1u25", detect, "input, conv1, conv2 (DRRN, jt827859032)", convert_jt827859032),
    Detection("drrn_b1u9", detect, "rbs.N.h0, rbs.N.ru, rec (DRRN, yjn870)", convert_yjn870),
]
