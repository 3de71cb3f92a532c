"""Pixel losses (L1, MSE, Charbonnier): hand-computed values, weights, reductions, gradients, module == function,
errors."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.losses import (
    CharbonnierLoss,
    L1Loss,
    MSELoss,
    charbonnier_loss,
    get_criterion,
    l1_loss,
    mse_loss,
)

ZERO = torch.zeros(1, 1, 2, 2)
KNOWN = torch.tensor([[[[1.0, -2.0], [3.0, 4.0]]]])
FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {"l1": l1_loss, "mse": mse_loss, "charbonnier": charbonnier_loss}
MODULES: dict[str, Callable[..., nn.Module]] = {"l1": L1Loss, "mse": MSELoss, "charbonnier": CharbonnierLoss}


def test_known_values() -> None:
    assert l1_loss(ZERO, KNOWN).item() == pytest.approx(2.5)
    assert mse_loss(ZERO, KNOWN).item() == pytest.approx(7.5)
    expected = sum(math.sqrt(v * v + 1e-6) for v in (1.0, 2.0, 3.0, 4.0)) / 4
    assert charbonnier_loss(ZERO, KNOWN).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("eps", [1e-3, 0.1])
def test_charbonnier_at_zero_is_eps(eps: float) -> None:
    x = torch.rand(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    assert charbonnier_loss(x, x.clone(), eps=eps).item() == pytest.approx(eps, rel=1e-5)
    assert charbonnier_loss(x, x.clone(), eps=eps, reduction="sum").item() == pytest.approx(eps * x.numel(), rel=1e-5)


def test_charbonnier_is_l1_far_from_zero() -> None:
    a, b = torch.zeros(1, 1, 1, 4), torch.full((1, 1, 1, 4), 5.0)
    assert charbonnier_loss(a, b).item() == pytest.approx(l1_loss(a, b).item(), abs=1e-6)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_reductions(name: str) -> None:
    fn = FUNCTIONS[name]
    gen = torch.Generator().manual_seed(1)
    p, t = torch.rand(2, 3, 5, 4, generator=gen), torch.rand(2, 3, 5, 4, generator=gen)
    none = fn(p, t, reduction="none")
    assert none.shape == p.shape and (none >= 0).all()
    torch.testing.assert_close(fn(p, t, reduction="sum"), none.sum())
    torch.testing.assert_close(fn(p, t, reduction="mean"), none.mean())
    assert fn(p, t).ndim == 0


@pytest.mark.parametrize("name", FUNCTIONS)
def test_mask_weight_averages_over_the_masked_pixels(name: str) -> None:
    fn = FUNCTIONS[name]
    gen = torch.Generator().manual_seed(2)
    p, t = torch.rand(2, 3, 4, 4, generator=gen), torch.rand(2, 3, 4, 4, generator=gen)
    mask = torch.zeros(2, 1, 4, 4)
    mask[:, :, :2] = 1.0  # top half; broadcast over channels
    expected = fn(p[:, :, :2], t[:, :, :2])
    torch.testing.assert_close(fn(p, t, weight=mask), expected)
    torch.testing.assert_close(fn(p, t, weight=mask, reduction="none"), fn(p, t, reduction="none") * mask)
    torch.testing.assert_close(fn(p, t, weight=mask, reduction="sum"), (fn(p, t, reduction="none") * mask).sum())
    assert fn(p, t, weight=torch.zeros(1)).item() == 0.0


def test_constant_weight_scales_sum_but_not_mean() -> None:
    p, t = torch.zeros(1, 2, 3, 3), torch.ones(1, 2, 3, 3)
    assert l1_loss(p, t, weight=torch.tensor(3.0)).item() == pytest.approx(1.0)
    assert l1_loss(p, t, weight=torch.tensor(3.0), reduction="sum").item() == pytest.approx(54.0)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_gradients_are_finite_and_point_to_the_target(name: str) -> None:
    fn = FUNCTIONS[name]
    t = torch.tensor([[[[0.5, 0.5], [0.5, 0.5]]]])
    p = torch.tensor([[[[0.0, 1.0], [0.5, 0.5]]]], requires_grad=True)
    fn(p, t).backward()
    assert p.grad is not None and torch.isfinite(p.grad).all()
    assert p.grad[0, 0, 0, 0] < 0 < p.grad[0, 0, 0, 1]  # descending moves pred towards the target
    if name != "l1":  # smooth losses have zero gradient where pred == target
        assert p.grad[0, 0, 1].abs().max() == 0


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_module_equals_function(name: str, reduction: str) -> None:
    gen = torch.Generator().manual_seed(3)
    p, t, w = (torch.rand(2, 3, 4, 4, generator=gen) for _ in range(3))
    module = MODULES[name](reduction=reduction)
    torch.testing.assert_close(module(p, t), FUNCTIONS[name](p, t, reduction=reduction))
    torch.testing.assert_close(module(p, t, w), FUNCTIONS[name](p, t, weight=w, reduction=reduction))


def test_get_criterion() -> None:
    assert get_criterion("l1") is l1_loss
    assert get_criterion("l2") is mse_loss and get_criterion("mse") is mse_loss
    assert get_criterion("charbonnier") is charbonnier_loss
    with pytest.raises(SrkitError, match="unknown criterion 'l3'"):
        get_criterion("l3")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_errors(name: str) -> None:
    fn = FUNCTIONS[name]
    x = torch.zeros(1, 3, 4, 4)
    with pytest.raises(SrkitError, match="same shape"):
        fn(x, torch.zeros(1, 3, 4, 5))
    with pytest.raises(SrkitError, match="unknown reduction 'avg'"):
        fn(x, x, reduction="avg")
    with pytest.raises(SrkitError, match="floating-point"):
        fn(x, torch.zeros(1, 3, 4, 4, dtype=torch.uint8))
    with pytest.raises(SrkitError, match="must be a torch tensor"):
        fn(x, [0.0])
    with pytest.raises(SrkitError, match="empty"):
        fn(torch.zeros(0, 3), torch.zeros(0, 3))
    with pytest.raises(SrkitError, match="does not broadcast"):
        fn(x, x, weight=torch.ones(1, 2, 4, 4))
    with pytest.raises(SrkitError, match="does not broadcast"):
        fn(x, x, weight=torch.ones(2, 3, 4, 4))  # would enlarge the loss
    with pytest.raises(SrkitError, match="unknown reduction"):
        MODULES[name](reduction="batchmean")


def test_charbonnier_eps_must_be_positive() -> None:
    with pytest.raises(SrkitError, match="eps must be > 0"):
        charbonnier_loss(ZERO, ZERO, eps=0.0)
    with pytest.raises(SrkitError, match="eps must be > 0"):
        CharbonnierLoss(eps=-1.0)
