"""Training recipes: each implements one step, ``training_step(batch) -> dict of tensors`` with a ``"loss"``;
the loop (``srkit.engine.loop``) does the backward pass, clipping, optimiser and schedule."""

from __future__ import annotations

import inspect
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.losses import get_criterion


class SupervisedRecipe:
    """Pixel-loss training; with ``supervise="all"`` every intermediate output of ``forward_all`` is supervised
    (multi-supervision: DRCN's recursions, SRFBN's steps, MemNet's memories at the HR size; LapSRN's pyramid
    levels against the HR downscaled to each level)."""

    def __init__(self, model: nn.Module, *, pixel: str = "l1", supervise: str = "last") -> None:
        if supervise == "all" and not hasattr(model, "forward_all"):
            raise SrkitError(f"{type(model).__name__} has no intermediate outputs (forward_all) to supervise")
        self.model, self.loss, self.supervise = model, get_criterion(pixel), supervise
        self.takes_scale = "scale" in inspect.signature(model.forward).parameters

    def _forward(self, lr: torch.Tensor, scale: int) -> list[torch.Tensor]:
        if self.supervise == "all":
            fn: Any = self.model.forward_all
            return list(fn(lr, scale) if "scale" in inspect.signature(fn).parameters else fn(lr))
        return [self.model(lr, scale) if self.takes_scale else self.model(lr)]

    def training_step(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        lr, hr, scale = batch["lr"], batch["hr"], int(batch["scale"])
        outputs = self._forward(lr, scale)
        losses = []
        for out in outputs:
            target = hr if out.shape[-2:] == hr.shape[-2:] else F.interpolate(hr, size=out.shape[-2:], mode="area")
            losses.append(self.loss(out.float(), target.float()))
        total = torch.stack(losses).mean()
        return {"loss": total, "pixel_last": losses[-1].detach()}
