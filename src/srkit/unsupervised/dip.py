"""Deep Image Prior for super-resolution: an untrained hourglass network, fed fixed noise, fitted so that its
output, downscaled, matches the low-resolution image; the network's structure is the only prior.

Paper: Dmitry Ulyanov, Andrea Vedaldi, Victor Lempitsky, "Deep Image Prior", CVPR 2018; extended version in IJCV
128 (2020), https://arxiv.org/abs/1711.10925. Official code: https://github.com/DmitryUlyanov/deep-image-prior
(``super-resolution.ipynb``, ``models/skip.py``, ``models/downsampler.py``).

The task (paper, section on super-resolution): ``x* = f_θ*(z)`` with ``θ* = argmin_θ ||d(f_θ(z)) - x0||²``, where
``x0`` is the LR image, ``z`` fixed noise at the HR size and ``d`` a downsampler. Every default here is the paper's
SR setting (supplementary material and the official notebook):

- ``f``: the "skip" hourglass, 5 levels of 128 channels, 4 skip channels per level, 3x3 convolutions (1x1 on the
  skips and after each merge), batch norm, LeakyReLU(0.2), reflection padding, stride-2 convolutions down,
  bilinear upsampling up, a sigmoid at the end (:class:`SkipNet`).
- ``z``: 32 channels at the HR size, uniform in [0, 1) times 0.1, fixed; at every step it is perturbed with fresh
  Gaussian noise of std ``σp`` = 1/30 (x2, x4; the paper's value) or 1/20 (x8, the notebook's 0.05).
- ``d``: the official ``Downsampler(kernel_type='lanczos2', phase=0.5, preserve_size=True)``: a separable
  Lanczos-2 kernel of 4·s taps, replicate padding of ``3s/2``, stride ``s`` (:func:`lanczos2_downsample`).
- Loss: mean squared error between ``d(f(z))`` and ``x0``; Adam, learning rate 0.01; 2000 steps at x4, 4000 at
  x8 (x2: 2000, which the paper does not state).
- The result is the network's output after the last step; the SR notebook reports no average of outputs (the
  exponential average is the paper's denoising setting, not its SR one).

Where srkit departs (each a detail the paper leaves open):

- The result is ``f(z)`` on the clean input ``z``; the notebook's last forward pass reuses the last perturbed input.
- Bilinear upsampling is PyTorch's ``align_corners=False``, what the official code computes on PyTorch >= 0.4
  (the paper's 2017 runs used the older ``align_corners=True`` behaviour).
- Any HR size runs: like the official network, a level whose sizes are odd crops the upsampled branch to the skip
  branch's size; the notebook instead crops the image to a multiple of 32 first.
- Optional early stop (off by default; the paper stops at the fixed step count): ES-EMV of Wang et al., "Early
  Stopping for Deep Image Prior" (arXiv 2112.06074, code sun-umn/Early_Stopping_for_DIP), which needs no ground
  truth: an exponential moving average (α = 0.1) of the outputs and the exponential moving variance of the
  outputs around it; after 100 burn-in steps, the run stops once that variance has not reached a new minimum for
  ``es_patience`` steps (1000, their value), and the result is the output at the minimum.

Example:
    >>> import numpy as np
    >>> lr = (np.random.default_rng(0).random((12, 12, 3)) * 255).astype(np.uint8)
    >>> out = dip(lr, 4, steps=2, progress=False, config=DIPConfig(levels=2, n_feats=8))
    >>> out.image.shape, out.image.dtype, out.log.steps
    ((48, 48, 3), dtype('uint8'), 2)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from srkit._core.checks import check_scale
from srkit._core.errors import SrkitError
from srkit.inference.upscale import resolve_device
from srkit.unsupervised._images import SRResult, as_rgb_tensor
from srkit.unsupervised._loop import Budget, optimise, seeded

__all__ = ["PAPER_STEPS", "SCALES", "DIPConfig", "SkipNet", "dip", "lanczos2_downsample", "lanczos2_kernel"]

SCALES = (2, 4, 8)
"""The scales DIP runs at: the paper's 4 and 8, and 2 (the Lanczos downsampler is exact for even scales only)."""
PAPER_STEPS: dict[int, int] = {2: 2000, 4: 2000, 8: 4000}
"""Steps per scale: the official notebook's 2000 (x4) and 4000 (x8); x2 takes x4's count."""
_REG_NOISE_STD: dict[int, float] = {2: 1 / 30, 4: 1 / 30, 8: 1 / 20}


