"""Checks and reductions shared by every loss: one place that says what ``reduction`` and a pair of shapes mean."""

from __future__ import annotations

from typing import Literal, cast, get_args

import torch

from srkit._core.errors import SrkitError

Reduction = Literal["mean", "sum", "none"]
"""``"mean"``: average over elements; ``"sum"``: total; ``"none"``: the loss per element (or per sample)."""

REDUCTIONS: tuple[str, ...] = get_args(Reduction)


def check_tensor(name: str, x: object, *, ndims: tuple[int, ...] | None = None, what: str = "") -> torch.Tensor:
    """Return ``x`` after checking that it is a non-empty floating-point tensor with one of ``ndims`` dimensions."""
    if not isinstance(x, torch.Tensor):
        raise SrkitError(f"{name} must be a torch tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise SrkitError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if ndims is not None and x.ndim not in ndims:
        raise SrkitError(f"{name} must have shape {what}, got {tuple(x.shape)}")
    if x.numel() == 0:
        raise SrkitError(f"{name} is empty: shape {tuple(x.shape)}")
    return x


def check_pair(
    loss: str, pred: object, target: object, *, ndims: tuple[int, ...] | None = None, what: str = ""
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check that ``pred`` and ``target`` are floating-point tensors of one shape, on one device."""
    p = check_tensor(f"{loss}: pred", pred, ndims=ndims, what=what)
    t = check_tensor(f"{loss}: target", target, ndims=ndims, what=what)
    if p.shape != t.shape:
        raise SrkitError(f"{loss}: pred and target must have the same shape, got {tuple(p.shape)} and {tuple(t.shape)}")
    if p.device != t.device:
        raise SrkitError(f"{loss}: pred and target are on different devices ({p.device} and {t.device})")
    return p, t


def check_reduction(loss: str, reduction: object, allowed: tuple[str, ...] = REDUCTIONS) -> Reduction:
    """Return ``reduction`` after checking that it is one of ``allowed``."""
    if reduction not in allowed:
        raise SrkitError(f"{loss}: unknown reduction {reduction!r}; choose one of {', '.join(allowed)}")
    return cast(Reduction, reduction)


def check_weight(loss: str, weight: torch.Tensor | None, shape: torch.Size) -> torch.Tensor | None:
    """Check that a per-element ``weight`` broadcasts to ``shape`` without changing it."""
    if weight is None:
        return None
    w = check_tensor(f"{loss}: weight", weight)
    try:
        broadcast = torch.broadcast_shapes(w.shape, shape)
    except RuntimeError:
        broadcast = None
    if broadcast != shape:
        raise SrkitError(f"{loss}: weight of shape {tuple(w.shape)} does not broadcast to {tuple(shape)}")
    return w


def reduce(loss: torch.Tensor, reduction: str, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Weight and reduce an element-wise loss.

    With a ``weight``, ``"mean"`` is the weighted mean ``sum(w * l) / sum(w)`` (``w`` broadcast to the loss's
    shape), so a 0/1 mask averages over the masked elements only; an all-zero weight gives 0.
    """
    if weight is not None:
        loss = loss * weight
        if reduction == "mean":
            total = weight.expand_as(loss).sum()
            return loss.sum() / total.clamp_min(torch.finfo(loss.dtype).tiny)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
