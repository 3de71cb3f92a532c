"""LapSRN and MS-LapSRN.

- W.-S. Lai, J.-B. Huang, N. Ahuja, M.-H. Yang, "Deep Laplacian Pyramid Networks for Fast and Accurate
  Super-Resolution", CVPR 2017. https://arxiv.org/abs/1704.03915
- W.-S. Lai, J.-B. Huang, N. Ahuja, M.-H. Yang, "Fast and Accurate Image Super-Resolution with Deep Laplacian
  Pyramid Networks", TPAMI 41(11), 2019 (arXiv 2017). https://arxiv.org/abs/1710.01992

Progressive upsampling on the Y channel, one x2 pyramid level at a time (x2, x4, x8). Each level has a feature
branch (convolutions at the current resolution, then a transposed convolution x2, then a 3x3 convolution that
predicts the level's residual image, its Laplacian sub-band) and an image branch (a 4x4 transposed convolution
initialised to bilinear upsampling), whose sum is the level's output; every level's output is supervised
(``forward_all``).

LapSRN (CVPR) gives each level its own ``d = 10`` convolutions + LReLU(0.2) (srkit's
:class:`~srkit.blocks.LaplacianStep`, chained by the :class:`~srkit.frameworks.progressive.Progressive`
framework). MS-LapSRN (TPAMI) shares ONE set of weights across levels and within each level applies a recursive
block (``D`` pre-activated convolutions) ``R`` times with a local skip from the level's input ("shared-source"
local residual learning); the same weights serve x2, x4 and x8 (``forward(x, scale=...)``). Its paper's model is
D5R8.

The official MatConvNet code (phoenix104104/LapSRN) upsamples features with a 3x3 transposed convolution
(``conv_f = 3``, crop ``[0, 1, 0, 1]``), which gives the papers' parameter counts (812K, 222K); srkit's
``up_kernel_size=3`` does the same (PyTorch's ``padding=1, output_padding=1`` crops the other side, a one-pixel
shift of the learned kernel). ``up_kernel_size=4`` keeps :class:`~srkit.blocks.LaplacianStep`'s 4x4 kernel.

The most used PyTorch LapSRN (twtygqyy/pytorch-LapSRN, x4: ``conv_input``, ``convt_F{k}.0.cov_block``,
``convt_R{k}``, ``convt_I{k}``; bias-free, 4x4 feature upsampler) loads into ``LapSRN(up_kernel_size=4)`` after
:func:`convert_official`; that repository saves whole pickled models, to re-save as state dicts first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._convert import count, require, zero_bias
from srkit.archs._registry import Builder
from srkit.archs.checkpoint import Detection
from srkit.blocks import LaplacianStep, conv2d
from srkit.blocks.projection import bilinear_kernel
from srkit.frameworks.progressive import Progressive

PAPER = "Lai, Huang, Ahuja, Yang, Deep Laplacian Pyramid Networks for Fast and Accurate Super-Resolution, CVPR 2017"
PAPER_MS = (
    "Lai, Huang, Ahuja, Yang, Fast and Accurate Image Super-Resolution with Deep Laplacian Pyramid Networks "
    "(MS-LapSRN), TPAMI 2019"
)
SKIPS = ("ss", "ds", "ns")


def _levels(scale: object) -> int:
    """``log2(scale)`` for a power of two >= 2, else an error."""
    s = check_scale("a Laplacian pyramid network", scale)
    if s < 2 or s & (s - 1):
        raise SrkitError(f"Laplacian pyramid networks upscale by a power of two (2, 4, 8...), got {scale!r}")
    return s.bit_length() - 1


def _feature_upsampler(n_feats: int, kernel_size: int) -> nn.ConvTranspose2d:
    """x2 transposed convolution: 3x3 (official code) or 4x4 (:class:`LaplacianStep`'s), exactly ``2H``."""
    if kernel_size == 3:
        return nn.ConvTranspose2d(n_feats, n_feats, 3, stride=2, padding=1, output_padding=1)
    if kernel_size == 4:
        return nn.ConvTranspose2d(n_feats, n_feats, 4, stride=2, padding=1)
    raise SrkitError(f"up_kernel_size must be 3 (official code) or 4, got {kernel_size}")


class LapSRN(Progressive):
    """LapSRN (Lai et al. 2017): ``f = lrelu(conv(x))``; per level ``f, image = LaplacianStep(f, image)``.

    Args:
        scale: 2, 4 or 8 (``log2(scale)`` levels).
        in_channels: image channels, in and out (1: the paper works on Y).
        n_feats: filters per layer (64).
        depth: ``d``, convolutions per level (10).
        up_kernel_size: the feature upsampler's kernel: 3 (official code, the paper's parameter count) or 4.

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, scale*H, scale*W)``; ``forward_all`` gives every level's
        output, ``2H`` to ``scale*H``.

    Example:
        >>> m = LapSRN(scale=4, n_feats=8, depth=1)
        >>> [y.shape[-1] for y in m.forward_all(torch.rand(1, 1, 8, 8))]
        [16, 32]
    """

    @store_hparams
    def __init__(
        self, *, scale: int = 4, in_channels: int = 1, n_feats: int = 64, depth: int = 10, up_kernel_size: int = 3
    ) -> None:
        steps = [LaplacianStep(n_feats=n_feats, in_channels=in_channels, depth=depth) for _ in range(_levels(scale))]
        for step in steps:  # LaplacianStep has no kernel-size option yet: swap its transposed convolution
            step.feature_up[0] = _feature_upsampler(n_feats, up_kernel_size)
        super().__init__(scale=scale, stages=list(steps), in_channels=in_channels, n_feats=n_feats, head_act="lrelu")


class MSLapSRN(nn.Module):
    """MS-LapSRN (Lai et al. 2019): LapSRN with all weights shared across pyramid levels and a recursive block
    inside each level.

    Per level, from its input features ``f``: ``h_0 = f``, ``h_r = block(h_{r-1}) + skip`` (``skip`` = ``f`` for
    "ss", ``h_{r-1}`` for "ds", nothing for "ns") for ``r = 1 ... R``, ``block`` = ``D`` x (LReLU(0.2), 3x3
    conv); then ``f = upconv(lrelu(h_R))``, ``image = image_up(image) + residual(f)``.

    Args:
        scale: the default scale, a power of two (``forward(x, scale=...)`` runs any other one).
        in_channels: image channels, in and out (1: the paper works on Y).
        n_feats: filters per layer (64).
        depth: ``D``, convolutions in the recursive block (5).
        n_recursions: ``R``, recursions per level (8).
        skip: local residual learning: "ss" (shared source, the paper's choice), "ds" (distinct source), "ns".
        up_kernel_size: the feature upsampler's kernel: 3 (official code) or 4.

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, scale*H, scale*W)``; ``forward_all``: every level's output.

    Example:
        >>> m = MSLapSRN(scale=2, n_feats=8, depth=1, n_recursions=2)
        >>> m(torch.rand(1, 1, 8, 8), scale=8).shape
        torch.Size([1, 1, 64, 64])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 1,
        n_feats: int = 64,
        depth: int = 5,
        n_recursions: int = 8,
        skip: str = "ss",
        up_kernel_size: int = 3,
    ) -> None:
        super().__init__()
        _levels(scale)
        if skip not in SKIPS:
            raise SrkitError(f"unknown local skip {skip!r}; choose one of {', '.join(SKIPS)}")
        if depth < 1 or n_recursions < 1:
            raise SrkitError(f"MS-LapSRN needs depth, n_recursions >= 1, got {depth}, {n_recursions}")
        self.scale, self.skip, self.n_recursions = scale, skip, n_recursions
        self.head = conv2d(in_channels, n_feats)
        layers: list[nn.Module] = []
        for _ in range(depth):  # pre-activation; not in place: the block's input is read again by the skip
            layers += [nn.LeakyReLU(0.2), conv2d(n_feats, n_feats)]
        self.block = nn.Sequential(*layers)
        self.feature_up = nn.Sequential(nn.LeakyReLU(0.2), _feature_upsampler(n_feats, up_kernel_size))
        self.residual = conv2d(n_feats, in_channels)
        self.image_up = nn.ConvTranspose2d(in_channels, in_channels, 4, stride=2, padding=1, bias=False)
        with torch.no_grad():  # channel c -> channel c, bilinear
            eye = torch.eye(in_channels, dtype=self.image_up.weight.dtype)
            self.image_up.weight.copy_(eye[:, :, None, None] * bilinear_kernel(4, eye.dtype))

    def forward_all(self, x: torch.Tensor, scale: int | None = None) -> list[torch.Tensor]:
        """Every pyramid level's output, x2 first."""
        features, image = self.head(x), x
        outs = []
        for _ in range(_levels(self.scale if scale is None else scale)):
            h = features
            for _ in range(self.n_recursions):
                h = self.block(h) + (features if self.skip == "ss" else h if self.skip == "ds" else 0)
            features = self.feature_up(h)
            image = self.image_up(image) + self.residual(features)
            outs.append(image)
        return outs

    def forward(self, x: torch.Tensor, scale: int | None = None) -> torch.Tensor:
        return self.forward_all(x, scale)[-1]


_TWTYGQYY = re.compile(r"^(?:conv_input|convt_([IR])(\d+)|convt_F(\d+)\.0\.cov_block\.(\d+))\.weight$")


def convert_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A twtygqyy/pytorch-LapSRN state dict in the keys of srkit's :class:`LapSRN` (``up_kernel_size=4``), zero
    biases added where srkit's layers have one (the function is unchanged):

    ``conv_input`` -> ``head.0``; per level ``k``: ``convt_F{k}.0.cov_block.{2j}`` -> ``stages.{k-1}.embed.{2j}``
    (the ``d`` convolutions), its last entry (the 4x4 transposed convolution) -> ``stages.{k-1}.feature_up.0``,
    ``convt_R{k}`` -> ``stages.{k-1}.residual``, ``convt_I{k}`` -> ``stages.{k-1}.image_up`` (bias-free in both).

    Raises:
        SrkitError: not that layout.
    """
    require(state, ("conv_input.weight", "convt_I1.weight", "convt_R1.weight"), "LapSRN (twtygqyy)")
    out: dict[str, torch.Tensor] = {}
    for key, weight in state.items():
        m = _TWTYGQYY.match(key)
        if m is None or weight.ndim != 4:
            raise SrkitError(f"not a LapSRN (twtygqyy) state dict: unexpected key {key}")
        if m.group(1) == "I":
            out[f"stages.{int(m.group(2)) - 1}.image_up.weight"] = weight
            continue
        if m.group(1) == "R":
            name = f"stages.{int(m.group(2)) - 1}.residual"
        elif m.group(3) is not None:
            level, index = int(m.group(3)) - 1, int(m.group(4))
            last = f"convt_F{m.group(3)}.0.cov_block.{index + 2}.weight" not in state
            name = f"stages.{level}.feature_up.0" if last else f"stages.{level}.embed.{index}"
        else:
            name = "head.0"
        out[f"{name}.weight"], out[f"{name}.bias"] = weight, zero_bias(weight, transposed=name.endswith("up.0"))
    return out


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """Constructor arguments of :class:`LapSRN` for a LapSRN state dict in srkit's keys (run
    :func:`convert_official` first on a twtygqyy one), else None: the scale from the pyramid levels, ``depth``
    from the convolutions of a level, ``up_kernel_size`` from the feature upsampler.

    Example:
        >>> detect(LapSRN(scale=8, n_feats=8, depth=2).state_dict())["scale"]
        8
    """
    required: tuple[str, ...] = ("head.0.weight", "stages.0.embed.0.weight", "stages.0.feature_up.0.weight")
    required += ("stages.0.residual.weight", "stages.0.image_up.weight")
    if not all(k in state for k in required):
        return None
    n_feats, in_channels = (int(d) for d in state["head.0.weight"].shape[:2])
    levels, depth = count(state, "stages.{}.image_up.weight"), 0
    while f"stages.0.embed.{2 * depth}.weight" in state:
        depth += 1
    kernel = int(state["stages.0.feature_up.0.weight"].shape[-1])
    if kernel not in (3, 4) or levels < 1 or state["stages.0.image_up.weight"].shape[:2] != (in_channels,) * 2:
        return None
    kwargs = {"in_channels": in_channels, "n_feats": n_feats, "depth": depth, "up_kernel_size": kernel}
    return {"scale": 2**levels, **kwargs}


def lapsrn(*, scale: int = 2, **overrides: Any) -> LapSRN:
    """LapSRN: ``d = 10`` convolutions of 64 filters per level, Y channel."""
    return LapSRN(scale=scale, **{"n_feats": 64, "depth": 10, **overrides})


def ms_lapsrn(*, scale: int = 2, **overrides: Any) -> MSLapSRN:
    """MS-LapSRN D5R8 (the TPAMI paper's model): a 5-layer recursive block, 8 recursions, shared-source skip."""
    return MSLapSRN(scale=scale, **{"n_feats": 64, "depth": 5, "n_recursions": 8, "skip": "ss", **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        lapsrn,
        ModelCard(
            name="lapsrn",
            arch="LapSRN",
            paper=PAPER,
            scales=(2, 4, 8),
            color="y",
            forward_all="pyramid",
            in_channels=1,
            out_channels=1,
            params={2: 407_441, 4: 814_242, 8: 1_221_043},
            published_params={4: 813_000},
            receptive_field=22,  # LR radius: 1 + (10 + 1 + 1/2) (1 + 1/2 + 1/4) at x8
            published=(
                Published(dataset="Set5", scale=2, psnr=37.52, ssim=0.9591, source="[RCAN]"),
                Published(dataset="Set14", scale=2, psnr=33.08, ssim=0.9130, source="[CARN]"),
                Published(dataset="Set5", scale=4, psnr=31.54, ssim=0.8850, source="[RCAN]"),
                Published(dataset="Set14", scale=4, psnr=28.19, ssim=0.7720, source="[RCAN]"),
            ),
            notes=(
                "Y-channel model: 1 input channel, params counted with biases. The published 813K is the x4 "
                "network (two levels, d = 10, 3x3 feature upsampler as in the official code); the x2 and x8 "
                "networks have one and three levels, and the paper gives no count for them. "
                "up_kernel_size=4 (LaplacianStep's default) gives 871,586 at x4. forward_all returns every "
                "level's output (x2 first)."
            ),
        ),
    ),
    (
        ms_lapsrn,
        ModelCard(
            name="ms_lapsrn",
            arch="MSLapSRN",
            paper=PAPER_MS,
            scales=(2, 4, 8),
            color="y",
            scale_arg=True,
            multi_scale=True,
            forward_all="pyramid",
            in_channels=1,
            out_channels=1,
            params={2: 222_801, 4: 222_801, 8: 222_801},
            published_params={2: 222_000, 4: 222_000, 8: 222_000},
            receptive_field=74,  # LR radius: 1 + (40 + 1 + 1/2) (1 + 1/2 + 1/4) at x8
            notes=(
                "Y-channel model: 1 input channel, params counted with biases (222,801 for D5R8; every D5Rx "
                "variant has the same count). One network for x2, x4 and x8: forward(x, scale=...) runs "
                "log2(scale) levels with the same weights. No Set5/Set14 row for MS-LapSRN in PUBLISHED.md."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("lapsrn", detect, "conv_input, convt_F1 (LapSRN, twtygqyy)", convert_official),
]
