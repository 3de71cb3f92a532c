"""FSRCNN: C. Dong, C. C. Loy, X. Tang, "Accelerating the Super-Resolution Convolutional Neural Network",
ECCV 2016. https://arxiv.org/abs/1608.00367

Post-upsampling on the Y channel, in five parts, every convolution followed by a PReLU except the last:
feature extraction (5x5, ``d`` filters), shrinking (1x1, ``s``), mapping (``m`` x 3x3, ``s``), expanding (1x1,
``d``), and a 9x9 transposed convolution with stride ``scale`` (the deconvolution). FSRCNN is
``(d, s, m) = (56, 12, 4)``, FSRCNN-s ``(32, 5, 1)``.

Two tails, so that both widely used third-party weight sets load:

- ``tail="deconv"`` (the paper): ``ConvTranspose2d(d, out, 9, stride=s, padding=4, output_padding=s-1)``, named
  as in yjn870/FSRCNN-pytorch (``first_part``, ``mid_part``, ``last_part``), so its ``fsrcnn_x{2,3,4}.pth``
  load with ``strict=True``. Zero 'same' padding everywhere (the paper trains without padding).
- ``tail="subpixel"`` (OpenCV's ``dnn_superres`` FSRCNN graphs, Saafke/FSRCNN_Tensorflow): a 1x1 convolution
  ``d -> out * s^2`` without bias, pixel shuffle, then one bias per output channel. It is a deconvolution whose
  kernel is ``s x s``; load those graphs with ``srkit.archs.tf_graph.load_opencv_pb``.
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
from srkit.blocks import check_scale, conv2d

PAPER = "Dong, Loy, Tang, Accelerating the Super-Resolution Convolutional Neural Network (FSRCNN), ECCV 2016"
TAILS = ("deconv", "subpixel")


class SubPixelTail(nn.Module):
    """OpenCV FSRCNN's tail: ``shuffle(conv1x1(x)) + bias`` with one bias per output channel.

    Shape:
        ``(B, n_feats, H, W) -> (B, out_channels, scale*H, scale*W)``.
    """

    def __init__(self, n_feats: int, out_channels: int, scale: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(n_feats, out_channels * scale * scale, 1, bias=False)
        self.shuffle = nn.PixelShuffle(scale)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.conv(x)) + self.bias.view(1, -1, 1, 1)


class FSRCNN(nn.Module):
    """FSRCNN (Dong et al. 2016).

    Args:
        scale: upscaling factor (the stride of the deconvolution).
        in_channels, out_channels: image channels (1: the paper works on Y).
        n_feats: ``d``, the feature-extraction and expanding width (56; FSRCNN-s: 32).
        n_shrink: ``s``, the shrinking and mapping width (12; FSRCNN-s: 5).
        n_layers: ``m``, the number of 3x3 mapping layers (4; FSRCNN-s: 1).
        tail: ``"deconv"`` (the paper's 9x9 transposed convolution) or ``"subpixel"`` (OpenCV's models).

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> FSRCNN(scale=3)(torch.rand(1, 1, 8, 8)).shape
        torch.Size([1, 1, 24, 24])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 2,
        in_channels: int = 1,
        out_channels: int = 1,
        n_feats: int = 56,
        n_shrink: int = 12,
        n_layers: int = 4,
        tail: str = "deconv",
    ) -> None:
        super().__init__()
        check_scale("FSRCNN", scale)
        if tail not in TAILS:
            raise SrkitError(f"unknown FSRCNN tail {tail!r}; choose one of {', '.join(TAILS)}")
        self.scale = scale
        self.first_part = nn.Sequential(conv2d(in_channels, n_feats, 5), nn.PReLU(n_feats))
        mid: list[nn.Module] = [conv2d(n_feats, n_shrink, 1), nn.PReLU(n_shrink)]
        for _ in range(n_layers):
            mid += [conv2d(n_shrink, n_shrink, 3), nn.PReLU(n_shrink)]
        mid += [conv2d(n_shrink, n_feats, 1), nn.PReLU(n_feats)]
        self.mid_part = nn.Sequential(*mid)
        self.last_part: nn.Module
        if tail == "deconv":
            self.last_part = nn.ConvTranspose2d(
                n_feats, out_channels, 9, stride=scale, padding=4, output_padding=scale - 1
            )
        else:
            self.last_part = SubPixelTail(n_feats, out_channels, scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last_part(self.mid_part(self.first_part(x)))


def _strip(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k.removeprefix("module."): v for k, v in state.items()}


def detect(state: Mapping[str, torch.Tensor]) -> dict[str, Any] | None:
    """The constructor arguments of an FSRCNN state dict (yjn870's keys, or srkit's with either tail), else None.

    A deconvolution's stride is not stored in its weights, so for ``tail="deconv"`` (yjn870's
    ``fsrcnn_x{2,3,4}.pth`` have identical shapes) the answer has no ``"scale"``: the caller supplies it,
    ``FSRCNN(scale=s, **detect(state))``. For ``tail="subpixel"`` the scale is read from the last convolution.
    """
    state = _strip(state)
    try:
        first, shrink = state["first_part.0.weight"], state["mid_part.0.weight"]
        n_convs = sum(1 for k in state if k.startswith("mid_part.") and k.endswith(".bias"))
        expand = state[f"mid_part.{2 * (n_convs - 1)}.weight"]
    except KeyError:
        return None
    if first.ndim != 4 or first.shape[2:] != (5, 5) or n_convs < 2 or shrink.shape[2:] != (1, 1):
        return None
    n_feats, in_channels, n_shrink = int(first.shape[0]), int(first.shape[1]), int(shrink.shape[0])
    args: dict[str, Any] = {"in_channels": in_channels, "n_feats": n_feats, "n_shrink": n_shrink}
    args["n_layers"] = n_convs - 2
    if expand.shape != (n_feats, n_shrink, 1, 1):
        return None
    if "last_part.weight" in state and state["last_part.weight"].shape[2:] == (9, 9):
        args |= {"out_channels": int(state["last_part.weight"].shape[1]), "tail": "deconv"}
    elif "last_part.conv.weight" in state and "last_part.bias" in state:
        out_channels = int(state["last_part.bias"].numel())
        scale = math.isqrt(int(state["last_part.conv.weight"].shape[0]) // out_channels)
        if scale * scale * out_channels != state["last_part.conv.weight"].shape[0]:
            return None
        args |= {"out_channels": out_channels, "tail": "subpixel", "scale": scale}
    else:
        return None
    expected = {k: tuple(v.shape) for k, v in FSRCNN(**{"scale": 2, **args}).state_dict().items()}
    return args if expected == {k: tuple(v.shape) for k, v in state.items()} else None


def fsrcnn(*, scale: int = 2, **overrides: Any) -> FSRCNN:
    """FSRCNN ``(d, s, m) = (56, 12, 4)``; ``tail="subpixel"`` for OpenCV's weights."""
    return FSRCNN(scale=scale, **{"n_feats": 56, "n_shrink": 12, "n_layers": 4, **overrides})


def fsrcnn_s(*, scale: int = 2, **overrides: Any) -> FSRCNN:
    """FSRCNN-s, the small variant: ``(d, s, m) = (32, 5, 1)``."""
    return FSRCNN(scale=scale, **{"n_feats": 32, "n_shrink": 5, "n_layers": 1, **overrides})


_COUNTING = (
    "Y-channel model: 1 input channel. The paper counts convolution weights only (no biases, no PReLU "
    "slopes): {weights:,} for (d, s, m) = {dsm}, which srkit matches exactly (tests/archs/test_fsrcnn.py); with "
    "biases and PReLU slopes srkit's count is {total:,} (deconv tail, every scale), more than 1% above, so "
    "published_params is left out. "
)


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        fsrcnn,
        ModelCard(
            name="fsrcnn",
            arch="FSRCNN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            in_channels=1,
            out_channels=1,
            params={2: 12_809, 3: 12_809, 4: 12_809},
            receptive_field=8,
            published=(
                Published(dataset="Set5", scale=2, psnr=37.00, ssim=0.9558, source="[CARN]"),
                Published(dataset="Set14", scale=2, psnr=32.63, ssim=0.9088, source="[CARN]"),
                Published(dataset="Set5", scale=3, psnr=33.16, ssim=0.9140, source="[CARN]"),
                Published(dataset="Set14", scale=3, psnr=29.43, ssim=0.8242, source="[CARN]"),
                Published(dataset="Set5", scale=4, psnr=30.71, ssim=0.8657, source="[CARN]"),
                Published(dataset="Set14", scale=4, psnr=27.59, ssim=0.7535, source="[CARN]"),
            ),
            notes=_COUNTING.format(weights=12_464, dsm="(56, 12, 4)", total=12_809)
            + (
                "tail='subpixel' (OpenCV's graphs, load_opencv_pb) has 8,497 / 8,777 / 9,169 parameters at "
                "x2/x3/x4. yjn870/FSRCNN-pytorch's fsrcnn_x{2,3,4}.pth load with strict=True (tail='deconv'); "
                "detect() cannot read the scale from a deconvolution's weights."
            ),
        ),
    ),
    (
        fsrcnn_s,
        ModelCard(
            name="fsrcnn_s",
            arch="FSRCNN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            in_channels=1,
            out_channels=1,
            params={2: 4_086, 3: 4_086, 4: 4_086},
            receptive_field=5,
            notes=_COUNTING.format(weights=3_937, dsm="(32, 5, 1)", total=4_086)
            + (
                "tail='subpixel' (OpenCV's FSRCNN-small graphs) has 1,622 / 1,782 / 2,006 parameters at "
                "x2/x3/x4. No Set5/Set14 row for FSRCNN-s in PUBLISHED.md."
            ),
        ),
    ),
]

# The checkpoint formats this file's models load from (srkit.load_model detects them).
DETECTIONS: list[Detection] = [
    Detection("fsrcnn", detect, "first_part.0, mid_part.N, last_part (FSRCNN, yjn870)"),
]