@dataclass(frozen=True)
class DIPConfig:
    """Settings of the network and the fit; every default is the paper's SR setting.

    Attributes:
        levels: levels of the hourglass (5); the HR side must be at least ``2**levels + 1``.
        n_feats: channels of every level, down and up (128).
        skip_channels: channels of each skip connection (4; 0 for none).
        input_channels: channels of the input noise ``z`` (32).
        input_scale: ``z`` is uniform in [0, 1) times this (0.1).
        reg_noise_std: std of the noise added to ``z`` at each step (None: 1/30 at x2 and x4, 1/20 at x8; 0: off).
        lr: Adam's learning rate (0.01).
        upsample: "bilinear" (the paper's SR setting) or "nearest".
        es_alpha: early stop: weight of the newest output in the moving average and variance (0.1).
        es_patience: early stop: steps without a new minimum of the variance before stopping (1000).
        es_burn_in: early stop: steps before the rule starts watching (100).
    """

    levels: int = 5
    n_feats: int = 128
    skip_channels: int = 4
    input_channels: int = 32
    input_scale: float = 0.1
    reg_noise_std: float | None = None
    lr: float = 0.01
    upsample: Literal["bilinear", "nearest"] = "bilinear"
    es_alpha: float = 0.1
    es_patience: int = 1000
    es_burn_in: int = 100

    def __post_init__(self) -> None:
        ints = {"levels": 1, "n_feats": 1, "skip_channels": 0, "input_channels": 1, "es_patience": 1, "es_burn_in": 0}
        for key, low in ints.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise SrkitError(f"DIPConfig.{key} must be an integer >= {low}, got {value!r}")
        reals = {"input_scale": self.input_scale, "lr": self.lr}
        if self.reg_noise_std is not None:
            reals["reg_noise_std"] = self.reg_noise_std
        for key, value in reals.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise SrkitError(f"DIPConfig.{key} must be a finite number >= 0, got {value!r}")
        if self.lr <= 0:
            raise SrkitError(f"DIPConfig.lr must be > 0, got {self.lr!r}")
        if not 0 < self.es_alpha < 1:
            raise SrkitError(f"DIPConfig.es_alpha must be in (0, 1), got {self.es_alpha!r}")
        if self.upsample not in ("bilinear", "nearest"):
            raise SrkitError(f"DIPConfig.upsample must be 'bilinear' or 'nearest', got {self.upsample!r}")

    @property
    def min_hr_side(self) -> int:
        """The smallest HR height/width the network takes: its deepest level still needs 2 pixels."""
        return 2**self.levels + 1


# --- the downsampler -----------------------------------------------------------------------------------------------


def lanczos2_kernel(scale: int) -> Tensor:
    """The official DIP downsampling kernel ``get_kernel(scale, 'lanczos', phase=0.5, 4 * scale + 1, support=2)``:
    ``(4s, 4s)`` float64, separable, summing to 1.

    Tap ``t`` (0-based) lies ``|t - (2s - 1/2)| / s`` LR pixels from the centre (phase 1/2: the centre falls
    between taps), weighted by the Lanczos-2 window ``2 sin(πd) sin(πd/2) / (πd)²``.

    Example:
        >>> k = lanczos2_kernel(4)
        >>> tuple(k.shape), round(float(k.sum()), 12), bool(torch.equal(k, k.T))
        ((16, 16), 1.0, True)
    """
    s = check_scale("lanczos2_kernel", scale)
    d = (torch.arange(4 * s, dtype=torch.float64) - (2 * s - 0.5)).abs() / s  # never 0 at phase 1/2
    taps = 2 * torch.sin(math.pi * d) * torch.sin(math.pi * d / 2) / (math.pi * d) ** 2
    taps = taps / taps.sum()
    return torch.outer(taps, taps)


