"""CinCGAN: unsupervised SR of noisy, blurry LR images with two nested cycle-consistent GANs.

Paper: Yuan Yuan, Siyuan Liu, Jiawei Zhang, Yongbing Zhang, Chao Dong, Liang Lin, "Unsupervised Image
Super-Resolution using Cycle-in-Cycle Generative Adversarial Networks", CVPR Workshops 2018,
https://arxiv.org/abs/1809.00437.

Trained with ``srkit train`` (``recipe: cincgan``; configs/unsupervised/cincgan.yaml) from unpaired data: noisy
real LR patches ``x`` (``data.unpaired_lr``), and HR patches ``z`` of other images (``data.train``) with their
MATLAB-bicubic LR ``y`` (the "clean LR" domain). In the paper's two stages, one run, resumable bit for bit:

1. steps ``[0, lr_cycle_steps)``, the **LR cycle**: ``G1`` cleans ``x`` (``y~ = G1(x)``), ``G2`` maps back, ``D1``
   tells ``y~`` from ``y``. ``G1`` and ``G2`` minimise (one optimiser, as CycleGAN)::

       L_LR = LSGAN(D1(y~)) + w1 ||G2(y~) - x||^2 + w2 ||G1(y) - y||_1 + w3 TV(y~)      w = (10, 5, 0.5)

2. steps ``[lr_cycle_steps, steps)``, the **SR cycle** joins: the run's ``model`` (SR, pre-trained: the paper
   fine-tunes EDSR) super-resolves ``y~``, ``G3`` maps the result back to the noisy LR, ``D2`` tells ``SR(y~)`` from
   ``z``::

       L_HR = LSGAN(D2(SR(y~))) + l1 ||G3(SR(y~)) - x||^2 + l2 ||SR(y) - z||_1 + l3 TV(SR(y~))   l = (10, 5, 2)

   fine-tuned end to end: ``G1, G2, G3`` minimise ``L_LR + L_HR`` (``G1`` through ``SR``), the SR network ``L_HR``.

At test time the network is ``SR(G1(x))``: :func:`load_cincgan` builds it from a run (``srkit bench`` evaluates it
through :class:`srkit.ModelMethod`; benchmarks/unknown_domain.py does).

The paper's settings, kept: the generators' and discriminators' layers (Figure 3; see the networks' module),
least-squares GAN losses, L2 cycle and L1 identity losses, the TV terms, the six loss weights above, Adam with
``betas = (0.5, 0.999)``, learning rate 2e-4 for the cycle networks.

Where srkit departs from the paper, and why:

* **The SR network is srkit's** ``srkit_net`` started from the shipped ``srkit`` weights (``model.init: srkit``),
  where the paper fine-tunes a bicubic-trained EDSR: the same role (a bicubic SR model), and the issue's bar
  compares against it. Its learning rate is the config's ``optim.lr``.
* **The SR network is updated after the cycle networks within a step**, through their updated (frozen) weights and
  the ``G1`` output of that step: srkit's loop updates one player at a time, where the paper takes one joint step.
* **TV** is srkit's :func:`srkit.losses.total_variation` (anisotropic, mean per pixel); the paper's weights are
  kept, so its balance against the other terms follows srkit's normalisation.
* **Constant learning rates** over a CPU-sized run; the paper halves them on a schedule over 400k iterations.
* **Natural images under srkit's unknown degradation** (:mod:`srkit.degradations.unknown`) instead of the NTIRE
  2018 track 2 data, on the same principle: the LR and HR sides come from different images.
* **Frequency separation** (``frequency_split``, off by default): the discriminators see only the high
  frequencies (:class:`~srkit.unsupervised._frequency.FrequencySplit`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard, call_model, card_of, with_card
from srkit._core.errors import SrkitError
from srkit.archs import load_state
from srkit.engine.checkpoint import load_checkpoint
from srkit.engine.config import TrainConfig, config_from_dict
from srkit.engine.options import Option, non_negative, parse_options, positive
from srkit.engine.recipes import MODEL, Player, Updates
from srkit.engine.run import build_network, register_recipe
from srkit.losses import GANLoss, l1_loss, mse_loss, total_variation
from srkit.unsupervised._cincgan_nets import CinCGANDiscriminator, CinCGANGenerators
from srkit.unsupervised._frequency import FrequencySplit
from srkit.unsupervised._recipe_options import adam, unpaired_scale

__all__ = ["CINCGAN_OPTIONS", "CinCGANNet", "CinCGANRecipe", "cincgan_recipe", "load_cincgan"]

GENERATORS, D1, D2 = "generators", "d1", "d2"
_BETAS = (0.5, 0.999)


def _weight(default: float) -> Option:
    return Option(default, float, ">= 0", lambda v: v >= 0)


CINCGAN_OPTIONS: dict[str, Option] = {
    "lr_cycle_steps": Option(0, int, ">= 0 (0: half the run)", lambda v: v >= 0),
    "lr_cycle_weight": _weight(10.0),
    "lr_identity_weight": _weight(5.0),
    "lr_tv_weight": _weight(0.5),
    "hr_cycle_weight": _weight(10.0),
    "hr_identity_weight": _weight(5.0),
    "hr_tv_weight": _weight(2.0),
    "lr": positive(float, 2e-4),
    "n_feats": positive(int, 64),
    "n_blocks": positive(int, 6),
    "residual_generators": Option(False, bool),
    "frequency_split": non_negative(float, 0.0),
}
"""``recipe_options`` of ``cincgan`` and their defaults (the paper's): ``lr_cycle_steps`` (the first stage's
length; default half the run), the weights ``w1, w2, w3`` (``lr_cycle_weight`` 10, ``lr_identity_weight`` 5,
``lr_tv_weight`` 0.5) and ``l1, l2, l3`` (``hr_*``: 10, 5, 2), ``lr`` (Adam's rate for G1, G2, G3, D1, D2: 2e-4),
``n_feats`` 64 and ``n_blocks`` 6 (the generators'), ``residual_generators`` false (true: srkit's residual
generators, see :class:`~srkit.unsupervised._cincgan_nets.CinCGANGenerator`), ``frequency_split`` 0 (the paper's:
the discriminators see whole images; ``sigma > 0``: srkit's, ``D1`` sees ``y - L(y)`` for a Gaussian low-pass ``L``
of ``sigma`` LR pixels and ``D2`` the same at ``scale * sigma`` HR pixels, see
:class:`~srkit.unsupervised._frequency.FrequencySplit`)."""


class CinCGANRecipe:
    """CinCGAN's two stages as one recipe (see the module).

    Players, in update order: ``d1``, ``d2`` (second stage), ``generators`` (``G1``, ``G2``, ``G3``: one optimiser),
    ``model`` (the SR network, second stage).

    Args:
        model: the SR network.
        card: its card.
        scale: the scale trained (2 or 4).
        lr_cycle_steps: the first stage's steps.
        weights: the options' six loss weights (``lr_cycle_weight`` ... ``hr_tv_weight``).
        model_optimizer: the SR network's optimiser factory.
        lr: Adam's learning rate for the other players (betas 0.5, 0.999).
        n_feats, n_blocks: the generators' width and depth.
        residual_generators: the generators add their output to their (pooled) input.
        frequency_split: ``sigma`` (LR pixels): the discriminators see only what a Gaussian low-pass of ``sigma``
            leaves (``x - L(x)``; ``D2`` at ``scale * sigma`` HR pixels); 0 (the paper's): whole images. In the
            LR cycle of the config, run with whole images, ``D1`` had not learnt to tell ``G1``'s output from clean
            LR, so ``G1`` stayed near the identity: what differs between the domains (noise, blur, compression)
            is in the high frequencies, and the split shows the discriminators only that.
        device: where the recipe's own networks live.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        card: ModelCard,
        scale: int,
        lr_cycle_steps: int,
        weights: Mapping[str, float],
        model_optimizer: Any,
        lr: float = 2e-4,
        n_feats: int = 64,
        n_blocks: int = 6,
        residual_generators: bool = False,
        frequency_split: float = 0.0,
        device: torch.device | str = "cpu",
    ) -> None:
        self.card, self.scale, self.lr_cycle_steps, self.w = card, scale, lr_cycle_steps, dict(weights)
        generators = CinCGANGenerators(
            scale=scale, n_feats=n_feats, n_blocks=n_blocks, residual=residual_generators
        ).to(device)
        opt = adam(lr, _BETAS)
        self.players: tuple[Player, ...] = (
            Player(D1, CinCGANDiscriminator(n_strided=3).to(device), opt, scheduled=False),
            Player(D2, CinCGANDiscriminator(n_strided=3).to(device), opt, scheduled=False),
            Player(GENERATORS, generators, opt, scheduled=False),
            Player(MODEL, model, model_optimizer),
        )
        self.gan = GANLoss(kind="lsgan")
        self.split_lr, self.split_hr = FrequencySplit(frequency_split), FrequencySplit(scale * frequency_split)

    def _hr_terms(self, sr: torch.Tensor, x: torch.Tensor, nets: Mapping[str, nn.Module]) -> torch.Tensor:
        """``LSGAN(D2(sr)) + l1 ||G3(sr) - x||^2 + l3 TV(sr)``: what ``G1`` and the SR network share of ``L_HR``."""
        adv = self.gan.generator_loss(nets[D2](self.split_hr.high(sr)))
        cycle = mse_loss(nets[GENERATORS]("g3", sr).float(), x.float())
        return adv + self.w["hr_cycle_weight"] * cycle + self.w["hr_tv_weight"] * total_variation(sr.float())

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        if "real_lr" not in batch:
            raise SrkitError("recipe cincgan needs unpaired batches with real_lr (config data.unpaired_lr)")
        x, y, z, scale = batch["real_lr"], batch["lr"], batch["hr"], int(batch["scale"])
        if scale != self.scale:
            raise SrkitError(f"recipe cincgan was built for x{self.scale}, got a batch at x{scale}")
        g, d1, high = nets[GENERATORS], nets[D1], self.split_lr.high
        clean = g("g1", x)  # y~
        clean_high = high(clean)  # what D1 sees of y~
        d1_loss = self.gan.discriminator_loss(d1(high(y)), d1(clean_high.detach()))
        yield D1, {"loss": d1_loss}
        lr_loss = (
            self.gan.generator_loss(d1(clean_high))
            + self.w["lr_cycle_weight"] * mse_loss(g("g2", clean).float(), x.float())
            + self.w["lr_identity_weight"] * l1_loss(g("g1", y).float(), y.float())
            + self.w["lr_tv_weight"] * total_variation(clean.float())
        )
        if int(batch["step"]) < self.lr_cycle_steps:  # first stage: the LR cycle alone
            yield GENERATORS, {"loss": lr_loss, "d1_loss": d1_loss.detach()}
            return
        sr, d2 = call_model(nets[MODEL], clean, scale, card=self.card), nets[D2]
        d2_loss = self.gan.discriminator_loss(d2(self.split_hr.high(z)), d2(self.split_hr.high(sr.detach())))
        yield D2, {"loss": d2_loss}
        yield GENERATORS, {"loss": lr_loss + self._hr_terms(sr, x, nets), "d1_loss": d1_loss.detach()}
        sr = call_model(nets[MODEL], clean.detach(), scale, card=self.card)  # through the updated, frozen G3, D2
        identity = l1_loss(call_model(nets[MODEL], y, scale, card=self.card).float(), z.float())
        hr_loss = self._hr_terms(sr, x, nets) + self.w["hr_identity_weight"] * identity
        yield MODEL, {"loss": hr_loss, "identity": identity.detach(), "d2_loss": d2_loss.detach()}


def cincgan_recipe(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> CinCGANRecipe:
    """The ``cincgan`` recipe of a training config (registered with :func:`srkit.engine.run.register_recipe`)."""
    options = parse_options("cincgan", config.recipe_options, CINCGAN_OPTIONS)
    scale = unpaired_scale("cincgan", config)
    if scale not in (2, 4):
        raise SrkitError(f"recipe cincgan trains x2 or x4, got x{scale}")
    if config.data.patch_size < 24:
        got = config.data.patch_size
        raise SrkitError(f"recipe cincgan: data.patch_size must be >= 24 (the discriminators' input), got {got}")
    lr_cycle_steps = options.pop("lr_cycle_steps") or config.steps // 2
    if lr_cycle_steps >= config.steps:
        raise SrkitError(f"recipe_options.lr_cycle_steps ({lr_cycle_steps}) must be below steps ({config.steps})")
    weights = {k: options.pop(k) for k in list(options) if k.endswith("_weight")}
    betas = (float(config.optim.betas[0]), float(config.optim.betas[1]))
    return CinCGANRecipe(
        model,
        card=card,
        scale=scale,
        lr_cycle_steps=lr_cycle_steps,
        weights=weights,
        model_optimizer=adam(config.optim.lr, betas),
        device=device,
        **options,
    )


register_recipe("cincgan", cincgan_recipe)


class CinCGANNet(nn.Module):
    """CinCGAN at test time: ``SR(G1(x))``, the cleaning generator in front of the SR network.

    Args:
        cleaner: ``G1``.
        sr: the SR network (called as its card says).

    Shape:
        ``(B, 3, H, W) -> (B, 3, s H, s W)``.
    """

    def __init__(self, cleaner: nn.Module, sr: nn.Module) -> None:
        super().__init__()
        self.cleaner, self.sr = cleaner, sr
        self.sr_card = card_of(sr)

    def forward(self, x: torch.Tensor, scale: int | None = None) -> torch.Tensor:
        # the card is the SR network's: with float32_io, float32 images in and out under bf16/fp16 weights
        weights = next(self.cleaner.parameters()).dtype
        clean = self.cleaner(x.to(weights)).to(x.dtype)
        return call_model(self.sr, clean, scale, card=self.sr_card)


_G1_RADIUS = 3 + 1 + 1 + 6 * 2 + 1 + 1 + 3  # LR pixels of context of G1's output (7x7, 3x3, 3x3, 6 blocks, ...)


def load_cincgan(run: str | os.PathLike[str], *, device: str = "cpu") -> nn.Module:
    """The test-time network ``SR(G1(x))`` of a ``cincgan`` training run, in eval mode, with a model card (so
    :class:`srkit.Upscaler` and :class:`srkit.ModelMethod` run it).

    Args:
        run: the run folder or its ``latest.pt``.
        device: where to put it.

    Raises:
        SrkitError: no checkpoint, or one of another recipe.

    Example:
        >>> net = load_cincgan("runs/cincgan")  # doctest: +SKIP
        >>> srkit.evaluate(srkit.ModelMethod(net), [srkit.BenchmarkSet("unknown/test")], [4])  # doctest: +SKIP
    """
    path = Path(run)
    path = path / "latest.pt" if path.is_dir() else path
    state = load_checkpoint(path)
    config = config_from_dict(state["config"])
    if config.recipe != "cincgan" or GENERATORS not in state["modules"]:
        raise SrkitError(f"{path} is not a checkpoint of a cincgan run (recipe {config.recipe!r})")
    options = parse_options("cincgan", config.recipe_options, CINCGAN_OPTIONS)
    scale = unpaired_scale("cincgan", config)
    sr = build_network(config)
    load_state(sr, state["ema"] if state.get("ema") is not None else state["modules"][MODEL], source=str(path))
    generators = CinCGANGenerators(
        scale=scale, n_feats=options["n_feats"], n_blocks=options["n_blocks"], residual=options["residual_generators"]
    )
    generators.load_state_dict(state["modules"][GENERATORS])
    sr_card = card_of(sr)
    card = dataclasses.replace(
        sr_card,
        name="cincgan",
        arch="CinCGANNet",
        paper="Y. Yuan et al., 'Unsupervised Image Super-Resolution using Cycle-in-Cycle Generative Adversarial "
        f"Networks', CVPRW 2018: G1 in front of {sr_card.name}",
        receptive_field=sr_card.receptive_field + _G1_RADIUS,
        params={},
        published=(),
        training={},
        notes=f"trained by srkit train (recipe cincgan) at x{scale}: {path}",
    )
    net = with_card(CinCGANNet(generators.g1, sr), card)
    return net.to(device).eval()
