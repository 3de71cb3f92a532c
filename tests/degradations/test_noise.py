"""Gaussian, Poisson and channel-correlated noise (srkit.degradations.noise)."""

from __future__ import annotations

import pytest
import torch

from srkit import SrkitError
from srkit.degradations.noise import (
    CorrelatedNoiseParams,
    GaussianNoiseParams,
    PoissonNoiseParams,
    add_correlated_noise,
    add_gaussian_noise,
    add_poisson_noise,
    apply_correlated_noise,
    apply_gaussian_noise,
    apply_poisson_noise,
    sample_correlated_noise,
    sample_gaussian_noise,
    sample_poisson_noise,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def _g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _flat(value: float, shape: tuple[int, ...] = (2, 3, 64, 64), dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.full(shape, value, dtype=dtype)


# --- Gaussian -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [5.0, 25.0])
def test_gaussian_noise_std_is_sigma_on_the_255_scale(sigma: float) -> None:
    noise = add_gaussian_noise(_flat(0.5), sigma, generator=_g(0)) - 0.5
    for c in range(3):
        assert float(noise[:, c].std()) * 255 == pytest.approx(sigma, rel=0.03)
        assert abs(float(noise[:, c].mean())) * 255 < sigma * 0.03
    assert not torch.equal(noise[:, 0], noise[:, 1])  # independent per channel


def test_gray_noise_is_the_same_on_every_channel() -> None:
    noise = add_gaussian_noise(_flat(0.5), 10.0, gray=True, generator=_g(0)) - 0.5
    assert torch.equal(noise[:, 0], noise[:, 1]) and torch.equal(noise[:, 0], noise[:, 2])
    assert float(noise.std()) * 255 == pytest.approx(10.0, rel=0.05)


def test_gaussian_noise_is_clamped_and_keeps_shape_dtype() -> None:
    x = torch.rand(3, 16, 16)
    y = add_gaussian_noise(x, 80.0, generator=_g(1))
    assert y.shape == x.shape and y.dtype == torch.float32
    assert float(y.min()) == 0.0 and float(y.max()) == 1.0
    assert torch.equal(add_gaussian_noise(x, 0.0, generator=_g(1)), x)


def test_apply_is_deterministic_and_the_seed_matters() -> None:
    x = _flat(0.5, (1, 3, 8, 8))
    p = GaussianNoiseParams(sigma=10.0, gray=False, seed=7)
    assert torch.equal(apply_gaussian_noise(x, p), apply_gaussian_noise(x, p))
    assert not torch.equal(apply_gaussian_noise(x, p), apply_gaussian_noise(x, GaussianNoiseParams(10.0, False, 8)))


def test_sampling_uses_only_the_given_generator() -> None:
    torch.manual_seed(0)
    a = sample_gaussian_noise(_g(3))
    torch.manual_seed(123)
    b = sample_gaussian_noise(_g(3))
    assert a == b
    assert sample_gaussian_noise(_g(4)) != a
    params = [sample_gaussian_noise(_g(s), sigma_range=(1.0, 30.0), gray_prob=0.4) for s in range(200)]
    assert all(1.0 <= p.sigma <= 30.0 for p in params)
    assert 0.3 < sum(p.gray for p in params) / len(params) < 0.5
    assert len({p.seed for p in params}) == len(params)


# --- Poisson --------------------------------------------------------------------------------------------------------


def test_poisson_variance_scales_with_the_image() -> None:
    """Two grey levels: Real-ESRGAN's photon count per unit is 2 ** ceil(log2(2)) = 2, so the variance of the noise
    is scale^2 * level / 2: three times larger on 0.6 than on 0.2."""
    x = torch.cat([_flat(0.2, (1, 3, 128, 64)), _flat(0.6, (1, 3, 128, 64))], dim=3)
    x = torch.floor(x * 255 + 0.5) / 255  # on the 1/255 grid, as Real-ESRGAN rounds before drawing
    scale = 0.1
    noise = add_poisson_noise(x, scale, generator=_g(0)) - x
    dark, bright = noise[..., :64], noise[..., 64:]
    level_dark, level_bright = float(x[0, 0, 0, 0]), float(x[0, 0, 0, -1])
    assert float(dark.var()) == pytest.approx(scale**2 * level_dark / 2, rel=0.05)
    assert float(bright.var()) == pytest.approx(scale**2 * level_bright / 2, rel=0.05)
    assert float(bright.var() / dark.var()) == pytest.approx(3.0, rel=0.07)
    assert abs(float(noise.mean())) < 0.002


def test_poisson_gray_noise_is_shared_and_colour_noise_is_not() -> None:
    x = _flat(0.5, (1, 3, 32, 32))
    gray = add_poisson_noise(x, 0.2, gray=True, generator=_g(0)) - x
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    colour = add_poisson_noise(x, 0.2, gray=False, generator=_g(0)) - x
    assert not torch.equal(colour[:, 0], colour[:, 1])
    single = add_poisson_noise(_flat(0.5, (1, 32, 32)), 0.2, gray=True, generator=_g(0))
    assert single.shape == (1, 32, 32)


def test_poisson_apply_and_sample() -> None:
    x = torch.rand(2, 3, 16, 16, generator=_g(9))
    p = sample_poisson_noise(_g(1), scale_range=(0.05, 2.5), gray_prob=0.0)
    assert 0.05 <= p.scale <= 2.5 and not p.gray
    y = apply_poisson_noise(x, p)
    assert torch.equal(y, apply_poisson_noise(x, p)) and not torch.equal(y, x)
    assert float(y.min()) >= 0 and float(y.max()) <= 1
    assert sample_poisson_noise(_g(1)) == sample_poisson_noise(_g(1))


# --- channel-correlated ---------------------------------------------------------------------------------------------


def test_correlated_noise_has_the_sampled_covariance() -> None:
    p = sample_correlated_noise(_g(2), sigma=20.0)
    a = torch.tensor(p.matrix, dtype=torch.float64)
    cov = a @ a.T
    assert float(torch.linalg.eigvalsh(cov).min()) >= -1e-9
    assert float(cov.trace()) <= 3 * 20.0**2
    noise = (apply_correlated_noise(_flat(0.5, (1, 3, 128, 128)), p) - 0.5) * 255
    flat = noise.reshape(3, -1)
    torch.testing.assert_close(torch.cov(flat), cov, atol=0.06 * float(cov.diagonal().max()), rtol=0)
    assert torch.equal(
        apply_correlated_noise(_flat(0.5, (3, 8, 8)), p), apply_correlated_noise(_flat(0.5, (3, 8, 8)), p)
    )


def test_correlated_noise_with_an_identity_matrix_is_white() -> None:
    noise = (add_correlated_noise(_flat(0.5), 10 * torch.eye(3), generator=_g(0)) - 0.5) * 255
    assert float(noise.std()) == pytest.approx(10.0, rel=0.03)


# --- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: add_gaussian_noise(_flat(0.5), -1.0, generator=_g(0)), "sigma"),
        (lambda: add_gaussian_noise(torch.rand(8, 8), 1.0, generator=_g(0)), r"\(C, H, W\)"),
        (lambda: add_gaussian_noise(torch.zeros(3, 8, 8, dtype=torch.uint8), 1.0, generator=_g(0)), "float"),
        (lambda: add_poisson_noise(_flat(0.5, (2, 8, 8)), 1.0, gray=True, generator=_g(0)), "1 or 3"),
        (lambda: add_poisson_noise(_flat(0.5), float("nan"), generator=_g(0)), "scale"),
        (lambda: add_correlated_noise(_flat(0.5, (1, 8, 8)), torch.eye(3), generator=_g(0)), "3 channels"),
        (lambda: add_correlated_noise(_flat(0.5), torch.eye(2), generator=_g(0)), r"\(3, 3\)"),
        (lambda: sample_gaussian_noise(_g(0), sigma_range=(30.0, 1.0)), "sigma_range"),
        (lambda: sample_gaussian_noise(_g(0), sigma_range=(-1.0, 1.0)), "sigma_range"),
        (lambda: sample_gaussian_noise(_g(0), gray_prob=1.5), "gray_prob"),
        (lambda: sample_poisson_noise(_g(0), scale_range=(1.0, 0.5)), "scale_range"),
        (lambda: GaussianNoiseParams(sigma=1.0, gray=False, seed=-1), "seed"),
        (lambda: PoissonNoiseParams(scale=-0.1, gray=False, seed=0), "scale"),
        (lambda: CorrelatedNoiseParams(matrix=((1.0, 0.0), (0.0, 1.0)), seed=0), "3x3"),  # type: ignore[arg-type]
    ],
)
def test_noise_errors(call: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        call()  # type: ignore[operator]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_noise_on_cuda_equals_cpu() -> None:
    x = torch.rand(2, 3, 16, 16)
    gauss, poisson = GaussianNoiseParams(12.0, False, 3), PoissonNoiseParams(0.5, True, 3)
    torch.testing.assert_close(apply_gaussian_noise(x.cuda(), gauss).cpu(), apply_gaussian_noise(x, gauss))
    torch.testing.assert_close(apply_poisson_noise(x.cuda(), poisson).cpu(), apply_poisson_noise(x, poisson))
