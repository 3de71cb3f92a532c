"""Training face models with ``srkit train``: the ``faces`` data kind and the ``face_prior`` recipe.

``data.kind: faces`` draws :class:`~srkit.face.data.FaceBatches` from ``data.train`` (face folders with landmark
files; the ``train`` side of :func:`~srkit.face.data.face_split`). ``recipe: face_prior`` is FSRNet's loss with
multi-supervision of the intermediate estimates::

    loss = pixel(coarse, hr) + pixel(fine, hr)
           + heatmap_weight * KL(target heatmaps || softmax(heatmap logits)) + parsing_weight * |parsing - target|^2

The heatmap term treats each landmark's map as a distribution over the pixels (the Gaussian target normalised to
sum 1; the KL divergence averaged over landmarks and faces), as in DSNT (Nibali et al. 2018): the squared error of
FSRNet's paper has a trivial minimum near zero that a short CPU training does not leave (measured: the landmark
maps stayed flat after 600 steps). The parsing term is the squared error summed over the 7 maps and averaged over
pixels and faces. A model without the prior branch
(``fsrnet_generic``) trains on the two pixel terms alone, so the generic model and FSRNet get the same recipe.

With ``loss.gan`` set it is FSRGAN, the paper's adversarial variant: a discriminator player
(``loss.discriminator``) is updated first on (HR, detached fine face), then the model's loss above gains
``loss.perceptual_weight * content + loss.gan_weight * adversarial`` on the fine face
(:class:`srkit.engine.recipes.Adversary`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit.data.paths import DataPaths
from srkit.engine.config import TrainConfig
from srkit.engine.options import non_negative, parse_options, positive
from srkit.engine.recipes import MODEL, Adversary, MethodRunner, Player, Updates, adamw
from srkit.engine.run import register_dataset, register_recipe
from srkit.face.data import FaceBatches
from srkit.losses import get_criterion

FACE_PRIOR_OPTIONS = {"heatmap_weight": non_negative(float, 0.05), "parsing_weight": non_negative(float, 0.1)}


def _prior_error(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred.float() - target.float()).pow(2).sum(dim=1).mean()


def heatmap_divergence(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """KL(target || softmax(logits)) per landmark map, averaged: ``target`` heatmaps (any positive scale) are
    normalised to sum 1 over each map."""
    t = target.float().flatten(2)
    t = t / t.sum(dim=-1, keepdim=True).clamp(min=1e-12)
    log_p = torch.log_softmax(logits.float().flatten(2), dim=-1)
    return (t * (torch.log(t.clamp(min=1e-12)) - log_p)).sum(dim=-1).mean()


class FacePriorRecipe:
    """FSRNet's multi-supervised loss (the module docstring); the model must have ``forward_priors``.

    Args:
        model: an :class:`srkit.archs.fsrnet.FSRNet` (with or without the prior branch).
        card: its card.
        pixel: the pixel loss of the coarse and the fine face.
        heatmap_weight, parsing_weight: weights of the two prior terms.
        optimizer: the model's optimiser factory.
        adversary: FSRGAN's discriminator and its loss terms (None: FSRNet).
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        card: ModelCard,
        pixel: str = "l1",
        heatmap_weight: float = 0.05,
        parsing_weight: float = 0.1,
        optimizer: Any = None,
        adversary: Adversary | None = None,
    ) -> None:
        if not hasattr(model, "forward_priors"):
            raise SrkitError(f"recipe face_prior trains FSRNet-style models (forward_priors); {card.name} is not one")
        self.loss, self.weights = get_criterion(pixel), (heatmap_weight, parsing_weight)
        self.players: tuple[Player, ...] = (
            Player(MODEL, model, optimizer or adamw(), runner=MethodRunner(model, "forward_priors")),
        )
        self.adversary = adversary
        if adversary is not None:
            self.players = (adversary.player, *self.players)

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        hr = batch["hr"].float()
        out = nets[MODEL](batch["lr"])
        if self.adversary is not None:
            d_loss = self.adversary.discriminator_loss(nets, batch["hr"], out["fine"])
            yield Adversary.NAME, {"loss": d_loss}
        coarse, fine = self.loss(out["coarse"].float(), hr), self.loss(out["fine"].float(), hr)
        total = coarse + fine
        losses = {"pixel_last": fine.detach(), "coarse": coarse.detach()}
        if self.adversary is not None:
            extra, g_adv = self.adversary.generator_terms(nets, batch["hr"], out["fine"])
            total = total + extra
            losses.update(g_adv=g_adv.detach(), d_loss=d_loss.detach())
        if "heatmaps" in out:
            heat = heatmap_divergence(out["heatmaps"], batch["heatmaps"])
            parse = _prior_error(out["parsing"], batch["parsing"])
            total = total + self.weights[0] * heat + self.weights[1] * parse
            losses.update(heatmaps=heat.detach(), parsing=parse.detach())
        yield MODEL, {"loss": total, **losses}


def face_prior_recipe(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> FacePriorRecipe:
    """The ``face_prior`` recipe of a training config."""
    if config.data.kind != "faces":
        raise SrkitError("recipe face_prior trains on faces with landmarks: set data.kind to faces")
    options = parse_options("face_prior", config.recipe_options, FACE_PRIOR_OPTIONS)
    o, loss = config.optim, config.loss
    adversary = None
    if loss.gan is not None:  # FSRGAN
        from srkit.archs import build_discriminator
        from srkit.losses import VGG19Features

        adversary = Adversary(
            build_discriminator(loss.discriminator, **loss.discriminator_options).to(device),
            kind=loss.gan,
            perceptual_weight=loss.perceptual_weight,
            gan_weight=loss.gan_weight,
            feature_net=VGG19Features(weights=loss.vgg_weights).to(device) if loss.vgg_weights else None,
            d_lr=loss.d_lr,
            device=device,
        )
    return FacePriorRecipe(
        model,
        card=card,
        pixel=loss.pixel,
        optimizer=adamw(o.lr, (o.betas[0], o.betas[1]), o.weight_decay),
        adversary=adversary,
        **options,
    )


FACE_DATA_OPTIONS = {"sigma": positive(float, 1.0)}


def face_batches(config: TrainConfig, paths: DataPaths, scales: list[int], in_channels: int) -> FaceBatches:
    """The ``faces`` data kind: :class:`FaceBatches` of the training split of ``data.train``."""
    if in_channels != 3:
        raise SrkitError("data.kind faces trains RGB models")
    options = parse_options("data.kind faces", config.data.options, FACE_DATA_OPTIONS, section="data.options")
    d = config.data
    return FaceBatches(
        [p.path for p in paths.train],
        scales=scales,
        batch_size=d.batch_size,
        seed=config.seed,
        length=config.steps,
        split="train",
        augment=d.augment,
        sigma=options["sigma"],
    )


register_recipe("face_prior", face_prior_recipe)
register_dataset("faces", face_batches)
