"""Adversarial losses: values at known logits, signs and minima, RaGAN's symmetry, label smoothing, the gradient
penalty, backpropagation through srkit's discriminators, errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.archs import build_discriminator
from srkit.losses import GAN_KINDS, GANLoss, gan_loss, gradient_penalty

LOG2 = math.log(2.0)
TINY_DISCRIMINATORS = {
    "srgan_discriminator": ({"n_feats": 4, "input_size": 16}, 16),
    "vgg_discriminator_128": ({"n_feats": 4, "input_size": 16}, 16),
    "unet_discriminator": ({"n_feats": 4}, 16),
}


def d_loss(kind: str, real: torch.Tensor, fake: torch.Tensor, **kw: float) -> float:
    return gan_loss(kind, real, fake, target="discriminator", **kw).item()  # type: ignore[arg-type]


def g_loss(kind: str, real: torch.Tensor | None, fake: torch.Tensor) -> float:
    return gan_loss(kind, real, fake, target="generator").item()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "d_value", "g_value"),
    [
        ("vanilla", 2 * LOG2, LOG2),
        ("lsgan", 1.0, 1.0),
        ("hinge", 2.0, 0.0),
        ("wgan", 0.0, 0.0),
        ("ragan", LOG2, LOG2),
    ],
)
def test_values_at_zero_logits(kind: str, d_value: float, g_value: float) -> None:
    zeros = torch.zeros(4, 1)
    assert d_loss(kind, zeros, zeros) == pytest.approx(d_value, abs=1e-6)
    assert g_loss(kind, zeros, zeros) == pytest.approx(g_value, abs=1e-6)


def test_hinge_minimum_and_margins() -> None:
    real, fake = torch.tensor([[1.5], [3.0]]), torch.tensor([[-1.2], [-4.0]])
    assert d_loss("hinge", real, fake) == 0.0  # real > 1 and fake < -1: nothing to learn
    assert d_loss("hinge", torch.tensor([[0.5]]), torch.tensor([[-2.0]])) == pytest.approx(0.5)  # inside the margin
    assert d_loss("hinge", torch.tensor([[2.0]]), torch.tensor([[0.0]])) == pytest.approx(1.0)
    assert g_loss("hinge", None, torch.tensor([[3.0], [1.0]])) == pytest.approx(-2.0)


def test_minima_of_vanilla_lsgan_and_wgan() -> None:
    confident_real, confident_fake = torch.full((3, 1), 30.0), torch.full((3, 1), -30.0)
    assert d_loss("vanilla", confident_real, confident_fake) == pytest.approx(0.0, abs=1e-6)
    assert g_loss("vanilla", None, confident_real) == pytest.approx(0.0, abs=1e-6)
    assert d_loss("lsgan", torch.ones(3, 1), torch.zeros(3, 1)) == 0.0
    assert g_loss("lsgan", None, torch.ones(3, 1)) == 0.0
    real, fake = torch.tensor([[1.0], [3.0]]), torch.tensor([[-1.0], [0.0], [2.0]])  # batch sizes may differ
    assert d_loss("wgan", real, fake) == pytest.approx(1 / 3 - 2.0)
    assert g_loss("wgan", None, fake) == pytest.approx(-1 / 3)
    generator_losses = [g_loss("vanilla", None, torch.full((1, 1), v)) for v in (-2.0, 0.0, 2.0)]
    assert generator_losses == sorted(generator_losses, reverse=True)  # fooling the discriminator lowers it


def test_ragan_is_relativistic_and_symmetric() -> None:
    gen = torch.Generator().manual_seed(0)
    real, fake = torch.randn(4, 1, generator=gen), torch.randn(4, 1, generator=gen)
    # The generator's loss is the discriminator's with real and fake swapped.
    assert g_loss("ragan", real, fake) == pytest.approx(d_loss("ragan", fake, real), rel=1e-6)
    # Only differences matter: shifting every logit changes nothing.
    assert d_loss("ragan", real + 5, fake + 5) == pytest.approx(d_loss("ragan", real, fake), rel=1e-5)
    r, f = 3.0, -1.0  # one logit each: hand-computed
    expected = 0.5 * (math.log1p(math.exp(-(r - f))) + math.log1p(math.exp(f - r)))
    assert d_loss("ragan", torch.tensor([[r]]), torch.tensor([[f]])) == pytest.approx(expected, rel=1e-5)


def test_label_smoothing() -> None:
    target = math.log(0.9 / 0.1)  # the logit of 0.9
    real = torch.full((2, 1), target, requires_grad=True)
    fake = torch.full((2, 1), -30.0)
    gan_loss("vanilla", real, fake, target="discriminator", real_label=0.9).backward()
    assert real.grad is not None and real.grad.abs().max() < 1e-6  # the smoothed optimum
    sure = torch.full((2, 1), 30.0)
    assert d_loss("vanilla", sure, fake, real_label=0.9) > 1.0  # over-confidence now costs
    assert d_loss("lsgan", torch.full((2, 1), 0.9), torch.full((2, 1), 0.1), real_label=0.9, fake_label=0.1) == 0.0
    assert d_loss("ragan", sure, fake, real_label=0.9) > d_loss("ragan", sure, fake)
    assert g_loss("vanilla", None, sure) == pytest.approx(0.0, abs=1e-6)  # the generator still aims at 1


def test_errors() -> None:
    x = torch.zeros(2, 1)
    with pytest.raises(SrkitError, match="unknown GAN loss kind 'wasserstein'; choose one of vanilla"):
        gan_loss("wasserstein", x, x, target="generator")  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="target must be 'generator' or 'discriminator'"):
        gan_loss("vanilla", x, x, target="both")  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="discriminator loss needs real_logits"):
        gan_loss("hinge", None, x, target="discriminator")
    with pytest.raises(SrkitError, match="ragan generator loss needs real_logits"):
        gan_loss("ragan", None, x, target="generator")
    with pytest.raises(SrkitError, match="must match except in batch size"):
        gan_loss("vanilla", torch.zeros(2, 1, 4, 4), x, target="discriminator")
    with pytest.raises(SrkitError, match="label smoothing applies to vanilla, lsgan, ragan"):
        GANLoss(kind="hinge", real_label=0.9)
    with pytest.raises(SrkitError, match="0 <= fake_label < real_label <= 1"):
        GANLoss(kind="vanilla", real_label=0.4, fake_label=0.5)
    with pytest.raises(SrkitError, match="floating-point"):
        gan_loss("vanilla", None, torch.zeros(2, 1, dtype=torch.long), target="generator")


@pytest.mark.parametrize("kind", GAN_KINDS)
def test_module_equals_function(kind: str) -> None:
    gen = torch.Generator().manual_seed(1)
    real, fake = torch.randn(3, 1, 4, 4, generator=gen), torch.randn(3, 1, 4, 4, generator=gen)
    module = GANLoss(kind=kind)  # type: ignore[arg-type]
    expected_d = gan_loss(kind, real, fake, target="discriminator")  # type: ignore[arg-type]
    expected_g = gan_loss(kind, real, fake, target="generator")  # type: ignore[arg-type]
    torch.testing.assert_close(module.discriminator_loss(real, fake), expected_d)
    torch.testing.assert_close(module.generator_loss(fake, real), expected_g)
    torch.testing.assert_close(module(real, fake, target="discriminator"), expected_d)
    torch.testing.assert_close(module(real, fake, target="generator"), expected_g)


@pytest.mark.parametrize("name", TINY_DISCRIMINATORS)
def test_every_loss_backpropagates_through_srkit_discriminators(name: str) -> None:
    overrides, size = TINY_DISCRIMINATORS[name]
    torch.manual_seed(0)  # the initial weights only
    disc = build_discriminator(name, **overrides)
    generator = nn.Conv2d(3, 3, 3, padding=1)  # a stand-in SR network
    gen = torch.Generator().manual_seed(0)
    real, noise = torch.rand(2, 3, size, size, generator=gen), torch.rand(2, 3, size, size, generator=gen)
    for kind in GAN_KINDS:
        loss = GANLoss(kind=kind)  # type: ignore[arg-type]
        disc.requires_grad_(True)
        disc.zero_grad(set_to_none=True)
        generator.zero_grad(set_to_none=True)
        fake = generator(noise)

        d_value = loss.discriminator_loss(disc(real), disc(fake.detach()))  # discriminator step
        d_value.backward()
        grads = [p.grad for p in disc.parameters()]
        assert torch.isfinite(d_value), kind
        assert all(g is not None and torch.isfinite(g).all() for g in grads), kind
        assert sum(g.abs().sum() for g in grads if g is not None) > 0, kind
        assert generator.weight.grad is None, kind

        disc.zero_grad(set_to_none=True)
        disc.requires_grad_(False)  # generator step
        g_value = loss.generator_loss(disc(fake), disc(real) if kind == "ragan" else None)
        g_value.backward()
        assert all(p.grad is None for p in disc.parameters()), kind
        grad = generator.weight.grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, kind


def test_gradient_penalty_of_a_linear_critic_is_exact() -> None:
    w = torch.tensor([3.0, 0.0, 4.0, 0.0])  # ||w|| = 5: penalty (5 - 1)^2 = 16 wherever it is evaluated
    linear = nn.Linear(4, 1, bias=False)
    critic = nn.Sequential(nn.Flatten(), linear)
    with torch.no_grad():
        linear.weight.copy_(w[None])
    real, fake = torch.rand(3, 1, 2, 2), torch.rand(3, 1, 2, 2)
    gp = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx(16.0)
    gp.backward()  # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    torch.testing.assert_close(linear.weight.grad, (2 * 4 * w / 5)[None])


def test_gradient_penalty_trains_the_unet_discriminator_and_is_seeded() -> None:
    torch.manual_seed(0)
    disc = build_discriminator("unet_discriminator", n_feats=4)
    real, fake = torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16)
    disc.eval()  # no spectral-norm power iteration: two calls see the same weights
    a = gradient_penalty(disc, real, fake, generator=torch.Generator().manual_seed(3))
    b = gradient_penalty(disc, real, fake, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
    (gan_loss("wgan", disc(real), disc(fake), target="discriminator") + 10 * a).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in disc.parameters())
    with pytest.raises(SrkitError, match=r"generator must be a torch\.Generator"):
        gradient_penalty(disc, real, fake, generator=0)  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="same shape"):
        gradient_penalty(disc, real, fake[:1], generator=torch.Generator())
