"""Training recipes: each implements one step, ``training_step(batch) -> dict of tensors`` with a ``"loss"``;
the loop (``srkit.engine.loop``) does the backward pass, clipping, optimiser and schedule."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard, call_model, call_model_all
from srkit._core.errors import SrkitError
from srkit.losses import get_criterion


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
        model: what runs the step: the model, or its DDP/compiled wrapper; for ``supervise="all"``, an
            :class:`AllOutputs` (or a wrapper of one).
        card: the model's card (how it is called).
        pixel: the pixel loss.
        supervise: ``last`` or ``all``.
    """

    def __init__(self, model: nn.Module, *, card: ModelCard, pixel: str = "l1", supervise: str = "last") -> None:
        if supervise == "all" and card.forward_all is None:
            raise SrkitError(f"{card.name} has no intermediate outputs (forward_all) to supervise")
        self.model, self.card, self.loss, self.supervise = model, card, get_criterion(pixel), supervise

    def _forward(self, lr: torch.Tensor, scale: int) -> list[torch.Tensor]:
        if self.supervise == "all":
            return list(self.model(lr, scale))
        return [call_model(self.model, lr, scale, card=self.card)]

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        lr, hr, scale = batch["lr"], batch["hr"], int(batch["scale"])
        outputs = self._forward(lr, scale)
        losses = []
        for out in outputs:
            target = hr if out.shape[-2:] == hr.shape[-2:] else F.interpolate(hr, size=out.shape[-2:], mode="area")
            losses.append(self.loss(out.float(), target.float()))
        total = torch.stack(losses).mean()
        return {"loss": total, "pixel_last": losses[-1].detach()}


class GANRecipe(SupervisedRecipe):
    """Adversarial training (SRGAN, ESRGAN) as a recipe with two optimisers: each step first updates the
    discriminator on (HR, detached SR), then returns the generator's loss
    ``pixel_weight * pixel + perceptual_weight * content + gan_weight * adversarial`` for the loop to minimise.

    The discriminator and its optimiser are part of the checkpoint (:meth:`state_dict`).

    Args:
        model: the generator.
        discriminator: image -> realness logits (``srkit.archs.build_discriminator``).
        kind: adversarial loss (``vanilla``, ``lsgan``, ``hinge``, ``wgan``, ``ragan``: ESRGAN's relativistic one).
        pixel, pixel_weight: the pixel loss and its weight (ESRGAN: l1, 1e-2).
        perceptual_weight: weight of the content loss on ``feature_net`` features (ESRGAN: 1.0 on VGG19 conv5_4).
        gan_weight: weight of the generator's adversarial loss (ESRGAN: 5e-3).
        feature_net: feature network of the content loss (default: srkit's fixed random features).
        d_lr: the discriminator's learning rate.
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
        d_lr: float = 1e-4,
    ) -> None:
        super().__init__(model, card=card, pixel=pixel)
        from srkit.losses import GANLoss, PerceptualLoss

        self.discriminator = discriminator
        self.d_opt = torch.optim.Adam(discriminator.parameters(), lr=d_lr, betas=(0.9, 0.99))
        self.gan = GANLoss(kind=kind)  # type: ignore[arg-type]
        self.perceptual = (
            PerceptualLoss(
                layers={name: 1.0 for name in feature_net.layers} if feature_net else {"relu4": 1.0},
                feature_net=feature_net,
            )
            if perceptual_weight
            else None
        )
        self.weights = (pixel_weight, perceptual_weight, gan_weight)

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        lr, hr, scale = batch["lr"], batch["hr"], int(batch["scale"])
        sr = self._forward(lr, scale)[-1]
        self.discriminator.requires_grad_(True)
        self.d_opt.zero_grad(set_to_none=True)
        d_loss = self.gan.discriminator_loss(self.discriminator(hr), self.discriminator(sr.detach()))
        d_loss.backward()
        self.d_opt.step()
        self.discriminator.requires_grad_(False)  # the generator's step does not train the discriminator
        real = self.discriminator(hr).detach()
        g_adv = self.gan.generator_loss(self.discriminator(sr), real)
        pixel = self.loss(sr.float(), hr.float())
        w_pix, w_perc, w_gan = self.weights
        total = w_pix * pixel + w_gan * g_adv
        if self.perceptual is not None:
            total = total + w_perc * self.perceptual(sr.float(), hr.float())
        return {"loss": total, "pixel_last": pixel.detach(), "d_loss": d_loss.detach(), "g_adv": g_adv.detach()}

    def state_dict(self) -> dict[str, Any]:
        return {"discriminator": self.discriminator.state_dict(), "d_optimizer": self.d_opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.d_opt.load_state_dict(state["d_optimizer"])
