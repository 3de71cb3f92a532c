"""The per-image methods as srkit bench methods: registered names, kernels passed through, refusals."""

from __future__ import annotations

import numpy as np
import pytest

import srkit
import srkit.unsupervised
from srkit.unsupervised.methods import PER_IMAGE_METHODS, PerImageMethod


def test_registered_names() -> None:
    names = set(srkit.method_names())
    assert {"zssr", "zssr_fast", "kernelgan_zssr", "kernelgan_zssr_fast", "dip", "dpsr", "dpsr_kernelgan"} <= names
    assert set(PER_IMAGE_METHODS) <= names
    assert srkit.get_method("dip").name == "dip"


def test_the_kernel_reaches_the_method_and_dpsr_needs_one() -> None:
    seen: list[np.ndarray | None] = []

    def run(lr: np.ndarray, scale: int, kernel: np.ndarray | None) -> np.ndarray:
        seen.append(kernel)
        return np.zeros((lr.shape[0] * scale, lr.shape[1] * scale, 3), np.uint8)

    method = PerImageMethod("fake", run)
    lr = np.zeros((8, 8, 3), np.uint8)
    assert method.upscale(lr, 2, kernel=np.ones((3, 3))).shape == (16, 16, 3)
    assert seen[0] is not None and seen[0].shape == (3, 3)
    with pytest.raises(srkit.SrkitError, match="expects an LR uint8 image"):
        method.upscale(lr.astype(np.float32), 2)
    with pytest.raises(srkit.SrkitError, match="dpsr needs the true kernel"):
        srkit.get_method("dpsr").upscale(lr, 2)
