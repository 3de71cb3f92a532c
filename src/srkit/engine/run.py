"""The state of one training run and the steps that change it (``srkit.engine.loop.train`` drives it).

The run owns every network a recipe trains (its :class:`~srkit.engine.recipes.Player` s: the model, a GAN's
discriminator) and treats them alike: each is wrapped for DDP and ``torch.compile``, has its own optimiser,
learning-rate schedule and fp16 gradient scaler, is clipped with ``optim.grad_clip``, and is saved and restored
in the one checkpoint dict.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

from srkit._core.cards import ModelCard, card_of
from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_write_text
from srkit._core.registry import Registry
from srkit.archs import build_model
from srkit.archs.shipped import shipped_models
from srkit.data.paths import DataPaths
from srkit.engine.checkpoint import load_checkpoint, save_checkpoint
from srkit.engine.config import TrainConfig, config_to_dict
from srkit.engine.ema import EMA
from srkit.engine.recipes import (
    MODEL,
    GANRecipe,
    NoiseMapRecipe,
    OptimizerFactory,
    Recipe,
    SupervisedRecipe,
    adamw,
)
from srkit.engine.schedule import lr_factor
from srkit.frameworks import create_model

LOG_FIELDS = ("step", "loss", "lr", "seconds", "val_psnr", "val_ssim")


def build_network(config: TrainConfig) -> nn.Module:
    """The model a config describes: a zoo name or a composition spec."""
    m = config.model
    if (m.name is None) == (m.spec is None):
        raise SrkitError("config.model needs exactly one of 'name' (a zoo model) and 'spec' (a composition)")
    if m.name is not None:
        return build_model(m.name, scale=m.scale, **m.options)
    assert m.spec is not None
    return create_model({**m.spec, "scale": m.spec.get("scale", m.scale)})


RecipeFactory = Callable[[TrainConfig, nn.Module, ModelCard, torch.device], Recipe]
RECIPES: Registry[RecipeFactory] = Registry("recipe")


def register_recipe(name: str, factory: RecipeFactory) -> None:
    """Make ``recipe: name`` in a training config build its recipe with ``factory(config, model, card, device)``
    (packages above the engine, e.g. ``srkit.unsupervised``, register theirs when imported)."""
    RECIPES.register(name, factory)


DatasetFactory = Callable[[TrainConfig, DataPaths, list[int], int], Any]
DATASETS: Registry[DatasetFactory] = Registry("data kind")


def register_dataset(kind: str, factory: DatasetFactory) -> None:
    """Make ``data.kind: kind`` in a training config draw its batches from ``factory(config, paths, scales,
    in_channels)``: a dataset whose item ``k`` is batch ``k`` (a dict with ``lr``, ``hr``, ``scale`` and whatever
    its recipe reads), made from ``(config.seed, k)`` alone, with ``with_scales`` and ``with_shard`` as
    :class:`srkit.data.TrainPatches` has them (packages above the engine, e.g. ``srkit.face``, register theirs)."""
    DATASETS.register(kind, factory)


def init_weights(model: nn.Module, source: str) -> list[str]:
    """Load the weights of ``source`` (a shipped model name or a checkpoint file srkit reads) into ``model``, to
    fine-tune it. Every tensor must be there with its shape, except a convolution that takes more input channels
    than the source's (a noise-level map added to an image model): its first channels get the source's weights and
    the new ones zeros, so the model starts out computing what the source computed. Returns the names of the
    tensors widened that way.

    Raises:
        SrkitError: a missing, unexpected or otherwise mis-shaped tensor (named).
    """
    from srkit.archs import load_model, read_state_dict

    shipped = source in shipped_models() or source == "srkit_net"
    given = load_model(source).state_dict() if shipped else read_state_dict(source)
    own = model.state_dict()
    missing = sorted(set(own) - set(given))
    unexpected = sorted(set(given) - set(own))
    if missing or unexpected:
        raise SrkitError(f"model.init {source}: missing {missing[:4]}, unexpected {unexpected[:4]} tensors")
    widened, state = [], {}
    for key, target in own.items():
        value = given[key].to(target.dtype)
        if value.shape != target.shape:
            wider = value.ndim == 4 and target.ndim == 4 and value.shape[1] < target.shape[1]
            if not wider or value.shape[0] != target.shape[0] or value.shape[2:] != target.shape[2:]:
                raise SrkitError(
                    f"model.init {source}: {key} is {tuple(value.shape)}, the model's {tuple(target.shape)}"
                )
            padded = torch.zeros_like(target)
            padded[:, : value.shape[1]] = value
            value = padded
            widened.append(key)
        state[key] = value
    model.load_state_dict(state, strict=True)
    return widened


def make_recipe(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> Recipe:
    """The recipe ``config.recipe`` names (default: ``supervised``, or ``gan`` when ``loss.gan`` is set), built
    with ``config.recipe_options``."""
    name = config.recipe or ("gan" if config.loss.gan is not None else "supervised")
    if name not in RECIPES:
        known = ", ".join(RECIPES.names())
        raise SrkitError(
            f"unknown recipe {name!r}; available: {known} (srkit train also knows those of srkit.unsupervised)"
        )
    return RECIPES.get(name)(config, model, card, device)


def _optimizer(config: TrainConfig) -> OptimizerFactory:
    o = config.optim
    return adamw(o.lr, (o.betas[0], o.betas[1]), o.weight_decay)


def _no_options(config: TrainConfig, name: str) -> None:
    if config.recipe_options:
        raise SrkitError(f"recipe {name} takes no recipe_options, got {sorted(config.recipe_options)}")


def _supervised(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> Recipe:
    _no_options(config, "supervised")
    loss = config.loss
    return SupervisedRecipe(model, card=card, pixel=loss.pixel, supervise=loss.supervise, optimizer=_optimizer(config))


def _noise_map(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> Recipe:
    options = dict(config.recipe_options)
    unknown = sorted(set(options) - {"sigma_min", "sigma_max"})
    if unknown:
        raise SrkitError(f"recipe noise_map: unknown recipe_options {unknown}; known: sigma_min, sigma_max")
    levels = {k: float(v) for k, v in options.items()}
    return NoiseMapRecipe(model, card=card, pixel=config.loss.pixel, optimizer=_optimizer(config), **levels)


def _gan(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> Recipe:
    _no_options(config, "gan")
    loss = config.loss
    if loss.gan is None:
        raise SrkitError("recipe gan needs loss.gan (vanilla, lsgan, hinge, wgan or ragan)")
    optimizer = _optimizer(config)
    from srkit.archs import build_discriminator
    from srkit.losses import VGG19Features

    features = VGG19Features(weights=loss.vgg_weights).to(device) if loss.vgg_weights else None
    return GANRecipe(
        model,
        build_discriminator(loss.discriminator, **loss.discriminator_options).to(device),
        card=card,
        kind=loss.gan,
        pixel=loss.pixel,
        pixel_weight=loss.pixel_weight,
        perceptual_weight=loss.perceptual_weight,
        gan_weight=loss.gan_weight,
        feature_net=features,
        optimizer=optimizer,
        d_lr=loss.d_lr,
    )


register_recipe("supervised", _supervised)
register_recipe("gan", _gan)
register_recipe("noise_map", _noise_map)


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager[Any]:
    """The run's precision for the forward passes and losses (fp16 needs CUDA)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    if precision == "fp16" and device.type != "cuda":
        raise SrkitError("precision fp16 needs a CUDA device; use bf16 on the CPU")
    return torch.autocast(device.type, dtype=dtype)


