"""ZSSR: super-resolution by a small network trained on the test image alone.

Paper: Assaf Shocher, Nadav Cohen, Michal Irani, "'Zero-Shot' Super-Resolution using Deep Internal Learning",
CVPR 2018. https://arxiv.org/abs/1712.06087 (official code, TensorFlow 1: https://github.com/assafshocher/ZSSR).

The test image ``I`` is the only data. Its downscaled versions (and ``I`` itself) are the *HR fathers*; each father
downscaled by the wanted scale ``s`` with the image's kernel is its *LR son*. A fully convolutional network (8 conv
layers, 64 channels, ReLU, learning the residual over the bicubic interpolation of its input) learns son -> father
on random crops, then super-resolves ``I`` itself. The paper's pieces, all here:

- fathers: ``I`` downscaled by 0.5 .. 1 (the official ``augment_min_scale``), each picked with probability
  proportional to its size; the 8 rotations/flips; random crops of 128 x 128; optional Gaussian noise on the sons;
- gradual increase for large scales: the result at an intermediate scale joins the fathers of the next one;
- L1 loss, Adam at 1e-3; every 60 steps (and at least 256 steps after the last change) a line is fitted to the
  last 5 reconstruction errors (one per 50 steps: the error of rebuilding ``I`` from its own son); when the slope
  is not clearly negative (``-1.5 slope <= its standard error``) the learning rate is divided by 10; training
  stops below 9e-6 (after three divisions) or at 3000 steps;
- the output: a median over the 8 rotations/flips of the input (geometric self-ensemble), each output and the
  median refined by back-projection (10 iterations, 2 with a given kernel, as the official configs).

Sons are made with MATLAB's bicubic ``imresize`` (the paper's ideal case), or with a given kernel in srkit's kernel
convention (:func:`srkit.degradations.kernel_downscale`: correlate, keep every ``s``-th pixel; the blind benchmark's
LR images are made the same way), or with a kernel estimated by KernelGAN (``kernel="estimate"``). Like the official
code, every given kernel is first moved so that its centre of mass is aligned for the scale (a no-op for aligned
kernels: DIV2KRK's, KernelGAN's).

Where srkit departs from the paper (each said again where it happens):

- the fathers' scales are a grid of steps of 0.05 (the official code draws a continuous scale and, for half of the
  fathers, warps the image by an affine transform of any angle and a little shear; the paper describes downscaled
  versions and the 8 rotations/flips only, which is what srkit does);
- kernels are aligned by an exact bilinear shift (:func:`srkit.degradations.centre_kernel`), not a cubic spline,
  which makes negative values;
- a given kernel keeps the rotations/flips under which it is unchanged (the official code drops all of them for a
  given kernel): all 8 for a symmetric kernel, none for a skewed one;
- the learning-rate test uses ``<=`` (the official ``<`` never fires on an exactly flat error);
- a scale the crops do not divide exactly (2.37) trains on crops resized to a whole number of pixels.

Example:
    >>> import numpy as np
    >>> img = (np.random.default_rng(0).random((12, 12, 3)) * 255).astype(np.uint8)
    >>> zssr(img, 2, steps=2, progress=False).image.shape
    (24, 24, 3)
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from srkit._core.errors import SrkitError
from srkit.data.kernelfile import check_kernel
from srkit.functional.resize import imresize
from srkit.inference import native_bf16
from srkit.unsupervised import kernelgan
from srkit.unsupervised._images import SRResult, as_rgb_tensor
from srkit.unsupervised._loop import Budget, OptimLog, optimise, seeded
from srkit.unsupervised._zssr_parts import (
    Pair,
    ScaleSpec,
    aligned_kernel,
    back_projection,
    dihedral,
    downscale,
    fit,
    kernel_transforms,
    lr_should_drop,
    pair,
    resize,
    self_ensemble,
)

__all__ = [
    "MIN_SCALE",
    "ZSSRConfig",
    "ZSSRNet",
    "aligned_kernel",
    "back_projection",
    "downscale",
    "lr_should_drop",
    "self_ensemble",
    "zssr",
]

MIN_SCALE = 1.5


@dataclass(frozen=True)
class ZSSRConfig:
    """Every setting of a ZSSR run; the defaults are the paper's (its official ``configs.py``).

    Attributes:
        gradual: the intermediate scales before the final one, each a number or ``(vertical, horizontal)``;
            None: halve the scale while the half is at least 1.5 (x2: one jump; x4: 2 then 4, as KernelGAN's x4
            config; x8: 2, 4, 8); ``()``: always one jump. A given kernel trains one jump only (it is a kernel of
            the final scale).
        max_iters: most steps per scale (the paper's 3000).
        min_iters: steps after a learning-rate change before the next test (256).
        learning_rate: Adam's starting rate (1e-3).
        min_learning_rate: training stops below it (9e-6: after three divisions by 10).
        change_ratio: the rate is divided when ``-change_ratio * slope <= std of the slope`` (1.5).
        check_every: steps between learning-rate tests (60).
        test_every: steps between reconstruction errors (50).
        slope_points: reconstruction errors the line is fitted to (5: the official 256 // 50).
        crop_size: side of the random crops of fathers (128).
        batch_size: crops per step (1, the paper's; srkit's speed option).
        noise_std: Gaussian noise added to the sons, on the [0, 1] scale (0; 0.0125 in the official config
            for real images).
        min_father_scale: the smallest father, as a fraction of the input (0.5).
        father_step: the step between fathers' scales (0.05; srkit's grid, see the module notes).
        back_projection: back-projection iterations per scale, one number for all or one per scale; None: 10
            with the bicubic kernel, 2 with a given kernel (the official configs).
        ensemble: the geometric self-ensemble (median of 8) at the end of each scale.
        depth: conv layers (8).
        width: channels of the hidden layers (64).
        init_variance: weights start normal with variance ``init_variance / fan_in`` (0.1).
        channels_last: inference passes (reconstruction tests, the final self-ensemble) in channels-last memory
            format (srkit's speed option: 30% faster on this CPU; training stays channels-first, where
            channels-last was 1.5x slower, measured).
        test_crop: the reconstruction error on the central ``test_crop`` square of the input only (None: the
            whole input, the paper's; srkit's speed option for frequent tests).
        bf16: run the network under bfloat16 autocast (srkit's speed option; for GPUs and CPUs with native
            bf16; far slower on CPUs without it).

    Example:
        >>> ZSSRConfig.fast().crop_size, ZSSRConfig().max_iters
        (64, 3000)
    """

    gradual: tuple[ScaleSpec, ...] | None = None
    max_iters: int = 3000
    min_iters: int = 256
    learning_rate: float = 1e-3
    min_learning_rate: float = 9e-6
    change_ratio: float = 1.5
    check_every: int = 60
    test_every: int = 50
    slope_points: int = 5
    crop_size: int = 128
    batch_size: int = 1
    noise_std: float = 0.0
    min_father_scale: float = 0.5
    father_step: float = 0.05
    back_projection: int | tuple[int, ...] | None = None
    ensemble: bool = True
    depth: int = 8
    width: int = 64
    init_variance: float = 0.1
    channels_last: bool = False
    test_crop: int | None = None
    bf16: bool = False

    def __post_init__(self) -> None:
        for name in ("max_iters", "check_every", "test_every", "crop_size", "batch_size", "width"):
            _check_int(name, getattr(self, name), 1)
        _check_int("min_iters", self.min_iters, 0)
        if self.test_crop is not None:
            _check_int("test_crop", self.test_crop, 8)
        _check_int("slope_points", self.slope_points, 3)
        _check_int("depth", self.depth, 2)
        if not 0 < self.min_learning_rate < self.learning_rate:
            raise SrkitError("ZSSRConfig: need 0 < min_learning_rate < learning_rate")
        for name in ("change_ratio", "father_step", "init_variance"):
            if not getattr(self, name) > 0:
                raise SrkitError(f"ZSSRConfig: {name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.noise_std < 1:
            raise SrkitError(f"ZSSRConfig: noise_std must be in [0, 1), got {self.noise_std!r}")
        if not 0 < self.min_father_scale <= 1:
            raise SrkitError(f"ZSSRConfig: min_father_scale must be in (0, 1], got {self.min_father_scale!r}")
        bp = self.back_projection
        for n in (bp,) if isinstance(bp, int) else (bp or ()):
            _check_int("back_projection", n, 0)

    @classmethod
    def paper(cls) -> ZSSRConfig:
        """The paper's schedule (the default): 128 x 128 crops, up to 3000 steps per scale."""
        return cls()

    @classmethod
    def fast(cls, *, device: str | torch.device = "cpu", bf16: bool | None = None) -> ZSSRConfig:
        """srkit's fast schedule, for x2 of a 256 x 256 image in under 2 minutes on a 2-core CPU: the paper's
        network, loss, fathers and learning-rate policy with its clock (an error every 50 steps, a test every 60,
        at least 256 steps at each rate, at most 3000 per scale), on 64 x 64 crops (a quarter of the pixels per
        step: a step costs a quarter), the errors on the central 128 x 128 of the input, channels-last inference,
        and bfloat16 autocast where it is native (``bf16=None``: on a CPU that computes bf16 natively,
        :func:`srkit.inference.native_bf16`, about 2x faster per step there; on CUDA where the GPU supports it).
        See ``docs/unsupervised/zssr.md`` for what was measured."""
        if bf16 is None:
            kind = torch.device(device).type
            bf16 = native_bf16() if kind == "cpu" else kind == "cuda" and torch.cuda.is_bf16_supported()
        return cls(crop_size=64, test_crop=128, channels_last=True, bf16=bool(bf16))

    @classmethod
    def gradual_x2(cls) -> ZSSRConfig:
        """The official gradual x2 (``X2_GRADUAL_IDEAL_CONF``, "~0.3 dB better, 6x runtime"): six scales
        (1, 1.5), (1.5, 1), (1.5, 1.5), (1.5, 2), (2, 1.5), (2, 2) with 6, 6, 8, 10, 10, 12 back-projections."""
        return cls(
            gradual=((1.0, 1.5), (1.5, 1.0), (1.5, 1.5), (1.5, 2.0), (2.0, 1.5)), back_projection=(6, 6, 8, 10, 10, 12)
        )

    @classmethod
    def real(cls) -> ZSSRConfig:
        """The official config for real images (``X2_REAL_CONF``): noise 0.0125 on the sons, no back-projection,
        no self-ensemble, fathers no smaller than 0.75."""
        return cls(noise_std=0.0125, back_projection=0, ensemble=False, min_father_scale=0.75)


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SrkitError(f"ZSSRConfig: {name} must be an integer >= {low}, got {value!r}")


# --- the network ----------------------------------------------------------------------------------------------------


class ZSSRNet(nn.Module):
    """The paper's image-specific network: ``depth`` 3x3 convolutions (no bias, as the official code), ReLU after
    all but the last, plus the input (it learns the residual over the interpolated LR image).

    Shape:
        ``(B, C, H, W)`` -> ``(B, C, H, W)``: the input is already interpolated to the output size.

    Example:
        >>> ZSSRNet()(torch.zeros(1, 3, 8, 8)).shape
        torch.Size([1, 3, 8, 8])
    """

    def __init__(self, *, channels: int = 3, depth: int = 8, width: int = 64, init_variance: float = 0.1) -> None:
        super().__init__()
        sizes = [channels] + [width] * (depth - 1) + [channels]
        layers: list[nn.Module] = []
        for i, (c_in, c_out) in enumerate(itertools.pairwise(sizes)):
            conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
            nn.init.normal_(conv.weight, std=math.sqrt(init_variance / (9 * c_in)))
            layers += [conv] if i == depth - 1 else [conv, nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + x


# --- the run --------------------------------------------------------------------------------------------------------


def _stage_scales(scale: float, config: ZSSRConfig, kernel: bool) -> list[Pair]:
    if kernel or config.gradual == ():
        return [(scale, scale)]
    if config.gradual is None:
        chain = [scale]
        while chain[0] / 2 >= MIN_SCALE:
            chain.insert(0, chain[0] / 2)
        return [(s, s) for s in chain]
    return [pair(s) for s in config.gradual] + [(scale, scale)]


def _multiple(s: float) -> int:
    """Crops a whole multiple of this make sons of a whole number of pixels at scale ``s`` (1: none found)."""
    f = Fraction(s).limit_denominator(16)
    return f.numerator if abs(float(f) - s) < 1e-9 and f.numerator <= 64 else 1


@dataclass
class _Stage:
    scale: Pair
    lr: float
    iters: int = 0
    last_change: int = 0
    test_steps: list[int] | None = None
    test_errors: list[float] | None = None
    changes: list[int] | None = None
    ended: str = ""  # "learning rate" (below its minimum), "steps" (max_iters) or "time"


class _Run:
    """One ZSSR run: fathers, sons, the network and its schedule, one scale after another."""

    def __init__(
        self, x: torch.Tensor, scale: float, kernel: np.ndarray | None, config: ZSSRConfig, seed: int, device: str
    ) -> None:
        self.cfg, self.device, self.input = config, torch.device(device), x.to(device)
        self.gen = torch.Generator().manual_seed(seed)
        self.kernel_np = kernel
        self.kernel = None if kernel is None else aligned_kernel(kernel, int(scale)).to(self.device)
        self.transforms = kernel_transforms(kernel)
        self.scales = _stage_scales(scale, config, kernel is not None)
        bp = config.back_projection
        default_bp = 10 if kernel is None else 2
        self.bp = [default_bp if bp is None else bp] * len(self.scales) if not isinstance(bp, tuple) else list(bp)
        if len(self.bp) != len(self.scales):
            raise SrkitError(f"back_projection has {len(self.bp)} counts for {len(self.scales)} scales")
        self.net = ZSSRNet(depth=config.depth, width=config.width, init_variance=config.init_variance).to(self.device)
        self.infer_fmt = torch.channels_last if config.channels_last else torch.contiguous_format
        self.opt = torch.optim.Adam(self.net.parameters(), lr=config.learning_rate)
        self.sources: list[tuple[torch.Tensor, Pair]] = [(self.input, (1.0, 1.0))]
        self.stages: list[_Stage] = []
        self.finished = False
        h, w = x.shape[-2:]
        th, tw = (h, w) if config.test_crop is None else (min(config.test_crop, h), min(config.test_crop, w))
        top, left = (h - th) // 2, (w - tw) // 2
        self.test_input = self.input[..., top : top + th, left : left + tw]
        self.result: torch.Tensor | None = None
        self._start_stage(0)

    # -- fathers and sons --

    def _start_stage(self, index: int) -> None:
        self.stage = _Stage(self.scales[index], self.cfg.learning_rate, test_steps=[], test_errors=[], changes=[])
        self.stages.append(self.stage)
        sh, sw = self.stage.scale
        self.multiple = (_multiple(sh), _multiple(sw))
        top = min(self.sources[-1][1])  # the largest father: the latest source (the input, then each result)
        fathers: list[torch.Tensor] = []
        n = math.floor((top - self.cfg.min_father_scale) / self.cfg.father_step + 1e-6)
        for u in [top - i * self.cfg.father_step for i in range(n + 1)]:
            src, (bh, bw) = next((s, b) for s, b in self.sources if min(b) >= u - 1e-6)
            f = src if (bh, bw) == (u, u) else imresize(src, (u / bh, u / bw))
            if min(f.shape[-2] / sh, f.shape[-1] / sw) >= 3 or not fathers:
                fathers.append(f[0])
        self.fathers = fathers
        areas = torch.tensor([f.shape[-2] * f.shape[-1] for f in fathers], dtype=torch.float64)
        self.father_probs = areas / areas.sum()  # the paper: probability proportional to the father's size

    def sample_pairs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of (interpolated son, father crop) pairs, the network's input and target."""
        cfg, g = self.cfg, self.gen
        idx = torch.multinomial(self.father_probs, cfg.batch_size, replacement=True, generator=g).tolist()
        ts = [self.transforms[int(torch.randint(len(self.transforms), (1,), generator=g))] for _ in idx]
        dims = [self.fathers[i].shape[-2:][:: -1 if t % 2 else 1] for i, t in zip(idx, ts, strict=True)]
        side = []
        for axis in (0, 1):
            fit = min(cfg.crop_size, *(int(d[axis]) for d in dims))
            m = self.multiple[axis]
            side.append(fit // m * m if fit >= m else fit)
        crops = []
        for i, t in zip(idx, ts, strict=True):
            ch, cw = (side[1], side[0]) if t % 2 else (side[0], side[1])
            f = self.fathers[i]
            top = int(torch.randint(f.shape[-2] - ch + 1, (1,), generator=g))
            left = int(torch.randint(f.shape[-1] - cw + 1, (1,), generator=g))
            crops.append(dihedral(f[:, top : top + ch, left : left + cw], t))
        father = torch.stack(crops)
        return self.interpolate(self.son(father), tuple(father.shape[-2:])), father

    def son(self, father: torch.Tensor) -> torch.Tensor:
        """``father`` downscaled by the current scale with the image's kernel, plus the configured noise."""
        s = downscale(father, self.stage.scale, self.kernel)
        if self.cfg.noise_std > 0:
            noise = torch.randn(s.shape, generator=self.gen).to(s.device)
            s = (s + self.cfg.noise_std * noise).clamp(0, 1)
        return s

    def interpolate(self, lr: torch.Tensor, size: tuple[int, ...]) -> torch.Tensor:
        return resize(lr, self.stage.scale, (int(size[0]), int(size[1])))

    # -- training --

    @contextlib.contextmanager
    def _inference(self) -> Iterator[None]:
        """The network's weights in the inference layout for the block (channels-last with ``channels_last``)."""
        self.net.to(memory_format=self.infer_fmt)  # type: ignore[call-overload]
        try:
            yield
        finally:
            self.net.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]

    def _net(self, x: torch.Tensor) -> torch.Tensor:
        fmt = torch.contiguous_format if torch.is_grad_enabled() else self.infer_fmt
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.cfg.bf16):
            return self.net(x.contiguous(memory_format=fmt)).float().contiguous()

    def step(self, i: int) -> float:
        st = self.stage
        lr_in, father = self.sample_pairs()
        for group in self.opt.param_groups:
            group["lr"] = st.lr
        loss = (self._net(lr_in) - father).abs().mean()  # the paper's L1 loss
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if st.iters % self.cfg.test_every == 0:
            self._reconstruction_test()
        self._policy()
        st.iters += 1
        if st.lr < self.cfg.min_learning_rate or st.iters >= self.cfg.max_iters:
            st.ended = "learning rate" if st.lr < self.cfg.min_learning_rate else "steps"
            self._end_stage()
        return loss.item()

    @torch.no_grad()
    def _reconstruction_test(self) -> None:
        """The error of rebuilding the input from its own son (the official ``quick_test``'s ``mse_rec``)."""
        x = self.test_input
        with self._inference():
            rec = self._net(self.interpolate(self.son(x), tuple(x.shape[-2:]))).clamp(0, 1)
        assert self.stage.test_steps is not None and self.stage.test_errors is not None
        self.stage.test_steps.append(self.stage.iters)
        self.stage.test_errors.append(float((rec - x).square().mean()))

    def _policy(self) -> None:
        st, cfg = self.stage, self.cfg
        assert st.test_steps is not None and st.test_errors is not None and st.changes is not None
        if (st.iters + 1) % cfg.check_every or st.iters - st.last_change <= cfg.min_iters:
            return
        k = cfg.slope_points
        if lr_should_drop(st.test_steps[-k:], st.test_errors[-k:], cfg.change_ratio):
            st.lr /= 10
            st.last_change = st.iters
            st.changes.append(st.iters)

    def _end_stage(self) -> None:
        out = self.final_test(len(self.stages) - 1)
        if len(self.stages) == len(self.scales):
            self.result, self.finished = out, True
            return
        self.sources.append((out, self.stage.scale))
        self._start_stage(len(self.stages))

    @torch.no_grad()
    def final_test(self, index: int) -> torch.Tensor:
        """The output at scale ``index``: self-ensemble of the network, each output and the median
        back-projected onto the input."""
        scale, iters, x = self.scales[index], self.bp[index], self.input

        def forward(t_in: torch.Tensor) -> torch.Tensor:
            return self._net(resize(t_in, scale, fit(t_in, scale))).clamp(0, 1)

        def refine(y: torch.Tensor) -> torch.Tensor:
            return back_projection(y, x, scale, iters, self.kernel)

        ts = self.transforms if self.cfg.ensemble else (0,)
        if scale[0] != scale[1]:
            ts = tuple(t for t in ts if t % 2 == 0)  # quarter turns would swap the two scales
        with self._inference():
            out = self_ensemble(forward, x, ts, refine)
        return back_projection(out, x, scale, iters, self.kernel)


# --- the public function --------------------------------------------------------------------------------------------


def _resolve_kernel(
    image: np.ndarray, scale: float, kernel: np.ndarray | str | None, **estimate: Any
) -> np.ndarray | None:
    if kernel is None or (isinstance(kernel, str) and kernel == "bicubic"):
        return None
    if isinstance(kernel, str) and kernel == "estimate":
        found = kernelgan.estimate_kernel(image, int(scale), **estimate).kernel  # the paper's KernelGAN schedule
        return check_kernel(found, source="the estimated kernel")
    assert not isinstance(kernel, str)
    return check_kernel(kernel)


def _check_scale(scale: object, with_kernel: bool) -> float:
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(scale):
        raise SrkitError(f"ZSSR scale must be a number >= {MIN_SCALE}, got {scale!r}")
    s = float(scale)
    if s < MIN_SCALE:
        raise SrkitError(f"ZSSR scale must be at least {MIN_SCALE} (sons too close to their fathers), got {s:g}")
    if with_kernel and not s.is_integer():
        raise SrkitError(
            f"with a kernel the sons keep every s-th pixel: the scale must be a whole number, got {s:g} "
            "(use the bicubic kernel for fractional scales)"
        )
    return s


def zssr(
    image: np.ndarray,
    scale: float,
    *,
    kernel: np.ndarray | str | None = None,
    steps: int | None = None,
    max_time: float | None = None,
    seed: int = 0,
    progress: bool | None = None,
    device: str = "cpu",
    fast: bool = False,
    config: ZSSRConfig | None = None,
) -> SRResult:
    """Super-resolve ``image`` by ``scale`` with ZSSR (a network trained on the image alone).

    Args:
        image: ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``; uint8, uint16 or float in [0, 1] (no alpha).
        scale: any number >= 1.5 (a whole number with a kernel).
        kernel: how the image was downscaled: ``"bicubic"`` (None, the default: MATLAB's imresize), a 2-D array
            (the kernel, normalised), or ``"estimate"`` (KernelGAN's
            :func:`srkit.unsupervised.kernelgan.estimate_kernel` with its paper's schedule and this call's seed,
            progress and device; scales 2 and 4).
        steps: most training steps per scale (default: the config's, the paper's 3000).
        max_time: stop training after this many seconds and finish with the network as it is.
        seed: seed of the weights, crops, flips and noise (the same seed gives the same image).
        progress: a progress bar with the loss and learning rate (None: on a terminal; False: none).
        device: ``"cpu"``, ``"cuda"``, ...
        fast: srkit's fast schedule, :meth:`ZSSRConfig.fast` (a ``config`` may not be given with it).
        config: every other setting (default :meth:`ZSSRConfig.paper`).

    Returns:
        :class:`SRResult`: the image (``ceil(H * scale) x ceil(W * scale)``, the input's dtype and layout), the
        training log, and ``info`` (kernel, scales, per-scale steps, learning-rate changes, errors).

    Raises:
        SrkitError: a bad image, scale, kernel or setting.

    Example:
        >>> img = np.zeros((12, 12), np.uint8)
        >>> out = zssr(img, 2, steps=1, progress=False)
        >>> out.image.shape, out.image.dtype, out.info["scales"]
        ((24, 24), dtype('uint8'), [(2.0, 2.0)])
    """
    if fast and config is not None:
        raise SrkitError("pass either fast=True or a config, not both")
    cfg = ZSSRConfig.fast(device=device) if fast else (config or ZSSRConfig())
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise SrkitError(f"steps must be an integer >= 1, got {steps!r}")
        cfg = replace(cfg, max_iters=steps)
    named = kernel if isinstance(kernel, str) else None
    if named is not None and named not in ("bicubic", "estimate"):
        raise SrkitError(f"kernel must be 'bicubic', 'estimate' or a 2-D array, got {named!r}")
    s = _check_scale(scale, not (kernel is None or named == "bicubic"))
    x, restore = as_rgb_tensor(image, min_side=max(4, math.ceil(3 * s)))
    k = _resolve_kernel(image, s, kernel, seed=seed, progress=progress, device=device)
    start = time.perf_counter()
    with seeded(seed):
        run = _Run(x, s, k, cfg, seed, device)
    budget = Budget(steps=cfg.max_iters * len(run.scales), max_time=max_time, seed=seed, progress=progress)

    def status() -> dict[str, str]:
        return {"lr": f"{run.stage.lr:.0e}", "x": "x".join(f"{v:g}" for v in dict.fromkeys(run.stage.scale))}

    log: OptimLog = optimise(
        run.step, budget, desc=f"ZSSR x{s:g}", converged=lambda i, losses: run.finished, status=status
    )
    if run.result is None:  # stopped by time: finish at the final scale with the network as it is
        run.stage.ended = "time"
        run.result = run.final_test(len(run.scales) - 1)
    info = {
        "kernel": "bicubic" if k is None else k,
        "scales": run.scales,
        "config": cfg,
        "transforms": run.transforms if cfg.ensemble else (0,),
        "back_projection": run.bp,
        "stages": [
            {
                "scale": st.scale,
                "steps": st.iters,
                "lr_changes": st.changes,
                "final_lr": st.lr,
                "ended": st.ended,
                "reconstruction_errors": list(zip(st.test_steps or [], st.test_errors or [], strict=True)),
            }
            for st in run.stages
        ],
        "seconds": time.perf_counter() - start,
    }
    return SRResult(restore(run.result), log, info)
