"""KernelGAN: the downscaling kernel of one image, estimated by a GAN trained on that image alone.

Paper: Sefi Bell-Kligler, Assaf Shocher, Michal Irani, "Blind Super-Resolution Kernel Estimation using an
Internal-GAN", NeurIPS 2019. https://arxiv.org/abs/1909.06581 (official code: https://github.com/sefibk/KernelGAN).

A generator learns to downscale the image by 2 such that a patch discriminator cannot tell its output's patches from
the image's own patches (patches recur across scales of a natural image; the kernel that best preserves them is the
image's SR kernel). The generator is a deep *linear* network (convolutions 7, 5, 3, 1, 1, 1 with 64 channels, no
non-linearity, stride 2 in the last layer), so it is one 13 x 13 kernel followed by subsampling; the kernel is read
off by passing a delta through the layers. Regularisation keeps it a blur kernel: sum to one, centred (centre of
mass), sparse, and little mass near its border; the first iterations pull it towards bicubic. The x4 kernel is the
x2 kernel composed with itself, analytically.

The kernels follow srkit's kernel convention (:mod:`srkit.degradations.div2krk`, which is KernelGAN's and
DIV2KRK's): :func:`srkit.degradations.kernel_downscale` correlates with the kernel and keeps every ``s``-th pixel,
and the kernel's centre of mass is :func:`srkit.degradations.aligned_centre`, ``(s - 1) / 2`` pixels below and right
of its middle pixel, so that each LR pixel sits at the centre of its ``s x s`` HR block.

srkit follows the official code, whose settings are the paper's where the paper gives them. Departures, each said
where it is made: in training, the generator's output is computed through its collapsed kernel (the same function of
the same weights, so the same losses and gradients, several times less work on a CPU; ``fast_generator=False`` runs
the layers); images smaller than the 64-pixel crop use a smaller crop; the final centring is an exact linear
sub-pixel shift (:func:`srkit.degradations.centre_kernel`) where the official code uses a cubic spline, which rings
below zero. Training runs on one CPU thread by default (``KernelGANConfig.threads``).

Example:
    >>> import numpy as np
    >>> image = np.random.default_rng(0).random((48, 48, 3))
    >>> result = estimate_kernel(image, 4, steps=3, progress=False)
    >>> round(float(result.kernel.sum()), 6), result.kernel.shape[0] > result.kernel_x2.shape[0]
    (1.0, True)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.degradations.div2krk import aligned_centre, analytic_x4_kernel, centre_kernel
from srkit.functional.resize import imresize
from srkit.inference.upscale import resolve_device
from srkit.unsupervised._images import as_rgb_tensor
from srkit.unsupervised._kernelgan_crops import CropSampler
from srkit.unsupervised._loop import Budget, OptimLog, optimise, seeded

__all__ = [
    "DeepLinearGenerator",
    "KernelGANConfig",
    "KernelResult",
    "PatchDiscriminator",
    "boundary_mask",
    "estimate_kernel",
    "kernel_constraints",
    "kernel_x4_from_x2",
    "zero_negligible",
]

PAPER_STEPS = 3000
SCALES = (2, 4)


@dataclass(frozen=True)
class KernelGANConfig:
    """KernelGAN's settings; every default is the paper's / the official code's.

    Attributes:
        steps: iterations (one generator and one discriminator update each).
        crop_size: the generator's input crop (64); the discriminator sees crops of the generator's output size.
        g_kernel_sizes: the generator's layers (the kernel is ``sum(k - 1) + 1 = 13`` pixels wide).
        g_feats: the generator's channels; d_feats: the discriminator's.
        d_layers: the discriminator's depth: one ``d_kernel_size`` convolution, then 1 x 1 convolutions.
        d_kernel_size: the discriminator's receptive field (7).
        lr: Adam's learning rate for both networks; betas: Adam's betas.
        lr_decay_every: divide the learning rates by ``lr_decay`` every this many steps.
        lambda_sum_to_one, lambda_boundaries: weights of those constraints, from the start.
        lambda_centre, lambda_sparse: weights of those constraints once the bicubic term has faded.
        lambda_bicubic: the first weight of the pull towards bicubic downscaling.
        bicubic_close: the bicubic term starts fading after its loss is below this 3 steps running.
        lambda_update_every: then every this many steps the bicubic weight is divided by
            ``bicubic_decay``, down to ``lambda_bicubic_min``; the centre and sparsity terms join once it is below
            ``constraints_below``.
        boundary_weight: the boundary mask's largest weight (30).
        sparsity_power: the sparsity term is ``mean(|k| ** power)``.
        n_filtering: after training, values below 0.75 x the ``(n + 1)``-th largest are zeroed.
        gan_loss: ``"l1"`` (the paper's Eq. 2 and the official code: ``|D(x) - 1| + |D(G(x))|``) or ``"lsgan"``
            (squared differences).
        fast_generator: train through the collapsed kernel (True; identical maths, see the module docstring) or
            through the layers one by one (False, as the official code; for checks and timing).
        threads: torch's CPU threads while training, restored after (None: leave them). 1 by default because the
            convolutions are tiny: on a 2-core CPU busy with other jobs two threads made an iteration 20x slower.
    """

    steps: int = PAPER_STEPS
    crop_size: int = 64
    g_kernel_sizes: tuple[int, ...] = (7, 5, 3, 1, 1, 1)
    g_feats: int = 64
    d_feats: int = 64
    d_layers: int = 7
    d_kernel_size: int = 7
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    lr_decay_every: int = 750
    lr_decay: float = 10.0
    lambda_sum_to_one: float = 0.5
    lambda_boundaries: float = 0.5
    lambda_centre: float = 1.0
    lambda_sparse: float = 5.0
    lambda_bicubic: float = 5.0
    bicubic_close: float = 0.4
    lambda_update_every: int = 200
    bicubic_decay: float = 100.0
    lambda_bicubic_min: float = 5e-6
    constraints_below: float = 5e-3
    boundary_weight: float = 30.0
    sparsity_power: float = 0.2
    n_filtering: int = 40
    gan_loss: Literal["l1", "lsgan"] = "l1"
    fast_generator: bool = True
    threads: int | None = 1

    def __post_init__(self) -> None:
        Budget(steps=self.steps)  # the same check as every method's steps
        if self.crop_size < 32 or self.crop_size % 2:
            raise SrkitError(f"crop_size must be even and at least 32, got {self.crop_size}")
        if not self.g_kernel_sizes or any(k < 1 or k % 2 == 0 for k in self.g_kernel_sizes):
            raise SrkitError(f"g_kernel_sizes must be odd sizes, got {self.g_kernel_sizes}")
        if self.threads is not None and (isinstance(self.threads, bool) or self.threads < 1):
            raise SrkitError(f"threads must be None or an integer >= 1, got {self.threads!r}")
        if self.gan_loss not in ("l1", "lsgan"):
            raise SrkitError(f"gan_loss must be 'l1' or 'lsgan', got {self.gan_loss!r}")

    @property
    def kernel_size(self) -> int:
        """The side of the generator's kernel (13)."""
        return sum(k - 1 for k in self.g_kernel_sizes) + 1


@dataclass(frozen=True, eq=False)
class KernelResult:
    """What :func:`estimate_kernel` found.

    Attributes:
        kernel: the kernel for ``scale`` (float64, 2-D, odd side, non-negative, sums to 1), aligned for
            ``scale`` in srkit's convention: ``kernel_downscale(hr, kernel, scale)`` (from
            :mod:`srkit.degradations`) is the degradation it describes.
        kernel_x2: the x2 kernel (the same as ``kernel`` when ``scale`` is 2).
        scale: 2 or 4.
        log: the training run (steps, seconds, generator loss per step, why it stopped).
        raw_kernel: the generator's own 13 x 13 kernel at the end, before negligible values are zeroed and it is
            centred (may hold small negative values).
    """

    kernel: np.ndarray
    kernel_x2: np.ndarray
    scale: int
    log: OptimLog
    raw_kernel: np.ndarray


# --- networks --------------------------------------------------------------------------------------------------------


class DeepLinearGenerator(nn.Module):
    """KernelGAN's generator: bias-free convolutions with no non-linearity, stride ``scale`` in the last one. Each
    colour channel is downscaled alone by the same weights.

    Shape:
        input ``(B, C, H, W)``; output ``(B, C, ceil((H - k + 1) / scale), ...)`` with ``k`` the kernel size (13).
    """

    def __init__(self, *, n_feats: int = 64, kernel_sizes: Sequence[int] = (7, 5, 3, 1, 1, 1), scale: int = 2) -> None:
        super().__init__()
        sizes = tuple(kernel_sizes)
        chans = [1] + [n_feats] * (len(sizes) - 1) + [1]
        self.layers = nn.ModuleList(
            nn.Conv2d(chans[i], chans[i + 1], sizes[i], stride=scale if i == len(sizes) - 1 else 1, bias=False)
            for i in range(len(sizes))
        )
        self.scale = scale
        self.kernel_size = sum(k - 1 for k in sizes) + 1
        for weight in self._weights():
            nn.init.xavier_normal_(weight, gain=0.1)  # the official initialisation

    def _weights(self) -> list[torch.Tensor]:
        return [cast(nn.Conv2d, conv).weight for conv in self.layers]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Downscale through the layers one by one."""
        b, c, h, w = x.shape
        y = x.reshape(b * c, 1, h, w)
        for conv in self.layers:
            y = conv(y)
        return y.reshape(b, c, *y.shape[-2:])

    def kernel(self) -> torch.Tensor:
        """The ``(k, k)`` kernel the layers amount to (differentiable): a delta passed through them, without the
        stride. ``forward(x)`` equals correlating ``x`` with it (no padding) and keeping every ``scale``-th pixel."""
        first, *rest = self._weights()
        y = F.conv2d(first.new_ones(1, 1, 1, 1), first, padding=self.kernel_size - 1)
        for weight in rest:
            y = F.conv2d(y, weight)
        return y[0, 0].flip(0, 1)  # a delta through correlations gives the flipped kernel

    def downscale(self, x: torch.Tensor, kernel: torch.Tensor | None = None) -> torch.Tensor:
        """``forward`` computed through the kernel: one ``k x k`` strided correlation (the same values)."""
        k = self.kernel() if kernel is None else kernel
        b, c, h, w = x.shape
        y = F.conv2d(x.reshape(b * c, 1, h, w), k[None, None], stride=self.scale)
        return y.reshape(b, c, *y.shape[-2:])


def _sn_conv(cin: int, cout: int, size: int) -> nn.Module:
    conv = nn.Conv2d(cin, cout, size, bias=True)
    nn.init.xavier_normal_(conv.weight, gain=0.1)  # the direction only: spectral normalisation fixes the scale
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return nn.utils.parametrizations.spectral_norm(conv)


class PatchDiscriminator(nn.Module):
    """KernelGAN's discriminator: a ``kernel_size`` convolution (its receptive field) then 1 x 1 convolutions with
    batch norm and ReLU, all spectrally normalised; a sigmoid map of "real" per patch.

    Shape:
        input ``(B, C, H, W)``; output ``(B, 1, H - kernel_size + 1, W - kernel_size + 1)``.
    """

    def __init__(self, *, in_channels: int = 3, n_feats: int = 64, n_layers: int = 7, kernel_size: int = 7) -> None:
        super().__init__()
        body: list[nn.Module] = [_sn_conv(in_channels, n_feats, kernel_size)]  # no activation after it
        for _ in range(n_layers - 2):
            bn = nn.BatchNorm2d(n_feats)
            nn.init.normal_(bn.weight, 1.0, 0.02)
            nn.init.zeros_(bn.bias)
            body += [_sn_conv(n_feats, n_feats, 1), bn, nn.ReLU(inplace=True)]
        body += [_sn_conv(n_feats, 1, 1), nn.Sigmoid()]
        self.body = nn.Sequential(*body)
        self.shave = kernel_size - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


# --- losses ----------------------------------------------------------------------------------------------------------


def boundary_mask(size: int, weight: float = 30.0) -> torch.Tensor:
    """The official boundary mask: ``weight * (1 - g / max g)`` for a Gaussian ``g`` of sigma ``size``, zero inside
    (only a frame about ``size / 6`` wide is penalised, more towards the corners)."""
    z = torch.arange(size, dtype=torch.float64) - (size - 1) // 2
    g1 = torch.exp(-(z**2) / (2 * size**2))
    g = g1[:, None] * g1[None, :]
    mask = 1 - g / g.max()
    margin = (size - (size // 2 + size % 2)) // 2 - 1
    if margin > 0:
        mask[margin:-margin, margin:-margin] = 0
    return (weight * mask).float()


def kernel_constraints(
    kernel: torch.Tensor, mask: torch.Tensor, *, scale: int = 2, power: float = 0.2
) -> dict[str, torch.Tensor]:
    """The paper's regularisers of a ``(k, k)`` kernel, each a scalar tensor.

    Returns:
        ``sum_to_one``: ``|1 - sum k|``; ``centre``: mean squared distance of the centre of mass (rows, columns) from
        :func:`srkit.degradations.aligned_centre`; ``boundaries``: ``mean |k * mask|``;
        ``sparse``: ``mean |k| ** power``.
    """
    n = kernel.shape[-1]
    idx = torch.arange(n, dtype=kernel.dtype, device=kernel.device)
    total = kernel.sum()
    com = torch.stack([kernel.sum(1) @ idx, kernel.sum(0) @ idx]) / total
    return {
        "sum_to_one": (1 - total).abs(),
        "centre": ((com - aligned_centre((n, n), scale)[0]) ** 2).mean(),
        "boundaries": (kernel * mask).abs().mean(),
        "sparse": kernel.abs().pow(power).mean(),
    }


def _gan_loss(d_map: torch.Tensor, real: bool, kind: str) -> torch.Tensor:
    diff = d_map - (1.0 if real else 0.0)
    return diff.abs().mean() if kind == "l1" else (diff**2).mean()


def _shave_to(a: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    dh, dw = a.shape[-2] - size[0], a.shape[-1] - size[1]
    return a[..., dh // 2 : dh // 2 + size[0], dw // 2 : dw // 2 + size[1]]


class _Schedule:
    """The official learning-rate and loss-weight schedule (its ``Learner``), in steps from the start (a run
    shorter than the paper's 3000 steps is that schedule cut short)."""

    def __init__(self, cfg: KernelGANConfig) -> None:
        self.cfg = cfg
        self.bicubic, self.centre, self.sparse = cfg.lambda_bicubic, 0.0, 0.0
        self._close_count, self._close, self._joined = 0, False, False

    def update(self, step: int, bicubic_loss: float, optimisers: Sequence[torch.optim.Optimizer]) -> None:
        cfg = self.cfg
        if step == 0:
            return
        if step % cfg.lr_decay_every == 0:
            for opt in optimisers:
                for group in opt.param_groups:
                    group["lr"] /= cfg.lr_decay
        if not self._close:
            if bicubic_loss >= cfg.bicubic_close:
                self._close_count = 0
            elif self._close_count >= 2:
                self._close = True
            else:
                self._close_count += 1
        elif step % cfg.lambda_update_every == 0 and self.bicubic > cfg.lambda_bicubic_min:
            self.bicubic = max(self.bicubic / cfg.bicubic_decay, cfg.lambda_bicubic_min)
            if not self._joined and self.bicubic < cfg.constraints_below:
                self.centre, self.sparse, self._joined = cfg.lambda_centre, cfg.lambda_sparse, True


# --- training --------------------------------------------------------------------------------------------------------


def _crop_size(cfg: KernelGANConfig, h: int, w: int) -> int:
    side = min(cfg.crop_size, h - h % 2, w - w % 2)
    if side < 32:
        raise SrkitError(f"KernelGAN needs an image of at least 32x32 pixels, got {w}x{h}")
    return side


def _train(x: torch.Tensor, cfg: KernelGANConfig, budget: Budget) -> tuple[DeepLinearGenerator, OptimLog]:
    """Train KernelGAN on ``x`` (``(1, 3, H, W)`` in [0, 1]); returns the generator and the run's log."""
    _, _, h, w = x.shape
    crop = _crop_size(cfg, h, w)
    g_net = DeepLinearGenerator(n_feats=cfg.g_feats, kernel_sizes=cfg.g_kernel_sizes).to(x.device)
    d_crop = (crop - g_net.kernel_size) // 2 + 1  # the generator's output side: what the discriminator sees
    d_net = PatchDiscriminator(n_feats=cfg.d_feats, n_layers=cfg.d_layers, kernel_size=cfg.d_kernel_size).to(x.device)
    if d_crop <= d_net.shave:
        raise SrkitError(f"crop_size {crop} leaves the discriminator nothing to see; use at least 32")
    opt_g = torch.optim.Adam(g_net.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(d_net.parameters(), lr=cfg.lr, betas=cfg.betas)
    rgb = x[0].permute(1, 2, 0).double().cpu().numpy()
    crops = CropSampler(rgb, g_crop=crop, d_crop=d_crop, steps=budget.steps, seed=budget.seed)
    mask = boundary_mask(g_net.kernel_size, cfg.boundary_weight).to(x.device)
    schedule = _Schedule(cfg)
    signed = x * 2 - 1  # the official code works in [-1, 1] (the bicubic threshold 0.4 is in its units)
    last_d = [0.0]

    def g_output(g_in: torch.Tensor) -> torch.Tensor:
        return g_net.downscale(g_in) if cfg.fast_generator else g_net(g_in)

    def step(i: int) -> float:
        top, left = crops.g_box(i)
        g_in = signed[..., top : top + crop, left : left + crop]
        top, left = crops.d_box(i)
        d_in = signed[..., top : top + d_crop, left : left + d_crop]
        d_in = d_in + torch.randn_like(d_in) * (2 / 255)  # 1/255 on [0, 1] before the official code maps to [-1, 1]
        # generator
        opt_g.zero_grad(set_to_none=True)
        kernel = g_net.kernel()
        fake = g_net.downscale(g_in, kernel) if cfg.fast_generator else g_net(g_in)
        bicubic = F.mse_loss(fake, _shave_to(imresize(g_in, 0.5), fake.shape[-2:]))
        terms = kernel_constraints(kernel, mask, power=cfg.sparsity_power)
        loss_g = (
            _gan_loss(d_net(fake), True, cfg.gan_loss)
            + schedule.bicubic * bicubic
            + cfg.lambda_sum_to_one * terms["sum_to_one"]
            + cfg.lambda_boundaries * terms["boundaries"]
            + schedule.centre * terms["centre"]
            + schedule.sparse * terms["sparse"]
        )
        loss_g.backward()
        opt_g.step()
        # discriminator
        opt_d.zero_grad(set_to_none=True)
        real_map = d_net(d_in)
        with torch.no_grad():
            fake = g_output(g_in)
            fake = fake + torch.randn_like(fake) / 255
        loss_d = 0.5 * (_gan_loss(d_net(fake), False, cfg.gan_loss) + _gan_loss(real_map, True, cfg.gan_loss))
        loss_d.backward()
        opt_d.step()
        last_d[0] = loss_d.item()
        schedule.update(i, bicubic.item(), (opt_g, opt_d))
        return loss_g.item()

    log = optimise(step, budget, desc="KernelGAN", status=lambda: {"D": f"{last_d[0]:.3g}"})
    return g_net, log


# --- the kernel after training -----------------------------------------------------------------------------------


def zero_negligible(kernel: np.ndarray, n: int = 40) -> np.ndarray:
    """Subtract 0.75 x the ``(n + 1)``-th largest value, clip at zero and normalise: the official code's filtering
    of a trained kernel's negligible values (``n = 40``). The result is non-negative and sums to 1.

    Raises:
        SrkitError: nothing is left (a generator that learnt no kernel).

    Example:
        >>> zero_negligible(np.array([[0.0, 0.1], [0.5, 1.0]]), n=1).round(3).tolist()
        [[0.0, 0.0], [0.167, 0.833]]
    """
    k = np.asarray(kernel, dtype=np.float64)
    ordered = np.sort(k, axis=None)
    kept = np.clip(k - 0.75 * ordered[max(ordered.size - n - 1, 0)], 0.0, None)
    total = kept.sum()
    if not (np.isfinite(total) and total > 0):
        raise SrkitError("KernelGAN learnt no kernel (all of it is negligible); run more steps")
    return kept / total


def _centred(kernel: np.ndarray, scale: int) -> np.ndarray:
    """``kernel`` padded with zeros by the shift it needs plus one (as the official ``kernel_shift``), then aligned
    for ``scale``."""
    rows, cols = np.arange(kernel.shape[0]), np.arange(kernel.shape[1])
    total = kernel.sum()
    com = np.array([kernel.sum(axis=1) @ rows, kernel.sum(axis=0) @ cols]) / total
    shift = np.array(aligned_centre(kernel.shape, scale)) - com
    pad = int(np.ceil(np.abs(shift).max() - 1e-6)) + 1  # a whole shift off by rounding must not add a ring
    return centre_kernel(np.pad(kernel, pad), scale)


def kernel_x4_from_x2(kernel_x2: np.ndarray) -> np.ndarray:
    """The x4 kernel of an aligned x2 kernel ``k`` (``n x n``): :func:`srkit.degradations.analytic_x4_kernel` (``k``
    composed with itself dilated by 2: downscaling twice by 2 is downscaling once by 4), cropped by ``n // 2`` on
    each side and renormalised as the official ``analytic_kernel`` does (its tails are negligible and the x4 kernel
    stays smaller), then aligned for x4 again.

    Example:
        >>> k2 = _centred(np.ones((3, 3)) / 9, 2)
        >>> k2.shape, kernel_x4_from_x2(k2).shape
        ((7, 7), (15, 15))
    """
    k = np.asarray(kernel_x2, dtype=np.float64)
    big = analytic_x4_kernel(k)
    crop = k.shape[0] // 2
    if crop:
        big = big[crop:-crop, crop:-crop]
    return _centred(big / big.sum(), 4)


@contextlib.contextmanager
def _cpu_threads(n: int | None) -> Iterator[None]:
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def estimate_kernel(
    image: np.ndarray,
    scale: int = 2,
    *,
    steps: int | None = None,
    max_time: float | None = None,
    seed: int = 0,
    progress: bool | None = None,
    config: KernelGANConfig | None = None,
    device: str | torch.device = "cpu",
) -> KernelResult:
    """Estimate ``image``'s downscaling (SR) kernel for ``scale`` with KernelGAN.

    The GAN learns the x2 kernel; the x4 kernel is that kernel composed with itself (the paper's way).

    Args:
        image: the low-resolution image, ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``; uint8, uint16 or float in
            [0, 1]; at least 32 x 32 pixels (64 x 64 for the paper's crops).
        scale: 2 or 4.
        steps: iterations (default the paper's 3000); fewer cut the paper's schedule short (its learning-rate
            decays come at steps 750, 1500, 2250; the bicubic pull fades from step 200, the centre and sparsity
            terms join at step 400).
        max_time: stop after this many seconds (the kernel is then the one learnt so far).
        seed: seed of the initialisation, the crops and the noise: equal seeds give equal kernels.
        progress: a progress bar with the generator's loss (None: on a terminal; False: nothing).
        config: the other settings (default the paper's).
        device: where to train (``"cpu"``, ``"cuda"``, ...).

    Returns:
        A :class:`KernelResult`; ``result.kernel`` is the kernel for ``scale``.

    Raises:
        SrkitError: a scale other than 2 or 4, an image that is not one (or too small), a bad budget.

    Example:
        >>> import numpy as np
        >>> result = estimate_kernel(np.random.default_rng(0).random((40, 40)), steps=2, progress=False)
        >>> result.kernel.ndim, bool(result.kernel.min() >= 0), result.log.steps
        (2, True, 2)
    """
    if isinstance(scale, bool) or scale not in SCALES:
        raise SrkitError(f"KernelGAN estimates x2 and x4 kernels, got scale {scale!r}")
    cfg = config or KernelGANConfig()
    budget = Budget(steps=cfg.steps if steps is None else steps, max_time=max_time, seed=seed, progress=progress)
    x, _ = as_rgb_tensor(image, min_side=32)
    x = x.to(resolve_device(device))
    with seeded(budget.seed), _cpu_threads(cfg.threads if x.device.type == "cpu" else None):
        g_net, log = _train(x, cfg, budget)
    with torch.no_grad():
        raw = g_net.kernel().double().cpu().numpy()
    kernel_x2 = _centred(zero_negligible(raw, cfg.n_filtering), 2)
    kernel = kernel_x2 if scale == 2 else kernel_x4_from_x2(kernel_x2)
    return KernelResult(kernel=kernel, kernel_x2=kernel_x2, scale=scale, log=log, raw_kernel=raw)