class Run:
    """Every network, optimiser, schedule, scaler and EMA of a run; one training step; checkpoint and restore.

    Args:
        config: the run.
        paths: its data folders, resolved (written as comments into ``config.yaml``).
        device: where to train.
        rank, world: this process and the number of processes (DDP when ``world > 1``).
    """

    def __init__(self, config: TrainConfig, paths: DataPaths, device: torch.device, rank: int, world: int) -> None:
        self.config, self.paths, self.dev, self.rank, self.world = config, paths, device, rank, world
        self.out = Path(config.output)
        self.latest, self.log_path = self.out / "latest.pt", self.out / "log.csv"
        torch.manual_seed(config.seed)
        model = build_network(config)
        if config.model.init is not None:
            init_weights(model, config.model.init)
        model = model.to(device)
        self.card = card_of(model)
        self.recipe = make_recipe(config, model, self.card, device)
        self.players = {p.name: p for p in self.recipe.players}
        if MODEL not in self.players or len(self.players) != len(self.recipe.players):
            raise SrkitError(f"a recipe's players need distinct names, one of them {MODEL!r}")
        if config.channels_last:
            for p in self.players.values():
                p.module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.nets = {name: self._wrap(p.runner or p.module) for name, p in self.players.items()}
        self.optimizers = {name: p.optimizer(p.module.parameters()) for name, p in self.players.items()}
        self.schedulers = {
            name: torch.optim.lr_scheduler.LambdaLR(
                self.optimizers[name],
                (lambda s: lr_factor(s, config.steps, config.schedule)) if p.scheduled else (lambda s: 1.0),
            )
            for name, p in self.players.items()
        }
        # fp16 (CUDA) needs loss scaling against gradient underflow; bf16 and fp32 do not
        self.scalers = {n: torch.amp.GradScaler("cuda") if config.precision == "fp16" else None for n in self.players}
        self.model = model
        self.ema = EMA(model, config.ema) if config.ema else None
        self.start, self.seconds = 0, 0.0

    def _wrap(self, module: nn.Module) -> nn.Module:
        if self.world > 1:
            ids = [self.dev.index] if self.dev.type == "cuda" else None
            module = torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)
        if self.config.compile:
            module = torch.compile(module)  # type: ignore[assignment]
        return module

    @property
    def main(self) -> bool:
        """Rank 0 (or a single process) writes files and validates."""
        return self.rank == 0

    @property
    def lr(self) -> float:
        """The model's learning rate now."""
        return float(self.schedulers[MODEL].get_last_lr()[0])

    def train_mode(self) -> None:
        for p in self.players.values():
            p.module.train()

    def restore(self, resume: bool) -> None:
        """Continue from ``latest.pt`` (with ``resume``), then write ``config.yaml`` and the log's header."""
        if not resume and self.latest.exists():
            raise SrkitError(
                f"{self.out} already holds a run (latest.pt): pass --resume to continue it, or another output"
            )
        if resume and self.latest.exists():
            self._load(load_checkpoint(self.latest))
        if not self.main:
            return
        notes = "".join(f"# data: {note}\n" for note in self.paths.notes())
        config = yaml.safe_dump(config_to_dict(self.config), sort_keys=False)
        atomic_write_text(self.out / "config.yaml", notes + config)
        if self.start == 0 or not self.log_path.exists():
            self.log_path.write_text(",".join(LOG_FIELDS) + "\n", encoding="utf-8")
        else:  # drop lines past the checkpoint (written after it by the killed run)
            lines = self.log_path.read_text(encoding="utf-8").splitlines()
            kept = [lines[0]] + [ln for ln in lines[1:] if ln and int(ln.split(",")[0]) <= self.start]
            self.log_path.write_text("\n".join(kept) + "\n", encoding="utf-8")

    def _load(self, state: dict[str, Any]) -> None:
        missing = sorted(set(self.players) - set(state["modules"]))
        if missing:
            raise SrkitError(
                f"{self.latest} holds no {missing[0]}: it was written by a run of another recipe (config.loss)"
            )
        for name, p in self.players.items():
            p.module.load_state_dict(state["modules"][name])
            parts: list[tuple[Any, str]] = [
                (self.optimizers[name], "optimizers"),
                (self.schedulers[name], "schedulers"),
                (self.scalers[name], "scalers"),
            ]
            for part, key in parts:
                saved = state.get(key, {}).get(name)
                if part is not None and saved is not None:
                    part.load_state_dict(saved)
        if self.ema is not None and state.get("ema") is not None:
            self.ema.load_state_dict(state["ema"])
        torch.set_rng_state(state["rng"])
        self.start, self.seconds = int(state["step"]), float(state.get("seconds", 0.0))

    def step(self, step: int, batch: dict[str, Any]) -> dict[str, float]:
        """One training step; returns each player's loss. The recipe's step runs under the run's precision; each
        loss it yields is that player's update (then the player is frozen until the step ends)."""
        lr_img, hr_img = batch["lr"].to(self.dev), batch["hr"].to(self.dev)
        if self.config.channels_last:
            lr_img = lr_img.contiguous(memory_format=torch.channels_last)
        inputs = {"lr": lr_img, "hr": hr_img, "scale": batch["scale"], "step": step}  # step: for staged recipes
        for key, value in batch.items():  # what else the data kind gives its recipe (real_lr, face priors, ...)
            if key not in inputs and isinstance(value, torch.Tensor):
                inputs[key] = value.to(self.dev)
        updates = self.recipe.training_step(inputs, self.nets)
        values: dict[str, float] = {}
        frozen: list[torch.Tensor] = []
        try:
            while True:
                with autocast(self.config.precision, self.dev):
                    item = next(updates, None)
                if item is None:
                    break
                name, losses = item
                if name not in self.players:
                    raise SrkitError(f"the recipe updated {name!r}, none of its players ({', '.join(self.players)})")
                self._update(name, losses["loss"])
                values[name] = float(losses["loss"].detach())
                trained = [q for q in self.players[name].module.parameters() if q.requires_grad]
                frozen += [q.requires_grad_(False) for q in trained]
        finally:
            for q in frozen:
                q.requires_grad_(True)
        with warnings.catch_warnings():  # a player of a staged recipe not updated yet: its schedule runs by step
            warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step", UserWarning)
            for scheduler in self.schedulers.values():
                scheduler.step()
        if self.ema is not None:
            self.ema.update(self.model)
        for name, value in values.items():
            if not math.isfinite(value):
                what = "loss" if name == MODEL else f"{name}'s loss"
                raise SrkitError(f"the {what} became {value} at step {step + 1}; lower optim.lr or set optim.grad_clip")
        return values

    def _update(self, name: str, loss: torch.Tensor) -> None:
        """Backward pass, clipping and optimiser step of one player (fp16: scaled, unscaled before clipping)."""
        optimizer, scaler = self.optimizers[name], self.scalers[name]
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        if self.config.optim.grad_clip:
            torch.nn.utils.clip_grad_norm_(self.players[name].module.parameters(), self.config.optim.grad_clip)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()

    def checkpoint(self, step: int, seconds: float) -> None:
        """Write ``latest.pt`` (rank 0): every player's state, EMA, step, training seconds, config, RNG."""
        if not self.main:
            return
        save_checkpoint(
            self.latest,
            {
                "modules": {name: p.module.state_dict() for name, p in self.players.items()},
                "optimizers": {name: o.state_dict() for name, o in self.optimizers.items()},
                "schedulers": {name: s.state_dict() for name, s in self.schedulers.items()},
                "scalers": {name: s.state_dict() if s is not None else None for name, s in self.scalers.items()},
                "ema": self.ema.state_dict() if self.ema is not None else None,
                "step": step,
                "seconds": seconds,
                "config": config_to_dict(self.config),
                "rng": torch.get_rng_state(),
            },
        )

    @property
    def final_model(self) -> nn.Module:
        return self.ema.model if self.ema is not None else self.model
