"""Two-step degradation learning: a GAN learns to degrade HR images like real LR ones, then an SR network learns
from the pairs it makes.

Paper: Adrian Bulat, Jing Yang, Georgios Tzimiropoulos, "To learn image super-resolution, use a GAN to learn how to
do image degradation first", ECCV 2018, https://arxiv.org/abs/1807.11458 (authors' code:
https://github.com/jingyang2017/Face-and-Image-super-resolution).

Trained with ``srkit train`` (``recipe: two_step``; configs/unsupervised/two_step.yaml) from unpaired data: HR
patches (``data.train``) and, independently, real LR patches of other images (``data.unpaired_lr``). One run does
both steps, and a killed run resumes bit for bit in either:

1. steps ``[0, h2l_steps)``, **High-to-Low**: the generator :class:`~srkit.unsupervised._two_step_nets.H2LGenerator`
   maps an HR patch and a noise vector ``z ~ N(0, I)`` to an LR patch; the LR discriminator (SN-GAN ResNet) learns
   real LR from generated; the generator minimises ``pixel_weight * L2(lr, pool(hr)) + gan_weight * hinge``, the
   pixel term against the HR patch downscaled by ``s x s`` average pooling (``pixel_target``).
2. steps ``[h2l_steps, steps)``, **Low-to-High**: the frozen High-to-Low generator degrades each HR patch (fresh
   noise each time: an endless paired set), and the run's ``model`` (the SR network) minimises ``pixel_weight *
   L2(sr, hr) + gan_weight * hinge`` against an HR discriminator (SN-GAN ResNet).

The paper's settings, kept: the architectures of the authors' code (see the networks' module), the hinge loss with
spectrally normalised discriminators, ``pixel_weight = 1`` and ``gan_weight = 0.05`` for both networks, the L2
pixel loss computed on images in [-1, 1] as the authors' (tanh) networks see them (4x the L2 of [0, 1] images),
64-value noise projected to one input channel, 16 x 16 LR / 64 x 64 HR patches at x4, Adam with
``lr = 1e-4, betas = (0, 0.9)`` (set in the config's ``optim``; every player uses it).

Where srkit departs from the paper, and why:

* **Natural images instead of faces.** The paper trains on aligned faces (HR from CelebA, AFLW, LS3D-W, VGGFace2;
  real LR from Widerface). Here both sides are random patches of natural images (srkit's unknown-degradation set,
  :func:`srkit.data.unpairedset.make_unpaired_set`); the patch sizes are the paper's.
* **The Low-to-High network is the run's model**, e.g. srkit's own ``srkit_net`` started from the shipped
  ``srkit`` weights (``model.init: srkit``), not the paper's 17-block face generator: the issue's bar compares
  against that model, so the comparison isolates what the learned degradation adds.
* **One run, two stages**, where the paper trains two networks one after the other: the High-to-Low generator is
  frozen after ``h2l_steps`` and used on the fly. Its batch normalisation keeps using batch statistics (train
  mode), as during its training.
* **x2** (the paper is x4 only): the generator downsamples one level less (see
  :class:`~srkit.unsupervised._two_step_nets.H2LGenerator`).
* **Options, off by default** (the config turns them on): the residual generator (``h2l_residual``), its head at
  the LR size with per-pixel noise (``h2l_lr_head``), frequency separation in the High-to-Low stage
  (``frequency_split``), faster discriminators (``d_lr_factor``) and a pixel-only Low-to-High stage
  (``l2h_gan_weight: 0``); see :class:`TwoStepRecipe` and docs/unsupervised/degradation_learning.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.cards import ModelCard, call_model
from srkit._core.errors import SrkitError
from srkit.engine.config import TrainConfig
from srkit.engine.options import Option, non_negative, parse_options, positive
from srkit.engine.recipes import MODEL, Player, Updates
from srkit.engine.run import register_recipe
from srkit.losses import GANLoss, mse_loss
from srkit.unsupervised._frequency import FrequencySplit
from srkit.unsupervised._recipe_options import adam, unpaired_scale
from srkit.unsupervised._two_step_nets import H2LGenerator, SNResNetDiscriminator

__all__ = ["TWO_STEP_OPTIONS", "TwoStepRecipe", "two_step_recipe"]

H2L, D_LR, D_HR = "h2l", "d_lr", "d_hr"

TWO_STEP_OPTIONS: dict[str, Option] = {
    "h2l_steps": Option(0, int, ">= 0 (0: half the run)", lambda v: v >= 0),
    "pixel_weight": Option(1.0, float, ">= 0", lambda v: v >= 0),
    "gan_weight": Option(0.05, float, ">= 0", lambda v: v >= 0),
    "l2h_gan_weight": Option(0.05, float, ">= 0", lambda v: v >= 0),
    "noise_dim": positive(int, 64),
    "pixel_target": Option("avgpool", str, choices=("avgpool", "bicubic")),
    "h2l_residual": Option(False, bool),
    "h2l_lr_head": Option(False, bool),
    "frequency_split": non_negative(float, 0.0),
    "d_lr_factor": positive(float, 1.0),
}
"""``recipe_options`` of ``two_step`` and their defaults (the paper's): ``h2l_steps`` (the High-to-Low stage's
length; default half the run), ``pixel_weight`` 1, ``gan_weight`` 0.05 (High-to-Low), ``l2h_gan_weight`` 0.05
(Low-to-High; 0 trains the SR network on the pixel loss alone and skips its discriminator), ``noise_dim`` 64,
``pixel_target`` ``avgpool`` (the HR patch average-pooled by ``s x s``, the paper's; ``bicubic``: its MATLAB bicubic
downscale), ``h2l_residual`` false (true: srkit's residual generator, see
:class:`~srkit.unsupervised._two_step_nets.H2LGenerator`), ``h2l_lr_head`` false (true: srkit's LR-size head with
per-pixel noise, ibid.), ``frequency_split`` 0 (the paper's: the High-to-Low pixel term and discriminator see whole
images; ``sigma > 0``: srkit's frequency separation at a Gaussian of ``sigma`` LR pixels, see
:class:`TwoStepRecipe`), ``d_lr_factor`` 1 (the discriminators' learning rate over the config's ``optim.lr``)."""


def _l2(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error of images in [-1, 1] (the paper's tanh range), from images in [0, 1]."""
    return 4.0 * mse_loss(x.float(), y.float())


