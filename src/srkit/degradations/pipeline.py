"""Degradation pipelines as compositions of steps that sample, then apply.

A step (the :class:`Degradation` protocol) has ``sample(generator, ctx) -> params``, drawing only from the given
``torch.Generator``, ``apply(x, params) -> x`` (deterministic) and ``output_size(params, size)``. ``ctx`` (a
:class:`SampleContext`) tells a step the overall ``scale``, the HR size and the size of the image that reaches
it, so that a resize fixes its output size in its parameters and the LR image is exactly ``HR / scale``.
Combinators (:class:`Compose`, :class:`Maybe`, :class:`OneOf`, :class:`Shuffle`) build the benchmark pipelines
(:func:`bicubic`, :func:`blur_downsample`, :func:`noisy`) and the "real-world" ones (:func:`real_esrgan`,
:func:`bsrgan`) as data; :func:`degrade_batch` samples per image, then applies. Pipelines hold no lambdas, so
they pickle (data-loader workers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Generic, Literal, Protocol, TypeVar, runtime_checkable

import torch
import torch.nn.functional as F

from srkit._core.checks import check_positive_scale
from srkit._core.errors import SrkitError
from srkit.degradations.jpeg import apply_jpeg, sample_jpeg
from srkit.degradations.kernels import (
    BlurParams,
    _as_batch,
    _check_prob,
    _check_probs,
    _check_range,
    _choice,
    _randint,
    _uniform,
    anisotropic_gaussian_kernel,
    apply_blur,
    blur,
    isotropic_gaussian_kernel,
    sample_mixed_kernel,
    sample_sinc_kernel,
    shifted_gaussian_kernel,
)
from srkit.degradations.noise import (
    apply_correlated_noise,
    apply_gaussian_noise,
    apply_poisson_noise,
    sample_correlated_noise,
    sample_gaussian_noise,
    sample_poisson_noise,
)
from srkit.functional.image import to_uint8
from srkit.functional.resize import imresize

__all__ = [
    "REAL_ESRGAN_FIRST",
    "REAL_ESRGAN_SECOND",
    "RESIZE_MODES",
    "BSRGANBlur",
    "BSRGANDownsample",
    "Compose",
    "Degradation",
    "Degrade",
    "Maybe",
    "OneOf",
    "RealESRGANOrder",
    "Resize",
    "ResizeParams",
    "SampleContext",
    "Shuffle",
    "Step",
    "apply_resize",
    "bicubic",
    "blur_downsample",
    "bsrgan",
    "degrade_batch",
    "lr_size",
    "noisy",
    "quantize",
    "real_esrgan",
    "resize",
]

P = TypeVar("P")
Size = tuple[int, int]
RESIZE_MODES = ("area", "bilinear", "bicubic", "nearest", "matlab_bicubic", "matlab_bilinear", "matlab_nearest")
_TORCH_MODES = ("area", "bilinear", "bicubic")  # Real-ESRGAN's choices; BSRGAN's cv2 linear/cubic/area alike


def lr_size(hr_size: Size, scale: float) -> Size:
    """``floor(HR / scale)`` per side (at least 1): exactly ``HR / scale`` when the HR size is a multiple."""
    return (max(1, math.floor(hr_size[0] / scale + 1e-9)), max(1, math.floor(hr_size[1] / scale + 1e-9)))


@dataclass(frozen=True)
class SampleContext:
    """What a step may know when it samples: the overall ``scale``, the pipeline's input size ``hr_size`` and the
    ``size`` of the image that reaches this step."""

    scale: float
    hr_size: Size
    size: Size

    @property
    def lr_size(self) -> Size:
        """The pipeline's output size, :func:`lr_size` of ``hr_size``."""
        return lr_size(self.hr_size, self.scale)


@runtime_checkable
class Degradation(Protocol[P]):
    """One step of a pipeline: parameters are drawn by ``sample`` (from ``generator`` only), applied by ``apply``
    (deterministically, on ``(B, C, H, W)`` or ``(C, H, W)`` in [0, 1]); ``output_size`` maps the input size to
    the output size for those parameters."""

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> P: ...

    def apply(self, x: torch.Tensor, params: P) -> torch.Tensor: ...

    def output_size(self, params: P, size: Size) -> Size: ...


