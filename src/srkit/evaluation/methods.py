"""Super-resolution methods that ``srkit bench`` can evaluate.

A method turns an LR uint8 image ``(h, w, 3)`` into an SR uint8 image ``(h * s, w * s, 3)``; models follow
step 3 of the protocol (compute in [0, 1], clamp, round to uint8). For now the methods are the interpolation kernels;
trained models are added by the model zoo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from srkit._core.errors import SrkitError
from srkit._core.registry import Registry
from srkit.functional.resize import imresize


class SRMethod(Protocol):
    """Anything that upscales an LR uint8 image by an integer factor."""

    @property
    def name(self) -> str:
        """The method's name in reports."""
        ...

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        """``(h, w, 3)`` uint8 -> ``(h * scale, w * scale, 3)`` uint8."""
        ...


@dataclass(frozen=True)
class Interpolation:
    """Upscaling by a MATLAB ``imresize`` kernel (the classic baselines: bicubic, bilinear, nearest, Lanczos).

    As in the MATLAB scripts behind the published "Bicubic" rows, the uint8 LR is resized with uint8 class
    semantics (rounded after each pass).
    """

    name: str
    kernel: str

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        if lr.dtype != np.uint8 or lr.ndim != 3:
            raise SrkitError(f"{self.name} expects an LR uint8 image (h, w, 3), got {lr.dtype} {lr.shape}")
        return imresize(lr, scale, kernel=self.kernel)


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
