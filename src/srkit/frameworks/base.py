"""What every framework shares: running a body that may emit several outputs, and the image contract.

(The interpolation helpers live in :mod:`srkit.blocks.common`, shared with the pre-upsampling architectures.)"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.common import INTERPOLATIONS, check_interpolation, interpolate

Outputs = list[torch.Tensor]


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


__all__ = ["INTERPOLATIONS", "Framework", "Outputs", "check_interpolation", "interpolate", "run_body"]