def _steps(steps: Sequence[Degradation[Any]], name: str) -> tuple[Degradation[Any], ...]:
    items = tuple(steps)
    for i, step in enumerate(items):
        if not isinstance(step, Degradation):
            raise SrkitError(f"{name} step {i} ({type(step).__name__}) lacks sample/apply/output_size")
    if not items:
        raise SrkitError(f"{name} needs at least one step")
    return items


# --- generic steps --------------------------------------------------------------------------------------------------


def _constant(value: P, generator: torch.Generator) -> P:
    return value


@dataclass(frozen=True)
class Step(Generic[P]):
    """A size-keeping step from a ``sampler(generator) -> params`` and an ``applier(x, params) -> x``, e.g.
    ``Step(partial(sample_jpeg, quality_range=(30, 95)), apply_jpeg)``; use :func:`functools.partial` of module
    functions (not lambdas) to keep pipelines picklable."""

    sampler: Callable[[torch.Generator], P]
    applier: Callable[[torch.Tensor, P], torch.Tensor]

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> P:
        return self.sampler(generator)

    def apply(self, x: torch.Tensor, params: P) -> torch.Tensor:
        return self.applier(x, params)

    def output_size(self, params: P, size: Size) -> Size:
        return size


def quantize(x: torch.Tensor, params: object = None) -> torch.Tensor:
    """Clamp to [0, 1] and round to the 1/255 grid (half up), as saving a uint8 image does."""
    return torch.floor(x.clamp(0.0, 1.0) * 255.0 + 0.5) / 255.0


def _quantize_step() -> Step[None]:
    return Step(partial(_constant, None), quantize)


# --- resizing -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResizeParams:
    """A sampled resize: output ``size`` (H, W), ``mode`` (one of :data:`RESIZE_MODES`) and ``uint8`` (compute as
    on a uint8 image: MATLAB modes round after each pass, the others at the end)."""

    size: Size
    mode: str
    uint8: bool = False

    def __post_init__(self) -> None:
        if len(self.size) != 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in self.size):
            raise SrkitError(f"resize size must be two integers >= 1, got {self.size!r}")
        if self.mode not in RESIZE_MODES:
            raise SrkitError(f"unknown resize mode {self.mode!r}; choose one of {', '.join(RESIZE_MODES)}")


def resize(x: torch.Tensor, size: Size, mode: str, *, uint8: bool = False) -> torch.Tensor:
    """Resize to ``size`` with ``torch.nn.functional.interpolate`` (``area``, ``bilinear``, ``bicubic``,
    ``nearest``; no antialiasing, ``align_corners=False``, as Real-ESRGAN) or srkit's MATLAB ``imresize``
    (``matlab_*``, antialiased when shrinking). Not clamped.

    Shape:
        ``(B, C, H, W)`` or ``(C, H, W)`` -> the same with ``size``.

    Example:
        >>> resize(torch.rand(1, 3, 8, 8), (4, 4), "matlab_bicubic").shape
        torch.Size([1, 3, 4, 4])
    """
    if len(size) != 2:
        raise SrkitError(f"resize size must be two integers (H, W), got {size!r}")
    params = ResizeParams((size[0], size[1]), mode, uint8)
    x4, single = _as_batch(x)
    if mode.startswith("matlab_"):
        kernel = mode.removeprefix("matlab_")
        src = to_uint8(x4) if uint8 else x4
        out = imresize(src, size=params.size, kernel=kernel)
        out = out.to(x4.dtype) / 255.0 if uint8 else out
    else:
        corners = {"align_corners": False} if mode in ("bilinear", "bicubic") else {}
        out = F.interpolate(x4, size=params.size, mode=mode, **corners)
        out = quantize(out) if uint8 else out
    return out[0] if single else out


def apply_resize(x: torch.Tensor, params: ResizeParams) -> torch.Tensor:
    """:func:`resize` with the sampled parameters, clamped to [0, 1]."""
    return resize(x, params.size, params.mode, uint8=params.uint8).clamp(0.0, 1.0)


