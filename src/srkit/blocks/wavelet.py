"""Wavelet-domain blocks (the survey's "wavelet transformation"), on the exact orthonormal Haar transform
of :mod:`srkit.functional.wavelet`.

Papers:
    - T. Guo, H. S. Mousavi, T. H. Vu, V. Monga, "Deep Wavelet Prediction for Image Super-resolution",
      CVPR Workshops 2017 (DWSR): :class:`WaveletSR`.
    - P. Liu, H. Zhang, K. Zhang, L. Lin, W. Zuo, "Multi-level Wavelet-CNN for Image Restoration",
      CVPR Workshops 2018 (MWCNN): :class:`WaveletBody`.
"""

from __future__ import annotations

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d
from srkit.functional.wavelet import haar_dwt, haar_idwt


def _conv_stack(
    in_channels: int, n_feats: int, out_channels: int, n_layers: int, kernel_size: int, act: str
) -> nn.Sequential:
    """``n_layers`` convolutions ``in -> n_feats -> ... -> n_feats -> out`` with ``act`` between them (none after
    the last: it predicts a residual)."""
    if n_layers < 1:
        raise SrkitError(f"a wavelet block needs n_layers >= 1, got {n_layers}")
    layers: list[nn.Module] = []
    for i in range(n_layers):
        c_in = in_channels if i == 0 else n_feats
        c_out = out_channels if i == n_layers - 1 else n_feats
        layers.append(conv2d(c_in, c_out, kernel_size))
        if i < n_layers - 1:
            layers.append(activation(act, channels=c_out))
    return nn.Sequential(*layers)


class WaveletSR(nn.Module):
    """DWSR's wavelet-residual refinement (Guo et al. 2017) of an image already interpolated to the HR size.

    ``coeffs = DWT(x)`` (4 sub-bands per channel, half size); a stack of ``n_layers`` 3x3 convolutions (ReLU
    between, ``n_feats`` wide) predicts the missing details of the HR sub-bands; ``out = IDWT(coeffs +
    stack(coeffs))``. The last convolution (``self.body[-1]``) set to zero makes the block the identity.
    Defaults: 64 features, 10 layers, one channel (DWSR works on Y).

    Role "special": an image-to-image refinement used by the pre-upsampling framework; it works on
    ``in_channels`` image channels, not on ``n_feats`` features. ``H`` and ``W`` must be even.

    Shape:
        ``(B, in_channels, H, W) -> (B, in_channels, H, W)``.
    """

    @store_hparams
    def __init__(
        self, *, in_channels: int = 1, n_feats: int = 64, n_layers: int = 10, kernel_size: int = 3, act: str = "relu"
    ) -> None:
        super().__init__()
        self.body = _conv_stack(4 * in_channels, n_feats, 4 * in_channels, n_layers, kernel_size, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        coeffs = haar_dwt(x)
        return haar_idwt(coeffs + self.body(coeffs))


class WaveletBody(nn.Module):
    """One MWCNN-style wavelet level on features (Liu et al. 2018), as a residual body block.

    ``out = x + IDWT(stack(DWT(x)))``: the Haar transform turns ``n_feats`` channels into ``4 n_feats`` at half
    the size (a lossless downsampling that enlarges the receptive field), ``n_layers`` 3x3 convolutions of width
    ``4 n_feats`` (``act`` between them) process the sub-bands, and the inverse transform brings them back.
    ``H`` and ``W`` must be even.

    Shape:
        ``(B, n_feats, H, W) -> (B, n_feats, H, W)``.
    """

    @store_hparams
    def __init__(self, *, n_feats: int = 64, n_layers: int = 4, kernel_size: int = 3, act: str = "relu") -> None:
        super().__init__()
        self.body = _conv_stack(4 * n_feats, 4 * n_feats, 4 * n_feats, n_layers, kernel_size, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + haar_idwt(self.body(haar_dwt(x)))
