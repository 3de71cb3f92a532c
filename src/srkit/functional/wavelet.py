"""The orthonormal 2-D Haar wavelet transform, one level: exact and invertible, for wavelet-domain SR (DWSR,
Guo et al., CVPRW 2017; MWCNN, Liu et al., CVPRW 2018; the survey's "wavelet transformation").

For every 2x2 block of pixels ``a = x[2i, 2j]``, ``b = x[2i, 2j+1]``, ``c = x[2i+1, 2j]``,
``d = x[2i+1, 2j+1]`` the four sub-bands are (the first letter is the filter along the height, the second
along the width; L = low-pass, H = high-pass)::

    LL = (a + b + c + d) / 2      average
    LH = (a - b + c - d) / 2      differences along the width  (vertical edges)
    HL = (a + b - c - d) / 2      differences along the height (horizontal edges)
    HH = (a - b - c + d) / 2      diagonal differences

The 4x4 matrix is symmetric and orthogonal (it is its own inverse), so the transform keeps the L2 norm and
:func:`haar_idwt` applies the same matrix to undo it.

Channel order (band-major): ``haar_dwt`` maps ``(B, C, H, W)`` to ``(B, 4C, H/2, W/2)`` with input channel
``c``'s bands at channels ``[c, C + c, 2C + c, 3C + c]`` = ``[LL, LH, HL, HH]``; so ``coeffs[:, :C]`` is the
low-pass image and ``coeffs.view(B, 4, C, h, w)`` splits the bands.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError

BANDS = ("LL", "LH", "HL", "HH")


def _check_float4d(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise SrkitError(f"{name} expects a tensor (B, C, H, W), got {shape}")
    if not x.is_floating_point():
        raise SrkitError(f"{name} expects a floating-point tensor, got {x.dtype}")


def _butterfly(
    p: torch.Tensor, q: torch.Tensor, r: torch.Tensor, s: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The symmetric orthogonal 4x4 Haar matrix applied to ``(p, q, r, s)`` (two stages of sums/differences)."""
    sum_pq, dif_pq, sum_rs, dif_rs = p + q, p - q, r + s, r - s
    return (
        (sum_pq + sum_rs) * 0.5,
        (dif_pq + dif_rs) * 0.5,
        (sum_pq - sum_rs) * 0.5,
        (dif_pq - dif_rs) * 0.5,
    )


def haar_dwt(x: torch.Tensor) -> torch.Tensor:
    """One level of the orthonormal 2-D Haar transform.

    Args:
        x: float tensor ``(B, C, H, W)`` with even ``H`` and ``W``.

    Returns:
        The sub-bands ``(B, 4C, H/2, W/2)``, band-major: channels ``[LL(C), LH(C), HL(C), HH(C)]``; same dtype and
        device as ``x``.

    Raises:
        SrkitError: if ``x`` is not a 4-D float tensor or ``H`` or ``W`` is odd.

    Shape:
        ``(B, C, H, W) -> (B, 4C, H/2, W/2)``.

    Example:
        >>> haar_dwt(torch.ones(1, 1, 2, 2)).flatten().tolist()
        [2.0, 0.0, 0.0, 0.0]
    """
    _check_float4d(x, "haar_dwt")
    b, c, h, w = x.shape
    # torch.jit.trace records sizes as tensors: check eagerly only (is_tracing is public but not re-exported)
    if not torch.jit.is_tracing() and (h % 2 or w % 2):  # type: ignore[attr-defined]
        raise SrkitError(f"haar_dwt needs an even height and width, got {h}x{w}")
    # pixel_unshuffle puts a, b, c, d of each 2x2 block at channels 4c + 0..3.
    blocks = F.pixel_unshuffle(x, 2).view(b, c, 4, h // 2, w // 2)
    bands = _butterfly(*blocks.unbind(dim=2))
    return torch.cat(bands, dim=1)


def haar_idwt(coeffs: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`haar_dwt`: ``haar_idwt(haar_dwt(x)) == x`` up to rounding.

    Args:
        coeffs: float tensor ``(B, 4C, h, w)``, band-major ``[LL, LH, HL, HH]`` as :func:`haar_dwt` gives.

    Returns:
        The image ``(B, C, 2h, 2w)``; same dtype and device.

    Raises:
        SrkitError: if ``coeffs`` is not a 4-D float tensor with a channel count divisible by 4.

    Shape:
        ``(B, 4C, h, w) -> (B, C, 2h, 2w)``.
    """
    _check_float4d(coeffs, "haar_idwt")
    b, c4, h, w = coeffs.shape
    if not torch.jit.is_tracing() and c4 % 4:  # type: ignore[attr-defined]
        raise SrkitError(f"haar_idwt needs 4C channels (LL, LH, HL, HH per channel), got {c4}")
    c = c4 // 4
    pixels = _butterfly(*coeffs.view(b, 4, c, h, w).unbind(dim=1))
    return F.pixel_shuffle(torch.stack(pixels, dim=2).view(b, c4, h, w), 2)


class HaarDWT(torch.nn.Module):
    """Module form of :func:`haar_dwt` (no parameters).

    Shape:
        ``(B, C, H, W) -> (B, 4C, H/2, W/2)``.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return haar_dwt(x)


class HaarIDWT(torch.nn.Module):
    """Module form of :func:`haar_idwt` (no parameters).

    Shape:
        ``(B, 4C, h, w) -> (B, C, 2h, 2w)``.
    """

    def forward(self, coeffs: torch.Tensor) -> torch.Tensor:
        return haar_idwt(coeffs)
