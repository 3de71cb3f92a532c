"""What the unpaired training recipes (two-step, CinCGAN) share: their ``recipe_options`` parsed and checked with
one-line errors, and the checks of the unpaired data they train from."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.engine.config import TrainConfig


@dataclass(frozen=True)
class Option:
    """One recipe option: its default, type (``int``, ``float`` or ``str``), and the rule a value must meet."""

    default: Any
    kind: type
    rule: str = ""  # shown in the error, e.g. "> 0"
    check: Callable[[Any], bool] | None = None
    choices: tuple[str, ...] = ()


def positive(kind: type, default: Any) -> Option:
    return Option(default, kind, "> 0", lambda v: v > 0)


def non_negative(kind: type, default: Any) -> Option:
    return Option(default, kind, ">= 0", lambda v: v >= 0)


def parse_options(recipe: str, given: Mapping[str, Any], spec: Mapping[str, Option]) -> dict[str, Any]:
    """``given`` (a config's ``recipe_options``) checked against ``spec``, defaults filled in.

    Raises:
        SrkitError: an unknown key, a value of the wrong type, or out of range (one line naming the key).
    """
    unknown = sorted(set(given) - set(spec))
    if unknown:
        raise SrkitError(f"recipe {recipe}: unknown recipe_options {unknown}; known: {', '.join(spec)}")
    out = {}
    for key, option in spec.items():
        value = given.get(key, option.default)
        where = f"recipe {recipe}: recipe_options.{key}"
        if option.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) != (option.kind is bool) or not isinstance(value, option.kind):
            raise SrkitError(f"{where} must be {option.kind.__name__}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SrkitError(f"{where} must be finite, got {value!r}")
        if option.choices and value not in option.choices:
            raise SrkitError(f"{where} must be one of {', '.join(option.choices)}, got {value!r}")
        if option.check is not None and not option.check(value):
            raise SrkitError(f"{where} must be {option.rule}, got {value!r}")
        out[key] = value
    return out


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
