"""DWSR: T. Guo, H. S. Mousavi, T. H. Vu, V. Monga, "Deep Wavelet Prediction for Image Super-resolution", CVPR
Workshops (NTIRE) 2017. https://openaccess.thecvf.com/content_cvpr_2017_workshops/w12/html/Guo_Deep_Wavelet_Prediction_CVPR_2017_paper.html
(the authors' NTIRE 2017 code: github.com/tT0NG/DWSRx4).

Wavelet-domain pre-upsampling SR on the luminance: the LR image is interpolated to the HR size, split by a one-level
Haar transform into four sub-bands, a plain CNN predicts the missing detail of every sub-band (a residual), and the
inverse transform of the corrected sub-bands is the SR image (:class:`srkit.blocks.WaveletSR`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import WaveletSR, check_interpolation, check_scale, interpolate

PAPER = (
    "T. Guo, H. S. Mousavi, T. H. Vu, V. Monga, 'Deep Wavelet Prediction for Image Super-resolution', "
    "CVPR Workshops 2017"
)


class DWSR(nn.Module):
    """Deep wavelet super-resolution (Guo et al. 2017)::

        u = interpolate(x, scale)                    # to the HR size (MATLAB bicubic by default, as in the paper)
        c = DWT(u)                                   # 4 Haar sub-bands per channel, half size
        y = IDWT(c + cnn(c))                         # cnn: n_layers 3x3 convolutions, ReLU between, n_feats wide

    The paper's network is 10 layers of 64 filters on the Y channel (``in_channels=1``). An odd interpolated size
    (x3 of an odd LR size) is padded by one replicated row/column for the transform and cropped back, so any input
    size works.

    Args:
        scale: upscaling factor (any integer >= 2: interpolation does the resizing).
        in_channels: image channels (1: Y).
        n_feats: filters per hidden layer.
        n_layers: convolutions in the CNN (first 4C -> n_feats, last n_feats -> 4C).
        interpolation: ``matlab`` (srkit's MATLAB-exact bicubic) or a ``torch`` mode (``bicubic``, ``bilinear``,
            ``nearest``).

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, scale*H, scale*W)``.

    Example:
        >>> DWSR(scale=3, n_feats=8, n_layers=3)(torch.rand(1, 1, 5, 7)).shape
        torch.Size([1, 1, 15, 21])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        in_channels: int = 1,
        n_feats: int = 64,
        n_layers: int = 10,
        interpolation: str = "matlab",
    ) -> None:
        super().__init__()
        check_scale("DWSR", scale, minimum=2)
        check_interpolation(interpolation)
        self.scale, self.interpolation = scale, interpolation
        self.body = WaveletSR(in_channels=in_channels, n_feats=n_feats, n_layers=n_layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up = interpolate(x, self.scale, self.interpolation)
        h, w = up.shape[-2:]
        pad_h, pad_w = h % 2, w % 2
        if pad_h or pad_w:
            up = F.pad(up, (0, pad_w, 0, pad_h), mode="replicate")
        return self.body(up)[..., :h, :w]


def dwsr(*, scale: int = 4, **overrides: Any) -> DWSR:
    """DWSR as in the paper: Y channel, 10 layers of 64 3x3 filters."""
    return DWSR(scale=scale, **{"in_channels": 1, "n_feats": 64, "n_layers": 10, **overrides})


ZOO: list[tuple[Builder, ModelCard]] = [
    (
        dwsr,
        ModelCard(
            name="dwsr",
            arch="DWSR",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            in_channels=1,
            out_channels=1,
            params={2: 300_100, 3: 300_100, 4: 300_100},
            min_size=1,
            receptive_field=12,
            notes=(
                "Y-channel model: 1 input channel, the LR luminance in [0, 1]; pre-upsampling (MATLAB-exact bicubic "
                "inside the model). Parameters counted with sum(p.numel()) for 10 layers of 3x3 (4 -> 64, 8 x "
                "64 -> 64, 64 -> 4): 300,100 at every scale. The paper gives no parameter count. The authors' "
                "NTIRE 2017 x4 code (tT0NG/DWSRx4) differs: a 5x5 first layer and 12 layers, which srkit's "
                "WaveletSR (one kernel size) does not express. receptive_field: 10 3x3 layers at half the HR size "
                "(20 HR pixels) plus the bicubic kernel, in LR pixels: 12 at x2 (x3: 8, x4: 7; measured from input "
                "gradients). PSNRs: DWSR is not in PUBLISHED.md."
            ),
        ),
    ),
]

__all__ = ["DWSR", "ZOO", "dwsr"]
