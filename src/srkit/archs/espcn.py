"""ESPCN: W. Shi, J. Caballero, F. Huszár, J. Totz, A. P. Aitken, R. Bishop, D. Rueckert, Z. Wang, "Real-Time
Single Image and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network", CVPR 2016.
https://arxiv.org/abs/1609.05158

Post-upsampling on the Y channel: three convolutions at LR resolution, the last one producing ``s^2`` channels
per output channel, then a periodic shuffle (pixel shuffle) to the HR grid. The paper's final model uses
``(f1, n1) = (5, 64)``, ``(f2, n2) = (3, 32)``, ``f3 = 3`` and tanh activations.

OpenCV's ``dnn_superres`` ESPCN graphs (``srkit.archs.tf_graph.load_opencv_pb``) use ReLU inside and a tanh on
the shuffled output: ``ESPCN(act="relu", out_act="tanh")`` is that network.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import check_scale
from srkit.blocks.common import ACTIVATIONS, activation, conv2d

PAPER = (
    "Shi et al., Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel Convolutional "
    "Neural Network, CVPR 2016"
)
ESPCN_ACTIVATIONS = (*ACTIVATIONS, "tanh")


def _activation(name: str, channels: int) -> nn.Module:
    """``blocks.common.activation`` plus ``tanh`` (the paper's choice, not among the shared activations)."""
    if name == "tanh":
        return nn.Tanh()
    if name not in ACTIVATIONS:
        raise SrkitError(f"unknown activation {name!r}; choose one of {', '.join(ESPCN_ACTIVATIONS)}")
    return activation(name, channels=channels)


class ESPCN(nn.Module):
    """ESPCN (Shi et al. 2016): ``y = out_act(shuffle(conv3(act(conv2(act(conv1(x)))))))``.

    Args:
        scale: upscaling factor (the last convolution has ``out_channels * scale^2`` filters).
        in_channels, out_channels: image channels (1: the paper works on Y).
        n_feats, n_mapping: filters of the first (5x5) and second (3x3) convolutions (64 and 32).
        act: activation after the first two convolutions (``"tanh"`` in the paper; ``"relu"`` in OpenCV's).
        out_act: activation after the pixel shuffle (``"none"`` in the paper; ``"tanh"`` in OpenCV's).

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> ESPCN(scale=3)(torch.rand(1, 1, 8, 8)).shape
        torch.Size([1, 1, 24, 24])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 3,
        in_channels: int = 1,
        out_channels: int = 1,
        n_feats: int = 64,
        n_mapping: int = 32,
        act: str = "tanh",
        out_act: str = "none",
    ) -> None:
        super().__init__()
        check_scale("ESPCN", scale)
        self.scale = scale
        self.conv1 = conv2d(in_channels, n_feats, 5)
        self.act1 = _activation(act, n_feats)
        self.conv2 = conv2d(n_feats, n_mapping, 3)
        self.act2 = _activation(act, n_mapping)
        self.conv3 = conv2d(n_mapping, out_channels * scale * scale, 3)
        self.shuffle = nn.PixelShuffle(scale)
        self.out_act = _activation(out_act, out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act2(self.conv2(self.act1(self.conv1(x))))
        return self.out_act(self.shuffle(self.conv3(h)))


def espcn(*, scale: int = 2, **overrides: Any) -> ESPCN:
    """ESPCN, the paper's model: 5x5 64, 3x3 32, 3x3 ``s^2``, tanh, Y channel."""
    return ESPCN(scale=scale, **overrides)


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        espcn,
        ModelCard(
            name="espcn",
            arch="ESPCN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            in_channels=1,
            out_channels=1,
            params={2: 21_284, 3: 22_729, 4: 24_752},
            receptive_field=4,
            published=(
                Published(dataset="Set5", scale=3, psnr=33.13, source="[ESPCN]"),
                Published(dataset="Set14", scale=3, psnr=29.49, source="[ESPCN]"),
                Published(dataset="Set5", scale=4, psnr=30.90, source="[ESPCN]"),
                Published(dataset="Set14", scale=4, psnr=27.73, source="[ESPCN]"),
            ),
            notes=(
                "Y-channel model: 1 input channel, params counted with biases. The paper states no parameter "
                "count (PUBLISHED.md's '~20K' is an estimate), so published_params is left out; srkit counts "
                "21,284 / 22,729 / 24,752 at x2/x3/x4, the same as the float tensors of OpenCV's ESPCN graphs. "
                "Published PSNR: ImageNet-trained, no SSIM. act='relu', out_act='tanh' is OpenCV's variant "
                "(load it with srkit.archs.tf_graph.load_opencv_pb)."
            ),
        ),
    ),
]
