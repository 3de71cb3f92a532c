"""Training recipes: what one step computes, nothing else.

A recipe declares the networks it trains (:class:`Player`: the SR network is ``"model"``, a GAN adds its
``"discriminator"``) and its ``training_step(batch, nets)`` yields ``(player name, losses)`` pairs, one for each
update, in the order the updates must happen. The loop (``srkit.engine.loop``) owns everything else, alike for every
player: it wraps each network for DDP and ``torch.compile`` (``nets`` holds the wrapped ones), runs the step under
the run's precision, and when a loss arrives does that player's backward pass (loss-scaled in fp16), gradient
clipping, optimiser and schedule step; a player updated in this step is frozen for the rest of the step. Its
checkpoint is one dict of every player's module, optimiser, schedule and gradient scaler.

Example (a two-player step, as :class:`GANRecipe` does it)::

    def training_step(self, batch, nets):
        sr = nets["model"](batch["lr"], batch["scale"])
        yield "discriminator", {"loss": d_loss(nets["discriminator"], batch["hr"], sr.detach())}
        # the discriminator is updated, then frozen: this loss trains the generator only
        yield "model", {"loss": g_loss(nets["discriminator"], batch["hr"], sr)}
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard, call_model, call_model_all, with_noise_map
from srkit._core.errors import SrkitError
from srkit.engine.distributed import gather
from srkit.losses import get_criterion

MODEL = "model"
"""The name of the SR network's player (its EMA, validation and final weights are the run's result)."""

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
Updates = Iterator[tuple[str, dict[str, torch.Tensor]]]


def adamw(lr: float = 2e-4, betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0) -> OptimizerFactory:
    """An AdamW factory (the engine's optimiser for the SR network)."""
    return functools.partial(torch.optim.AdamW, lr=lr, betas=betas, weight_decay=weight_decay)


class MethodRunner(nn.Module):
    """Runs ``model.<method>`` as ``forward``: a player's runner for a recipe that needs more than ``forward``
    (FSRNet's ``forward_priors``, VESPCN's ``forward_motion``), which the loop then wraps for DDP and compile."""

    def __init__(self, model: nn.Module, method: str) -> None:
        super().__init__()
        self.model, self.method = model, method

    def forward(self, *args: Any) -> Any:
        return getattr(self.model, self.method)(*args)


@dataclass(frozen=True)
class Player:
    """A network a recipe trains; the loop gives it its optimiser, schedule, gradient scaler and clipping.

    Attributes:
        name: its key in the checkpoint and in the ``nets`` a step receives (the SR network: :data:`MODEL`).
        module: the network whose parameters are trained and whose state is saved.
        optimizer: builds its optimiser from ``module``'s parameters.
        scheduled: the config's learning-rate schedule applies (False: a constant rate).
        runner: what the step calls, if not ``module`` itself (e.g. :class:`AllOutputs` of it); the loop wraps it
            for DDP and ``torch.compile``.
    """

    name: str
    module: nn.Module
    optimizer: OptimizerFactory
    scheduled: bool = True
    runner: nn.Module | None = None


class Recipe(Protocol):
    """What the loop needs of a recipe."""

    players: tuple[Player, ...]

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        """Yield ``(player name, losses)`` per update; ``losses["loss"]`` is what that player minimises."""
        ...


class AllOutputs(nn.Module):
    """A multi-supervised model whose ``forward(x, scale)`` returns every intermediate output (the card's
    ``forward_all``), so that DDP and ``torch.compile`` wrap it like any model (they only see ``forward``)."""

    def __init__(self, model: nn.Module, card: ModelCard) -> None:
        super().__init__()
        self.model, self.model_card = model, card

    def forward(self, x: torch.Tensor, scale: int) -> list[torch.Tensor]:
        return call_model_all(self.model, x, scale, card=self.model_card)


class SupervisedRecipe:
    """Pixel-loss training; with ``supervise="all"`` every intermediate output the card's ``forward_all``
    declares is supervised (multi-supervision: DRCN's recursions, SRFBN's steps, MemNet's memories at the HR
    size; LapSRN's pyramid levels against the HR downscaled to each level).

    Args:
        model: the SR network (its player is :data:`MODEL`).
        card: the model's card (how it is called).
        pixel: the pixel loss.
        supervise: ``last`` or ``all``.
        optimizer: the model's optimiser factory (default: :func:`adamw` with its defaults).
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        card: ModelCard,
        pixel: str = "l1",
        supervise: str = "last",
        optimizer: OptimizerFactory | None = None,
    ) -> None:
        if supervise == "all" and card.forward_all is None:
            raise SrkitError(f"{card.name} has no intermediate outputs (forward_all) to supervise")
        self.card, self.loss, self.supervise = card, get_criterion(pixel), supervise
        runner = AllOutputs(model, card) if supervise == "all" else None
        self.players: tuple[Player, ...] = (Player(MODEL, model, optimizer or adamw(), runner=runner),)

    def _forward(self, net: nn.Module, lr: torch.Tensor, scale: int) -> list[torch.Tensor]:
        if self.supervise == "all":
            return list(net(lr, scale))
        return [call_model(net, lr, scale, card=self.card)]

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        lr, hr, scale = batch["lr"], batch["hr"], int(batch["scale"])
        outputs = self._forward(nets[MODEL], lr, scale)
        losses = []
        for out in outputs:
            target = hr if out.shape[-2:] == hr.shape[-2:] else F.interpolate(hr, size=out.shape[-2:], mode="area")
            losses.append(self.loss(out.float(), target.float()))
        total = torch.stack(losses).mean()
        yield MODEL, {"loss": total, "pixel_last": losses[-1].detach()}


class NoiseMapRecipe(SupervisedRecipe):
    """Training a noise-conditioned super-resolver, as DPSR's prior (Zhang, Zuo, Zhang, "Deep Plug-and-Play
    Super-Resolution for Arbitrary Blur Kernels", CVPR 2019): each LR patch gets white Gaussian noise of a level
    ``sigma`` drawn uniformly from ``[sigma_min, sigma_max]`` (0-255 scale; DPSR: [0, 50]), and the model sees the
    noisy patch with its noise-level map (``sigma / 255`` everywhere: the card's ``noise_map``); the loss compares
    its output with the clean HR patch. The noise comes from torch's generator, which the checkpoint saves, so a
    resumed run draws the same noise.

    Args:
        model: the SR network (its card has ``noise_map``).
        card: its card.
        pixel: the pixel loss.
        optimizer: its optimiser factory.
        sigma_min, sigma_max: the range of noise levels, 0-255 scale.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        card: ModelCard,
        pixel: str = "l1",
        optimizer: OptimizerFactory | None = None,
        sigma_min: float = 0.0,
        sigma_max: float = 50.0,
    ) -> None:
        if not card.noise_map:
            raise SrkitError(f"recipe noise_map trains models that take a noise-level map; {card.name} does not")
        if not 0 <= sigma_min <= sigma_max <= 255:
            raise SrkitError(
                f"noise levels must satisfy 0 <= sigma_min <= sigma_max <= 255, got {sigma_min}, {sigma_max}"
            )
        super().__init__(model, card=card, pixel=pixel, optimizer=optimizer)
        self.sigma_range = (sigma_min / 255.0, sigma_max / 255.0)

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        lr, hr, scale = batch["lr"], batch["hr"], int(batch["scale"])
        lo, hi = self.sigma_range
        sigma = lo + (hi - lo) * torch.rand(lr.shape[0], device=lr.device, dtype=lr.dtype)
        noisy = lr + torch.randn_like(lr) * sigma.view(-1, 1, 1, 1)
        out = call_model(nets[MODEL], with_noise_map(noisy, sigma), scale, card=self.card)
        loss = self.loss(out.float(), hr.float())
        yield MODEL, {"loss": loss, "pixel_last": loss.detach()}


class Adversary:
    """The adversarial part of a GAN step, for any recipe: a discriminator player, its loss on (HR, detached SR),
    and the generator's extra terms ``perceptual_weight * content + gan_weight * adversarial`` through it.

    The adversarial losses are computed over the whole batch of all processes (the logits are gathered), so a
    relativistic loss's batch means are those of one process and N processes train like one.

    Args:
        discriminator: image -> realness logits (``srkit.archs.build_discriminator``).
        kind: adversarial loss (``vanilla``, ``lsgan``, ``hinge``, ``wgan``, ``ragan``).
        perceptual_weight: weight of the content loss on ``feature_net`` features (0: none).
        gan_weight: weight of the generator's adversarial loss.
        feature_net: feature network of the content loss (default: srkit's fixed random features).
        d_lr: the discriminator's learning rate (Adam, betas 0.9/0.99, constant).
        device: where the content loss's network lives (the model's device).
    """

    NAME = "discriminator"

    def __init__(
        self,
        discriminator: nn.Module,
        *,
        kind: str = "ragan",
        perceptual_weight: float = 1.0,
        gan_weight: float = 5e-3,
        feature_net: Any = None,
        d_lr: float = 1e-4,
        device: torch.device | str = "cpu",
    ) -> None:
        from srkit.losses import GANLoss, PerceptualLoss

        d_optimizer = functools.partial(torch.optim.Adam, lr=d_lr, betas=(0.9, 0.99))
        self.player = Player(self.NAME, discriminator, d_optimizer, scheduled=False)
        self.gan = GANLoss(kind=kind)  # type: ignore[arg-type]
        self.perceptual = (
            PerceptualLoss(
                layers={name: 1.0 for name in feature_net.layers} if feature_net else {"relu4": 1.0},
                feature_net=feature_net,
            ).to(device)
            if perceptual_weight
            else None
        )
        self.weights = (perceptual_weight, gan_weight)

    def discriminator_loss(self, nets: Mapping[str, nn.Module], hr: torch.Tensor, sr: torch.Tensor) -> torch.Tensor:
        """The discriminator's loss on real ``hr`` and detached ``sr``."""
        d = nets[self.NAME]
        return self.gan.discriminator_loss(gather(d(hr)), gather(d(sr.detach())))

    def generator_terms(
        self, nets: Mapping[str, nn.Module], hr: torch.Tensor, sr: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(weighted content + adversarial terms, the adversarial loss alone)`` for the generator."""
        d = nets[self.NAME]
        real = gather(d(hr)).detach()
        g_adv = self.gan.generator_loss(gather(d(sr)), real)
        w_perc, w_gan = self.weights
        extra = w_gan * g_adv
        if self.perceptual is not None:
            extra = extra + w_perc * self.perceptual(sr.float(), hr.float())
        return extra, g_adv


class GANRecipe(SupervisedRecipe):
    """Adversarial training (SRGAN, ESRGAN) with two players: each step first updates the discriminator on
    (HR, detached SR), then the generator on ``pixel_weight * pixel + perceptual_weight * content + gan_weight *
    adversarial`` through the updated, frozen discriminator (:class:`Adversary`).

    Args:
        model: the generator.
        discriminator: image -> realness logits (``srkit.archs.build_discriminator``).
        card: the generator's card.
        kind: adversarial loss (``vanilla``, ``lsgan``, ``hinge``, ``wgan``, ``ragan``: ESRGAN's relativistic one).
        pixel, pixel_weight: the pixel loss and its weight (ESRGAN: l1, 1e-2).
        perceptual_weight: weight of the content loss on ``feature_net`` features (ESRGAN: 1.0 on VGG19 conv5_4).
        gan_weight: weight of the generator's adversarial loss (ESRGAN: 5e-3).
        feature_net: feature network of the content loss (default: srkit's fixed random features).
        optimizer: the generator's optimiser factory (default: :func:`adamw`).
        d_lr: the discriminator's learning rate (Adam, betas 0.9/0.99, constant).
    """

    def __init__(
        self,
        model: nn.Module,
        discriminator: nn.Module,
        *,
        card: ModelCard,
        kind: str = "ragan",
        pixel: str = "l1",
        pixel_weight: float = 1e-2,
        perceptual_weight: float = 1.0,
        gan_weight: float = 5e-3,
        feature_net: Any = None,
        optimizer: OptimizerFactory | None = None,
        d_lr: float = 1e-4,
    ) -> None:
        super().__init__(model, card=card, pixel=pixel, optimizer=optimizer)
        device = next(model.parameters()).device  # the loss network lives where the model does
        self.adversary = Adversary(
            discriminator,
            kind=kind,
            perceptual_weight=perceptual_weight,
            gan_weight=gan_weight,
            feature_net=feature_net,
            d_lr=d_lr,
            device=device,
        )
        self.players = (self.adversary.player, *self.players)
        self.pixel_weight = pixel_weight

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        lr, hr, scale = batch["lr"], batch["hr"], int(batch["scale"])
        sr = self._forward(nets[MODEL], lr, scale)[-1]
        d_loss = self.adversary.discriminator_loss(nets, hr, sr)
        yield "discriminator", {"loss": d_loss}
        extra, g_adv = self.adversary.generator_terms(nets, hr, sr)
        pixel = self.loss(sr.float(), hr.float())
        total = self.pixel_weight * pixel + extra
        yield MODEL, {"loss": total, "pixel_last": pixel.detach(), "d_loss": d_loss.detach(), "g_adv": g_adv.detach()}
