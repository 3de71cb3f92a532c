"""Discriminators for adversarial SR training (survey section 3.4.3, adversarial loss): image -> realness logits.

Papers followed:

- SRGAN's discriminator: C. Ledig, L. Theis, F. Huszar, J. Caballero, A. Cunningham, A. Acosta, A. Aitken,
  A. Tejani, J. Totz, Z. Wang, W. Shi, "Photo-Realistic Single Image Super-Resolution Using a Generative
  Adversarial Network", CVPR 2017 (https://arxiv.org/abs/1609.04802), Figure 4.
- ESRGAN's VGG-style discriminator: X. Wang, K. Yu, S. Wu, J. Gu, Y. Liu, C. Dong, Y. Qiao, C. C. Loy, "ESRGAN:
  Enhanced Super-Resolution Generative Adversarial Networks", ECCV Workshops 2018
  (https://arxiv.org/abs/1809.00219); BasicSR's ``VGGStyleDiscriminator`` (128 x 128 input), whose keys
  (``conv0_0``, ``bn0_1``, ... ``linear1``, ``linear2``) are kept here.
- Real-ESRGAN's U-Net discriminator with spectral normalisation: X. Wang, L. Xie, C. Dong, Y. Shan, "Real-ESRGAN:
  Training Real-World Blind Super-Resolution with Pure Synthetic Data", ICCV Workshops 2021
  (https://arxiv.org/abs/2107.10833); keys ``conv0`` ... ``conv9`` with ``weight_orig``/``weight_u``/``weight_v``
  (``torch.nn.utils.spectral_norm``), as in ``RealESRGAN_x4plus_netD.pth``.

These are not SR models: they take ``(B, 3, H, W)`` images and return logits (no sigmoid: pair them with a
logits loss), ``(B, 1)`` for the SRGAN and VGG-style ones and ``(B, 1, H, W)`` per pixel for the U-Net. Their
cards are in ``DISCRIMINATORS``, not ``ZOO``, since the zoo's image contract does not hold for them.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import conv2d


def _check_size(name: str, x: torch.Tensor, size: int) -> None:
    if x.ndim != 4 or x.shape[-2] != size or x.shape[-1] != size:
        raise SrkitError(f"{name} takes (B, C, {size}, {size}) images, got {tuple(x.shape)}")


class SRGANDiscriminator(nn.Module):
    """SRGAN's discriminator (Ledig et al. 2017, Figure 4)::

        features:   conv3x3(64, s1), lrelu,
                    [conv3x3(c, s), BN, lrelu] for (c, s) in (64,2) (128,1) (128,2) (256,1) (256,2) (512,1) (512,2)
        classifier: flatten, dense(1024), lrelu, dense(1)                  # logits; the paper's sigmoid is left out

    Eight convolutions, LeakyReLU slope 0.2; convolutions followed by batch norm have no bias. The dense layer
    needs a fixed input size: 96 x 96 in the paper (512 x 6 x 6 features).

    Args:
        in_channels: image channels.
        n_feats: channels of the first convolutions (doubled at every stride-1 convolution up to 8x).
        input_size: the height and width the network is built for (a multiple of 16).

    Shape:
        ``(B, in_channels, input_size, input_size) -> (B, 1)``.

    Example:
        >>> SRGANDiscriminator(n_feats=8, input_size=32)(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2, 1])
    """

    @store_hparams
    def __init__(self, *, in_channels: int = 3, n_feats: int = 64, input_size: int = 96) -> None:
        super().__init__()
        if input_size < 16 or input_size % 16:
            raise SrkitError(f"SRGANDiscriminator needs an input_size that is a multiple of 16, got {input_size}")
        self.input_size = input_size
        layers: list[nn.Module] = [conv2d(in_channels, n_feats, 3), nn.LeakyReLU(0.2, inplace=True)]
        channels = n_feats
        for i in range(1, 8):  # (64, s2) (128, s1) (128, s2) (256, s1) (256, s2) (512, s1) (512, s2)
            out, stride = n_feats * 2 ** (i // 2), 2 if i % 2 else 1
            layers += [
                nn.Conv2d(channels, out, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            channels = out
        self.features = nn.Sequential(*layers)
        side = input_size // 16
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * side * side, 1024),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(1024, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_size("SRGANDiscriminator", x, self.input_size)
        return self.classifier(self.features(x))


class VGGStyleDiscriminator(nn.Module):
    """ESRGAN's VGG-style discriminator (BasicSR's ``VGGStyleDiscriminator``)::

        f = lrelu(conv0_0(x));  f = lrelu(bn0_1(conv0_1(f)))                        # 3x3 (bias), 4x4 stride 2
        f = lrelu(bn{k}_1(conv{k}_1(lrelu(bn{k}_0(conv{k}_0(f))))))  for k = 1 ..   # 3x3, then 4x4 stride 2
        y = linear2(lrelu(linear1(flatten(f))))                                     # 8 n_feats * 4 * 4 -> 100 -> 1

    Stage ``k`` has ``min(2^k, 8) * n_feats`` channels; there are ``log2(input_size) - 2`` stages (5 for 128 x 128,
    6 for 256 x 256), so the last feature map is 4 x 4. LeakyReLU slope 0.2; convolutions before batch norm have
    no bias.

    Args:
        in_channels: image channels.
        n_feats: channels of the first stage.
        input_size: the height and width the network is built for (a power of two >= 8; BasicSR: 128 or 256).

    Shape:
        ``(B, in_channels, input_size, input_size) -> (B, 1)``.

    Example:
        >>> VGGStyleDiscriminator(n_feats=4, input_size=32)(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2, 1])
    """

    @store_hparams
    def __init__(self, *, in_channels: int = 3, n_feats: int = 64, input_size: int = 128) -> None:
        super().__init__()
        if input_size < 8 or input_size & (input_size - 1):
            raise SrkitError(f"VGGStyleDiscriminator needs a power-of-two input_size >= 8, got {input_size}")
        self.input_size = input_size
        self.n_stages = input_size.bit_length() - 3
        self.conv0_0 = conv2d(in_channels, n_feats, 3)
        channels = n_feats
        for k in range(self.n_stages):
            out = n_feats * min(2**k, 8)
            if k > 0:
                self.add_module(f"conv{k}_0", conv2d(channels, out, 3, bias=False))
                self.add_module(f"bn{k}_0", nn.BatchNorm2d(out))
            self.add_module(f"conv{k}_1", nn.Conv2d(out, out, 4, stride=2, padding=1, bias=False))
            self.add_module(f"bn{k}_1", nn.BatchNorm2d(out))
            channels = out
        self.linear1 = nn.Linear(channels * 4 * 4, 100)
        self.linear2 = nn.Linear(100, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_size("VGGStyleDiscriminator", x, self.input_size)
        f = self.lrelu(self.conv0_0(x))
        for k in range(self.n_stages):
            if k > 0:
                f = self.lrelu(getattr(self, f"bn{k}_0")(getattr(self, f"conv{k}_0")(f)))
            f = self.lrelu(getattr(self, f"bn{k}_1")(getattr(self, f"conv{k}_1")(f)))
        return self.linear2(self.lrelu(self.linear1(f.flatten(1))))


class UNetDiscriminatorSN(nn.Module):
    """Real-ESRGAN's U-Net discriminator with spectral normalisation (Wang et al. 2021)::

        x0 = lrelu(conv0(x))                                    # 3x3, in_channels -> F (no spectral norm)
        x1, x2, x3 = lrelu(conv1(x0)), lrelu(conv2(x1)), lrelu(conv3(x2))     # 4x4 stride 2: 2F, 4F, 8F
        x4 = lrelu(conv4(up(x3))) + x2                          # up: bilinear x2; 3x3 convolutions
        x5 = lrelu(conv5(up(x4))) + x1
        x6 = lrelu(conv6(up(x5))) + x0                          # the skips only with skip_connection=True
        y  = conv9(lrelu(conv8(lrelu(conv7(x6)))))              # 3x3, F -> 1: one logit per pixel

    ``conv1`` ... ``conv8`` are spectrally normalised (``torch.nn.utils.spectral_norm``, one power iteration per
    training-mode forward, which updates the ``weight_u``/``weight_v`` buffers) and have no bias. LeakyReLU 0.2.

    Args:
        in_channels: image channels.
        n_feats: F, the first convolution's channels.
        skip_connection: add the encoder features to the decoder's.

    Shape:
        ``(B, in_channels, H, W) -> (B, 1, H, W)``; ``H`` and ``W`` must be multiples of 8.

    Example:
        >>> UNetDiscriminatorSN(n_feats=4)(torch.rand(2, 3, 16, 24)).shape
        torch.Size([2, 1, 16, 24])
    """

    @store_hparams
    def __init__(self, *, in_channels: int = 3, n_feats: int = 64, skip_connection: bool = True) -> None:
        super().__init__()
        f = n_feats
        self.skip_connection = skip_connection
        self.conv0 = conv2d(in_channels, f, 3)
        self.conv1 = spectral_norm(nn.Conv2d(f, 2 * f, 4, stride=2, padding=1, bias=False))
        self.conv2 = spectral_norm(nn.Conv2d(2 * f, 4 * f, 4, stride=2, padding=1, bias=False))
        self.conv3 = spectral_norm(nn.Conv2d(4 * f, 8 * f, 4, stride=2, padding=1, bias=False))
        self.conv4 = spectral_norm(conv2d(8 * f, 4 * f, 3, bias=False))
        self.conv5 = spectral_norm(conv2d(4 * f, 2 * f, 3, bias=False))
        self.conv6 = spectral_norm(conv2d(2 * f, f, 3, bias=False))
        self.conv7 = spectral_norm(conv2d(f, f, 3, bias=False))
        self.conv8 = spectral_norm(conv2d(f, f, 3, bias=False))
        self.conv9 = conv2d(f, 1, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[-2] % 8 or x.shape[-1] % 8:
            raise SrkitError(f"UNetDiscriminatorSN takes (B, C, H, W) with H, W multiples of 8, got {tuple(x.shape)}")
        x0 = F.leaky_relu(self.conv0(x), 0.2)
        x1 = F.leaky_relu(self.conv1(x0), 0.2)
        x2 = F.leaky_relu(self.conv2(x1), 0.2)
        x3 = F.leaky_relu(self.conv3(x2), 0.2)
        decoded = x3
        for conv, skip in ((self.conv4, x2), (self.conv5, x1), (self.conv6, x0)):
            up = F.interpolate(decoded, scale_factor=2, mode="bilinear", align_corners=False)
            decoded = F.leaky_relu(conv(up), 0.2)
            if self.skip_connection:
                decoded = decoded + skip
        out = F.leaky_relu(self.conv7(decoded), 0.2)
        return self.conv9(F.leaky_relu(self.conv8(out), 0.2))


def _image_only(name: str, scale: int) -> None:
    if scale != 1:
        raise SrkitError(f"{name} is a discriminator (image -> logits): scale must be 1, got {scale!r}")


def srgan_discriminator(*, scale: int = 1, **overrides: Any) -> SRGANDiscriminator:
    """SRGAN's discriminator for 96 x 96 RGB images."""
    _image_only("srgan_discriminator", scale)
    return SRGANDiscriminator(**{"n_feats": 64, "input_size": 96, **overrides})


