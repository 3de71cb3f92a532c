"""Images in and out of the per-image methods: arrays checked at the boundary, float tensors inside, the caller's
dtype and layout back.

The methods work on RGB in [0, 1]. A gray image runs as RGB with three equal channels and comes back gray (the
channel mean); uint8, uint16 and float images come back in their dtype (uint rounded half up). Alpha is refused
(use ``srkit upscale`` for images with alpha): these methods fit a network to the colour, and a transparent area
has none.

Example:
    >>> import numpy as np
    >>> x, back = as_rgb_tensor(np.full((4, 5), 128, np.uint8))
    >>> tuple(x.shape), back(x).dtype, back(x).shape
    ((1, 3, 4, 5), dtype('uint8'), (4, 5))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from srkit._core.errors import SrkitError
from srkit.unsupervised._loop import OptimLog

__all__ = ["SRResult", "as_rgb_tensor"]

Restore = Callable[[torch.Tensor], np.ndarray]


@dataclass
class SRResult:
    """The output of a per-image method.

    Attributes:
        image: the result, in the input's dtype and layout (``(h, w)`` or ``(h, w, 3)``).
        log: the optimisation run (steps, seconds, losses, why it stopped).
        info: method-specific facts (the kernel used, the scales trained, the learning rates, ...).
    """

    image: np.ndarray
    log: OptimLog
    info: dict[str, Any] = field(default_factory=dict)


def as_rgb_tensor(image: np.ndarray, *, name: str = "image", min_side: int = 4) -> tuple[torch.Tensor, Restore]:
    """``image`` as a float32 tensor ``(1, 3, H, W)`` in [0, 1], and the function that turns a result tensor
    ``(1, 3, h, w)`` back into the input's dtype and layout.

    Args:
        image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``; uint8, uint16, or float in [0, 1].
        name: the image's name in messages (a file name).
        min_side: the smallest height/width accepted.

    Raises:
        SrkitError: another layout (alpha included), another dtype, values outside [0, 1] or not finite, or an
            image smaller than ``min_side``.
    """
    if not isinstance(image, np.ndarray):
        raise SrkitError(f"{name}: expected a numpy array, got {type(image).__name__}")
    gray = image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1)
    if not (gray or (image.ndim == 3 and image.shape[2] == 3)):
        what = "an alpha channel" if image.ndim == 3 and image.shape[2] in (2, 4) else f"shape {image.shape}"
        raise SrkitError(f"{name}: expected a gray or RGB image (H, W[, 3]), got {what}; drop alpha first")
    h, w = image.shape[:2]
    if min(h, w) < min_side:
        raise SrkitError(f"{name} is {w}x{h} pixels: too small (at least {min_side}x{min_side})")
    kind = image.dtype
    if kind == np.uint8 or kind == np.uint16:
        top = 255.0 if kind == np.uint8 else 65535.0
        arr = image.astype(np.float32) / top
    elif np.issubdtype(kind, np.floating):
        arr = image.astype(np.float32)
        if not np.isfinite(arr).all() or arr.min() < 0 or arr.max() > 1:
            raise SrkitError(f"{name}: float images must be finite and in [0, 1]")
    else:
        raise SrkitError(f"{name}: images must be uint8, uint16 or float in [0, 1], got {kind}")
    chw = torch.from_numpy(np.ascontiguousarray(arr.reshape(h, w, -1))).permute(2, 0, 1)
    x = chw.expand(3, h, w) if gray else chw
    layout_2d = image.ndim == 2

    def restore(out: torch.Tensor) -> np.ndarray:
        y = out.detach().float().clamp(0.0, 1.0)[0].cpu()
        if gray:
            y = y.mean(dim=0, keepdim=True)
        hwc = y.permute(1, 2, 0).numpy()
        if kind == np.uint8 or kind == np.uint16:
            top = 255.0 if kind == np.uint8 else 65535.0
            hwc = np.floor(hwc * top + 0.5).astype(kind)
        else:
            hwc = hwc.astype(kind)
        return hwc[..., 0] if layout_2d else hwc

    return x.unsqueeze(0).contiguous(), restore
