"""Relating an HR guide (RGB, MS, PAN) to an LR cube: calibration of its units, and its response when unknown.

A guide camera has its own gain, offset and quantisation (an 8-bit sRGB-like photo against a 16-bit radiance
cube). Wald's model says the guide degraded to the LR grid equals the response applied to the LR cube, so both
are fitted on the LR grid, where both images exist:

- :func:`calibrate_guide`: given the response, each guide channel ``c`` is fitted as
  ``D(Z_c) ~ a_c (R Y)_c + b_c`` (least squares) and mapped to the cube's units, ``(Z_c - b_c) / a_c``.
- :func:`estimate_response`: without one (a real camera pair such as Houston's), each channel's response row is
  the non-negative, smooth least-squares fit ``D(Z_c) ~ sum_b r_cb Y_b + b_c`` (projected gradient on the normal
  equations with a second-difference penalty across bands, as HySure estimates it), rows then scaled to sum 1.
"""

from __future__ import annotations

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit.degradations.wald import spatial_down

__all__ = ["calibrate_guide", "estimate_response"]


def calibrate_guide(lr: torch.Tensor, guide: torch.Tensor, response: torch.Tensor, ratio: int) -> torch.Tensor:
    """The guide ``(C, H, W)`` in the units of the cube ``lr`` ``(B, h, w)`` (module docstring).

    Raises:
        SrkitError: a guide channel that does not rise with what the response predicts from the cube (a wrong
            response, or a guide of another scene).
    """
    g_lr = spatial_down(guide[None].double(), ratio)[0].reshape(guide.shape[0], -1)
    pred = response.double() @ lr.double().reshape(lr.shape[0], -1)
    out = torch.empty_like(guide, dtype=torch.float32)
    for c in range(guide.shape[0]):
        x, y = pred[c], g_lr[c]
        xc = x - x.mean()
        var = (xc * xc).mean()
        if not var > 0:
            raise SrkitError(f"guide channel {c + 1}: the cube seen through its response is flat; check the response")
        a = ((y - y.mean()) * xc).mean() / var
        corr = a * var.sqrt() / (y - y.mean()).pow(2).mean().sqrt().clamp(min=1e-12)
        if not a > 0 or corr < 0.3:
            raise SrkitError(
                f"guide channel {c + 1} does not follow the cube through the given response (correlation "
                f"{float(corr):.2f} on the LR grid): a wrong response, a guide of another scene, or misaligned"
            )
        b = y.mean() - a * x.mean()
        out[c] = ((guide[c].double() - b) / a).float()
    return out


def estimate_response(
    lr: torch.Tensor, guide: torch.Tensor, ratio: int, *, smooth: float = 1e-3, iters: int = 3000
) -> torch.Tensor:
    """A ``(C, B)`` response (rows summing to 1) estimated from the cube and the guide (module docstring)."""
    b = lr.shape[0]
    y = lr.double().reshape(b, -1)
    g_lr = spatial_down(guide[None].double(), ratio)[0].reshape(guide.shape[0], -1)
    y_c = y - y.mean(dim=1, keepdim=True)
    gram = (y_c @ y_c.T) / y.shape[1]
    diff = torch.diff(torch.eye(b, dtype=gram.dtype), n=2, dim=0)
    penalty = smooth * float(gram.diagonal().mean()) * (diff.T @ diff)
    hessian = gram + penalty
    step = 1.0 / float(torch.linalg.eigvalsh(hessian).max())
    rows = []
    for c in range(guide.shape[0]):
        t = g_lr[c] - g_lr[c].mean()
        rhs = (y_c @ t) / y.shape[1]
        r = torch.full((b,), 1.0 / b, dtype=gram.dtype)
        for _ in range(iters):
            r = (r - step * (hessian @ r - rhs)).clamp(min=0.0)
        if not r.sum() > 0:
            raise SrkitError(f"guide channel {c + 1} does not rise with any band of the cube: no response found")
        rows.append(r / r.sum())
    return torch.stack(rows).float()


def response_tensor(response: np.ndarray | torch.Tensor) -> torch.Tensor:
    """A ``(C, B)`` response as float32, checked."""
    r = torch.as_tensor(np.asarray(response, dtype=np.float32))
    if r.ndim != 2 or not torch.isfinite(r).all() or (r < 0).any():
        raise SrkitError(f"a response is a finite, non-negative (channels, bands) matrix, got shape {tuple(r.shape)}")
    return r
