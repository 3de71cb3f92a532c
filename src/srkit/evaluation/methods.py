"""Super-resolution methods that ``srkit bench`` can evaluate.

A method turns an LR uint8 image ``(h, w, 3)`` into an SR uint8 image ``(h * s, w * s, 3)``; models follow
step 3 of the protocol (compute in [0, 1], clamp, round to uint8). On a blind set (``gt/``, ``lr_x2/``,
``gt_k_x2/``: DIV2KRK, ``srkit blindset``) the runner also passes the kernel that made the LR image (``kernel=``,
applied as :func:`srkit.degradations.kernel_downscale` defines): a method given the true kernel uses it, the
others ignore it. The interpolation kernels are registered by name; a model is evaluated through
:class:`ModelMethod`, which runs it through srkit's one image path (:class:`srkit.Upscaler`), so ``srkit bench``
measures exactly what ``srkit upscale`` produces.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.registry import Registry
from srkit.functional.resize import imresize
from srkit.inference.tiling import TileArg
from srkit.inference.upscale import Upscaler


class SRMethod(Protocol):
    """Anything that upscales an LR uint8 image by an integer factor, optionally told the blur kernel."""

    @property
    def name(self) -> str:
        """The method's name in reports."""
        ...

    def upscale(self, lr: np.ndarray, scale: int, *, kernel: np.ndarray | None = None) -> np.ndarray:
        """``(h, w, 3)`` uint8 -> ``(h * scale, w * scale, 3)`` uint8.

        ``kernel``: the 2-D kernel (float64, sums to 1) that made ``lr`` from the HR image when the set has one
        (a method that takes the true kernel uses it; the others ignore it), else None.
        """
        ...


@dataclass(frozen=True)
class Interpolation:
    """Upscaling by a MATLAB ``imresize`` kernel (the classic baselines: bicubic, bilinear, nearest, Lanczos).

    As in the MATLAB scripts behind the published "Bicubic" rows, the uint8 LR is resized with uint8 class
    semantics (rounded after each pass).
    """

    name: str
    kernel: str

    def upscale(self, lr: np.ndarray, scale: int, *, kernel: np.ndarray | None = None) -> np.ndarray:
        """Resize ``lr`` by ``scale`` (``kernel``, a blur kernel of the set, is ignored)."""
        if lr.dtype != np.uint8 or lr.ndim != 3:
            raise SrkitError(f"{self.name} expects an LR uint8 image (h, w, 3), got {lr.dtype} {lr.shape}")
        return imresize(lr, scale, kernel=self.kernel)


class ModelMethod:
    """A model as a benchmark method, run through srkit's one image path (:class:`srkit.Upscaler`).

    Step 3 of the protocol: the LR uint8 image is made float in [0, 1] and run as the model's card says (padded
    to its size multiple; RGB, or the Y of MATLAB's YCbCr with Cb/Cr upscaled by MATLAB bicubic), without
    gradients; the output is clamped to [0, 1] and rounded to uint8.

    Args:
        model: a module with a card (``srkit.build_model``/``load_model``), a shipped model name (``"srkit"``), a
            checkpoint path, or an :class:`srkit.Upscaler`.
        name: the name in reports (default: the card's).
        device: where to run it.
        precision: ``"fp32"`` (the default, as the model cards' numbers are measured), ``"bf16"``, ``"fp16"``
            or ``"auto"`` (as ``srkit upscale``).
        tile: LR tile size (default None: whole images, as the protocol).
        tta: self-ensemble over 8 flips/rotations.

    Example:
        >>> ModelMethod("srkit_fast").upscale(np.zeros((8, 8, 3), np.uint8), 2).shape
        (16, 16, 3)
    """

    def __init__(
        self,
        model: nn.Module | str | os.PathLike[str] | Upscaler,
        *,
        name: str | None = None,
        device: str = "cpu",
        precision: str = "fp32",
        tile: TileArg = None,
        tta: bool = False,
    ) -> None:
        if isinstance(model, Upscaler):
            self.upscaler = model
        else:
            self.upscaler = Upscaler(model, device=device, precision=precision, tile=tile, tta=tta)
        self.name = name or self.upscaler.card.name
        self.scales = self.upscaler.scales

    def upscale(self, lr: np.ndarray, scale: int, *, kernel: np.ndarray | None = None) -> np.ndarray:
        """Run the model on ``lr`` (``kernel`` is ignored: srkit's models are trained for one degradation)."""
        if scale not in self.scales:
            raise SrkitError(f"{self.name} upscales by {', '.join(f'x{s}' for s in self.scales)}, not x{scale}")
        if lr.dtype != np.uint8 or lr.ndim != 3 or lr.shape[2] != 3:
            raise SrkitError(f"{self.name} expects an LR uint8 image (h, w, 3), got {lr.dtype} {lr.shape}")
        return self.upscaler.upscale_array(lr, scale)


METHODS: Registry[Callable[[], SRMethod]] = Registry("method")
METHODS.register("bicubic", lambda: Interpolation("bicubic", "bicubic"))
METHODS.register("bilinear", lambda: Interpolation("bilinear", "bilinear"))
METHODS.register("nearest", lambda: Interpolation("nearest", "nearest"))
METHODS.register("lanczos", lambda: Interpolation("lanczos", "lanczos3"))


def get_method(name: str) -> SRMethod:
    """The registered method ``name``; :class:`SrkitError` listing the known names otherwise."""
    return METHODS.get(name)()


def method_names() -> list[str]:
    """Names accepted by :func:`get_method`."""
    return METHODS.names()
