"""The classical fusion baselines of the field, on float cubes ``(bands, h, w)`` and guides ``(C, H, W)``.

- :func:`bicubic`: the LR cube upsampled band by band (what every fusion and HSI SR method must beat).
- :func:`gsa`: Gram-Schmidt adaptive component substitution (Aiazzi, Baronti, Selva, IEEE TGRS 2007), the
  pan-sharpening workhorse. The intensity is the least-squares combination of the LR bands (plus a constant)
  that best predicts the guide channel degraded to the LR grid; the guide is matched to the intensity's mean and
  standard deviation; each band gains ``cov(band, I) / var(I)`` times the guide's detail ``P - I``. A multi-channel
  guide (RGB, MS) is used as Yokoya et al.'s review does (IEEE GRSM 2017): each band is sharpened with the guide
  channel it correlates with best on the LR grid.
- :func:`cnmf`: coupled non-negative matrix factorisation (Yokoya, Yairi, Iwasaki, IEEE TGRS 2012): the LR cube
  and the guide are unmixed alternately with Lee and Seung's multiplicative updates, the endmembers shared through
  the response (``E_guide = R E``) and the abundances through the PSF (``A_lr = D(A)``); the fused cube is the
  cube's endmembers times the guide's HR abundances. Abundances sum to about one (the paper's ``delta`` row).
  Endmembers start from the successive projection algorithm (Gillis and Vavasis 2014) instead of VCA: both pick
  the purest pixels; SPA is deterministic.

Both classical methods take the guide calibrated to the cube's units (``Z ~ R X``).
"""

from __future__ import annotations

import torch

from srkit.archs.hsi import upsample_bands
from srkit.degradations.wald import spatial_down

__all__ = ["bicubic", "cnmf", "gsa", "spa"]


def bicubic(lr: torch.Tensor, ratio: int) -> torch.Tensor:
    """``(B, h, w)`` -> ``(B, h * ratio, w * ratio)``, bicubic, half-pixel centres."""
    return upsample_bands(lr[None].float(), ratio)[0]


def _design(lr: torch.Tensor) -> torch.Tensor:
    """``(pixels, B + 1)``: the bands as columns and a constant."""
    flat = lr.reshape(lr.shape[0], -1).T
    return torch.cat([flat, torch.ones_like(flat[:, :1])], dim=1)


def gsa(lr: torch.Tensor, guide: torch.Tensor, ratio: int, sigma: float | None = None) -> torch.Tensor:
    """GSA fusion (module docstring) of ``lr`` ``(B, h, w)`` with ``guide`` ``(C, H, W)``."""
    lr, guide = lr.double(), guide.double()
    up = bicubic(lr, ratio).double()
    guide_lr = spatial_down(guide[None], ratio, sigma)[0]
    b = lr.shape[0]
    lr_c = lr.reshape(b, -1) - lr.reshape(b, -1).mean(dim=1, keepdim=True)
    g_c = guide_lr.reshape(guide.shape[0], -1) - guide_lr.reshape(guide.shape[0], -1).mean(dim=1, keepdim=True)
    corr = (lr_c @ g_c.T) / (lr_c.norm(dim=1, keepdim=True) * g_c.norm(dim=1)[None, :]).clamp(min=1e-12)
    owner = corr.argmax(dim=1)  # each band's best-correlated guide channel
    out = up.clone()
    for c in range(guide.shape[0]):
        group = torch.nonzero(owner == c).reshape(-1)
        if group.numel() == 0:
            continue
        weights = torch.linalg.lstsq(_design(lr[group]), guide_lr[c].reshape(-1, 1)).solution
        intensity = (_design(up[group]) @ weights).reshape(up.shape[1:])
        p = guide[c]
        p = (p - p.mean()) * (intensity.std() / p.std().clamp(min=1e-12)) + intensity.mean()
        i_c = intensity - intensity.mean()
        bands = up[group]
        gains = ((bands - bands.mean(dim=(1, 2), keepdim=True)) * i_c).mean(dim=(1, 2)) / i_c.pow(2).mean().clamp(
            min=1e-12
        )
        out[group] = bands + gains[:, None, None] * (p - intensity)[None]
    return out.float()


