"""The pieces of ZSSR (:mod:`srkit.unsupervised.zssr`) that are plain functions: sons made with the image's
kernel, back-projection, the geometric self-ensemble, the rotations/flips a kernel allows, and the learning-rate
test. See that module for the paper and where srkit departs from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from srkit.data.kernelfile import check_kernel
from srkit.degradations import centre_kernel
from srkit.functional.resize import imresize

__all__ = [
    "Pair",
    "ScaleSpec",
    "aligned_kernel",
    "back_projection",
    "dihedral",
    "downscale",
    "fit",
    "kernel_transforms",
    "lr_should_drop",
    "pair",
    "resize",
    "self_ensemble",
]

Pair = tuple[float, float]
ScaleSpec = float | tuple[float, float]
Image = Callable[[torch.Tensor], torch.Tensor]


def pair(scale: ScaleSpec) -> Pair:
    """``scale`` as ``(vertical, horizontal)``."""
    return (float(scale[0]), float(scale[1])) if isinstance(scale, tuple) else (float(scale), float(scale))


def fit(x: torch.Tensor, scale: Pair) -> tuple[int, int]:
    """The size of ``x`` resized by ``scale``: ``ceil(side * scale)``, as MATLAB's imresize."""
    return (math.ceil(x.shape[-2] * scale[0] - 1e-9), math.ceil(x.shape[-1] * scale[1] - 1e-9))


# --- resizing with the image's kernel -------------------------------------------------------------------------------


def aligned_kernel(kernel: np.ndarray, scale: int) -> torch.Tensor:
    """``kernel`` normalised, padded by ``scale`` and moved (exact bilinear sub-pixel shift,
    :func:`srkit.degradations.centre_kernel`) so that its centre of mass is aligned for ``scale``: son pixel ``m``
    is then the blurred father at the centre of its ``s x s`` block, the pixel grid of MATLAB's ``imresize``. An
    aligned kernel (DIV2KRK's, KernelGAN's) is not changed; the official code aligns every kernel too
    (``kernel_shift``).

    Example:
        >>> aligned_kernel(np.ones((2, 2)), 2)[2:5, 2:5]  # a 2x2 box: the mean of each 2x2 block
        tensor([[0.0000, 0.0000, 0.0000],
                [0.0000, 0.2500, 0.2500],
                [0.0000, 0.2500, 0.2500]])
    """
    k = np.pad(check_kernel(kernel), scale)
    return torch.from_numpy(centre_kernel(k, scale)).float()


def _symmetric(n: int, before: int, length: int) -> torch.Tensor:
    """Indices ``-before .. length - before - 1`` of an axis of ``n`` extended by symmetric reflection."""
    i = torch.arange(-before, length - before).remainder(2 * n)
    return torch.where(i >= n, 2 * n - 1 - i, i)


def resize(x: torch.Tensor, scale: Pair, size: tuple[int, int]) -> torch.Tensor:
    """MATLAB bicubic resize of ``x`` to ``size``, with the weights of ``scale`` when ``scale`` gives that size (as
    the official code passes both), else with the ratio of the sizes."""
    h, w = x.shape[-2:]
    if (math.ceil(h * scale[0] - 1e-9), math.ceil(w * scale[1] - 1e-9)) == size:
        return imresize(x, scale)
    return imresize(x, size=size)