@dataclass(frozen=True)
class Resize:
    """Random resize relative to a reference size (Real-ESRGAN's "random resize", Sec. 3.1).

    With probabilities ``probs = (up, down, keep)`` the factor is uniform in ``up_range``, in ``down_range``, or
    1; the output is ``floor(reference * factor)`` where the reference is the step's input (``"input"``), the
    HR image (``"hr"``) or the LR target (``"lr"``; with ``keep`` this is exactly ``HR / scale``). The mode is
    drawn from ``modes`` with ``mode_probs`` (uniform by default).
    """

    target: Literal["input", "hr", "lr"] = "input"
    probs: tuple[float, float, float] = (0.0, 0.0, 1.0)
    up_range: tuple[float, float] = (1.0, 1.0)
    down_range: tuple[float, float] = (1.0, 1.0)
    modes: tuple[str, ...] = ("bicubic",)
    mode_probs: tuple[float, ...] | None = None
    uint8: bool = False

    def __post_init__(self) -> None:
        if self.target not in ("input", "hr", "lr"):
            raise SrkitError(f"resize target must be 'input', 'hr' or 'lr', got {self.target!r}")
        _check_probs("resize probs (up, down, keep)", self.probs, 3)
        _check_range("up_range", self.up_range, 1.0)
        _check_range("down_range", self.down_range, 1e-6, 1.0)
        for mode in self.modes or ("",):
            ResizeParams((1, 1), mode)
        if self.mode_probs is not None:
            _check_probs("mode_probs", self.mode_probs, len(self.modes))

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> ResizeParams:
        kind = _choice(generator, self.probs)
        factor = _uniform(generator, *(self.up_range if kind == 0 else self.down_range)) if kind < 2 else 1.0
        mode_probs = self.mode_probs or (1.0 / len(self.modes),) * len(self.modes)
        mode = self.modes[_choice(generator, mode_probs)]
        ref = {"input": ctx.size, "hr": ctx.hr_size, "lr": ctx.lr_size}[self.target]
        size = (max(1, math.floor(ref[0] * factor + 1e-9)), max(1, math.floor(ref[1] * factor + 1e-9)))
        return ResizeParams(size, mode, self.uint8)

    def apply(self, x: torch.Tensor, params: ResizeParams) -> torch.Tensor:
        return apply_resize(x, params)

    def output_size(self, params: ResizeParams, size: Size) -> Size:
        return params.size


# --- combinators ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compose:
    """Steps applied in order; ``sample`` threads the image size through them.

    Example:
        >>> pipe = Compose([Resize(target="lr", modes=("matlab_bicubic",))])
        >>> degrade_batch(torch.rand(1, 3, 8, 8), pipe, torch.Generator().manual_seed(0), 2).shape
        torch.Size([1, 3, 4, 4])
    """

    steps: Sequence[Degradation[Any]]

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _steps(self.steps, "Compose"))

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> tuple[Any, ...]:
        params, size = [], ctx.size
        for step in self.steps:
            p = step.sample(generator, replace(ctx, size=size))
            params.append(p)
            size = step.output_size(p, size)
        return tuple(params)

    def apply(self, x: torch.Tensor, params: tuple[Any, ...]) -> torch.Tensor:
        for step, p in zip(self.steps, params, strict=True):
            x = step.apply(x, p)
        return x

    def output_size(self, params: tuple[Any, ...], size: Size) -> Size:
        for step, p in zip(self.steps, params, strict=True):
            size = step.output_size(p, size)
        return size


@dataclass(frozen=True)
class Maybe:
    """``step`` with probability ``p`` (only when the overall scale is in ``scales``, if given), else nothing.
    Params: ``None`` (skipped) or the step's params."""

    step: Degradation[Any]
    p: float
    scales: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        _steps([self.step], "Maybe")
        _check_prob("Maybe.p", self.p)

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> Any:
        draw = _uniform(generator, 0.0, 1.0)
        if draw >= self.p or (self.scales is not None and ctx.scale not in self.scales):
            return None
        return self.step.sample(generator, ctx)

    def apply(self, x: torch.Tensor, params: Any) -> torch.Tensor:
        return x if params is None else self.step.apply(x, params)

    def output_size(self, params: Any, size: Size) -> Size:
        return size if params is None else self.step.output_size(params, size)


@dataclass(frozen=True)
class OneOf:
    """One of ``steps``, drawn with ``probs`` (uniform by default). Params: ``(index, step params)``."""

    steps: Sequence[Degradation[Any]]
    probs: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _steps(self.steps, "OneOf"))
        if self.probs is not None:
            _check_probs("OneOf.probs", self.probs, len(self.steps))

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> tuple[int, Any]:
        i = _choice(generator, self.probs or (1.0 / len(self.steps),) * len(self.steps))
        return i, self.steps[i].sample(generator, ctx)

    def apply(self, x: torch.Tensor, params: tuple[int, Any]) -> torch.Tensor:
        return self.steps[params[0]].apply(x, params[1])

    def output_size(self, params: tuple[int, Any], size: Size) -> Size:
        return self.steps[params[0]].output_size(params[1], size)


