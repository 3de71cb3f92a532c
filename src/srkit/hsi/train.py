"""Training hyperspectral networks with ``srkit train``: the ``cubes`` data kind and the ``hsi`` recipe.

``data.kind: cubes`` draws :class:`~srkit.hsi.data.CubeBatches` from the cubes of ``data.train``: each entry is a
cube file (its wavelengths from the file) or a folder; ``data.options.scenes`` names scenes of a folder laid out
as ``../shared/data/hsi`` (:mod:`srkit.hsi.scenes`, which knows their wavelengths) instead of reading every cube
file in it. Options: ``scenes``, ``bands`` (per sample, default 16), ``guide`` (fusion batches, default false),
``lr_noise`` and ``guide_noise`` (largest noise levels, default 0.005 and 0.01), ``clean`` (the fraction of
samples without noise, default 0). ``data.patch_size`` is the HR crop.

``recipe: hsi`` minimises ``loss.pixel`` (L1 by default) between the network's cube and the HR crop:
``model(lr)`` for single-image SR (``hsi3d``), ``model(lr, guide, response)`` for fusion (``hsi_fusion``), every
band weighted alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit.data.cube import CUBE_SUFFIXES, Cube, read_cube
from srkit.data.paths import DataPaths
from srkit.engine.config import TrainConfig
from srkit.engine.options import Option, non_negative, parse_options, positive
from srkit.engine.recipes import MODEL, Player, Updates, adamw
from srkit.engine.run import register_dataset, register_recipe
from srkit.hsi.data import CubeBatches
from srkit.hsi.scenes import load_scene
from srkit.losses import get_criterion

__all__ = ["HSIRecipe", "training_cubes"]


class HSIRecipe:
    """The ``hsi`` recipe (module docstring)."""

    def __init__(self, model: nn.Module, *, card: ModelCard, pixel: str = "l1", optimizer: Any = None) -> None:
        if card.arch not in ("HSI3DNet", "HSIFusionNet"):
            raise SrkitError(f"recipe hsi trains the hyperspectral networks (hsi3d, hsi_fusion), not {card.name}")
        self.fusion = card.arch == "HSIFusionNet"
        self.loss = get_criterion(pixel)
        self.players: tuple[Player, ...] = (Player(MODEL, model, optimizer or adamw()),)

    def training_step(self, batch: dict[str, Any], nets: Mapping[str, nn.Module]) -> Updates:
        if self.fusion:
            if "guide" not in batch:
                raise SrkitError("hsi_fusion trains on fusion batches: set data.options.guide to true")
            out = nets[MODEL](batch["lr"], batch["guide"], batch["response"])
        else:
            out = nets[MODEL](batch["lr"])
        loss = self.loss(out.float(), batch["hr"].float())
        yield MODEL, {"loss": loss, "pixel_last": loss.detach()}


def hsi_recipe(config: TrainConfig, model: nn.Module, card: ModelCard, device: torch.device) -> HSIRecipe:
    if config.data.kind != "cubes":
        raise SrkitError("recipe hsi trains on hyperspectral cubes: set data.kind to cubes")
    parse_options("hsi", config.recipe_options, {})
    o = config.optim
    return HSIRecipe(model, card=card, pixel=config.loss.pixel, optimizer=adamw(o.lr, (o.betas[0], o.betas[1])))


CUBE_OPTIONS: dict[str, Option] = {
    "scenes": Option([], list, "a list of scene names", lambda v: all(isinstance(s, str) for s in v)),
    "bands": positive(int, 16),
    "guide": Option(False, bool),
    "lr_noise": non_negative(float, 0.005),
    "guide_noise": non_negative(float, 0.01),
    "clean": Option(0.0, float, "in [0, 1]", lambda v: 0.0 <= v <= 1.0),
}


def training_cubes(entries: list[Path], scenes: list[str]) -> list[Cube]:
    """The cubes of ``data.train``: named scenes of a scene folder, or every cube file of the entries."""
    if scenes:
        if len(entries) != 1 or not entries[0].is_dir():
            raise SrkitError("data.options.scenes picks scenes of one folder: give that folder as data.train")
        return [load_scene(name, entries[0]) for name in scenes]
    files = [p for e in entries for p in (sorted(e.iterdir()) if e.is_dir() else [e]) if p.suffix in CUBE_SUFFIXES]
    if not files:
        raise SrkitError(f"no cube files ({', '.join(CUBE_SUFFIXES)}) in data.train")
    return [read_cube(p) for p in files]


def cube_batches(config: TrainConfig, paths: DataPaths, scales: list[int], in_channels: int) -> CubeBatches:
    """The ``cubes`` data kind (module docstring)."""
    options = parse_options("data.kind cubes", config.data.options, CUBE_OPTIONS, section="data.options")
    d = config.data
    return CubeBatches(
        training_cubes([p.path for p in paths.train], options["scenes"]),
        scales=scales,
        batch_size=d.batch_size,
        patch_size=d.patch_size,
        bands=options["bands"],
        seed=config.seed,
        length=config.steps,
        guide=options["guide"],
        augment=d.augment,
        lr_noise=options["lr_noise"],
        guide_noise=options["guide_noise"],
        clean=options["clean"],
    )


register_recipe("hsi", hsi_recipe)
register_dataset("cubes", cube_batches)
