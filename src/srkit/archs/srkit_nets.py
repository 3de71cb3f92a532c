"""srkit's own networks, the ones srkit trains and ships: two tiers, each one multi-scale model.

Both follow the same plan, put together from the survey's components: post-upsampling with a sub-pixel
upsampler (Shi et al., ESPCN, CVPR 2016), one body shared by every scale with scale-specific tails (Lim et al.,
MDSR, CVPRW 2017), and an *anchor* residual: the LR input repeated ``s^2`` times is added before the pixel shuffle,
so the network learns only the difference to nearest-neighbour upsampling (Du et al., "Anchor-based Plain Net for
Mobile Image Super-Resolution", CVPRW 2021). The anchor costs no multiply-accumulates and exports to any runtime.

- :class:`SrkitFast` (``srkit_fast``): the Y channel only (chroma is resized by the upscaler, as for ESPCN and
  FSRCNN), a 5x5 head and three 3x3 convolutions of 28 features: at most 26K multiply-accumulates per LR pixel,
  the ESPCN/FSRCNN class.
- :class:`SrkitNet` (``srkit_net``): RGB, a 3x3 head, residual blocks (Lim et al., EDSR, without batch norm) of
  48 features with a global skip: about 0.4M parameters for all three scales.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.blocks import ResBlock, check_scale, conv2d

PAPER = (
    "srkit's own design from the survey's components: sub-pixel post-upsampling (Shi et al., CVPR 2016), "
    "shared body with scale-specific tails (Lim et al., MDSR, CVPRW 2017), "
    "anchor residual (Du et al., ABPN, CVPRW 2021)"
)


def anchor_shuffle(residual: torch.Tensor, x: torch.Tensor, scale: int) -> torch.Tensor:
    """``pixel_shuffle(residual + repeat(x, scale^2))``: the anchor residual (nearest-neighbour upsampling of
    ``x`` plus the learned detail). ``residual`` has ``C * scale^2`` channels where ``x`` has ``C``.

    Example:
        >>> x = torch.rand(1, 3, 4, 4)
        >>> torch.equal(anchor_shuffle(torch.zeros(1, 12, 4, 4), x, 2), F.interpolate(x, scale_factor=2.0))
        True
    """
    return F.pixel_shuffle(residual + x.repeat_interleave(scale * scale, dim=1), scale)


class _MultiScaleTails(nn.Module):
    """One 3x3 convolution per scale, ``n_feats -> channels * s^2`` (keys ``x2``, ``x3``, ...)."""

    def __init__(self, n_feats: int, channels: int, scales: Sequence[int]) -> None:
        super().__init__()
        convs = {f"x{s}": conv2d(n_feats, channels * s * s, 3) for s in scales}
        for conv in convs.values():  # start near the anchor (nearest-neighbour upsampling)
            with torch.no_grad():
                conv.weight.mul_(0.1)
                if conv.bias is not None:
                    conv.bias.zero_()
        self.convs = nn.ModuleDict(convs)

    def forward(self, f: torch.Tensor, scale: int) -> torch.Tensor:
        return self.convs[f"x{scale}"](f)


class _MultiScale(nn.Module):
    """What both tiers share: the scales served, the default scale, the scale check of ``forward``, and mixed
    precision: ``forward`` casts its input to the weights' dtype and adds the anchor in the input's dtype, so
    bf16 weights with a float32 input give a float32 output whose rounding error is that of the (small) residual
    only, not of the whole image (the cards declare it: ``float32_io=True``)."""

    def _init_scales(
        self, name: str, scale: int, scales: Sequence[int], in_channels: int, out_channels: int, noise_map: bool
    ) -> int:
        """Check and keep the scales; return the image channels (``out_channels``; the input has as many, plus
        the noise-level map with ``noise_map``)."""
        self.scales = tuple(check_scale(name, s) for s in scales)
        self.scale = check_scale(name, scale, allowed=self.scales)
        if in_channels != out_channels + noise_map or out_channels < 1:
            extra = " plus the noise-level map" if noise_map else ""
            raise SrkitError(f"{name} adds its input (the anchor): in_channels must be out_channels{extra}")
        self.image_channels = out_channels
        return out_channels

    def _scale(self, scale: int | None) -> int:
        s = self.scale if scale is None else scale
        if s not in self.scales:
            raise SrkitError(f"this {type(self).__name__} serves scales {self.scales}, not {s!r}")
        return s


class SrkitFast(_MultiScale):
    """srkit's fast tier::

        f = relu(conv_3x3(... relu(conv_3x3(relu(conv_5x5(y))))))     # n_layers 3x3 convolutions, n_feats each
        Y = pixel_shuffle(tail[s](f) + repeat(y, s^2))                  # anchor residual

    Multiply-accumulates per LR pixel: ``25 n + 9 n^2 n_layers + 9 n s^2`` for ``n = n_feats``, i.e. 22.4K,
    23.6K and 25.9K at x2, x3 and x4 with the defaults.

    Args:
        scale: the scale ``forward`` uses when called without one.
        scales: the scales served (one tail each).
        in_channels, out_channels: image channels (1: Y, the default); equal (the anchor adds the input).
        n_feats: feature channels.
        n_layers: 3x3 convolutions after the 5x5 head.

    Shape:
        ``(B, channels, H, W) -> (B, channels, s*H, s*W)``.

    Example:
        >>> m = SrkitFast(scale=2)
        >>> m(torch.rand(1, 1, 8, 8)).shape, m(torch.rand(1, 1, 8, 8), 4).shape
        (torch.Size([1, 1, 16, 16]), torch.Size([1, 1, 32, 32]))
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        scales: Sequence[int] = (2, 3, 4),
        in_channels: int = 1,
        out_channels: int = 1,
        n_feats: int = 28,
        n_layers: int = 3,
    ) -> None:
        super().__init__()
        channels = self._init_scales("SrkitFast", scale, scales, in_channels, out_channels, False)
        layers: list[nn.Module] = [conv2d(channels, n_feats, 5), nn.ReLU(inplace=True)]
        for _ in range(n_layers):
            layers += [conv2d(n_feats, n_feats, 3), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)
        self.tail = _MultiScaleTails(n_feats, channels, self.scales)

    def forward(self, x: torch.Tensor, scale: int | None = None) -> torch.Tensor:
        s = self._scale(scale)
        weights_dtype = next(self.parameters()).dtype
        residual = self.tail(self.body(x.to(weights_dtype)), s)
        return anchor_shuffle(residual.to(x.dtype), x, s)


