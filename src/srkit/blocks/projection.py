"""Back-projection units and the Laplacian pyramid step (survey section 3.1.3 progressive upsampling and 3.1.4
iterative up-and-down sampling).

Papers:
    - M. Haris, G. Shakhnarovich, N. Ukita, "Deep Back-Projection Networks for Super-Resolution", CVPR 2018
      (DBPN / D-DBPN): :class:`UpProjection`, :class:`DownProjection`.
    - W.-S. Lai, J.-B. Huang, N. Ahuja, M.-H. Yang, "Deep Laplacian Pyramid Networks for Fast and Accurate
      Super-Resolution", CVPR 2017 (LapSRN): :class:`LaplacianStep`.

The strided (de)convolutions use DBPN's geometry (:func:`projection_geometry`): a deconvolution with kernel
``k``, stride ``s`` and padding ``p`` gives exactly ``s * H``, and the matching convolution gives ``H`` back.
"""

from __future__ import annotations

import torch
from torch import nn

from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d

# scale -> (kernel_size, stride, padding); x2, x4, x8 from DBPN, x3 from SRFBN (not in DBPN).
PROJECTION_GEOMETRY: dict[int, tuple[int, int, int]] = {2: (6, 2, 2), 3: (7, 3, 2), 4: (8, 4, 2), 8: (12, 8, 2)}


def projection_geometry(scale: int) -> tuple[int, int, int]:
    """``(kernel_size, stride, padding)`` of DBPN's/SRFBN's projection (de)convolutions for ``scale``."""
    return PROJECTION_GEOMETRY[check_scale("projection units", scale, allowed=PROJECTION_GEOMETRY)]


def projection_deconv(n_feats: int, scale: int) -> nn.ConvTranspose2d:
    """The projection deconvolution: ``(B, n_feats, H, W) -> (B, n_feats, s*H, s*W)`` exactly."""
    k, s, p = projection_geometry(scale)
    return nn.ConvTranspose2d(n_feats, n_feats, k, stride=s, padding=p)


def projection_conv(n_feats: int, scale: int) -> nn.Conv2d:
    """The projection convolution: ``(B, n_feats, s*H, s*W) -> (B, n_feats, H, W)`` exactly."""
    k, s, p = projection_geometry(scale)
    return nn.Conv2d(n_feats, n_feats, k, stride=s, padding=p)


def _reduce(in_channels: int | None, n_feats: int, act: str) -> nn.Module:
    """D-DBPN's input reduction: 1x1 conv + activation on the concatenated earlier outputs, or nothing."""
    if in_channels is None or in_channels == n_feats:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(in_channels, n_feats, 1), activation(act, channels=1))


def _check_divisible(x: torch.Tensor, scale: int, unit: str) -> None:
    h, w = x.shape[-2:]
    # torch.jit.trace records sizes as tensors: check eagerly only (is_tracing is public but not re-exported)
    if not torch.jit.is_tracing() and (h % scale or w % scale):  # type: ignore[attr-defined]
        raise SrkitError(f"{unit} at scale {scale} needs a height and width divisible by {scale}, got {h}x{w}")


