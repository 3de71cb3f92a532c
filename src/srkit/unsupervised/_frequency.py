"""Frequency separation for the degradation-learning GANs: a Gaussian low-pass ``L`` splits an image into its low
frequencies ``L(x)`` (content, for pixel terms) and its high ones ``x - L(x)`` (blur, noise and compression, for the
discriminators).

After Fritsche, Gu, Timofte, "Frequency Separation for Real-World Super-Resolution" (DSGAN), ICCV Workshops 2019,
https://arxiv.org/abs/1911.07850. srkit's option ``frequency_split`` of the ``two_step`` and ``cincgan`` recipes.
"""

from __future__ import annotations

import math

import torch

from srkit.degradations.kernels import blur, isotropic_gaussian_kernel

__all__ = ["FrequencySplit"]


class FrequencySplit:
    """The split at a Gaussian of ``sigma`` pixels (kernel side ``2 ceil(3 sigma) + 1``, reflect padding); with
    ``sigma = 0`` both halves are the whole image (no split).

    Example:
        >>> split = FrequencySplit(1.0)
        >>> x = torch.rand(1, 3, 16, 16)
        >>> torch.allclose(split.low(x) + split.high(x), x)
        True
        >>> FrequencySplit(0).high(x) is x
        True
    """

    def __init__(self, sigma: float) -> None:
        self.sigma = float(sigma)
        self.kernel = None
        if self.sigma > 0:
            self.kernel = isotropic_gaussian_kernel(2 * math.ceil(3 * self.sigma) + 1, self.sigma)

    def low(self, x: torch.Tensor) -> torch.Tensor:
        """``L(x)``, or ``x`` without a split."""
        return x if self.kernel is None else blur(x, self.kernel)

    def high(self, x: torch.Tensor) -> torch.Tensor:
        """``x - L(x)``, or ``x`` without a split."""
        return x if self.kernel is None else x - blur(x, self.kernel)
