"""Test images for the metrics: seeded, small, and with structure (edges, gradients, texture)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

PairFactory = Callable[..., tuple[NDArray[np.uint8], NDArray[np.uint8]]]


def _structured(rng: np.random.Generator, h: int, w: int, channels: int) -> NDArray[np.float64]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    base = 60 + 0.4 * xx + 0.3 * yy + 40 * np.sin(xx / 3.0) * np.cos(yy / 5.0)
    base += 50 * ((xx // 8 + yy // 8) % 2)  # a checkerboard of sharp edges
    planes = [base + 20 * c * np.cos((xx + yy) / (4.0 + c)) for c in range(channels)]
    return np.stack(planes, axis=-1) + rng.normal(0, 5, (h, w, channels))


def _degrade(rng: np.random.Generator, image: NDArray[np.float64]) -> NDArray[np.float64]:
    """A 3x3 box blur (edge-replicated) plus noise: an 'SR output' that is close to, but not, the image."""
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)), mode="edge")
    h, w = image.shape[:2]
    blurred = sum(padded[i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9.0
    return blurred + rng.normal(0, 3, image.shape)


def _to_uint8(image: NDArray[np.float64]) -> NDArray[np.uint8]:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240611)


@pytest.fixture
def make_pair(rng: np.random.Generator) -> PairFactory:
    """``make_pair(h, w, channels=3, kind="structured" | "noise")`` -> ``(sr, hr)`` uint8 ``(H, W, C)``."""

    def make(
        h: int, w: int, channels: int = 3, kind: str = "structured"
    ) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
        if kind == "noise":
            hr = rng.integers(0, 256, (h, w, channels)).astype(np.float64)
            sr = hr + rng.normal(0, 25, hr.shape)
        else:
            hr = _structured(rng, h, w, channels)
            sr = _degrade(rng, hr)
        return _to_uint8(sr), _to_uint8(hr)

    return make