def vgg_discriminator_128(*, scale: int = 1, **overrides: Any) -> VGGStyleDiscriminator:
    """ESRGAN's VGG-style discriminator for 128 x 128 RGB images (BasicSR's ``VGGStyleDiscriminator``)."""
    _image_only("vgg_discriminator_128", scale)
    return VGGStyleDiscriminator(**{"n_feats": 64, "input_size": 128, **overrides})


def unet_discriminator(*, scale: int = 1, **overrides: Any) -> UNetDiscriminatorSN:
    """Real-ESRGAN's U-Net discriminator with spectral normalisation (64 features, skip connections)."""
    _image_only("unet_discriminator", scale)
    return UNetDiscriminatorSN(**{"n_feats": 64, "skip_connection": True, **overrides})


_NOTE = "discriminator: image -> realness logits"
_COUNTED = "Parameters counted with sum(p.numel()) over model.parameters() (batch-norm statistics are buffers)."
DISCRIMINATORS: list[tuple[Builder, ModelCard]] = [
    (
        srgan_discriminator,
        ModelCard(
            name="srgan_discriminator",
            arch="SRGANDiscriminator",
            paper="C. Ledig et al., 'Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial "
            "Network', CVPR 2017",
            scales=(1,),
            out_channels=1,
            params={1: 23_563_649},
            min_size=96,
            multiple_of=96,
            tiling=False,
            notes=f"{_NOTE}, (B, 3, 96, 96) -> (B, 1); exactly 96 x 96 (dense layer). {_COUNTED} The paper states "
            "no count.",
        ),
    ),
    (
        vgg_discriminator_128,
        ModelCard(
            name="vgg_discriminator_128",
            arch="VGGStyleDiscriminator",
            paper="X. Wang et al., 'ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks', ECCV "
            "Workshops 2018",
            scales=(1,),
            out_channels=1,
            params={1: 14_499_401},
            min_size=128,
            multiple_of=128,
            tiling=False,
            notes=f"{_NOTE}, (B, 3, 128, 128) -> (B, 1); exactly 128 x 128 (dense layer). BasicSR's keys. {_COUNTED} "
            "The paper states no count.",
        ),
    ),
    (
        unet_discriminator,
        ModelCard(
            name="unet_discriminator",
            arch="UNetDiscriminatorSN",
            paper="X. Wang, L. Xie, C. Dong, Y. Shan, 'Real-ESRGAN: Training Real-World Blind Super-Resolution with "
            "Pure Synthetic Data', ICCV Workshops 2021",
            scales=(1,),
            out_channels=1,
            params={1: 4_376_897},
            min_size=8,
            multiple_of=8,
            tiling=False,
            notes=f"{_NOTE}, (B, 3, H, W) -> (B, 1, H, W), one logit per pixel; H, W multiples of 8. Real-ESRGAN's "
            f"keys (spectral norm: weight_orig, weight_u, weight_v). {_COUNTED} The paper states no count.",
        ),
    ),
]

__all__ = [
    "DISCRIMINATORS",
    "SRGANDiscriminator",
    "UNetDiscriminatorSN",
    "VGGStyleDiscriminator",
    "srgan_discriminator",
    "unet_discriminator",
    "vgg_discriminator_128",
]
