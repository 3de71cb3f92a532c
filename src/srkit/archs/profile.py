"""Counting a model's floating-point operations without running it (meta tensors)."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from srkit._core.cards import call_model
from srkit.archs._registry import MODELS, build_model


def model_flops(name: str, *, scale: int | None = None, size: int = 64) -> int | None:
    """FLOPs (multiply and add counted separately) of one forward pass of the registered model ``name`` on one
    ``size`` x ``size`` LR input, counted on the meta device (no memory, no compute). None if the model cannot
    run on meta tensors."""
    card = MODELS.get(name).card
    s = card.scales[0] if scale is None else scale
    try:
        with torch.device("meta"):
            model = build_model(name, scale=s)
            x = torch.zeros(1, card.in_channels, size, size)
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            call_model(model, x, s)
        return int(counter.get_total_flops())
    except Exception:
        return None
