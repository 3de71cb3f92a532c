"""Degradation pipelines (srkit.degradations.pipeline): composition, determinism, sizes, the classic protocols."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch

from srkit import SrkitError
from srkit.degradations import degrade
from srkit.degradations.jpeg import apply_jpeg, sample_jpeg
from srkit.degradations.kernels import BlurParams, apply_blur, isotropic_gaussian_kernel
from srkit.degradations.pipeline import (
    BSRGANDownsample,
    Compose,
    Degrade,
    Maybe,
    OneOf,
    Resize,
    ResizeParams,
    SampleContext,
    Shuffle,
    Step,
    apply_resize,
    bicubic,
    blur_downsample,
    bsrgan,
    degrade_batch,
    lr_size,
    noisy,
    quantize,
    real_esrgan,
    resize,
)
from srkit.functional.resize import imresize

PIPELINES: dict[str, Callable[[], Compose]] = {
    "bicubic": bicubic,
    "blur_downsample": blur_downsample,
    "noisy": noisy,
    "real_esrgan": real_esrgan,
    "bsrgan": bsrgan,
}
RANDOM = ("noisy", "real_esrgan", "bsrgan")


pytestmark = pytest.mark.usefixtures("one_thread")


def _g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _hr(batch: int = 2, size: tuple[int, int] = (24, 36), seed: int = 0) -> torch.Tensor:
    """Smooth-ish RGB images on the 1/255 grid (sizes divisible by 2, 3 and 4)."""
    g = _g(seed)
    low = torch.rand(batch, 3, size[0] // 4, size[1] // 4, generator=g)
    x = torch.nn.functional.interpolate(low, size=size, mode="bilinear", align_corners=False)
    return torch.floor(x * 255 + 0.5) / 255


def _ctx(size: tuple[int, int] = (24, 36), scale: float = 4) -> SampleContext:
    return SampleContext(scale=scale, hr_size=size, size=size)


# --- every pipeline -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(PIPELINES))
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_pipelines_are_deterministic_with_exact_lr_size(name: str, scale: int) -> None:
    hr = _hr()
    pipe = PIPELINES[name]()
    a = degrade_batch(hr, pipe, _g(1), scale)
    b = degrade_batch(hr, pipe, _g(1), scale)
    assert a.shape == (2, 3, 24 // scale, 36 // scale) and a.dtype == hr.dtype
    assert torch.equal(a, b)
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    torch.testing.assert_close(a * 255, torch.round(a * 255), atol=1e-4, rtol=0)  # every pipeline ends on uint8
    if name in RANDOM:
        assert not torch.equal(a, degrade_batch(hr, pipe, _g(2), scale))


@pytest.mark.parametrize("name", RANDOM)
def test_each_image_of_a_batch_gets_its_own_degradation(name: str) -> None:
    hr = _hr(batch=1).expand(3, -1, -1, -1)
    lr = degrade_batch(hr, PIPELINES[name](), _g(0), 2)
    assert not torch.equal(lr[0], lr[1]) and not torch.equal(lr[1], lr[2])


def test_sampling_uses_only_the_given_generator_and_pipelines_pickle() -> None:
    hr, pipe = _hr(batch=1), real_esrgan()
    torch.manual_seed(0)
    a = degrade_batch(hr, pipe, _g(4), 4)
    torch.manual_seed(99)
    copy = pickle.loads(pickle.dumps(pipe))
    assert torch.equal(degrade_batch(hr, copy, _g(4), 4), a)


def test_single_images_float64_and_module_form() -> None:
    hr = _hr(batch=1)[0].double()
    lr = degrade_batch(hr, bsrgan(), _g(3), 3)
    assert lr.shape == (3, 8, 12) and lr.dtype == torch.float64
    module = Degrade(pipeline=noisy(), scale=2)
    assert torch.equal(module(hr, _g(5)), degrade_batch(hr, noisy(), _g(5), 2))


def test_real_world_pipelines_on_images_smaller_than_their_kernels() -> None:
    hr = _hr(batch=4, size=(8, 12))
    assert degrade_batch(hr, real_esrgan(), _g(0), 4).shape == (4, 3, 2, 3)
    assert degrade_batch(hr, bsrgan(), _g(0), 4).shape == (4, 3, 2, 3)


# --- the benchmark protocols ----------------------------------------------------------------------------------------


def _uint8(x: torch.Tensor) -> np.ndarray:
    return np.floor(x.double().numpy().transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_is_the_benchmark_bi(scale: int) -> None:
    hr = torch.rand(1, 3, 24, 36, generator=_g(scale))
    hr = torch.floor(hr * 255 + 0.5) / 255
    lr = degrade_batch(hr, bicubic(), _g(0), scale)[0]
    np.testing.assert_array_equal(_uint8(lr), degrade(_uint8(hr[0]), scale, "BI"))
    float_lr = degrade_batch(hr, bicubic(quantize=False), _g(0), scale)
    torch.testing.assert_close(float_lr, imresize(hr, 1 / scale).clamp(0, 1))


@pytest.mark.parametrize("scale", [2, 3])
def test_blur_downsample_is_the_benchmark_bd(scale: int) -> None:
    hr = torch.floor(torch.rand(1, 3, 24, 36, generator=_g(7)) * 255 + 0.5) / 255
    lr = _uint8(degrade_batch(hr, blur_downsample(), _g(0), scale)[0]).astype(np.int16)
    ref = degrade(_uint8(hr[0]), scale, "BD").astype(np.int16)
    assert np.abs(lr - ref).max() <= 1 and np.mean(lr == ref) > 0.995  # float32 vs float64 rounding ties


def test_noisy_adds_sigma_30_to_the_bicubic_image() -> None:
    hr = torch.full((2, 3, 64, 64), 0.5)
    noise = degrade_batch(hr, noisy(), _g(0), 2) - degrade_batch(hr, bicubic(), _g(0), 2)
    assert float(noise.std()) * 255 == pytest.approx(30.0, rel=0.04)
    assert float(degrade_batch(hr, noisy(sigma=5.0), _g(0), 2).sub(0.5).std()) * 255 == pytest.approx(5, rel=0.1)


# --- steps and combinators ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["area", "bilinear", "bicubic", "nearest", "matlab_bicubic", "matlab_nearest"])
def test_resize_modes(mode: str) -> None:
    x = torch.rand(2, 3, 12, 16)
    assert resize(x, (5, 7), mode).shape == (2, 3, 5, 7)
    assert resize(x[0], (24, 32), mode).shape == (3, 24, 32)
    out = apply_resize(x, ResizeParams((6, 8), mode, uint8=True))
    torch.testing.assert_close(out * 255, torch.round(out * 255), atol=1e-4, rtol=0)


def test_resize_step_targets_and_probabilities() -> None:
    ctx = SampleContext(scale=4, hr_size=(40, 80), size=(20, 30))
    assert Resize(target="lr").sample(_g(0), ctx).size == (10, 20)
    assert Resize(target="hr").sample(_g(0), ctx).size == (40, 80)
    assert Resize(target="input").sample(_g(0), ctx).size == (20, 30)
    down = Resize(probs=(0.0, 1.0, 0.0), down_range=(0.5, 0.5), modes=("area", "bilinear"))
    samples = [down.sample(_g(s), ctx) for s in range(40)]
    assert {p.size for p in samples} == {(10, 15)} and {p.mode for p in samples} == {"area", "bilinear"}
    up = Resize(probs=(1.0, 0.0, 0.0), up_range=(1.0, 1.5))
    assert all(20 <= up.sample(_g(s), ctx).size[0] <= 30 for s in range(20))


def test_maybe_oneof_and_compose() -> None:
    x, ctx = _hr(batch=1), _ctx()
    blur_step = Step(partial(lambda_free_constant, BlurParams(isotropic_gaussian_kernel(5, 1.0))), apply_blur)
    assert Maybe(blur_step, 0.0).sample(_g(0), ctx) is None
    assert Maybe(blur_step, 1.0).sample(_g(0), ctx) is not None
    assert Maybe(blur_step, 1.0, scales=(4,)).sample(_g(0), _ctx(scale=2)) is None
    assert torch.equal(Maybe(blur_step, 0.0).apply(x, None), x)
    choice = OneOf([blur_step, Step(partial(sample_jpeg, quality_range=(10, 10)), apply_jpeg)], probs=(0.0, 1.0))
    index, params = choice.sample(_g(0), ctx)
    assert index == 1 and params.quality == 10
    pipe = Compose([Resize(target="lr"), blur_step])
    params_c = pipe.sample(_g(0), ctx)
    assert pipe.output_size(params_c, (24, 36)) == (6, 9)
    assert torch.equal(pipe.apply(x, params_c), apply_blur(resize(x, (6, 9), "bicubic").clamp(0, 1), params_c[1]))


def lambda_free_constant(value: Any, generator: torch.Generator) -> Any:
    return value


def test_shuffle_keeps_the_listed_order_and_varies_the_rest() -> None:
    steps = [Step(partial(lambda_free_constant, i), _identity) for i in range(5)]
    shuffle = Shuffle(steps, keep_order=(3, 1))
    orders = {shuffle.sample(_g(s), _ctx())[0] for s in range(60)}
    assert len(orders) > 10
    for order in orders:
        assert sorted(order) == list(range(5)) and order.index(3) < order.index(1)


def _identity(x: torch.Tensor, params: object) -> torch.Tensor:
    return x


def test_bsrgan_downsample_branches() -> None:
    ctx = SampleContext(scale=3, hr_size=(24, 36), size=(24, 36))
    decimate = BSRGANDownsample(resize_prob=0.0)
    x = _hr(batch=1)
    for seed in range(3):
        p = decimate.sample(_g(seed), ctx)
        assert decimate.output_size(p, (24, 36)) == (8, 12) and decimate.apply(x, p).shape == (1, 3, 8, 12)
    shrink = BSRGANDownsample(resize_prob=1.0)
    for seed in range(10):
        size = shrink.sample(_g(seed), ctx).size  # type: ignore[union-attr]
        assert 4 <= size[0] <= 24


def test_quantize_and_lr_size() -> None:
    x = torch.tensor([-0.1, 0.0, 0.5 / 255, 0.3, 1.2])
    torch.testing.assert_close(quantize(x), torch.tensor([0.0, 0.0, 1 / 255, 77 / 255, 1.0]))
    assert lr_size((24, 36), 3) == (8, 12) and lr_size((25, 37), 4) == (6, 9) and lr_size((3, 3), 4) == (1, 1)


# --- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: degrade_batch(torch.rand(3, 8), bicubic(), _g(0), 2), r"\(C, H, W\)"),
        (lambda: degrade_batch(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), bicubic(), _g(0), 2), "float"),
        (lambda: degrade_batch(torch.rand(1, 3, 8, 8), bicubic(), _g(0), 0), "scale"),
        (lambda: degrade_batch(torch.rand(1, 3, 8, 8), "bicubic", _g(0), 2), "sample/apply"),  # type: ignore[arg-type]
        (lambda: degrade_batch(torch.rand(1, 3, 8, 8), Compose([Resize()]), _g(0), 2), "HR / scale"),
        (lambda: Compose([bicubic(), 3]), "step 1"),  # type: ignore[list-item]
        (lambda: Compose([]), "at least one"),
        (lambda: Maybe(Resize(), 1.5), "probability"),
        (lambda: OneOf([Resize(), Resize()], probs=(0.5, 0.4)), "probabilities"),
        (lambda: Shuffle([Resize()], keep_order=(0, 0)), "distinct"),
        (lambda: Resize(probs=(0.5, 0.5)), "probabilities"),  # type: ignore[arg-type]
        (lambda: Resize(down_range=(0.5, 1.5)), "down_range"),
        (lambda: Resize(up_range=(0.5, 1.0)), "up_range"),
        (lambda: Resize(modes=("lanczos",)), "unknown resize mode"),
        (lambda: Resize(target="sr"), "target"),  # type: ignore[arg-type]
        (lambda: ResizeParams((0, 4), "area"), "size"),
        (lambda: resize(torch.rand(1, 3, 8, 8), (4,), "area"), "size"),  # type: ignore[arg-type]
        (lambda: bsrgan(noise_range=(25.0, 2.0)), "noise_range"),
        (lambda: real_esrgan(final_sinc_prob=2.0), "final_sinc_prob"),
    ],
)
def test_pipeline_errors(call: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        call()  # type: ignore[operator]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", list(PIPELINES))
def test_pipelines_on_cuda(name: str) -> None:
    hr = _hr().cuda()
    a = degrade_batch(hr, PIPELINES[name](), _g(1), 4)
    assert a.is_cuda and a.shape == (2, 3, 6, 9)
    assert torch.equal(a, degrade_batch(hr, PIPELINES[name](), _g(1), 4))
