"""Cycle-consistency, total-variation and frequency losses: hand-computed values, reductions, gradients,
module == function, errors."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.losses import (
    CycleLoss,
    FrequencyLoss,
    TVLoss,
    cycle_loss,
    frequency_loss,
    l1_loss,
    mse_loss,
    total_variation,
)


def noise(seed: int = 0, shape: tuple[int, ...] = (2, 3, 8, 8)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed))


def blur(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(F.pad(x, [1, 1, 1, 1], mode="replicate"), 3, stride=1)


# Cycle consistency


def test_cycle_loss_values_criteria_and_gradients() -> None:
    x = noise(0)
    rec = noise(1).requires_grad_(True)
    torch.testing.assert_close(cycle_loss(x, rec), l1_loss(rec, x))
    torch.testing.assert_close(cycle_loss(x, rec, criterion="l2", reduction="sum"), mse_loss(rec, x, reduction="sum"))
    assert cycle_loss(x, x.clone()).item() == 0.0
    assert cycle_loss(x, x.clone(), criterion="charbonnier").item() == pytest.approx(1e-3)
    cycle_loss(x, rec).backward()
    assert rec.grad is not None and torch.isfinite(rec.grad).all()
    torch.testing.assert_close(CycleLoss(criterion="l2")(x, rec), cycle_loss(x, rec, criterion="l2"))
    assert cycle_loss(x, rec, reduction="none").shape == x.shape


def test_cycle_loss_errors() -> None:
    with pytest.raises(SrkitError, match="same shape"):
        cycle_loss(noise(0), noise(1, (2, 3, 8, 4)))
    with pytest.raises(SrkitError, match="unknown criterion 'huber'"):
        CycleLoss(criterion="huber")
    with pytest.raises(SrkitError, match="unknown reduction"):
        cycle_loss(noise(0), noise(1), reduction="max")  # type: ignore[arg-type]


# Total variation


@pytest.mark.parametrize("kind", ["anisotropic", "isotropic"])
def test_tv_of_a_step_image_is_its_edge_length_times_height(kind: str) -> None:
    step = torch.zeros(1, 1, 4, 4)
    step[..., 2:] = 0.5  # a vertical edge 4 pixels long, 0.5 high
    assert total_variation(step, kind=kind, reduction="sum").item() == pytest.approx(2.0)  # type: ignore[arg-type]
    assert total_variation(step.transpose(2, 3), kind=kind, reduction="sum").item() == pytest.approx(2.0)  # type: ignore[arg-type]
    assert total_variation(step, kind=kind).item() == pytest.approx(2.0 / 16)  # type: ignore[arg-type]


def test_tv_kinds_differ_on_a_corner() -> None:
    corner = torch.tensor([[[[0.0, 1.0], [1.0, 1.0]]]])  # dx = dy = 1 at the top-left pixel only
    assert total_variation(corner, kind="anisotropic", reduction="sum").item() == pytest.approx(2.0)
    assert total_variation(corner, kind="isotropic", reduction="sum").item() == pytest.approx(math.sqrt(2.0))


@pytest.mark.parametrize("kind", ["anisotropic", "isotropic"])
def test_tv_reductions_flat_images_and_gradients(kind: str) -> None:
    x = noise(0)
    per_image = total_variation(x, kind=kind, reduction="none")  # type: ignore[arg-type]
    assert per_image.shape == (2,)
    torch.testing.assert_close(total_variation(x, kind=kind, reduction="sum"), per_image.sum())  # type: ignore[arg-type]
    torch.testing.assert_close(total_variation(x, kind=kind), per_image.sum() / x.numel())  # type: ignore[arg-type]
    assert total_variation(blur(x), kind=kind) < 0.6 * total_variation(x, kind=kind)  # type: ignore[arg-type]
    flat = torch.full((1, 3, 5, 5), 0.3, requires_grad=True)
    value = total_variation(flat, kind=kind)  # type: ignore[arg-type]
    value.backward()
    assert value.item() == 0.0
    assert flat.grad is not None and torch.isfinite(flat.grad).all() and flat.grad.abs().max() == 0
    y = x.clone().requires_grad_(True)
    total_variation(y, kind=kind).backward()  # type: ignore[arg-type]
    assert y.grad is not None and torch.isfinite(y.grad).all() and y.grad.abs().sum() > 0
    module = TVLoss(kind=kind, reduction="none")  # type: ignore[arg-type]
    torch.testing.assert_close(module(x), per_image)


def test_tv_errors() -> None:
    with pytest.raises(SrkitError, match=r"must have shape \(B, C, H, W\)"):
        total_variation(torch.zeros(3, 4, 4))
    with pytest.raises(SrkitError, match="unknown kind 'l2'"):
        total_variation(noise(), kind="l2")  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="unknown kind"):
        TVLoss(kind="x")  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="eps must be > 0"):
        total_variation(noise(), kind="isotropic", eps=0.0)


# Frequency


def test_frequency_amplitude_of_constant_images() -> None:
    a, b = torch.full((1, 1, 4, 4), 0.2), torch.full((1, 1, 4, 4), 0.7)
    # Orthonormal FFT: only the DC term, sum / sqrt(16) = 4 * value; the mean runs over 16 frequencies.
    assert frequency_loss(a, b).item() == pytest.approx(4 * 0.5 / 16)
    spectrum = frequency_loss(a, b, reduction="none")
    assert spectrum.shape == (1, 1, 4, 4) and spectrum[0, 0, 0, 0].item() == pytest.approx(2.0)
    assert frequency_loss(a, b, reduction="sum").item() == pytest.approx(2.0)


def test_frequency_amplitude_is_phase_blind_focal_is_not() -> None:
    x = noise(0)
    shifted = torch.roll(x, shifts=(3, 2), dims=(2, 3))  # a circular shift only changes phases
    assert frequency_loss(shifted, x).item() == pytest.approx(0.0, abs=1e-5)
    assert frequency_loss(shifted, x, kind="focal").item() > 0.01
    assert frequency_loss(blur(x), x).item() > 0.01


def test_focal_without_weighting_is_the_pixel_mse() -> None:
    x, y = noise(0), noise(1)  # Parseval: the orthonormal FFT keeps squared distances
    torch.testing.assert_close(frequency_loss(x, y, kind="focal", alpha=0.0), mse_loss(x, y))
    weighted = frequency_loss(x, y, kind="focal", alpha=1.0)
    assert 0 < weighted.item() < mse_loss(x, y).item()  # weights are <= 1, the largest error's is 1
    assert frequency_loss(x, x.clone(), kind="focal").item() == 0.0


@pytest.mark.parametrize("kind", ["amplitude", "focal"])
def test_frequency_gradients_module_and_dtypes(kind: str) -> None:
    target = noise(1)
    for pred in (noise(0), torch.full((2, 3, 8, 8), 0.5)):  # a flat image has zero-magnitude frequencies
        p = pred.clone().requires_grad_(True)
        frequency_loss(p, target, kind=kind).backward()  # type: ignore[arg-type]
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    x, y = noise(0), noise(1)
    module = FrequencyLoss(kind=kind, alpha=2.0)  # type: ignore[arg-type]
    torch.testing.assert_close(module(x, y), frequency_loss(x, y, kind=kind, alpha=2.0))  # type: ignore[arg-type]
    half = frequency_loss(x.bfloat16(), y.bfloat16(), kind=kind)  # type: ignore[arg-type]
    assert half.dtype == torch.float32 and torch.isfinite(half)


def test_frequency_errors() -> None:
    with pytest.raises(SrkitError, match="unknown kind 'phase'"):
        frequency_loss(noise(0), noise(1), kind="phase")  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="alpha must be >= 0"):
        FrequencyLoss(kind="focal", alpha=-1.0)
    with pytest.raises(SrkitError, match="same shape"):
        frequency_loss(noise(0), noise(1, (2, 3, 8, 6)))
    with pytest.raises(SrkitError, match=r"must have shape \(B, C, H, W\)"):
        frequency_loss(torch.zeros(8, 8), torch.zeros(8, 8))
