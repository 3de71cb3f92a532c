"""Hyperspectral SR networks (survey section 6.2) that take cubes of any band count.

Both networks see a cube ``(N, bands, H, W)`` (values scaled to about [0, 1]) as a 3-D volume with one feature
channel, and share every weight across bands, so one set of weights serves CAVE's 31 bands, Houston's 48 and
AVIRIS's 198. Spectral context comes from separable 3-D convolutions (a ``1 x 3 x 3`` spatial convolution, then a
``3 x 1 x 1`` spectral one), as in the 3-D networks of Mei et al. (3D-FCNN, Remote Sensing 2017) and the
spectral-grouped, shared-weight branches of SSPSR (Jiang et al., IEEE TCI 2020). Both are srkit's designs in
that spirit, sized for a CPU, not reproductions: their cards say so and no published parameter count applies.

- :class:`HSI3DNet` (``hsi3d``): single-image HSI SR, post-upsampling (ESPCN's sub-pixel layer per band) with a
  global residual over the bicubic upsampled cube.
- :class:`HSIFusionNet` (``hsi_fusion``): fusion of an LR cube with an HR guide (RGB, MS or PAN) through the
  guide's spectral response ``R``, unrolled like a model-based solver so that it works for any response, also
  one it was not trained with. ``X`` starts as a band-dependent detail injection, after BDSD (Garzelli,
  Nencini, Capobianco, IEEE TGRS 2008): on the LR grid, where both images exist, each band is regressed on the
  guide's channels degraded by the PSF, ``Y ~ W D(Z) + c`` (least squares per scene), and the guide's detail is
  injected with those weights, ``X0 = up(Y) + W (Z - up(D(Z)))``. Each stage then computes the two data-term
  residuals of Wald's model (:mod:`srkit.degradations.wald`) for the current estimate ``X``:

  - spectral: the guide's part ``X`` misses, ``R^+ (Z - R X)``, with ``R^+ = R^T (R R^T + eps I)^-1`` the
    minimum-norm back-projection into the bands;
  - spatial: the LR cube's part it misses, ``up(Y - D(X))`` (bicubic upsampling of the residual);

  and a band-shared 3-D network turns them (with ``X``, the guide back-projected into the bands ``R^+ Z`` and the
  guide's mean over its channels) into an update of ``X`` (its last layer starts at zero: the untrained network
  returns ``X0``). Inputs: ``forward(lr, guide, response)`` with the guide calibrated to the cube's units
  (``Z ~ R X``; :func:`srkit.hsi.guide.calibrate_guide`); ``weights`` passes ``W`` and ``c`` fitted on a whole
  scene when the network runs tile by tile (:func:`detail_regression`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.checks import check_positive_scale
from srkit._core.errors import SrkitError
from srkit._core.hparams import store_hparams
from srkit.archs._registry import Builder
from srkit.degradations.wald import spatial_down, spectral_down

PAPERS = (
    "srkit's band-shared separable 3-D network, after Mei, Yuan, Du, Zhang, Hyperspectral Image Spatial "
    "Super-Resolution via 3D Full Convolutional Neural Network, Remote Sensing 2017, and Jiang, Sun, Liu, Ma, "
    "Learning Spatial-Spectral Prior for Super-Resolution of Hyperspectral Imagery (SSPSR), IEEE TCI 2020"
)


def upsample_bands(x: torch.Tensor, scale: int) -> torch.Tensor:
    """Bicubic upsampling of every band of ``(N, B, h, w)`` (half-pixel centres, as Wald's PSF assumes)."""
    return F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)