class TwoStepRecipe:
    """Bulat et al.'s two steps as one recipe (see the module): High-to-Low GAN, then Low-to-High GAN.

    Players, in update order: ``h2l`` and ``d_lr`` (first stage), ``d_hr`` and ``model`` (second stage).

    Args:
        model: the Low-to-High (SR) network.
        card: its card.
        scale: the scale trained (2 or 4).
        patch_size: the LR patch side (the HR patch is ``scale * patch_size``).
        h2l_steps: the steps of the first stage.
        optimizer_lr, betas: Adam's settings for every player (the paper: 1e-4, (0, 0.9)).
        d_lr_factor: the discriminators learn at ``d_lr_factor * optimizer_lr`` (1, the paper's; > 1 is the
            two time-scale update rule of Heusel et al., NeurIPS 2017).
        pixel_weight: the pixel loss weight of both stages (1).
        gan_weight, l2h_gan_weight: the GAN loss weights of the High-to-Low and Low-to-High stages (0.05 each).
        noise_dim: the noise vector's length (64).
        pixel_target: ``"avgpool"`` or ``"bicubic"``: what the generated LR is compared with.
        h2l_residual: the High-to-Low generator outputs the pooled HR patch plus a learned correction.
        h2l_lr_head: the High-to-Low generator ends with a head at the LR size that sees the HR pixels and
            per-pixel noise.
        frequency_split: ``sigma`` (LR pixels) of a Gaussian low-pass ``L`` that splits the High-to-Low stage's
            images by frequency: the pixel term compares ``L(lr)`` with ``L(target)``, and the LR discriminator
            sees ``x - L(x)`` of real and generated LR; 0 (the paper's) uses whole images for both. This is the
            frequency separation of Fritsche, Gu, Timofte (DSGAN, "Frequency Separation for Real-World
            Super-Resolution", ICCV Workshops 2019): the pixel term keeps the content (low frequencies) and the
            GAN term learns the high frequencies, where blur, noise and compression show. On whole images the
            pixel term pulls the output towards the noiseless pooled patch, and the discriminator must first
            learn to look past the content (in 800 steps of the config it had not: it scored real and generated
            LR alike).
        device: where the recipe's own networks live.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        card: ModelCard,
        scale: int,
        patch_size: int,
        h2l_steps: int,
        optimizer_lr: float = 1e-4,
        d_lr_factor: float = 1.0,
        betas: tuple[float, float] = (0.0, 0.9),
        pixel_weight: float = 1.0,
        gan_weight: float = 0.05,
        l2h_gan_weight: float = 0.05,
        noise_dim: int = 64,
        pixel_target: str = "avgpool",
        h2l_residual: bool = False,
        h2l_lr_head: bool = False,
        frequency_split: float = 0.0,
        device: torch.device | str = "cpu",
    ) -> None:
        hr_size = scale * patch_size
        for side, what in ((patch_size, "LR"), (hr_size, "HR")):
            if side < 8 or side & (side - 1):
                raise SrkitError(f"recipe two_step: the {what} patch side must be a power of two >= 8, got {side}")
        self.card, self.scale, self.h2l_steps = card, scale, h2l_steps
        self.weights = (pixel_weight, gan_weight, l2h_gan_weight)
        self.noise_dim, self.pixel_target = noise_dim, pixel_target
        h2l = H2LGenerator(
            scale=scale, input_size=hr_size, noise_dim=noise_dim, residual=h2l_residual, lr_head=h2l_lr_head
        ).to(device)
        self.split = FrequencySplit(frequency_split)
        d_lr = SNResNetDiscriminator(n_down=int(math.log2(patch_size // 4)), n_plain=3).to(device)
        d_hr = SNResNetDiscriminator(n_down=int(math.log2(hr_size // 4)), n_plain=1).to(device)
        opt, d_opt = adam(optimizer_lr, betas), adam(d_lr_factor * optimizer_lr, betas)
        self.players: tuple[Player, ...] = (
            Player(H2L, h2l, opt, scheduled=False),
            Player(D_LR, d_lr, d_opt, scheduled=False),
            Player(D_HR, d_hr, d_opt, scheduled=False),
            Player(MODEL, model, opt),
        )
        self.gan = GANLoss(kind="hinge")

    def degrade(self, h2l: nn.Module, hr: torch.Tensor) -> torch.Tensor:
        """LR patches of ``hr`` from the High-to-Low generator, fresh noise from torch's generator (which the
        checkpoint saves)."""
        return h2l(hr, torch.randn(hr.shape[0], self.noise_dim, device=hr.device, dtype=hr.dtype))

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        hr, scale = batch["hr"], int(batch["scale"])
        if scale != self.scale:
            raise SrkitError(f"recipe two_step was built for x{self.scale}, got a batch at x{scale}")
        w_pix, w_gan, w_gan_l2h = self.weights
        if int(batch["step"]) < self.h2l_steps:  # first step: High-to-Low
            if "real_lr" not in batch:
                raise SrkitError("recipe two_step needs unpaired batches with real_lr (config data.unpaired_lr)")
            fake, d, high = self.degrade(nets[H2L], hr), nets[D_LR], self.split.high
            fake_high = high(fake)  # what the discriminator sees of the generated patches
            d_loss = self.gan.discriminator_loss(d(high(batch["real_lr"])), d(fake_high.detach()))
            yield D_LR, {"loss": d_loss}
            target = F.avg_pool2d(hr, scale) if self.pixel_target == "avgpool" else batch["lr"]
            pixel = _l2(self.split.low(fake), self.split.low(target))
            adv = self.gan.generator_loss(d(fake_high))
            yield H2L, {"loss": w_pix * pixel + w_gan * adv, "pixel": pixel.detach(), "d_loss": d_loss.detach()}
            return
        with torch.no_grad():  # second step: Low-to-High on the frozen generator's pairs
            lr = self.degrade(nets[H2L], hr).clamp(0.0, 1.0)
        sr = call_model(nets[MODEL], lr, scale, card=self.card)
        pixel = _l2(sr, hr)
        if w_gan_l2h == 0:  # the pixel loss alone: the HR discriminator stays as it is
            yield MODEL, {"loss": w_pix * pixel, "pixel_last": pixel.detach()}
            return
        d = nets[D_HR]
        d_loss = self.gan.discriminator_loss(d(hr), d(sr.detach()))
        yield D_HR, {"loss": d_loss}
        adv = self.gan.generator_loss(d(sr))
        loss = w_pix * pixel + w_gan_l2h * adv
        yield MODEL, {"loss": loss, "pixel_last": pixel.detach(), "d_loss": d_loss.detach()}


def two_step_recipe(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> TwoStepRecipe:
    """The ``two_step`` recipe of a training config (registered with :func:`srkit.engine.run.register_recipe`)."""
    options = parse_options("two_step", config.recipe_options, TWO_STEP_OPTIONS)
    scale = unpaired_scale("two_step", config)
    if scale not in (2, 4):
        raise SrkitError(f"recipe two_step trains x2 or x4, got x{scale}")
    h2l_steps = options.pop("h2l_steps") or config.steps // 2
    if h2l_steps >= config.steps:
        raise SrkitError(f"recipe_options.h2l_steps ({h2l_steps}) must be below steps ({config.steps})")
    betas = (float(config.optim.betas[0]), float(config.optim.betas[1]))
    return TwoStepRecipe(
        model,
        card=card,
        scale=scale,
        patch_size=config.data.patch_size,
        h2l_steps=h2l_steps,
        optimizer_lr=config.optim.lr,
        betas=betas,
        device=device,
        **options,
    )


register_recipe("two_step", two_step_recipe)
