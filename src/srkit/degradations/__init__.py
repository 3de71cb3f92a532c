"""Degradation models that make LR images from HR ones (the benchmark protocols BI, BD, DN for now)."""

from srkit.degradations.classic import (
    PROTOCOLS,
    bicubic_degradation,
    blur_degradation,
    degrade,
    gaussian_kernel,
    image_seed,
    noise_degradation,
)

__all__ = [
    "PROTOCOLS",
    "bicubic_degradation",
    "blur_degradation",
    "degrade",
    "gaussian_kernel",
    "image_seed",
    "noise_degradation",
]
