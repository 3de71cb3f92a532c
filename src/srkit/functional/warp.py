"""Backward warping of images or features by a dense optical flow (the motion compensation of video SR).

``flow_warp(x, flow)`` samples ``x`` ``(N, C, H, W)`` at ``p + flow(p)`` for every pixel ``p`` (bilinear, pixel
centres, borders replicated): with ``flow`` the motion from frame ``t`` to frame ``t + 1`` (where each pixel of
``t`` went), ``flow_warp(frame_{t+1}, flow)`` is frame ``t + 1`` moved back onto frame ``t``. ``flow[:, 0]`` is
the horizontal (x) displacement, ``flow[:, 1]`` the vertical one, in pixels.

Example:
    >>> x = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> shift = torch.zeros(1, 2, 4, 4); shift[:, 0] = 1.0  # each pixel's content is one pixel to the right
    >>> flow_warp(x, shift)[0, 0, 0].tolist()
    [1.0, 2.0, 3.0, 3.0]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["flow_warp"]


def flow_warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """``x`` sampled at ``p + flow(p)`` (module docstring); ``flow`` is ``(N, 2, H, W)``."""
    h, w = x.shape[-2:]
    ys, xs = torch.meshgrid(
        torch.arange(h, device=x.device, dtype=flow.dtype),
        torch.arange(w, device=x.device, dtype=flow.dtype),
        indexing="ij",
    )
    gx = (xs[None] + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys[None] + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack([gx, gy], dim=-1)
    return F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode="border", align_corners=True)
