"""Exponential moving average of a model's weights (evaluated and saved beside the raw weights)."""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """``shadow = decay * shadow + (1 - decay) * weights`` after every step; buffers are copied.

    Example:
        >>> ema = EMA(nn.Linear(2, 2), decay=0.9)
        >>> ema.update(nn.Linear(2, 2))
    """

    def __init__(self, model: nn.Module, decay: float = 0.999) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        for shadow, p in zip(self.model.parameters(), model.parameters(), strict=True):
            shadow.lerp_(p.detach(), 1.0 - self.decay)
        for shadow_b, b in zip(self.model.buffers(), model.buffers(), strict=True):
            shadow_b.copy_(b)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.model.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(state, strict=True)
