"""The per-image methods of this package as ``srkit bench`` methods (registered in ``srkit.evaluation.METHODS`` when
``srkit.unsupervised`` is imported, as ``srkit bench`` does):

========================  ==================================================================================
``zssr``                  ZSSR, the paper's schedule, bicubic kernel
``zssr_fast``             ZSSR, srkit's fast schedule (``fast=True``)
``kernelgan_zssr``        KernelGAN's kernel estimate, then ZSSR with it (the paper's schedules)
``kernelgan_zssr_fast``   the same with ZSSR's fast schedule
``dip``                   Deep Image Prior, the paper's iteration count
``dpsr``                  DPSR with the set's true kernel (a blind set: ``srkit blindset``, DIV2KRK)
``dpsr_kernelgan``        DPSR with KernelGAN's estimate
========================  ==================================================================================

Each image is a separate optimisation, seeded with the set's fixed seed 0; the runner times it (``ms/image``).
Their own progress stays quiet inside ``srkit bench``, which shows one bar over the images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from srkit._core.errors import SrkitError
from srkit.evaluation.methods import METHODS
from srkit.unsupervised.dip import dip
from srkit.unsupervised.dpsr import dpsr
from srkit.unsupervised.zssr import zssr

__all__ = ["PER_IMAGE_METHODS", "PerImageMethod", "register_methods"]

Run = Callable[[np.ndarray, int, "np.ndarray | None"], np.ndarray]


@dataclass(frozen=True)
class PerImageMethod:
    """A per-image method as an :class:`srkit.evaluation.SRMethod`."""

    name: str
    run: Run

    def upscale(self, lr: np.ndarray, scale: int, *, kernel: np.ndarray | None = None) -> np.ndarray:
        if lr.dtype != np.uint8 or lr.ndim != 3:
            raise SrkitError(f"{self.name} expects an LR uint8 image (h, w, 3), got {lr.dtype} {lr.shape}")
        return self.run(lr, scale, kernel)


def _true_kernel(kernel: np.ndarray | None) -> np.ndarray:
    if kernel is None:
        raise SrkitError("dpsr needs the true kernel: evaluate it on a blind set (srkit blindset, DIV2KRK)")
    return kernel


PER_IMAGE_METHODS: dict[str, Run] = {
    "zssr": lambda lr, s, k: zssr(lr, s, kernel="bicubic", progress=False).image,
    "zssr_fast": lambda lr, s, k: zssr(lr, s, kernel="bicubic", fast=True, progress=False).image,
    "kernelgan_zssr": lambda lr, s, k: zssr(lr, s, kernel="estimate", progress=False).image,
    "kernelgan_zssr_fast": lambda lr, s, k: zssr(lr, s, kernel="estimate", fast=True, progress=False).image,
    "dip": lambda lr, s, k: dip(lr, s, progress=False).image,
    "dpsr": lambda lr, s, k: dpsr(lr, s, kernel=_true_kernel(k), progress=False).image,
    "dpsr_kernelgan": lambda lr, s, k: dpsr(lr, s, kernel="estimate", progress=False).image,
}


def _factory(name: str, run: Run) -> Callable[[], PerImageMethod]:
    return lambda: PerImageMethod(name, run)


def register_methods() -> None:
    """Register :data:`PER_IMAGE_METHODS` with the benchmark runner (once)."""
    for name, run in PER_IMAGE_METHODS.items():
        if name not in METHODS:
            METHODS.register(name, _factory(name, run))