@dataclass(frozen=True)
class Shuffle:
    """``steps`` in a random order (BSRGAN's degradation shuffle); the steps listed in ``keep_order`` (indices)
    keep that relative order. Params: ``(order, params of each step in that order)``."""

    steps: Sequence[Degradation[Any]]
    keep_order: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", _steps(self.steps, "Shuffle"))
        if len(set(self.keep_order)) != len(self.keep_order) or not all(
            0 <= i < len(self.steps) for i in self.keep_order
        ):
            raise SrkitError(f"keep_order must list distinct step indices, got {self.keep_order!r}")

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> tuple[tuple[int, ...], tuple[Any, ...]]:
        order = torch.randperm(len(self.steps), generator=generator, device=generator.device).tolist()
        slots = sorted(k for k, i in enumerate(order) if i in self.keep_order)
        for slot, i in zip(slots, self.keep_order, strict=True):
            order[slot] = i
        inner = Compose([self.steps[i] for i in order]).sample(generator, ctx)
        return tuple(order), inner

    def apply(self, x: torch.Tensor, params: tuple[tuple[int, ...], tuple[Any, ...]]) -> torch.Tensor:
        return Compose([self.steps[i] for i in params[0]]).apply(x, params[1])

    def output_size(self, params: tuple[tuple[int, ...], tuple[Any, ...]], size: Size) -> Size:
        return Compose([self.steps[i] for i in params[0]]).output_size(params[1], size)


# --- BSRGAN's own steps ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BSRGANBlur:
    """BSRGAN's blur (Zhang et al., ICCV 2021, Sec. 3.1, and its ``add_blur``), at overall scale ``s``: with
    ``iso_prob`` an isotropic Gaussian with sigma uniform in ``[0.1, 2 + 0.2 s]``, else an anisotropic one with
    both variances uniform in ``[0.1, 4 + s]`` and angle uniform in ``[0, pi]``; odd size uniform in 7..25.
    (The paper's text: sizes 7..21, widths [0.1, 2.4] and axis lengths [0.5, 6] at x4.)"""

    iso_prob: float = 0.5
    sizes: tuple[int, ...] = tuple(range(7, 26, 2))

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> BlurParams:
        size = self.sizes[_randint(generator, 0, len(self.sizes) - 1)]
        if _uniform(generator, 0.0, 1.0) < self.iso_prob:
            return BlurParams(isotropic_gaussian_kernel(size, _uniform(generator, 0.1, 2.0 + 0.2 * ctx.scale)))
        v1, v2 = (_uniform(generator, 0.1, 4.0 + ctx.scale) for _ in range(2))
        theta = _uniform(generator, 0.0, math.pi)
        return BlurParams(anisotropic_gaussian_kernel(size, math.sqrt(v1), math.sqrt(v2), theta))

    def apply(self, x: torch.Tensor, params: BlurParams) -> torch.Tensor:
        return apply_blur(x, params)

    def output_size(self, params: BlurParams, size: Size) -> Size:
        return size


@dataclass(frozen=True, eq=False)
class _Decimate:
    kernel: torch.Tensor
    step: int