def spa(y: torch.Tensor, count: int) -> torch.Tensor:
    """Successive projection: ``count`` columns of ``y`` ``(B, pixels)`` (the purest pixels), ``(B, count)``."""
    residual = y.clone()
    picks = []
    for _ in range(count):
        j = int(residual.pow(2).sum(dim=0).argmax())
        picks.append(j)
        u = residual[:, j] / residual[:, j].norm().clamp(min=1e-12)
        residual = residual - u[:, None] * (u @ residual)[None, :]
    return y[:, picks].clone()


def _update_a(a: torch.Tensor, e: torch.Tensor, y: torch.Tensor, delta: float, iters: int) -> torch.Tensor:
    """Multiplicative updates of the abundances ``a`` for ``y ~ e a`` with the sum-to-one row ``delta``."""
    eb = torch.cat([e, torch.full_like(e[:1], delta)])
    yb = torch.cat([y, torch.full_like(y[:1], delta)])
    num = eb.T @ yb
    gram = eb.T @ eb
    for _ in range(iters):
        a = a * num / (gram @ a).clamp(min=1e-12)
    return a


def _update_e(e: torch.Tensor, a: torch.Tensor, y: torch.Tensor, iters: int) -> torch.Tensor:
    num = y @ a.T
    gram = a @ a.T
    for _ in range(iters):
        e = e * num / (e @ gram).clamp(min=1e-12)
    return e


def cnmf(
    lr: torch.Tensor,
    guide: torch.Tensor,
    response: torch.Tensor,
    ratio: int,
    *,
    endmembers: int = 20,
    outer: int = 3,
    inner: int = 100,
    delta: float = 0.1,
    sigma: float | None = None,
) -> torch.Tensor:
    """CNMF fusion (module docstring) of ``lr`` ``(B, h, w)`` and ``guide`` ``(C, H, W)`` through ``response``
    ``(C, B)``; ``endmembers`` at most the band count; ``outer`` coupled rounds of ``inner`` updates."""
    lr, guide, r = lr.double().clamp(min=0), guide.double().clamp(min=0), response.double()
    b, h, w = lr.shape
    c, hh, ww = guide.shape
    m = min(endmembers, b)
    y_h, y_m = lr.reshape(b, -1), guide.reshape(c, -1)
    e_h = spa(y_h, m).clamp(min=1e-6)
    a_h = _update_a(torch.full((m, h * w), 1.0 / m, dtype=lr.dtype), e_h, y_h, delta, inner)
    a_m = bicubic(a_h.reshape(m, h, w), ratio).double().clamp(min=1e-6).reshape(m, -1)
    e_m = r @ e_h
    a_m = _update_a(a_m, e_m, y_m, delta, inner)
    for _ in range(outer):
        # HSI unmixing: abundances from the guide's, degraded; endmembers and abundances alternately
        a_h = spatial_down(a_m.reshape(1, m, hh, ww), ratio, sigma)[0].reshape(m, -1).clamp(min=1e-6)
        for _ in range(inner // 10):
            e_h = _update_e(e_h, a_h, y_h, 10)
            a_h = _update_a(a_h, e_h, y_h, delta, 10)
        # guide unmixing: endmembers through the response, then abundances and endmembers alternately
        e_m = (r @ e_h).clamp(min=1e-9)
        a_m = _update_a(a_m, e_m, y_m, delta, inner)
        for _ in range(inner // 10):
            e_m = _update_e(e_m, a_m, y_m, 10)
            a_m = _update_a(a_m, e_m, y_m, delta, 10)
    return (e_h @ a_m).reshape(b, hh, ww).float()
