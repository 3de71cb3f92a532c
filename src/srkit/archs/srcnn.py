"""SRCNN: C. Dong, C. C. Loy, K. He, X. Tang, "Learning a Deep Convolutional Network for Image Super-Resolution",
ECCV 2014, and "Image Super-Resolution Using Deep Convolutional Networks", TPAMI 38(2), 2016.
https://arxiv.org/abs/1501.00092

Pre-upsampling on the Y channel: the LR image is upscaled by bicubic interpolation, then three convolutions do
patch extraction (``f1 x f1``, ``n1`` filters, ReLU), non-linear mapping (``f2 x f2``, ``n2``, ReLU) and
reconstruction (``f3 x f3``). The ECCV model is 9-1-5, the best TPAMI model 9-5-5 (``n1 = 64``, ``n2 = 32``).

srkit's differences from the paper, both deliberate:

- 'same' zero padding, so the output is exactly ``scale`` times the input (the paper uses no padding and
  evaluates on the shrunken centre);
- the interpolation runs inside the model (the image contract takes the LR image). The default is ``"matlab"``
  (srkit's MATLAB-exact ``imresize`` bicubic, Keys a = -0.5): SRCNN was trained and evaluated on MATLAB
  ``imresize`` upscalings, which differ from torch's bicubic (a = -0.75) by more than a trained network ignores.
  ``interpolation="bicubic"`` is faster and traces to a scale-free graph.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, Published
from srkit._core.checks import check_positive_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import check_interpolation, interpolate
from srkit.blocks.common import conv2d

PAPER = "Dong, Loy, He, Tang, Image Super-Resolution Using Deep Convolutional Networks (SRCNN), ECCV 2014 / TPAMI 2016"


class SRCNN(nn.Module):
    """SRCNN (Dong et al. 2014/2016): ``y = conv3(relu(conv2(relu(conv1(up(x))))))``, ``up`` = bicubic.

    Args:
        scale: upscaling factor of the interpolation (``forward(x, scale=...)`` overrides it).
        in_channels, out_channels: image channels (1: the paper works on Y).
        n_feats, n_mapping: ``n1`` and ``n2``, the filters of the first two convolutions (64, 32).
        kernel_sizes: ``(f1, f2, f3)``: ``(9, 5, 5)`` (TPAMI's best) or ``(9, 1, 5)`` (ECCV).
        interpolation: ``"matlab"`` (MATLAB-exact bicubic, as trained) or a torch mode (``"bicubic"``...).

    Shape:
        ``(B, in_channels, H, W) -> (B, out_channels, scale*H, scale*W)``.

    Example:
        >>> SRCNN(scale=2)(torch.rand(1, 1, 8, 8)).shape
        torch.Size([1, 1, 16, 16])
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
        kernel_sizes: tuple[int, int, int] = (9, 5, 5),
        interpolation: str = "matlab",
    ) -> None:
        super().__init__()
        check_positive_scale(scale)
        self.scale = scale
        self.interpolation = check_interpolation(interpolation)
        if len(kernel_sizes) != 3:
            raise SrkitError(f"SRCNN takes three kernel sizes (f1, f2, f3), got {kernel_sizes!r}")
        f1, f2, f3 = kernel_sizes
        self.conv1 = conv2d(in_channels, n_feats, f1)
        self.conv2 = conv2d(n_feats, n_mapping, f2)
        self.conv3 = conv2d(n_mapping, out_channels, f3)

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        up = interpolate(x, self.scale if scale is None else scale, self.interpolation)
        return self.conv3(torch.relu(self.conv2(torch.relu(self.conv1(up)))))


def srcnn_915(*, scale: int = 2, **overrides: Any) -> SRCNN:
    """SRCNN 9-1-5 (the ECCV 2014 network): 9x9 64, 1x1 32, 5x5."""
    return SRCNN(scale=scale, **{"kernel_sizes": (9, 1, 5), **overrides})


def srcnn_955(*, scale: int = 2, **overrides: Any) -> SRCNN:
    """SRCNN 9-5-5 (TPAMI 2016's best, ImageNet-trained): 9x9 64, 5x5 32, 5x5."""
    return SRCNN(scale=scale, **{"kernel_sizes": (9, 5, 5), **overrides})


_NOTES = (
    "Y-channel model: 1 input channel. The paper counts weights only ({weights:,} for {name}); srkit counts "
    "{total:,} with the {biases} biases. 'same' zero padding (the paper: none); MATLAB-exact bicubic inside "
    "(interpolation='matlab', as trained); forward(x, scale=...) runs any scale."
)

ZOO: list[tuple[Builder, ModelCard]] = [
    (
        srcnn_915,
        ModelCard(
            name="srcnn_915",
            arch="SRCNN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            in_channels=1,
            out_channels=1,
            params={2: 8_129, 3: 8_129, 4: 8_129},
            receptive_field=5,  # HR radius 4 + 0 + 2 = 6 -> 6 / 2 LR pixels at x2, + 2 for bicubic
            notes=_NOTES.format(weights=8_032, name="9-1-5", total=8_129, biases=97)
            + (
                " 8,129 is 1.2% above the paper's 8,032, so published_params is left out (the weights-only "
                "count equals 8,032 exactly: tests/archs/test_srcnn.py). PUBLISHED.md's SRCNN rows are the "
                "9-5-5 model's."
            ),
        ),
    ),
    (
        srcnn_955,
        ModelCard(
            name="srcnn_955",
            arch="SRCNN",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            in_channels=1,
            out_channels=1,
            params={2: 57_281, 3: 57_281, 4: 57_281},
            published_params={2: 57_184, 3: 57_184, 4: 57_184},
            receptive_field=6,  # HR radius 4 + 2 + 2 = 8 -> 8 / 2 LR pixels at x2, + 2 for bicubic
            published=(
                Published(dataset="Set5", scale=2, psnr=36.66, ssim=0.9542, source="[RCAN]"),
                Published(dataset="Set14", scale=2, psnr=32.45, ssim=0.9067, source="[RCAN]"),
                Published(dataset="Set5", scale=3, psnr=32.75, ssim=0.9090, source="[RCAN]"),
                Published(dataset="Set14", scale=3, psnr=29.30, ssim=0.8215, source="[RCAN]"),
                Published(dataset="Set5", scale=4, psnr=30.48, ssim=0.8628, source="[RCAN]"),
                Published(dataset="Set14", scale=4, psnr=27.50, ssim=0.7513, source="[RCAN]"),
            ),
            notes=_NOTES.format(weights=57_184, name="9-5-5", total=57_281, biases=97),
        ),
    ),
]