def downscale(x: torch.Tensor, scale: ScaleSpec, kernel: torch.Tensor | None = None) -> torch.Tensor:
    """The son of ``x``: MATLAB bicubic ``imresize(x, 1/scale)`` without a kernel; with a kernel, srkit's kernel
    convention (:func:`srkit.degradations.kernel_downscale`, the same numbers in torch): correlate with it
    (symmetric borders), keep the pixels ``0, s, 2s, ...``.

    Shape:
        ``(B, C, H, W)`` -> ``(B, C, ceil(H / scale), ceil(W / scale))``.

    Example:
        >>> downscale(torch.ones(1, 3, 6, 6), 3, aligned_kernel(np.ones((3, 3)), 3)).shape
        torch.Size([1, 3, 2, 2])
    """
    sh, sw = pair(scale)
    if kernel is None:
        return imresize(x, (1 / sh, 1 / sw))
    s = int(sh)
    c, h, w = x.shape[-3:]
    kh, kw = kernel.shape
    oh, ow = -(-h // s), -(-w // s)
    rows = _symmetric(h, kh // 2, s * (oh - 1) + kh).to(x.device)
    cols = _symmetric(w, kw // 2, s * (ow - 1) + kw).to(x.device)
    padded = x.index_select(-2, rows).index_select(-1, cols)
    weight = kernel.to(device=x.device, dtype=x.dtype).expand(c, 1, kh, kw)
    return F.conv2d(padded, weight, stride=s, groups=c)  # conv2d correlates


# --- the end of a scale: back-projection and self-ensemble ----------------------------------------------------------


def back_projection(
    sr: torch.Tensor, lr: torch.Tensor, scale: ScaleSpec, iters: int, kernel: torch.Tensor | None = None
) -> torch.Tensor:
    """Irani and Peleg's back-projection, as ZSSR ends: ``iters`` times, add to ``sr`` the bicubic upscale of what
    its downscale (with the image's kernel) misses of ``lr``; clip to [0, 1] after each.

    Example:
        >>> lr = torch.rand(1, 3, 8, 8)
        >>> back_projection(torch.zeros(1, 3, 16, 16), lr, 2, 3).shape
        torch.Size([1, 3, 16, 16])
    """
    sh, sw = pair(scale)
    size, lr_size = (int(sr.shape[-2]), int(sr.shape[-1])), (int(lr.shape[-2]), int(lr.shape[-1]))
    for _ in range(iters):
        down = downscale(sr, (sh, sw), kernel) if kernel is not None else resize(sr, (1 / sh, 1 / sw), lr_size)
        sr = (sr + resize(lr - down, (sh, sw), size)).clamp_(0, 1)
    return sr


def dihedral(x: torch.Tensor, t: int, *, inverse: bool = False) -> torch.Tensor:
    """Transform ``t`` of 8: rotate by ``t % 4`` quarter turns, then mirror left-right when ``t >= 4``."""
    k = t % 4
    if inverse:
        return torch.rot90(x.flip(-1) if t >= 4 else x, -k, dims=(-2, -1))
    y = torch.rot90(x, k, dims=(-2, -1))
    return y.flip(-1) if t >= 4 else y


def self_ensemble(
    forward: Image, x: torch.Tensor, transforms: tuple[int, ...], refine: Image | None = None
) -> torch.Tensor:
    """The paper's geometric self-ensemble: the median (the mean of the middle two for an even count, as numpy's)
    of ``forward`` on each transform of ``x``, each undone and passed through ``refine`` (back-projection).

    Args:
        forward: tensor -> tensor (the network on an image).
        x: ``(B, C, H, W)``.
        transforms: which of the 8 (see :func:`dihedral`); ``(0,)`` is the plain forward pass.
        refine: applied to each output after its transform is undone (None: nothing).

    Example:
        >>> x = torch.rand(1, 3, 4, 5)
        >>> torch.equal(self_ensemble(lambda t: t, x, tuple(range(8))), x)
        True
    """
    outs = []
    for t in transforms:
        y = dihedral(forward(dihedral(x, t)), t, inverse=True)
        outs.append(refine(y) if refine is not None else y)
    if len(outs) == 1:
        return outs[0]
    v = torch.stack(outs).sort(dim=0).values
    n = len(outs)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def kernel_transforms(kernel: np.ndarray | None) -> tuple[int, ...]:
    """The rotations/flips a kernel is unchanged by, about its centre of mass (all 8 for the bicubic kernel),
    within 2% of its peak."""
    if kernel is None:
        return tuple(range(8))
    k = check_kernel(kernel)
    n = max(k.shape) + 2
    n += 1 - n % 2  # an odd square, centred on its middle pixel
    square = np.zeros((n, n))
    top, left = (n - k.shape[0]) // 2, (n - k.shape[1]) // 2
    square[top : top + k.shape[0], left : left + k.shape[1]] = k
    c = torch.from_numpy(centre_kernel(square, 1))
    tol = 0.02 * float(c.max())
    return tuple(t for t in range(8) if float((dihedral(c, t) - c).abs().max()) <= tol)


# --- the learning-rate policy ---------------------------------------------------------------------------------------


def lr_should_drop(steps: list[int] | np.ndarray, errors: list[float] | np.ndarray, ratio: float = 1.5) -> bool:
    """The paper's test: fit a line to the reconstruction errors; divide the learning rate when the slope is not
    clearly negative, ``-ratio * slope <= std``, with ``std`` the standard error of the slope as the official
    code's ``numpy.polyfit(..., cov=True)`` computed it then (residuals over ``n - 4`` degrees of freedom).

    Example:
        >>> lr_should_drop([0, 50, 100, 150, 200], [0.02, 0.02, 0.02, 0.02, 0.02])
        True
        >>> lr_should_drop([0, 50, 100, 150, 200], [0.05, 0.04, 0.03, 0.02, 0.01])
        False
    """
    x, y = np.asarray(steps, dtype=np.float64), np.asarray(errors, dtype=np.float64)
    if x.size < 3:
        return False
    dx = x - x.mean()
    sxx = float(dx @ dx)
    if sxx == 0:
        return False
    slope = float(dx @ (y - y.mean())) / sxx
    resid = y - y.mean() - slope * dx
    std = math.sqrt(float(resid @ resid) / max(x.size - 4, 1) / sxx)
    return -ratio * slope <= std
