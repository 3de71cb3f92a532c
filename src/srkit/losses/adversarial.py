"""Adversarial losses (survey section 3.4.1): the generator's and the discriminator's losses from logits.

Discriminators (``srkit.archs.build_discriminator``: ``srgan_discriminator``, ``vgg_discriminator_128``,
``unet_discriminator``) return raw logits ``(B, 1)`` or ``(B, 1, H, W)``; every loss here takes logits, never
probabilities. With ``r`` the real (HR) logits, ``f`` the fake (SR) logits, ``E`` the mean over all elements,
``bce(x, y)`` the binary cross-entropy of logits ``x`` against label ``y``, and labels ``a`` (real, default 1)
and ``b`` (fake, default 0) for the discriminator:

=========== ====================================================== ==========================================
kind        discriminator loss                                     generator loss
=========== ====================================================== ==========================================
``vanilla`` ``E bce(r, a) + E bce(f, b)``                          ``E bce(f, 1)`` (non-saturating)
``lsgan``   ``E (r - a)^2 + E (f - b)^2``                          ``E (f - 1)^2``
``hinge``   ``E relu(1 - r) + E relu(1 + f)``                      ``-E f``
``wgan``    ``E f - E r`` (add :func:`gradient_penalty` for GP)    ``-E f``
``ragan``   ``(E bce(r - E f, a) + E bce(f - E r, b)) / 2``        ``(E bce(r - E f, 0) + E bce(f - E r, 1)) / 2``
=========== ====================================================== ==========================================

Papers: I. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (vanilla, used by SRGAN); X. Mao et
al., "Least Squares Generative Adversarial Networks", ICCV 2017; J. H. Lim, J. C. Ye, "Geometric GAN", 2017 and
T. Miyato et al., "Spectral Normalization for GANs", ICLR 2018 (hinge); M. Arjovsky, S. Chintala, L. Bottou,
"Wasserstein GAN", ICML 2017 and I. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017
(gradient penalty); A. Jolicoeur-Martineau, "The relativistic discriminator: a key element missing from standard
GAN", ICLR 2019, as ESRGAN uses it (relativistic average, RaGAN). The RaGAN losses are the mean of the two terms,
as in ESRGAN's code (its paper's equations are their sum, twice these values).

Label smoothing (``real_label < 1`` or ``fake_label > 0``, e.g. one-sided 0.9, T. Salimans et al., "Improved
Techniques for Training GANs", NeurIPS 2016) applies to the discriminator's targets of ``vanilla``, ``lsgan``
and ``ragan`` only; the generator always aims at 1. No logits are detached here: detach the fake images for the
discriminator step, and freeze the discriminator for the generator step, as the training recipe decides.
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.losses._common import check_tensor

__all__ = ["GAN_KINDS", "GANKind", "GANLoss", "gan_loss", "gradient_penalty"]

GANKind = Literal["vanilla", "lsgan", "hinge", "wgan", "ragan"]
GAN_KINDS: tuple[str, ...] = get_args(GANKind)
_SMOOTHABLE = ("vanilla", "lsgan", "ragan")


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def _check_args(kind: object, target: object, real_label: float, fake_label: float) -> None:
    if kind not in GAN_KINDS:
        raise SrkitError(f"unknown GAN loss kind {kind!r}; choose one of {', '.join(GAN_KINDS)}")
    if target not in ("generator", "discriminator"):
        raise SrkitError(f"gan_loss: target must be 'generator' or 'discriminator', got {target!r}")
    if (real_label, fake_label) != (1.0, 0.0) and kind not in _SMOOTHABLE:
        raise SrkitError(f"label smoothing applies to {', '.join(_SMOOTHABLE)} losses, not to {kind!r}")
    if not 0.0 <= fake_label < real_label <= 1.0:
        raise SrkitError(f"labels must satisfy 0 <= fake_label < real_label <= 1, got {fake_label}, {real_label}")


def gan_loss(
    kind: GANKind,
    real_logits: torch.Tensor | None,
    fake_logits: torch.Tensor,
    *,
    target: Literal["generator", "discriminator"],
    real_label: float = 1.0,
    fake_label: float = 0.0,
) -> torch.Tensor:
    """The generator's or the discriminator's adversarial loss of ``kind`` (see the module's table).

    Args:
        kind: ``"vanilla"``, ``"lsgan"``, ``"hinge"``, ``"wgan"`` or ``"ragan"``.
        real_logits: the discriminator's logits of real (HR) images; the generator losses of all kinds but
            ``ragan`` do not use them (None is allowed there).
        fake_logits: the discriminator's logits of fake (SR) images.
        target: ``"generator"`` or ``"discriminator"``: whose loss to return.
        real_label: the discriminator's target for real images (< 1: label smoothing).
        fake_label: the discriminator's target for fake images (> 0: label smoothing).

    Returns:
        A 0-d tensor (means over all logits).

    Shape:
        logits: ``(B, 1)`` or ``(B, 1, H, W)`` (any shape); ``real_logits`` and ``fake_logits`` may differ in
        batch size, but not in anything else.

    Example:
        >>> real, fake = torch.tensor([[2.0]]), torch.tensor([[-2.0]])
        >>> gan_loss("hinge", real, fake, target="discriminator")
        tensor(0.)
    """
    _check_args(kind, target, real_label, fake_label)
    f = check_tensor("gan_loss: fake_logits", fake_logits)
    needs_real = target == "discriminator" or kind == "ragan"
    if real_logits is None:
        if needs_real:
            raise SrkitError(f"gan_loss: the {kind} {target} loss needs real_logits, got None")
        r = f  # unused
    else:
        r = check_tensor("gan_loss: real_logits", real_logits)
        if r.shape[1:] != f.shape[1:]:
            raise SrkitError(
                f"gan_loss: real and fake logits must match except in batch size, got {tuple(r.shape)} and "
                f"{tuple(f.shape)}"
            )
    if target == "generator":
        if kind == "vanilla":
            return _bce(f, 1.0)
        if kind == "lsgan":
            return (f - 1.0).square().mean()
        if kind in ("hinge", "wgan"):
            return -f.mean()
        return 0.5 * (_bce(r - f.mean(), 0.0) + _bce(f - r.mean(), 1.0))
    if kind == "vanilla":
        return _bce(r, real_label) + _bce(f, fake_label)
    if kind == "lsgan":
        return (r - real_label).square().mean() + (f - fake_label).square().mean()
    if kind == "hinge":
        return F.relu(1.0 - r).mean() + F.relu(1.0 + f).mean()
    if kind == "wgan":
        return f.mean() - r.mean()
    return 0.5 * (_bce(r - f.mean(), real_label) + _bce(f - r.mean(), fake_label))


def gradient_penalty(
    discriminator: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    generator: torch.Generator,
) -> torch.Tensor:
    """WGAN-GP's penalty ``E (||grad_x D(x)||_2 - 1)^2`` at ``x = e real + (1 - e) fake``, ``e ~ U(0, 1)`` per sample.

    The graph is kept (``create_graph=True``) so the penalty trains the discriminator; add it, times a weight
    (10 in the paper), to the ``wgan`` discriminator loss. A discriminator with per-pixel logits is differentiated
    through the sum of its logits.

    Args:
        discriminator: image -> logits.
        real: real images.
        fake: fake images (detach them from the generator first).
        generator: the random generator that draws ``e`` (on the CPU or on ``real``'s device).

    Returns:
        A 0-d tensor.

    Shape:
        ``real``, ``fake``: ``(B, C, H, W)``, the same for both.

    Example:
        >>> d = nn.Sequential(nn.Conv2d(3, 1, 3), nn.Flatten(), nn.LazyLinear(1))
        >>> gp = gradient_penalty(d, torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8),
        ...                       generator=torch.Generator().manual_seed(0))
        >>> gp.ndim
        0
    """
    r = check_tensor("gradient_penalty: real", real, ndims=(4,), what="(B, C, H, W)")
    f = check_tensor("gradient_penalty: fake", fake, ndims=(4,), what="(B, C, H, W)")
    if r.shape != f.shape:
        raise SrkitError(
            f"gradient_penalty: real and fake must have the same shape, got {tuple(r.shape)}, {tuple(f.shape)}"
        )
    if not isinstance(generator, torch.Generator):
        raise SrkitError(f"gradient_penalty: generator must be a torch.Generator, got {type(generator).__name__}")
    eps = torch.rand(r.shape[0], 1, 1, 1, generator=generator, device=generator.device, dtype=r.dtype).to(r.device)
    mixed = (eps * r.detach() + (1 - eps) * f.detach()).requires_grad_(True)
    logits = discriminator(mixed)
    (grad,) = torch.autograd.grad(logits.sum(), mixed, create_graph=True)
    return (grad.flatten(1).norm(2, dim=1) - 1.0).square().mean()


class GANLoss(nn.Module):
    """The adversarial losses of one ``kind`` (:func:`gan_loss`), with the two sides as methods.

    Args:
        kind: ``"vanilla"``, ``"lsgan"``, ``"hinge"``, ``"wgan"`` or ``"ragan"``.
        real_label: the discriminator's target for real images (label smoothing below 1).
        fake_label: the discriminator's target for fake images.

    Example:
        >>> loss = GANLoss(kind="ragan")
        >>> real, fake = torch.zeros(4, 1), torch.zeros(4, 1)
        >>> round(loss.discriminator_loss(real, fake).item(), 4), round(loss.generator_loss(fake, real).item(), 4)
        (0.6931, 0.6931)
    """

    def __init__(self, *, kind: GANKind = "vanilla", real_label: float = 1.0, fake_label: float = 0.0) -> None:
        super().__init__()
        _check_args(kind, "generator", real_label, fake_label)
        self.kind: GANKind = kind
        self.real_label = float(real_label)
        self.fake_label = float(fake_label)

    def generator_loss(self, fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
        """The generator's loss (``real_logits`` needed for ``ragan`` only)."""
        return gan_loss(self.kind, real_logits, fake_logits, target="generator")

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """The discriminator's loss."""
        return gan_loss(
            self.kind,
            real_logits,
            fake_logits,
            target="discriminator",
            real_label=self.real_label,
            fake_label=self.fake_label,
        )

    def forward(
        self,
        real_logits: torch.Tensor | None,
        fake_logits: torch.Tensor,
        *,
        target: Literal["generator", "discriminator"],
    ) -> torch.Tensor:
        return gan_loss(
            self.kind, real_logits, fake_logits, target=target, real_label=self.real_label, fake_label=self.fake_label
        )
