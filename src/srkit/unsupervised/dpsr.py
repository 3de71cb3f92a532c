"""DPSR: super-resolution for an arbitrary blur kernel by half-quadratic splitting with a learned SR prior.

Paper: Kai Zhang, Wangmeng Zuo, Lei Zhang, "Deep Plug-and-Play Super-Resolution for Arbitrary Blur Kernels",
CVPR 2019, https://arxiv.org/abs/1903.12529 (official code: github.com/cszn/DPSR, ``demo_test_dpsr.py`` and
``utils/utils_deblur.py``).

DPSR's degradation model blurs *after* bicubic downsampling, ``y = (x |bicubic s) (*) k + n``, so that a blur kernel
estimated at the LR size can be undone there while a super-resolver trained for the bicubic degradation does the
rest. Half-quadratic splitting alternates, for ``i = 1 .. 15``:

1. the data step at the LR size, in closed form by FFT (Eq. 9):
   ``z = F^-1[(conj(K) F(y) + rho_i F(x_{i-1} |bicubic s)) / (|K|^2 + rho_i)]`` (``x_0 |bicubic s = y``);
2. the prior step (Eq. 12): ``x_i = SR(z, sigma_i)``, the super-resolver told the noise level ``sigma_i``,

with ``sigma_i`` falling log-uniformly from 49 to 2.55 (0-255 scale) and ``rho_i = sigma^2 / sigma_i^2 / 3``
(``sigma``: the image's noise level, at least 0.255), as the official ``get_rho_sigma``. With a classical kernel
converted by :func:`lr_kernel` the data term is not exact (the conversion is a fit), so srkit assumes at least
``sigma = 2.55`` (1% of the range) there: chosen on training images, where the official floor made the FFT step
amplify the fit's error (``benchmarks/dpsr_noise_floor.py``; docs/unsupervised/dpsr.md).

The prior is srkit's ``srkit_prior`` (a noise-level-map super-resolver trained like DPSR's SRResNet+: bicubic
degradation plus white Gaussian noise of a known level, ``configs/srkit/prior.yaml``), or any model whose card
takes a noise map. It runs through srkit's image path (tiled when the image is large).

Kernels: DPSR's kernel ``k`` acts at the LR size (``domain="lr"``). Blind benchmarks (DIV2KRK) and KernelGAN give the
classical kernel, ``y = (x (*) k_hr) |s`` (srkit's kernel convention, :mod:`srkit.degradations.div2krk`); with
``domain="hr"`` (the default) srkit converts it to the LR kernel that best maps the bicubic downscale onto the
classical one (:func:`lr_kernel`: least squares over random images, a departure of srkit's, since the paper
estimates its LR kernel from the blurry LR image with a deblurring method instead). ``kernel="estimate"`` runs
KernelGAN on the image.

Boundaries: the FFT data step assumes a periodic image; srkit reflects the LR image by the kernel's size before it
and crops after (the official demo runs on images blurred circularly).

Example:
    >>> import numpy as np, torch, srkit
    >>> prior = srkit.build_model("srkit_prior", scale=2, n_feats=8, n_blocks=1)
    >>> image = np.zeros((12, 12, 3), np.uint8)
    >>> out = dpsr(image, 2, kernel=np.ones((1, 1)), prior=prior, iterations=2, progress=False)
    >>> out.image.shape
    (24, 24, 3)
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import card_of
from srkit._core.errors import SrkitError
from srkit.archs import load_model
from srkit.data.kernelfile import check_kernel
from srkit.degradations.div2krk import kernel_downscale
from srkit.engine import load_run
from srkit.functional.resize import imresize
from srkit.inference.tiling import upscale_tensor
from srkit.inference.upscale import ImagePipeline
from srkit.unsupervised._images import SRResult, as_rgb_tensor
from srkit.unsupervised._loop import Budget, optimise, seeded

__all__ = ["CONVERTED_FLOOR", "DEFAULT_PRIOR", "dpsr", "hqs_schedule", "lr_kernel"]

DEFAULT_PRIOR = "srkit_prior"
ITERATIONS = 15  # DPSR's iter_num
_SIGMA_FIRST, _SIGMA_LAST = 49.0, 2.55  # the prior's noise levels, 0-255 scale (get_rho_sigma)
_SIGMA_FLOOR = 0.255  # the smallest image noise level the schedule assumes (0-255)
CONVERTED_FLOOR = 2.55  # the smallest with a kernel converted by lr_kernel (its fit error acts as noise)


def hqs_schedule(
    noise: float, iterations: int = ITERATIONS, *, floor: float = _SIGMA_FLOOR
) -> tuple[np.ndarray, np.ndarray]:
    """DPSR's ``(rhos, sigmas)``: the prior's noise levels fall log-uniformly from 49 to 2.55 (as fractions of 255),
    ``rho_i = max(noise, floor)^2 / sigma_i^2 / 3`` (``noise``: the image's level, 0-255; ``floor``: DPSR's 0.255).

    Example:
        >>> rhos, sigmas = hqs_schedule(0.0, 15)
        >>> round(float(sigmas[0] * 255), 2), round(float(sigmas[-1] * 255), 2), rhos.shape
        (49.0, 2.55, (15,))
    """
    if iterations < 1:
        raise SrkitError(f"DPSR needs at least one iteration, got {iterations}")
    sigmas = np.logspace(math.log10(_SIGMA_FIRST), math.log10(_SIGMA_LAST), iterations) / 255.0
    sigma = max(noise, floor) / 255.0
    return sigma**2 / sigmas**2 / 3.0, sigmas


def lr_kernel(kernel_hr: np.ndarray, scale: int, *, size: int | None = None, seed: int = 0) -> np.ndarray:
    """The LR-size kernel ``k`` of DPSR's model ``(x |bicubic s) (*) k`` that best reproduces the classical
    degradation ``(x (*) kernel_hr) |s`` (srkit's kernel convention), by least squares over random images.

    Args:
        kernel_hr: the classical kernel (a DIV2KRK or KernelGAN kernel).
        scale: the integer scale.
        size: the side of the LR kernel (odd; default: enough for ``kernel_hr`` at the LR size, plus a margin).
        seed: seed of the random images (the result is deterministic).

    Returns:
        The LR kernel as DPSR applies it, by convolution (``y = (x |bicubic s) (*) k``), summing to 1; it may hold
        small negative values (it sharpens where the classical kernel is sharper than bicubic downscaling).

    Example:
        >>> k = lr_kernel(np.ones((1, 1)), 2)  # subsampling without blur: sharper than bicubic's low-pass
        >>> k.shape[0] % 2, round(float(k.sum()), 6)
        (1, 1.0)
    """
    k_hr = check_kernel(kernel_hr, source="kernel")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise SrkitError(f"DPSR converts kernels for integer scales, got {scale!r}")
    m = size if size is not None else 2 * (max(k_hr.shape) // (2 * scale)) + 7
    if m < 1 or m % 2 == 0:
        raise SrkitError(f"the LR kernel size must be odd and >= 1, got {m}")
    rng = np.random.default_rng(seed)
    rows, targets, r = [], [], m // 2
    for _ in range(4):
        hr = rng.random((48 * scale + 8 * scale, 48 * scale + 8 * scale))
        classical = kernel_downscale(hr, k_hr, scale)
        bicubic = imresize(hr, 1 / scale)
        patches = np.lib.stride_tricks.sliding_window_view(np.pad(bicubic, r, mode="symmetric"), (m, m))
        inner = (slice(r + 4, -r - 4), slice(r + 4, -r - 4))  # away from the borders' reflections
        rows.append(patches[inner].reshape(-1, m * m))
        targets.append(classical[inner].reshape(-1))
    a, b = np.concatenate(rows), np.concatenate(targets)
    solution, *_ = np.linalg.lstsq(a, b, rcond=None)
    k = solution.reshape(m, m)[::-1, ::-1]  # fitted as a correlation (patch . k): flipped, a convolution kernel
    return np.ascontiguousarray(k / k.sum())


def _otf(kernel: np.ndarray, shape: tuple[int, int]) -> torch.Tensor:
    """The transfer function of a convolution with ``kernel`` on a ``shape`` image (MATLAB ``psf2otf``: the kernel
    zero-padded and its centre moved to the origin)."""
    k = torch.from_numpy(np.ascontiguousarray(kernel, dtype=np.float64))
    pad = torch.zeros(shape, dtype=torch.float64)
    kh, kw = k.shape
    pad[:kh, :kw] = k
    pad = torch.roll(pad, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1))
    return torch.fft.fft2(pad)


def _data_step(y_hat: torch.Tensor, otf: torch.Tensor, z_prev: torch.Tensor, rho: float) -> torch.Tensor:
    """Eq. 9: ``F^-1[(conj(K) F(y) + rho F(z)) / (|K|^2 + rho)]`` per channel (float64 FFTs)."""
    numerator = torch.conj(otf) * y_hat + rho * torch.fft.fft2(z_prev.double())
    return torch.fft.ifft2(numerator / (otf.abs() ** 2 + rho)).real.float()


def _load_prior(prior: nn.Module | str | os.PathLike[str]) -> nn.Module:
    """A module, a shipped name or weights file (:func:`srkit.load_model`), or an srkit training run: its folder or
    its ``latest.pt`` (:func:`srkit.load_run`)."""
    if isinstance(prior, nn.Module):
        model = prior
    elif Path(prior).is_dir():
        model = load_run(Path(prior))[0]
    else:
        try:
            model = load_model(prior)
        except SrkitError:
            if Path(prior).suffix != ".pt":
                raise
            model = load_run(Path(prior))[0]  # a training checkpoint (latest.pt) holds more than a state dict
    card = card_of(model)
    if not card.noise_map or card.out_channels != 3:
        raise SrkitError(f"DPSR's prior is an RGB super-resolver that takes a noise-level map; {card.name} is not")
    return model.eval()


def dpsr(
    image: np.ndarray,
    scale: int,
    *,
    kernel: np.ndarray | str,
    domain: Literal["hr", "lr"] = "hr",
    noise: float = 0.0,
    noise_floor: float | None = None,
    iterations: int = ITERATIONS,
    prior: nn.Module | str | os.PathLike[str] = DEFAULT_PRIOR,
    max_time: float | None = None,
    seed: int = 0,
    progress: bool | None = None,
    device: str = "cpu",
    name: str = "image",
) -> SRResult:
    """Super-resolve ``image``, blurred by ``kernel``, by DPSR's half-quadratic splitting.

    Args:
        image: the LR image, gray or RGB, uint8/uint16/float in [0, 1].
        scale: an integer scale the prior serves (srkit's: 2, 3, 4).
        kernel: the blur kernel (a 2-D array), or ``"estimate"`` (KernelGAN on the image, x2 and x4).
        domain: ``"hr"``: ``kernel`` is the classical one, ``y = (x (*) k) |s`` in srkit's convention (DIV2KRK's,
            KernelGAN's), converted with :func:`lr_kernel`; ``"lr"``: it is DPSR's LR-size kernel, applied by
            convolution, ``y = (x |bicubic s) (*) k`` (the official code's ``.mat`` kernels).
        noise: the image's noise level (standard deviation, 0-255 scale). The schedule assumes at least 0.255
            (DPSR's floor), or 2.55 with a converted (``domain="hr"``) kernel.
        noise_floor: the smallest noise level the schedule assumes (0-255 scale); None: the defaults above.
        iterations: HQS iterations (DPSR: 15).
        prior: the super-resolver prior, a model whose card takes a noise map: a shipped name, a weights file, an
            srkit training run (its folder or ``latest.pt``) or a module.
        max_time: stop after this many seconds (the result of the last finished iteration).
        seed: seed of KernelGAN (``kernel="estimate"``).
        progress: show the iterations (None: a bar on a terminal, lines in logs).
        device: where the prior runs.
        name: the image's name in messages.

    Returns:
        An :class:`SRResult`; ``info`` holds the LR kernel used, the classical kernel (if any) and the schedule.
        The "loss" of each iteration is the data misfit ``||(x |bicubic s) (*) k - y||`` (RMS, 0-1 scale).

    Raises:
        SrkitError: a bad image, kernel, scale or noise level, or a prior that does not take a noise map.
    """
    x_lr, restore = as_rgb_tensor(image, name=name)
    if not (math.isfinite(noise) and 0 <= noise <= 255):
        raise SrkitError(f"noise is a standard deviation on the 0-255 scale, got {noise!r}")
    if noise_floor is not None and not (math.isfinite(noise_floor) and 0 < noise_floor <= 255):
        raise SrkitError(f"noise_floor is a standard deviation on the 0-255 scale, > 0, got {noise_floor!r}")
    model = _load_prior(prior)
    card = card_of(model)
    if scale not in card.scales:
        raise SrkitError(f"the prior {card.name!r} serves {', '.join(f'x{s}' for s in card.scales)}, not x{scale}")
    info: dict[str, object] = {"scale": scale, "noise": noise, "iterations": iterations, "prior": card.name}
    if isinstance(kernel, str):
        if kernel != "estimate":
            raise SrkitError(f"kernel must be an array or 'estimate', got {kernel!r}")
        from srkit.unsupervised.kernelgan import estimate_kernel

        estimated = estimate_kernel(image, scale, seed=seed, progress=progress, device=device)
        kernel, domain = estimated.kernel, "hr"
        info["kernel_estimated"] = kernel
    k_given = check_kernel(kernel, source="kernel")
    if domain not in ("hr", "lr"):
        raise SrkitError(f"domain must be 'hr' or 'lr', got {domain!r}")
    k = lr_kernel(k_given, scale) if domain == "hr" else k_given
    info["kernel_lr"] = k
    if domain == "hr":
        info["kernel_hr"] = k_given
    default_floor = CONVERTED_FLOOR if domain == "hr" else _SIGMA_FLOOR
    floor = default_floor if noise_floor is None else noise_floor
    rhos, sigmas = hqs_schedule(noise, iterations, floor=floor)
    info["noise_assumed"] = max(noise, floor)
    info["sigmas"] = (sigmas * 255).tolist()

    h, w = x_lr.shape[-2:]
    p = max(k.shape)  # reflect by the kernel's size against the FFT's wrap-around
    mode = "reflect" if min(h, w) > p else "replicate"
    padded = F.pad(x_lr, (p, p, p, p), mode=mode)
    otf = _otf(k, (int(padded.shape[-2]), int(padded.shape[-1])))
    y_hat = torch.fft.fft2(padded.double())
    net = model.to(device)
    state: dict[str, torch.Tensor] = {"x": torch.empty(0)}

    def step(i: int) -> float:
        if i == 0:
            z_prev = padded
        else:
            down = imresize(state["x"], size=(h, w))  # MATLAB bicubic (antialiased), as imresize_np(z, 1/sf)
            z_prev = F.pad(down, (p, p, p, p), mode=mode)
        z = _data_step(y_hat, otf, z_prev, float(rhos[i]))[..., p : p + h, p : p + w]
        pipe = ImagePipeline(net, scale=scale, channels=3, noise_level=float(sigmas[i] * 255))
        with torch.no_grad():
            state["x"] = upscale_tensor(pipe, z.clamp(0.0, 1.0), tile="auto", device=torch.device(device))
        refit = imresize(state["x"], size=(h, w))
        blurred = _convolve(refit, k)
        return float((blurred - x_lr).square().mean().sqrt())

    with seeded(seed):
        log = optimise(step, Budget(steps=iterations, max_time=max_time, seed=seed, progress=progress), desc="dpsr")
    return SRResult(restore(state["x"]), log, info)


def _convolve(x: torch.Tensor, kernel: np.ndarray) -> torch.Tensor:
    """``x (*) kernel`` (a convolution) per channel, borders replicated (for the data misfit shown as the loss)."""
    k = torch.from_numpy(np.ascontiguousarray(kernel[::-1, ::-1], dtype=np.float32))  # conv2d correlates: flip
    kh, kw = k.shape
    xp = F.pad(x, (kw // 2, kw // 2, kh // 2, kh // 2), mode="replicate")
    return F.conv2d(xp, k.expand(x.shape[1], 1, kh, kw), groups=x.shape[1])