class _Volume(nn.Module):
    """A separable 3-D convolution on ``(N, F, B, H, W)``: ``1 x k x k`` over space, then ``3 x 1 x 1`` over
    bands (as 2-D convolutions on reshaped views, which run faster than ``conv3d`` on a CPU)."""

    def __init__(self, c_in: int, c_out: int, k: int = 3) -> None:
        super().__init__()
        self.spatial = nn.Conv2d(c_in, c_out, k, padding=k // 2)
        self.spectral = nn.Conv2d(c_out, c_out, (3, 1), padding=(1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, b, h, w = x.shape
        y = self.spatial(x.transpose(1, 2).reshape(n * b, c, h, w))
        f = y.shape[1]
        y = y.reshape(n, b, f, h * w).transpose(1, 2)  # (N, F, B, HW)
        return self.spectral(F.relu(y)).reshape(n, f, b, h, w)


class _ResVolume(nn.Module):
    def __init__(self, n_feats: int) -> None:
        super().__init__()
        self.a, self.b = _Volume(n_feats, n_feats), _Volume(n_feats, n_feats)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.b(F.relu(self.a(x)))


def _per_band(conv: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A 2-D module applied to every band of ``(N, F, B, H, W)``."""
    n, c, b, h, w = x.shape
    y = conv(x.transpose(1, 2).reshape(n * b, c, h, w))
    return y.reshape(n, b, *y.shape[1:]).transpose(1, 2)


class HSI3DNet(nn.Module):
    """Single-image HSI SR for any band count (module docstring).

    Args:
        scale: the upscaling factor.
        n_feats: feature channels of the volume.
        n_blocks: residual blocks of two separable 3-D convolutions.
    """

    @store_hparams
    def __init__(self, *, scale: int = 4, n_feats: int = 32, n_blocks: int = 4) -> None:
        super().__init__()
        check_positive_scale(scale)
        self.scale = scale
        self.head = _Volume(1, n_feats)
        self.body = nn.Sequential(*(_ResVolume(n_feats) for _ in range(n_blocks)))
        self.tail = nn.Sequential(nn.Conv2d(n_feats, scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = next(self.parameters()).dtype
        base = upsample_bands(x.float(), self.scale)
        f = self.head(x.to(dtype)[:, None])
        f = self.body(f)
        out = _per_band(self.tail, f)[:, 0]  # (N, B, H, W)
        return base + out.float()


def pseudo_inverse(response: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """``R^T (R R^T + eps I)^-1`` of ``(C, B)`` or ``(N, C, B)`` responses: ``(…, B, C)``."""
    r = response.double()
    gram = r @ r.transpose(-1, -2)
    eye = torch.eye(r.shape[-2], dtype=r.dtype, device=r.device)
    return (r.transpose(-1, -2) @ torch.linalg.inv(gram + eps * gram.diagonal(dim1=-2, dim2=-1).mean() * eye)).to(
        response.dtype
    )


def _back_project(pinv: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    return torch.einsum("bc,nchw->nbhw" if pinv.ndim == 2 else "nbc,nchw->nbhw", pinv.to(z.dtype), z)


def detail_regression(lr: torch.Tensor, guide: torch.Tensor, sigma: float | None = None) -> torch.Tensor:
    """``(N, C + 1, B)``: the least-squares ``W`` (rows 0..C-1) and ``c`` (row C) of ``Y ~ W D(Z) + c`` on the LR
    grid, per sample, with a tiny ridge against ill-conditioned guides."""
    ratio = guide.shape[-1] // lr.shape[-1]
    z = spatial_down(guide.double(), ratio, sigma).flatten(2)  # (N, C, hw)
    design = torch.cat([z, torch.ones_like(z[:, :1])], dim=1).transpose(1, 2)  # (N, hw, C + 1)
    target = lr.double().flatten(2).transpose(1, 2)  # (N, hw, B)
    gram = design.transpose(1, 2) @ design
    ridge = (
        1e-6 * gram.diagonal(dim1=1, dim2=2).mean(dim=1)[:, None, None] * torch.eye(gram.shape[-1], dtype=gram.dtype)
    )
    return torch.linalg.solve(gram + ridge, design.transpose(1, 2) @ target).float()


def detail_injection(
    lr: torch.Tensor, guide: torch.Tensor, weights: torch.Tensor, sigma: float | None = None
) -> torch.Tensor:
    """``X0 = up(Y) + W (Z - up(D(Z)))`` for ``weights`` from :func:`detail_regression`."""
    ratio = guide.shape[-1] // lr.shape[-1]
    detail = guide - upsample_bands(spatial_down(guide, ratio, sigma), ratio)
    return upsample_bands(lr, ratio) + torch.einsum("ncb,nchw->nbhw", weights[:, :-1].to(guide.dtype), detail)


class _Stage(nn.Module):
    INPUTS = 5  # X, spectral residual, spatial residual, back-projected guide, guide mean

    def __init__(self, n_feats: int, n_blocks: int) -> None:
        super().__init__()
        self.head = _Volume(self.INPUTS, n_feats)
        self.body = nn.Sequential(*(_ResVolume(n_feats) for _ in range(n_blocks)))
        self.tail = nn.Conv2d(n_feats, 1, 3, padding=1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _per_band(self.tail, self.body(self.head(x)))[:, 0]


class HSIFusionNet(nn.Module):
    """Fusion of an LR cube with an HR guide through its spectral response (module docstring).

    Args:
        scale: the ratio it is built for; ``forward`` takes the ratio from the shapes (guide side / LR side), so
            one set of weights serves every ratio it was trained on (srkit's: 4 and 8).
        n_feats, n_blocks: width and residual blocks of each stage's 3-D network.
        stages: unrolled stages (separate weights).
        sigma: the PSF's sigma in HR pixels (default: Wald's, FWHM = ratio).
    """

    @store_hparams
    def __init__(
        self, *, scale: int = 8, n_feats: int = 16, n_blocks: int = 2, stages: int = 2, sigma: float | None = None
    ) -> None:
        super().__init__()
        check_positive_scale(scale)
        self.scale, self.sigma = scale, sigma
        self.stages = nn.ModuleList(_Stage(n_feats, n_blocks) for _ in range(stages))

    def forward(
        self, lr: torch.Tensor, guide: torch.Tensor, response: torch.Tensor, weights: torch.Tensor | None = None
    ) -> torch.Tensor:
        dtype = next(self.parameters()).dtype
        lr, guide, response = lr.float(), guide.float(), response.float()
        ratio = guide.shape[-1] // lr.shape[-1]
        if guide.shape[-2:] != (lr.shape[-2] * ratio, lr.shape[-1] * ratio):
            raise SrkitError(
                f"the guide ({guide.shape[-2]}x{guide.shape[-1]}) is not an integer multiple of the LR cube"
            )
        pinv = pseudo_inverse(response)
        if weights is None:
            weights = detail_regression(lr, guide, self.sigma)
        x = detail_injection(lr, guide, weights.expand(lr.shape[0], -1, -1), self.sigma)
        n, b, h, w = x.shape
        projected = _back_project(pinv, guide)
        mean = guide.mean(dim=1, keepdim=True).expand(n, b, h, w)
        for stage in self.stages:
            spectral = _back_project(pinv, guide - spectral_down(x, response))
            spatial = upsample_bands(lr - spatial_down(x, ratio, self.sigma), ratio)
            feats = torch.stack([x, spectral, spatial, projected, mean], dim=1)
            x = x + stage(feats.to(dtype)).float()
        return x


def _card(name: str, arch: str, scales: tuple[int, ...], params: dict[int, int], notes: str, reach: int) -> ModelCard:
    return ModelCard(
        name=name,
        arch=arch,
        paper=PAPERS,
        scales=scales,
        kind="cube_fusion" if arch == "HSIFusionNet" else "cube",
        in_channels=1,
        out_channels=1,
        multi_scale=False,
        tiling=True,
        float32_io=True,
        receptive_field=reach,
        params=params,
        notes=notes,
    )


def hsi3d(*, scale: int = 4, **overrides: Any) -> HSI3DNet:
    """Single-image HSI SR, any band count."""
    return HSI3DNet(scale=scale, **overrides)


def hsi_fusion(*, scale: int = 8, **overrides: Any) -> HSIFusionNet:
    """LR-HSI + HR guide fusion, any band count and spectral response."""
    return HSIFusionNet(scale=scale, **overrides)


_CUBE = (
    "A hyperspectral network (srkit.hsi): forward takes (N, bands, h, w) cubes of any band count, values "
    "scaled to about [0, 1]; in/out channels 1 means one band at a time, weights shared across bands. Not an "
    "image model: srkit upscale refuses it; use srkit hsi."
)

ZOO: list[tuple[Builder, ModelCard]] = [
    (
        hsi3d,
        _card(
            "hsi3d",
            "HSI3DNet",
            (2, 3, 4, 8),
            {2: 103_396, 3: 104_841, 4: 106_864, 8: 120_736},
            _CUBE + " Single-image SR.",
            10,
        ),
    ),
    (
        hsi_fusion,
        _card(
            "hsi_fusion",
            "HSIFusionNet",
            (2, 3, 4, 8),
            dict.fromkeys((2, 3, 4, 8), 28_162),
            _CUBE + " One set of weights serves every ratio (taken from the input shapes). Fusion: forward(lr, "
            "guide, response), guide (N, C, H, W) calibrated so that guide ~ response @ cube; response (C, bands) "
            "or (N, C, bands), rows summing to 1.",
            8,
        ),
    ),
]