class SrkitNet(_MultiScale):
    """srkit's quality tier::

        f0 = conv_3x3(x)
        f  = conv_3x3(resblocks(f0)) + f0                       # n_blocks EDSR residual blocks, global skip
        y  = pixel_shuffle(tail[s](f) + repeat(x, s^2))          # anchor residual

    Args:
        scale: the scale ``forward`` uses when called without one.
        scales: the scales served (one tail each).
        in_channels, out_channels: image channels (RGB); equal (the anchor adds the input), but for the
            noise-level map, which ``in_channels`` counts.
        n_feats: feature channels.
        n_blocks: residual blocks (two 3x3 convolutions each).
        noise_map: the input's last channel is a noise-level map (``sigma / 255`` everywhere), as in DPSR's
            prior (Zhang et al., CVPR 2019): the head sees it, the anchor adds the image channels only.

    Shape:
        ``(B, channels, H, W) -> (B, channels, s*H, s*W)``.

    Example:
        >>> SrkitNet(scale=3, n_feats=8, n_blocks=1)(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 3, 24, 24])
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int = 4,
        scales: Sequence[int] = (2, 3, 4),
        in_channels: int = 3,
        out_channels: int = 3,
        n_feats: int = 48,
        n_blocks: int = 8,
        noise_map: bool = False,
    ) -> None:
        super().__init__()
        channels = self._init_scales("SrkitNet", scale, scales, in_channels, out_channels, noise_map)
        self.head = conv2d(in_channels, n_feats, 3)
        self.body = nn.Sequential(
            *(ResBlock(n_feats=n_feats, kernel_size=3) for _ in range(n_blocks)), conv2d(n_feats, n_feats, 3)
        )
        self.tail = _MultiScaleTails(n_feats, channels, self.scales)

    def forward(self, x: torch.Tensor, scale: int | None = None) -> torch.Tensor:
        s = self._scale(scale)
        f0 = self.head(x.to(self.head.weight.dtype))
        image = x[:, : self.image_channels]  # the noise-level map, if any, is not part of the anchor
        return anchor_shuffle(self.tail(self.body(f0) + f0, s).to(x.dtype), image, s)


def srkit_fast(*, scale: int = 4, **overrides: Any) -> SrkitFast:
    """srkit's fast tier: Y channel, x2/x3/x4 in one model, at most ~26K multiply-accumulates per LR pixel."""
    return SrkitFast(scale=scale, **overrides)


