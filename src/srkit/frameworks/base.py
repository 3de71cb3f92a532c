"""What every framework shares: running a body that may emit several outputs, and the image contract."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.functional.resize import imresize

Outputs = list[torch.Tensor]
INTERPOLATIONS = ("bicubic", "bilinear", "nearest", "matlab")


def check_interpolation(mode: str) -> str:
    """Return ``mode`` if it is one of :data:`INTERPOLATIONS`, else raise :class:`SrkitError` listing them."""
    if mode not in INTERPOLATIONS:
        raise SrkitError(f"unknown interpolation {mode!r}; choose one of {', '.join(INTERPOLATIONS)}")
    return mode


def interpolate(x: torch.Tensor, scale: float, mode: str) -> torch.Tensor:
    """Upscale ``x`` by ``scale``: ``torch.nn.functional.interpolate`` modes, or ``"matlab"`` for srkit's
    MATLAB-exact bicubic (what VDSR-style networks were trained on; slower, shapes fixed under tracing)."""
    if mode == "matlab":
        return imresize(x, scale)
    check_interpolation(mode)
    align = None if mode == "nearest" else False
    return F.interpolate(x, scale_factor=scale, mode=mode, align_corners=align)


def run_body(body: nn.ModuleList, x: torch.Tensor) -> Outputs:
    """Apply the body's blocks in turn; the last block may return a list (one tensor per recursion/step)."""
    out: torch.Tensor | Outputs = x
    for block in body:
        if isinstance(out, list):
            raise SrkitError("only the last body block may return several outputs")
        out = block(out)
    return out if isinstance(out, list) else [out]


class Framework(nn.Module):
    """Base of the four frameworks: ``forward`` gives the final SR image, ``forward_all`` every intermediate
    output a multi-supervised loss needs (recursions, feedback steps, pyramid levels); both take ``(B, C, H, W)``
    in [0, 1]."""

    scale: float
    spec: dict[str, Any]  # set by create_model: the data that rebuilds this model

    def forward_all(self, x: torch.Tensor) -> Outputs:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise SrkitError(f"expected a batch of images (B, C, H, W), got shape {tuple(x.shape)}")
        return self.forward_all(x)[-1]
