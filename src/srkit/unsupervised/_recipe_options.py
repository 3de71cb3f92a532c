"""What the unpaired training recipes (two-step, CinCGAN) share: their ``recipe_options`` (parsed by
:mod:`srkit.engine.options`) and the checks of the unpaired data they train from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.engine.config import TrainConfig


def unpaired_scale(recipe: str, config: TrainConfig) -> int:
    """The one scale an unpaired recipe trains, after checking the data config: real LR folders
    (``data.unpaired_lr``), no paired LR, the clean LR made by MATLAB bicubic (``BI``), one scale, no curriculum.

    Raises:
        SrkitError: one line naming what to change.
    """
    d = config.data
    if not d.unpaired_lr:
        raise SrkitError(
            f"recipe {recipe} trains from unpaired data: set data.unpaired_lr to folders of real LR images "
            "(srkit unpairedset makes an honest set)"
        )
    if d.lr_train is not None:
        raise SrkitError(f"recipe {recipe} trains from unpaired data: remove data.lr_train (paired LR)")
    if d.degradation != "BI":
        raise SrkitError(f"recipe {recipe} compares with bicubic LR of the HR side: data.degradation must be BI")
    scales = set(d.scales or [config.model.scale])
    if len(scales) != 1 or config.curriculum:
        raise SrkitError(f"recipe {recipe} trains one scale: give data.scales one value and no curriculum")
    return scales.pop()


def adam(lr: float, betas: tuple[float, float]) -> Callable[[Any], torch.optim.Optimizer]:
    """An Adam factory for a recipe's own players (constant learning rate)."""
    return lambda params: torch.optim.Adam(params, lr=lr, betas=betas)


def requires_grad(module: nn.Module) -> bool:
    """Whether any parameter of ``module`` is being trained (the loop freezes a player once it is updated)."""
    return any(p.requires_grad for p in module.parameters())