def srkit_net(*, scale: int = 4, **overrides: Any) -> SrkitNet:
    """srkit's quality tier: RGB, x2/x3/x4 in one model, 8 residual blocks of 48 features."""
    return SrkitNet(scale=scale, **overrides)


def srkit_prior(*, scale: int = 4, **overrides: Any) -> SrkitNet:
    """srkit's DPSR prior: the quality tier with a noise-level map input, trained like DPSR's SRResNet+ (bicubic
    degradation plus white Gaussian noise of a known level) for :func:`srkit.unsupervised.dpsr`."""
    return SrkitNet(scale=scale, **{"in_channels": 4, "out_channels": 3, "noise_map": True, **overrides})


_FAST_PARAMS = 29_317
_NET_PARAMS = 392_343
_PRIOR_PARAMS = _NET_PARAMS + 9 * 48  # the head's weights for the map channel
ZOO: list[tuple[Builder, ModelCard]] = [
    (
        srkit_fast,
        ModelCard(
            name="srkit_fast",
            arch="SrkitFast",
            paper=PAPER,
            scales=(2, 3, 4),
            color="y",
            scale_arg=True,
            multi_scale=True,
            float32_io=True,
            in_channels=1,
            out_channels=1,
            params={2: _FAST_PARAMS, 3: _FAST_PARAMS, 4: _FAST_PARAMS},
            receptive_field=6,
            notes=(
                "Y-channel model (MATLAB BT.601 Y in [16/255, 235/255]); one model for x2, x3 and x4: call "
                "model(x, scale). Parameters counted over the whole multi-scale model (all three tails). "
                "srkit's shipped weights: srkit.load_model('srkit_fast')."
            ),
        ),
    ),
    (
        srkit_net,
        ModelCard(
            name="srkit_net",
            arch="SrkitNet",
            paper=PAPER,
            scales=(2, 3, 4),
            scale_arg=True,
            multi_scale=True,
            float32_io=True,
            params={2: _NET_PARAMS, 3: _NET_PARAMS, 4: _NET_PARAMS},
            receptive_field=19,
            notes=(
                "RGB in [0, 1]; one model for x2, x3 and x4: call model(x, scale). Parameters counted over the "
                "whole multi-scale model (all three tails). srkit's shipped weights: srkit.load_model('srkit')."
            ),
        ),
    ),
    (
        srkit_prior,
        ModelCard(
            name="srkit_prior",
            arch="SrkitNet",
            paper=PAPER + "; trained as DPSR's super-resolver prior (Zhang, Zuo, Zhang, CVPR 2019)",
            scales=(2, 3, 4),
            scale_arg=True,
            multi_scale=True,
            float32_io=True,
            noise_map=True,
            in_channels=4,
            out_channels=3,
            params={2: _PRIOR_PARAMS, 3: _PRIOR_PARAMS, 4: _PRIOR_PARAMS},
            receptive_field=19,
            notes=(
                "RGB plus a noise-level map (sigma / 255 everywhere) in, RGB out; one model for x2, x3 and x4. "
                "Trained on bicubic LR with white Gaussian noise of sigma in [0, 50] (DPSR's recipe, on srkit's "
                "own network instead of SRResNet+: 0.4M parameters, trainable on a CPU). The prior of "
                "srkit.unsupervised.dpsr; with srkit upscale --model srkit_prior --noise S it super-resolves a "
                "noisy bicubic LR image. srkit's shipped weights: srkit.load_model('srkit_prior')."
            ),
        ),
    ),
]

__all__ = ["ZOO", "SrkitFast", "SrkitNet", "anchor_shuffle", "srkit_fast", "srkit_net", "srkit_prior"]