class UpProjection(nn.Module):
    """DBPN's up-projection unit (Haris et al. 2018), an iterative error-correcting upsampler::

        H0 = act(deconv1(L));  L0 = act(conv(H0));  H1 = act(deconv2(L0 - L));  out = H0 + H1

    ``in_channels`` (D-DBPN's dense input, the concatenation of earlier units' outputs) is first reduced to
    ``n_feats`` by a 1x1 convolution + activation when it differs from ``n_feats``. The PReLUs have one slope
    each, as in DBPN's code. Scales 2, 4, 8 use DBPN's (kernel, stride, padding) (6, 2, 2), (8, 4, 2),
    (12, 8, 2); scale 3 uses (7, 3, 2).

    Shape:
        ``(B, in_channels, H, W) -> (B, n_feats, s*H, s*W)``.
    """

    @store_hparams
    def __init__(
        self, *, n_feats: int = 64, scale: int = 4, in_channels: int | None = None, act: str = "prelu"
    ) -> None:
        super().__init__()
        self.reduce = _reduce(in_channels, n_feats, act)
        self.up1, self.down, self.up2 = (
            projection_deconv(n_feats, scale),
            projection_conv(n_feats, scale),
            projection_deconv(n_feats, scale),
        )
        self.act_h0, self.act_l0, self.act_h1 = (activation(act, channels=1) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = self.reduce(x)
        h0 = self.act_h0(self.up1(low))
        l0 = self.act_l0(self.down(h0))
        h1 = self.act_h1(self.up2(l0 - low))
        return h0 + h1


class DownProjection(nn.Module):
    """DBPN's down-projection unit (Haris et al. 2018), the mirror of :class:`UpProjection`::

        L0 = act(conv1(H));  H0 = act(deconv(L0));  L1 = act(conv2(H0 - H));  out = L0 + L1

    ``in_channels`` as in :class:`UpProjection`. ``H`` and ``W`` must be divisible by ``scale``.

    Shape:
        ``(B, in_channels, H, W) -> (B, n_feats, H/s, W/s)``.
    """

    @store_hparams
    def __init__(
        self, *, n_feats: int = 64, scale: int = 4, in_channels: int | None = None, act: str = "prelu"
    ) -> None:
        super().__init__()
        self.scale = scale
        self.reduce = _reduce(in_channels, n_feats, act)
        self.down1, self.up, self.down2 = (
            projection_conv(n_feats, scale),
            projection_deconv(n_feats, scale),
            projection_conv(n_feats, scale),
        )
        self.act_l0, self.act_h0, self.act_l1 = (activation(act, channels=1) for _ in range(3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_divisible(x, self.scale, "DownProjection")
        high = self.reduce(x)
        l0 = self.act_l0(self.down1(high))
        h0 = self.act_h0(self.up(l0))
        l1 = self.act_l1(self.down2(h0 - high))
        return l0 + l1


def bilinear_kernel(kernel_size: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    """The 2-D bilinear interpolation kernel ``(k, k)`` of a stride-``ceil(k/2)`` transposed convolution (the
    FCN/LapSRN initialisation): ``(1 - |i - c| / f)`` in each direction, ``f = ceil(k / 2)``."""
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    taps = 1 - (torch.arange(kernel_size, dtype=torch.float64) - center).abs() / factor
    return torch.outer(taps, taps).to(dtype or torch.get_default_dtype())


class LaplacianStep(nn.Module):
    """One level of LapSRN's pyramid (Lai et al. 2017): a x2 step of both branches.

    Feature branch: ``depth`` x (3x3 conv + LReLU(0.2)) at the low resolution, then a x2 transposed convolution
    (k=4, s=2, p=1) + LReLU gives ``features_up``; a 3x3 convolution of ``features_up`` predicts the residual
    image (the level's Laplacian sub-band). Image branch: a x2 transposed convolution of the image (k=4, s=2,
    p=1, no bias, initialised to bilinear upsampling of each channel, no channel mixing) plus the residual gives
    ``image_up``. The defaults are the paper's (64 features, d = 10, one channel: LapSRN works on Y).

    Role "special": the progressive framework chains ``log2(scale)`` steps and supervises every ``image_up``.

    Shape:
        ``features (B, n_feats, H, W), image (B, in_channels, H, W)
        -> (features_up (B, n_feats, 2H, 2W), image_up (B, in_channels, 2H, 2W))``.
    """

    @store_hparams
    def __init__(
        self, *, n_feats: int = 64, in_channels: int = 1, depth: int = 10, negative_slope: float = 0.2
    ) -> None:
        super().__init__()
        if depth < 0:
            raise SrkitError(f"LaplacianStep needs depth >= 0, got {depth}")
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [conv2d(n_feats, n_feats), activation("lrelu", negative_slope=negative_slope)]
        self.embed = nn.Sequential(*layers)
        self.feature_up = nn.Sequential(
            nn.ConvTranspose2d(n_feats, n_feats, 4, stride=2, padding=1),
            activation("lrelu", negative_slope=negative_slope),
        )
        self.residual = conv2d(n_feats, in_channels)
        self.image_up = nn.ConvTranspose2d(in_channels, in_channels, 4, stride=2, padding=1, bias=False)
        with torch.no_grad():  # channel c -> channel c only, with the bilinear kernel
            eye = torch.eye(in_channels, dtype=self.image_up.weight.dtype)
            self.image_up.weight.copy_(eye[:, :, None, None] * bilinear_kernel(4, eye.dtype))

    def forward(self, features: torch.Tensor, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features_up = self.feature_up(self.embed(features))
        return features_up, self.image_up(image) + self.residual(features_up)