@dataclass(frozen=True)
class BSRGANDownsample:
    """BSRGAN's first random downsampling ("downsample2"), with ``sf`` the factor still to go (input / LR size):
    with ``resize_prob`` a resize by ``1 / uniform(1, 2 sf)`` in a random mode, else a Gaussian blur (25x25, sigma
    uniform in ``[0.1, 0.6 sf]``, shifted to the cell centres) followed by keeping every ``sf``-th pixel."""

    resize_prob: float = 0.75
    modes: tuple[str, ...] = _TORCH_MODES

    def sample(self, generator: torch.Generator, ctx: SampleContext) -> ResizeParams | _Decimate:
        sf = max(1.0, ctx.size[0] / ctx.lr_size[0])
        if _uniform(generator, 0.0, 1.0) < self.resize_prob:
            f = 1.0 / _uniform(generator, 1.0, 2.0 * sf)
            mode = self.modes[_randint(generator, 0, len(self.modes) - 1)]
            return ResizeParams((max(1, math.floor(ctx.size[0] * f)), max(1, math.floor(ctx.size[1] * f))), mode)
        step = max(1, round(sf))
        sigma = _uniform(generator, 0.1, 0.6 * step)
        return _Decimate(shifted_gaussian_kernel(25, sigma, (step - 1) / 2), step)

    def apply(self, x: torch.Tensor, params: ResizeParams | _Decimate) -> torch.Tensor:
        if isinstance(params, ResizeParams):
            return apply_resize(x, params)
        return blur(x, params.kernel).clamp(0.0, 1.0)[..., :: params.step, :: params.step]

    def output_size(self, params: ResizeParams | _Decimate, size: Size) -> Size:
        if isinstance(params, ResizeParams):
            return params.size
        return (-(-size[0] // params.step), -(-size[1] // params.step))


# --- the pipelines --------------------------------------------------------------------------------------------------


def bicubic(*, quantize: bool = True) -> Compose:
    """BI: MATLAB ``imresize(HR, 1/scale, 'bicubic')``; with ``quantize`` computed as on uint8 (rounded after each
    pass), which gives the benchmark LR images of ``degrade(.., "BI")`` for HR images on the 1/255 grid.

    Example:
        >>> degrade_batch(torch.rand(2, 3, 12, 12), bicubic(), torch.Generator(), 3).shape
        torch.Size([2, 3, 4, 4])
    """
    return Compose([Resize(target="lr", modes=("matlab_bicubic",), uint8=quantize)])


def blur_downsample(*, size: int = 7, sigma: float = 1.6, quantize: bool = True) -> Compose:
    """BD: Gaussian blur (``size`` x ``size``, ``sigma``, replicate border; rounded to 1/255 with ``quantize``),
    then keep the centre pixel of every ``scale x scale`` cell (MATLAB ``imresize(.., 'nearest')``).

    Example:
        >>> degrade_batch(torch.rand(1, 3, 12, 12), blur_downsample(), torch.Generator(), 3).shape
        torch.Size([1, 3, 4, 4])
    """
    kernel = BlurParams(isotropic_gaussian_kernel(size, sigma, dtype=torch.float64), padding="replicate")
    steps: list[Degradation[Any]] = [Step(partial(_constant, kernel), apply_blur)]
    steps += [_quantize_step()] if quantize else []
    return Compose([*steps, Resize(target="lr", modes=("matlab_nearest",))])


def noisy(*, sigma: float = 30.0, quantize: bool = True) -> Compose:
    """DN: BI, then colour Gaussian noise of standard deviation ``sigma`` (0-255 scale), rounded to 1/255.

    Example:
        >>> degrade_batch(torch.rand(1, 3, 8, 8), noisy(), torch.Generator().manual_seed(0), 2).shape
        torch.Size([1, 3, 4, 4])
    """
    noise = Step(partial(sample_gaussian_noise, sigma_range=(sigma, sigma), gray_prob=0.0), apply_gaussian_noise)
    return Compose([*bicubic(quantize=quantize).steps, noise, *([_quantize_step()] if quantize else [])])


@dataclass(frozen=True)
class RealESRGANOrder:
    """The ranges of one order of Real-ESRGAN's degradation (its ``train_realesrgan_x4plus.yml`` names):
    blur probability, kernel sigma range and sinc probability; resize probabilities (up, down, keep) and range;
    probability of Gaussian (else Poisson) noise, its sigma range (0-255), Poisson scale range, gray-noise
    probability; JPEG quality range."""

    blur_prob: float
    blur_sigma: tuple[float, float]
    sinc_prob: float
    resize_probs: tuple[float, float, float]
    resize_range: tuple[float, float]
    gaussian_noise_prob: float
    noise_range: tuple[float, float]
    poisson_scale_range: tuple[float, float]
    gray_noise_prob: float
    jpeg_range: tuple[int, int]


REAL_ESRGAN_FIRST = RealESRGANOrder(
    1.0, (0.2, 3.0), 0.1, (0.2, 0.7, 0.1), (0.15, 1.5), 0.5, (1.0, 30.0), (0.05, 3.0), 0.4, (30, 95)
)
REAL_ESRGAN_SECOND = RealESRGANOrder(
    0.8, (0.2, 1.5), 0.1, (0.3, 0.4, 0.3), (0.3, 1.2), 0.5, (1.0, 25.0), (0.05, 2.5), 0.4, (30, 95)
)


def _jpeg_step(quality_range: tuple[int, int]) -> Step[Any]:
    return Step(partial(sample_jpeg, quality_range=quality_range), apply_jpeg)


def _order(o: RealESRGANOrder, target: Literal["hr", "lr"]) -> list[Degradation[Any]]:
    blur_step = Step(partial(sample_mixed_kernel, sigma_range=o.blur_sigma, sinc_prob=o.sinc_prob), apply_blur)
    low, high = _check_range("resize_range", o.resize_range, 1e-6)
    noise = OneOf(
        [
            Step(
                partial(sample_gaussian_noise, sigma_range=o.noise_range, gray_prob=o.gray_noise_prob),
                apply_gaussian_noise,
            ),
            Step(
                partial(sample_poisson_noise, scale_range=o.poisson_scale_range, gray_prob=o.gray_noise_prob),
                apply_poisson_noise,
            ),
        ],
        probs=(o.gaussian_noise_prob, 1.0 - o.gaussian_noise_prob),
    )
    resize_step = Resize(
        target=target, probs=o.resize_probs, up_range=(1.0, max(1.0, high)), down_range=(low, 1.0), modes=_TORCH_MODES
    )
    return [Maybe(blur_step, o.blur_prob), resize_step, noise, _jpeg_step(o.jpeg_range)]


def real_esrgan(
    *,
    first: RealESRGANOrder = REAL_ESRGAN_FIRST,
    second: RealESRGANOrder = REAL_ESRGAN_SECOND,
    final_sinc_prob: float = 0.8,
) -> Compose:
    """Real-ESRGAN's high-order degradation (Wang et al., "Real-ESRGAN: Training Real-World Blind Super-Resolution
    with Pure Synthetic Data", ICCVW 2021, Sec. 3 and its x4plus training options), as a composition:

    1. first order: blur (:func:`sample_mixed_kernel`: iso/aniso/generalized/plateau, sigma in [0.2, 3], sinc
       with 0.1), random resize relative to HR (up 0.2 in [1, 1.5], down 0.7 in [0.15, 1], keep 0.1; area,
       bilinear or bicubic), Gaussian (0.5; sigma in [1, 30]) or Poisson (scale in [0.05, 3]) noise, gray with
       0.4, JPEG quality in [30, 95];
    2. second order: blur with 0.8 (sigma in [0.2, 1.5]), resize relative to ``HR / scale`` (0.3/0.4/0.3 in
       [0.3, 1.2]), noise (sigma in [1, 25], Poisson scale in [0.05, 2.5]), JPEG in [30, 95];
    3. final, in random order: {resize to exactly ``HR / scale`` (random mode) then a sinc filter with
       ``final_sinc_prob`` (cut-off in [pi/3, pi])} and {JPEG in [30, 95]}; then rounding to 1/255.

    Differences: every step clamps to [0, 1]; JPEG is libjpeg with an integer quality (Real-ESRGAN: DiffJPEG).

    Example:
        >>> degrade_batch(torch.rand(1, 3, 16, 16), real_esrgan(), torch.Generator().manual_seed(0), 4).shape
        torch.Size([1, 3, 4, 4])
    """
    sinc = Maybe(Step(sample_sinc_kernel, apply_blur), _check_prob("final_sinc_prob", final_sinc_prob))
    back = Compose([Resize(target="lr", modes=_TORCH_MODES), sinc])
    final = Shuffle([back, _jpeg_step(second.jpeg_range)])
    return Compose([*_order(first, "hr"), *_order(second, "lr"), final, _quantize_step()])


def bsrgan(
    *,
    halve_prob: float = 0.25,
    jpeg_prob: float = 0.9,
    noise_range: tuple[float, float] = (2.0, 25.0),
    jpeg_range: tuple[int, int] = (30, 95),
) -> Compose:
    """BSRGAN's shuffled degradation (Zhang et al., "Designing a Practical Degradation Model for Deep Blind Image
    Super-Resolution", ICCV 2021, Sec. 3 and its ``degradation_bsrgan``), as a composition:

    1. at x4 only, with ``halve_prob``: halve the image (bilinear, bicubic or area, or MATLAB bicubic half of the
       time);
    2. in random order (the two downsamplings keep theirs): :class:`BSRGANBlur` twice, :class:`BSRGANDownsample`,
       a resize to exactly ``HR / scale`` (random mode), Gaussian noise with sigma in ``noise_range``
       (0-255; colour 0.4, gray 0.4, channel-correlated 0.2), JPEG with ``jpeg_prob``;
    3. a final JPEG (quality in ``jpeg_range``).

    The camera-ISP noise of the paper needs a learned ISP model and is left out. Needs RGB images.

    Example:
        >>> degrade_batch(torch.rand(1, 3, 16, 16), bsrgan(), torch.Generator().manual_seed(0), 4).shape
        torch.Size([1, 3, 4, 4])
    """
    lo, hi = _check_range("noise_range", noise_range, 0.0)
    modes, sixth = (*_TORCH_MODES, "matlab_bicubic"), 1.0 / 6.0
    halve = Resize(probs=(0.0, 1.0, 0.0), down_range=(0.5, 0.5), modes=modes, mode_probs=(sixth, sixth, sixth, 0.5))
    noise = OneOf(
        [
            Step(partial(sample_gaussian_noise, sigma_range=(lo, hi), gray_prob=0.0), apply_gaussian_noise),
            Step(partial(sample_gaussian_noise, sigma_range=(lo, hi), gray_prob=1.0), apply_gaussian_noise),
            Step(partial(sample_correlated_noise, sigma=hi), apply_correlated_noise),
        ],
        probs=(0.4, 0.4, 0.2),
    )
    shuffled = Shuffle(
        [
            BSRGANBlur(),
            BSRGANBlur(),
            BSRGANDownsample(),
            Resize(target="lr", modes=_TORCH_MODES),
            noise,
            Maybe(_jpeg_step(jpeg_range), _check_prob("jpeg_prob", jpeg_prob)),
        ],
        keep_order=(2, 3),
    )
    return Compose([Maybe(halve, _check_prob("halve_prob", halve_prob), scales=(4,)), shuffled, _jpeg_step(jpeg_range)])


# --- running a pipeline ---------------------------------------------------------------------------------------------


@torch.no_grad()
def degrade_batch(
    hr: torch.Tensor, pipeline: Degradation[Any], generator: torch.Generator, scale: float
) -> torch.Tensor:
    """Make LR images: for each HR image in turn, sample the pipeline's parameters from ``generator``, then apply.

    The same generator state gives byte-identical output (on the same device and torch build). The LR size is
    :func:`lr_size`, exactly ``HR / scale`` when the HR size is a multiple of an integer scale.

    Args:
        hr: HR images, float in [0, 1].
        pipeline: any :class:`Degradation`, e.g. :func:`real_esrgan()`.
        generator: the only source of randomness (CPU generator recommended: noise is drawn on the CPU).
        scale: overall downscaling factor (> 0).

    Returns:
        The LR images, same dtype and device, no gradient.

    Shape:
        ``(B, C, H, W)`` -> ``(B, C, H // scale, W // scale)``; ``(C, H, W)`` -> ``(C, H // scale, W // scale)``.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> degrade_batch(torch.rand(2, 3, 24, 24), bsrgan(), g, 4).shape
        torch.Size([2, 3, 6, 6])
    """
    x4, single = _as_batch(hr, "hr")
    s = check_positive_scale(scale)
    if not isinstance(pipeline, Degradation):
        raise SrkitError(f"pipeline must have sample/apply/output_size, got {type(pipeline).__name__}")
    hr_size = (int(x4.shape[2]), int(x4.shape[3]))
    ctx = SampleContext(scale=s, hr_size=hr_size, size=hr_size)
    outs = []
    for image in x4:
        lr = pipeline.apply(image[None], pipeline.sample(generator, ctx))
        if tuple(lr.shape[2:]) != ctx.lr_size:
            raise SrkitError(f"the pipeline made a {tuple(lr.shape[2:])} image, not {ctx.lr_size} (HR / scale)")
        outs.append(lr)
    out = torch.cat(outs)
    return out[0] if single else out


class Degrade(torch.nn.Module):
    """Module form of :func:`degrade_batch` for a fixed pipeline and scale; ``forward(hr, generator)``.

    Example:
        >>> Degrade(pipeline=bicubic(), scale=2)(torch.rand(1, 3, 8, 8), torch.Generator()).shape
        torch.Size([1, 3, 4, 4])
    """

    def __init__(self, *, pipeline: Degradation[Any], scale: float) -> None:
        super().__init__()
        self.pipeline, self.scale = pipeline, check_positive_scale(scale)

    def forward(self, hr: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return degrade_batch(hr, self.pipeline, generator, self.scale)