def lanczos2_downsample(x: Tensor, scale: int) -> Tensor:
    """Downscale by ``scale`` as DIP's SR loss does: replicate padding of ``3s/2``, then the
    :func:`lanczos2_kernel` at stride ``s`` on each channel.

    Args:
        x: ``(B, C, H, W)`` with H and W multiples of ``scale``.
        scale: an even integer (for odd ones the official padding does not map H to H/s).

    Returns:
        ``(B, C, H/s, W/s)``, same dtype and device.

    Example:
        >>> lanczos2_downsample(torch.rand(1, 3, 32, 24), 4).shape
        torch.Size([1, 3, 8, 6])
    """
    s = check_scale("lanczos2_downsample", scale, minimum=2)
    if s % 2:
        raise SrkitError(f"lanczos2_downsample needs an even scale (the official padding is 3s/2), got {s}")
    if x.ndim != 4 or x.shape[-1] % s or x.shape[-2] % s:
        raise SrkitError(f"lanczos2_downsample needs (B, C, H, W) with H, W multiples of {s}, got {tuple(x.shape)}")
    channels = x.shape[1]
    kernel = lanczos2_kernel(s).to(device=x.device, dtype=x.dtype)
    padded = F.pad(x, (3 * s // 2,) * 4, mode="replicate")
    return F.conv2d(padded, kernel.expand(channels, 1, 4 * s, 4 * s), stride=s, groups=channels)


# --- the network ---------------------------------------------------------------------------------------------------


def _conv(cin: int, cout: int, size: int, stride: int = 1) -> list[nn.Module]:
    """Reflection padding, convolution, batch norm, LeakyReLU(0.2): the official ``conv`` + ``bn`` + ``act``."""
    pad: list[nn.Module] = [nn.ReflectionPad2d(size // 2)] if size > 1 else []
    return [*pad, nn.Conv2d(cin, cout, size, stride), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2)]


def _center_crop(x: Tensor, height: int, width: int) -> Tensor:
    top, left = (x.shape[-2] - height) // 2, (x.shape[-1] - width) // 2
    return x[..., top : top + height, left : left + width]


class _Level(nn.Module):
    """One level of the hourglass: a skip branch and a deeper branch (down, the next level, up), concatenated
    (skip first), batch-normed, then a 3x3 and a 1x1 convolution."""

    def __init__(self, cin: int, n_feats: int, skip: int, inner: nn.Module | None, upsample: str) -> None:
        super().__init__()
        self.skip = nn.Sequential(*_conv(cin, skip, 1)) if skip else None
        self.down = nn.Sequential(*_conv(cin, n_feats, 3, 2), *_conv(n_feats, n_feats, 3))
        self.inner = inner
        self.up = nn.Upsample(scale_factor=2, mode=upsample, align_corners=False if upsample == "bilinear" else None)
        merged = skip + n_feats
        self.merge = nn.Sequential(nn.BatchNorm2d(merged), *_conv(merged, n_feats, 3), *_conv(n_feats, n_feats, 1))

    def forward(self, x: Tensor) -> Tensor:
        deep = self.down(x)
        if self.inner is not None:
            deep = self.inner(deep)
        deep = _center_crop(self.up(deep), x.shape[-2], x.shape[-1])  # odd sizes: up gives one pixel more
        parts = [deep] if self.skip is None else [self.skip(x), deep]
        return self.merge(torch.cat(parts, dim=1))


class SkipNet(nn.Module):
    """The paper's "skip" hourglass (official ``models/skip.py`` with the SR settings as defaults).

    Shape:
        ``(B, in_channels, H, W)`` -> ``(B, out_channels, H, W)`` in (0, 1), for H, W >= ``2**levels + 1``.

    Example:
        >>> SkipNet(levels=2, n_feats=8)(torch.rand(1, 32, 9, 10)).shape
        torch.Size([1, 3, 9, 10])
    """

    def __init__(
        self,
        *,
        in_channels: int = 32,
        out_channels: int = 3,
        levels: int = 5,
        n_feats: int = 128,
        skip_channels: int = 4,
        upsample: str = "bilinear",
    ) -> None:
        super().__init__()
        self.hparams: dict[str, Any] = {
            "in_channels": in_channels,
            "out_channels": out_channels,
            "levels": levels,
            "n_feats": n_feats,
            "skip_channels": skip_channels,
            "upsample": upsample,
        }
        inner: nn.Module | None = None
        for level in reversed(range(levels)):
            inner = _Level(in_channels if level == 0 else n_feats, n_feats, skip_channels, inner, upsample)
        assert inner is not None, "levels >= 1"
        self.body = inner
        self.tail = nn.Sequential(nn.Conv2d(n_feats, out_channels, 1), nn.Sigmoid())

    def forward(self, z: Tensor) -> Tensor:
        return self.tail(self.body(z))


# --- early stop ----------------------------------------------------------------------------------------------------


class _EMVStop:
    """ES-EMV (Wang et al.): the exponential moving variance of the outputs; stop after ``patience`` steps without
    a new minimum (watching from ``burn_in`` on) and keep the output at the minimum."""

    def __init__(self, alpha: float, patience: int, burn_in: int) -> None:
        self.alpha, self.patience, self.burn_in = alpha, patience, burn_in
        self.ema: Tensor | None = None
        self.emv = 0.0
        self.best = math.inf
        self.best_step = -1
        self.best_out: Tensor | None = None
        self.wait = 0
        self.stop = False

    def update(self, step: int, out: Tensor) -> None:
        if self.ema is None:
            self.ema = out.clone()
        else:
            delta = out - self.ema
            self.ema = (self.ema + self.alpha * delta).clamp_(0.0, 1.0)
            self.emv = (1 - self.alpha) * (self.emv + self.alpha * float(delta.square().sum()))
        if step <= self.burn_in:
            return
        if self.emv < self.best:
            self.best, self.best_step, self.best_out, self.wait = self.emv, step, out.clone(), 0
        else:
            self.wait += 1
            self.stop = self.wait >= self.patience


# --- the method ----------------------------------------------------------------------------------------------------


def dip(
    image: np.ndarray,
    scale: int,
    *,
    steps: int | None = None,
    max_time: float | None = None,
    seed: int = 0,
    progress: bool | None = None,
    device: str = "cpu",
    early_stop: bool = False,
    config: DIPConfig | None = None,
) -> SRResult:
    """Super-resolve one image with Deep Image Prior.

    Args:
        image: the LR image, ``(h, w)`` or ``(h, w, 3)``; uint8, uint16 or float in [0, 1] (gray runs as RGB).
        scale: 2, 4 or 8.
        steps: optimisation steps (default: the paper's, :data:`PAPER_STEPS`: 2000 at x2/x4, 4000 at x8).
        max_time: stop after this many seconds; the result is the network's output at that point.
        seed: seed of the weights, the input noise and its perturbations.
        progress: a progress bar with the loss (None: on a terminal; False: none).
        device: "cpu", "cuda" or "mps". The network runs at the HR size: each step costs seconds on a CPU.
        early_stop: stop by the ES-EMV rule (see the module) and return the output it picks (off: the paper's).
        config: network and fit settings (default: the paper's, :class:`DIPConfig`).

    Returns:
        :class:`SRResult`: the ``(s·h, s·w[, 3])`` image in the input's dtype; the run's log; ``info`` with the
        scale, the noise std, the learning rate, the parameter count, ``fit_psnr`` (dB between the downscaled
        result and the LR image: how closely it fits, not its quality) and, with ``early_stop``, the chosen step.

    Raises:
        SrkitError: a scale other than 2, 4, 8; an image smaller than the network takes (``2**levels + 1``
            HR pixels a side: 9x9 LR at x4); or anything :func:`as_rgb_tensor` refuses.

    Example:
        >>> out = dip(lr_pixels, 4)  # doctest: +SKIP
        >>> out.image.shape, out.info["fit_psnr"]  # doctest: +SKIP
        ((1024, 1024, 3), 41.2)
    """
    s = check_scale("DIP", scale, allowed=SCALES)
    cfg = config if config is not None else DIPConfig()
    budget = Budget(PAPER_STEPS[s] if steps is None else steps, max_time, seed, progress)
    lr_image, restore = as_rgb_tensor(image, min_side=max(1, -(-cfg.min_hr_side // s)))
    dev = resolve_device(device)
    sigma = _REG_NOISE_STD[s] if cfg.reg_noise_std is None else cfg.reg_noise_std
    height, width = lr_image.shape[-2] * s, lr_image.shape[-1] * s
    with seeded(seed):
        net = SkipNet(
            in_channels=cfg.input_channels,
            levels=cfg.levels,
            n_feats=cfg.n_feats,
            skip_channels=cfg.skip_channels,
            upsample=cfg.upsample,
        )
        z = torch.rand(1, cfg.input_channels, height, width) * cfg.input_scale
        noise_seed = int(torch.randint(2**62, ()))
    net, z, target = net.to(dev).train(), z.to(dev), lr_image.to(dev)  # batch norm on batch statistics throughout
    noise = torch.Generator(device=dev)
    noise.manual_seed(noise_seed)
    optimiser = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    stopper = _EMVStop(cfg.es_alpha, cfg.es_patience, cfg.es_burn_in) if early_stop else None

    def step(i: int) -> float:
        optimiser.zero_grad(set_to_none=True)
        x = z + sigma * torch.randn(z.shape, generator=noise, device=dev) if sigma > 0 else z
        out = net(x)
        loss = F.mse_loss(lanczos2_downsample(out, s), target)
        loss.backward()
        optimiser.step()
        if stopper is not None:
            stopper.update(i, out.detach())
        return loss.item()

    converged = (lambda i, losses: stopper.stop) if stopper is not None else None
    log = optimise(step, budget, desc=f"DIP x{s}", converged=converged)
    picked = stopper.best_out if stopper is not None else None
    with torch.no_grad():
        hr = picked if picked is not None else net(z)
        mse = float(F.mse_loss(lanczos2_downsample(hr, s), target))
    info: dict[str, Any] = {
        "method": "dip",
        "scale": s,
        "reg_noise_std": sigma,
        "lr": cfg.lr,
        "parameters": sum(p.numel() for p in net.parameters()),
        "fit_psnr": 10 * math.log10(1 / max(mse, 1e-12)),
        "config": asdict(cfg),
    }
    if stopper is not None:
        chosen = stopper.best_step + 1 if picked is not None else None  # counted from 1, as log.steps
        info["early_stop"] = {"picked_step": chosen, "stopped": stopper.stop}
    return SRResult(restore(hr), log, info)
