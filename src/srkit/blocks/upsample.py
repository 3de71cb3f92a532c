"""Upsampling layers (survey section 3.2): interpolation + convolution, transposed convolution, sub-pixel
convolution, and Meta-SR's arbitrary-scale meta-upscale.

Every upsampler maps ``(B, in_channels, H, W)`` to ``(B, out_channels, s*H, s*W)``; ``MetaUpscale`` also takes
the scale at call time and gives ``ceil(s*H) x ceil(s*W)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.blocks.common import activation, conv2d

INTERPOLATION_MODES = ("nearest", "bilinear", "bicubic")
_CHUNK_ELEMENTS = 1 << 24  # MetaUpscale: most per-pixel weights held at once
_MAX_OFFSET_GROUPS = 1024  # MetaUpscale: above this many distinct offset pairs, weights are predicted per pixel


def prime_factors(n: int) -> list[int]:
    """``12 -> [2, 2, 3]``: the stages of a composite sub-pixel upsampler."""
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


class InterpolationUpsample(nn.Module):
    """Interpolate by ``scale`` (``torch.nn.functional.interpolate``; its bicubic uses a = -0.75), then a 3x3
    convolution (SRCNN/VDSR-style pre-upsampling, or nearest + conv as in ESRGAN/RRDBNet's tail)."""

    @store_hparams
    def __init__(
        self,
        *,
        scale: int,
        in_channels: int = 64,
        out_channels: int | None = None,
        mode: str = "nearest",
        act: str = "none",
        stepwise: bool = False,
    ) -> None:
        super().__init__()
        if mode not in INTERPOLATION_MODES:
            raise SrkitError(f"unknown interpolation {mode!r}; choose one of {', '.join(INTERPOLATION_MODES)}")
        self.scale, self.mode = check_scale("this upsampler", scale), mode
        out = out_channels or in_channels
        # stepwise: one x2 (or prime) step + conv per factor, as ESRGAN upsamples x4 in two x2 steps
        factors = prime_factors(self.scale) if stepwise and self.scale > 1 else [self.scale]
        self.factors = factors
        self.convs = nn.ModuleList(conv2d(in_channels if i == 0 else out, out) for i in range(len(factors)))
        self.act = activation(act, channels=out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for factor, conv in zip(self.factors, self.convs, strict=True):
            if factor > 1:
                align = None if self.mode == "nearest" else False
                x = F.interpolate(x, scale_factor=factor, mode=self.mode, align_corners=align)
            x = self.act(conv(x))
        return x


def transposed_conv_geometry(scale: int, kernel_size: int) -> tuple[int, int]:
    """``(padding, output_padding)`` that make ``ConvTranspose2d(k, stride=scale)`` give exactly ``scale * H``."""
    if kernel_size < scale:
        raise SrkitError(f"a transposed convolution needs kernel_size >= scale, got {kernel_size} < {scale}")
    padding = math.ceil((kernel_size - scale) / 2)
    return padding, scale + 2 * padding - kernel_size


class TransposedConvUpsample(nn.Module):
    """A learned transposed convolution (deconvolution) with stride ``scale`` (FSRCNN's tail, DBPN's units).

    ``kernel_size`` defaults to ``2 * scale`` (+1 for odd scales: FSRCNN uses 9); padding and output padding
    are chosen so that the output is exactly ``scale`` times the input.
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int,
        in_channels: int = 64,
        out_channels: int | None = None,
        kernel_size: int | None = None,
        act: str = "none",
    ) -> None:
        super().__init__()
        s = check_scale("this upsampler", scale)
        k = kernel_size or (2 * s if s % 2 == 0 else 2 * s + 1)
        padding, output_padding = transposed_conv_geometry(s, k)
        self.deconv = nn.ConvTranspose2d(
            in_channels, out_channels or in_channels, k, stride=s, padding=padding, output_padding=output_padding
        )
        self.act = activation(act, channels=out_channels or in_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.deconv(x))


def icnr_(weight: torch.Tensor, scale: int, init: str = "kaiming") -> torch.Tensor:
    """ICNR initialisation (Aitken et al. 2017) of a sub-pixel convolution weight ``(C * s^2, in, k, k)``, in
    place: the ``s^2`` sub-kernels of each output channel start equal, so the layer starts as nearest-neighbour
    upsampling of a convolution and shows no checkerboard."""
    out_ch = weight.shape[0]
    if out_ch % (scale * scale):
        raise SrkitError(f"ICNR needs out_channels divisible by scale^2 = {scale * scale}, got {out_ch}")
    sub = torch.empty(out_ch // (scale * scale), *weight.shape[1:], device=weight.device, dtype=weight.dtype)
    if init == "kaiming":
        nn.init.kaiming_normal_(sub)
    else:
        nn.init.normal_(sub, std=0.02)
    with torch.no_grad():
        weight.copy_(sub.repeat_interleave(scale * scale, dim=0))
    return weight


class SubPixelUpsample(nn.Module):
    """Sub-pixel convolution (ESPCN): a convolution to ``s^2 C`` channels, then pixel shuffle.

    Composite scales are done in prime steps (x4 = x2 x2, x6 = x2 x3, x8 = x2 x2 x2), as EDSR does. Weights start
    with ICNR and zero biases (``icnr=True``), so a fresh layer is checkerboard-free.
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: int,
        in_channels: int = 64,
        out_channels: int | None = None,
        kernel_size: int = 3,
        act: str = "none",
        icnr: bool = True,
        stepwise: bool = True,
    ) -> None:
        super().__init__()
        s = check_scale("this upsampler", scale)
        out = out_channels or in_channels
        factors = (prime_factors(s) if stepwise else [s]) if s > 1 else []
        layers: list[nn.Module] = []
        channels = in_channels
        for i, f in enumerate(factors):
            target = out if i == len(factors) - 1 else in_channels
            conv = conv2d(channels, target * f * f, kernel_size)
            if icnr:
                icnr_(conv.weight, f)
                if conv.bias is not None:
                    nn.init.zeros_(conv.bias)  # equal sub-pixel biases too
            layers += [conv, nn.PixelShuffle(f), activation(act, channels=target)]
            channels = target
        if not factors:
            layers.append(conv2d(in_channels, out, kernel_size))
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class MetaUpscale(nn.Module):
    """Meta-upscale (Meta-SR, Hu et al. CVPR 2019): one module for any scale, even non-integer.

    For every output pixel ``(i, j)`` at scale ``r``, the LR position is ``(floor(i / r), floor(j / r))`` and the
    fractional offset ``v = (i / r - floor(i / r), j / r - floor(j / r), 1 / r)``. A small MLP predicts from ``v``
    the weights of a ``k x k`` convolution that maps the LR feature patch at that position to the output pixel.
    For integer and simple fractional scales only a few offsets occur (x4: 4 x 4), so weights are predicted once
    per offset pair and applied as one matrix product per pair; otherwise per pixel, in chunks of output rows so
    memory stays bounded.

    ``forward(x, scale)`` gives ``ceil(scale * H) x ceil(scale * W)``; ``scale`` defaults to the one given at
    construction.
    """

    @store_hparams
    def __init__(
        self,
        *,
        scale: float = 2.0,
        in_channels: int = 64,
        out_channels: int | None = None,
        kernel_size: int = 3,
        hidden: int = 256,
    ) -> None:
        super().__init__()
        if not scale > 0:
            raise SrkitError(f"scale must be > 0, got {scale!r}")
        self.scale = float(scale)
        self.in_channels, self.out_channels = in_channels, out_channels or in_channels
        self.kernel_size = kernel_size
        self.weight_net = nn.Sequential(
            nn.Linear(3, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, self.out_channels * in_channels * kernel_size * kernel_size),
        )

    def _positions(self, n_in: int, scale: float, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        n_out = math.ceil(n_in * scale - 1e-9)
        pos = torch.arange(n_out, device=device, dtype=torch.float64) / scale
        lr = pos.floor().clamp_(max=n_in - 1)
        return lr.long(), (pos - lr).to(torch.float32)

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        r = self.scale if scale is None else float(scale)
        if not r > 0:
            raise SrkitError(f"scale must be > 0, got {scale!r}")
        b, c, h, w = x.shape
        rows, off_h = self._positions(h, r, x.device)
        cols, off_w = self._positions(w, r, x.device)
        k = self.kernel_size
        patches = F.unfold(x, k, padding=k // 2).view(b, c * k * k, h, w)
        keys_h, group_h = torch.unique(torch.round(off_h * 1e6), return_inverse=True)
        keys_w, group_w = torch.unique(torch.round(off_w * 1e6), return_inverse=True)
        if len(keys_h) * len(keys_w) <= _MAX_OFFSET_GROUPS:
            return self._grouped(patches, r, rows, off_h, group_h, len(keys_h), cols, off_w, group_w, len(keys_w))
        return self._per_pixel(patches, r, rows, off_h, cols, off_w)

    def _weights(self, off_h: torch.Tensor, off_w: torch.Tensor, r: float, like: torch.Tensor) -> torch.Tensor:
        """Predicted kernels for every (row offset, column offset) pair: ``(len(off_h), len(off_w), out, C k k)``."""
        grid = torch.stack(
            [
                off_h[:, None].expand(-1, len(off_w)),
                off_w[None, :].expand(len(off_h), -1),
                torch.full((len(off_h), len(off_w)), 1.0 / r, device=like.device),
            ],
            dim=-1,
        ).to(like.dtype)
        return self.weight_net(grid).view(len(off_h), len(off_w), self.out_channels, -1)

    def _grouped(
        self,
        patches: torch.Tensor,
        r: float,
        rows: torch.Tensor,
        off_h: torch.Tensor,
        group_h: torch.Tensor,
        n_h: int,
        cols: torch.Tensor,
        off_w: torch.Tensor,
        group_w: torch.Tensor,
        n_w: int,
    ) -> torch.Tensor:
        """Few distinct offsets (every integer and simple fractional scale): one matrix product per offset pair,
        over the output pixels that share it, with weights predicted once per pair (Meta-SR's own shortcut)."""
        first_h = torch.zeros(n_h, dtype=torch.long, device=rows.device).scatter_(0, group_h, torch.arange(len(rows)))
        first_w = torch.zeros(n_w, dtype=torch.long, device=cols.device).scatter_(0, group_w, torch.arange(len(cols)))
        weights = self._weights(off_h[first_h], off_w[first_w], r, patches)  # (n_h, n_w, out, C k k)
        order_h, order_w = torch.argsort(group_h, stable=True), torch.argsort(group_w, stable=True)
        sizes_h = torch.bincount(group_h, minlength=n_h).tolist()
        sizes_w = torch.bincount(group_w, minlength=n_w).tolist()
        row_blocks = []
        for a, rows_a in enumerate(torch.split(order_h, sizes_h)):
            sub_h = patches[:, :, rows[rows_a]]
            blocks = [
                torch.einsum("bkhw,ok->bohw", sub_h[:, :, :, cols[cols_b]], weights[a, bb])
                for bb, cols_b in enumerate(torch.split(order_w, sizes_w))
            ]
            row_blocks.append(torch.cat(blocks, dim=3))
        grouped = torch.cat(row_blocks, dim=2)  # rows and columns sorted by offset group
        return grouped[:, :, torch.argsort(order_h)][:, :, :, torch.argsort(order_w)]

    def _per_pixel(
        self,
        patches: torch.Tensor,
        r: float,
        rows: torch.Tensor,
        off_h: torch.Tensor,
        cols: torch.Tensor,
        off_w: torch.Tensor,
    ) -> torch.Tensor:
        """Many distinct offsets: per-pixel weights, output rows in chunks so memory stays bounded."""
        per_row = len(cols) * self.out_channels * patches.shape[1]
        step = max(1, _CHUNK_ELEMENTS // per_row)
        out = []
        for start in range(0, len(rows), step):
            weights = self._weights(off_h[start : start + step], off_w, r, patches)
            sub = patches[:, :, rows[start : start + step]][:, :, :, cols]  # (B, C k k, rows, oW)
            out.append(torch.einsum("bkhw,hwok->bohw", sub, weights))
        return torch.cat(out, dim=2)


class EDSRUpsampler(nn.Sequential):
    """EDSR's sub-pixel upsampler (Lim et al., CVPRW 2017), shared by EDSR, MDSR, RCAN and RDN: per prime factor
    ``f`` of ``scale`` (x4 = 2 x 2), a convolution to ``f^2 out_feats`` channels then ``PixelShuffle(f)``; no
    activation. Keys ``0`` (x2, x3) and ``0``, ``2`` (x4), as in EDSR-PyTorch; PyTorch's default initialisation.
    RDN's upsampler is the same with ``out_feats = growth`` (its layers unpacked into RDN's ``UPNet``).

    Args:
        scale: the factor.
        n_feats: input channels.
        out_feats: channels after each step (default ``n_feats``).
        kernel_size: convolution size.

    Shape:
        ``(B, n_feats, H, W) -> (B, out_feats, scale*H, scale*W)``.

    Example:
        >>> EDSRUpsampler(scale=4, n_feats=8)(torch.rand(1, 8, 5, 5)).shape
        torch.Size([1, 8, 20, 20])
    """

    def __init__(self, *, scale: int, n_feats: int, out_feats: int | None = None, kernel_size: int = 3) -> None:
        layers: list[nn.Module] = []
        channels, out = n_feats, out_feats or n_feats
        for f in prime_factors(check_scale("EDSRUpsampler", scale)):
            layers += [conv2d(channels, f * f * out, kernel_size), nn.PixelShuffle(f)]
            channels = out
        super().__init__(*layers)
