"""Pixel losses (survey section 3.4.1): L1, L2 (MSE) and Charbonnier, with an optional per-pixel weight.

- L1 / L2: the mean absolute / squared error between the SR image and the HR image.
- Charbonnier: ``sqrt((pred - target)^2 + eps^2)``, a differentiable L1 (P. Charbonnier, L. Blanc-Feraud,
  G. Aubert, M. Barlaud, "Two deterministic half-quadratic regularization algorithms for computed imaging",
  ICIP 1994), as LapSRN uses it with ``eps = 1e-3`` (W.-S. Lai, J.-B. Huang, N. Ahuja, M.-H. Yang, "Deep
  Laplacian Pyramid Networks for Fast and Accurate Super-Resolution", CVPR 2017, https://arxiv.org/abs/1704.03915).

Every loss takes ``pred`` and ``target`` of one shape (any number of dimensions), an optional ``weight`` that
broadcasts to that shape (a mask, or a confidence map), and ``reduction``: ``"mean"`` (the weighted mean with a
weight), ``"sum"`` or ``"none"`` (the weighted loss per element).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.losses._common import Reduction, check_pair, check_reduction, check_weight, reduce

__all__ = [
    "CRITERIA",
    "CharbonnierLoss",
    "L1Loss",
    "MSELoss",
    "charbonnier_loss",
    "get_criterion",
    "l1_loss",
    "mse_loss",
]


def l1_loss(
    pred: torch.Tensor, target: torch.Tensor, *, weight: torch.Tensor | None = None, reduction: Reduction = "mean"
) -> torch.Tensor:
    """Mean absolute error ``|pred - target|``.

    Args:
        pred: the prediction (SR image).
        target: the reference (HR image), same shape as ``pred``.
        weight: optional per-element weight, broadcastable to ``pred``'s shape.
        reduction: ``"mean"`` (weighted mean ``sum(w l) / sum(w)`` with a weight), ``"sum"`` or ``"none"``.

    Returns:
        A 0-d tensor, or the element-wise loss for ``reduction="none"``.

    Shape:
        ``pred``, ``target``: any shape ``(*)``, the same for both; ``weight``: broadcastable to ``(*)``.

    Example:
        >>> l1_loss(torch.zeros(1, 1, 2, 2), torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        tensor(2.5000)
    """
    p, t = check_pair("l1_loss", pred, target)
    reduction = check_reduction("l1_loss", reduction)
    w = check_weight("l1_loss", weight, p.shape)
    return reduce((p - t).abs(), reduction, w)


def mse_loss(
    pred: torch.Tensor, target: torch.Tensor, *, weight: torch.Tensor | None = None, reduction: Reduction = "mean"
) -> torch.Tensor:
    """Mean squared error ``(pred - target)^2`` (the L2 loss of the SR literature).

    Args:
        pred: the prediction (SR image).
        target: the reference (HR image), same shape as ``pred``.
        weight: optional per-element weight, broadcastable to ``pred``'s shape.
        reduction: ``"mean"`` (weighted mean with a weight), ``"sum"`` or ``"none"``.

    Returns:
        A 0-d tensor, or the element-wise loss for ``reduction="none"``.

    Shape:
        ``pred``, ``target``: any shape ``(*)``, the same for both; ``weight``: broadcastable to ``(*)``.

    Example:
        >>> mse_loss(torch.zeros(1, 1, 2, 2), torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        tensor(7.5000)
    """
    p, t = check_pair("mse_loss", pred, target)
    reduction = check_reduction("mse_loss", reduction)
    w = check_weight("mse_loss", weight, p.shape)
    return reduce((p - t).square(), reduction, w)


def charbonnier_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    eps: float = 1e-3,
    weight: torch.Tensor | None = None,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """Charbonnier loss ``sqrt((pred - target)^2 + eps^2)``: L1 away from zero, smooth (quadratic) near it.

    It equals ``eps`` where ``pred == target``, as in LapSRN (``eps = 1e-3``); nothing is subtracted.

    Args:
        pred: the prediction (SR image).
        target: the reference (HR image), same shape as ``pred``.
        eps: the smoothing constant (> 0).
        weight: optional per-element weight, broadcastable to ``pred``'s shape.
        reduction: ``"mean"`` (weighted mean with a weight), ``"sum"`` or ``"none"``.

    Returns:
        A 0-d tensor, or the element-wise loss for ``reduction="none"``.

    Shape:
        ``pred``, ``target``: any shape ``(*)``, the same for both; ``weight``: broadcastable to ``(*)``.

    Example:
        >>> charbonnier_loss(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2))
        tensor(0.0010)
    """
    p, t = check_pair("charbonnier_loss", pred, target)
    reduction = check_reduction("charbonnier_loss", reduction)
    if not eps > 0:
        raise SrkitError(f"charbonnier_loss: eps must be > 0, got {eps!r}")
    w = check_weight("charbonnier_loss", weight, p.shape)
    return reduce(torch.sqrt((p - t).square() + eps * eps), reduction, w)


Criterion = Callable[..., torch.Tensor]
CRITERIA: dict[str, Criterion] = {"l1": l1_loss, "l2": mse_loss, "mse": mse_loss, "charbonnier": charbonnier_loss}
"""Pixel criteria by name, for the losses that compare features or spectra (``"l2"`` and ``"mse"`` are one)."""


def get_criterion(name: str) -> Criterion:
    """The pixel loss function called ``name`` (``"l1"``, ``"l2"``/``"mse"`` or ``"charbonnier"``).

    Example:
        >>> get_criterion("l2") is mse_loss
        True
    """
    if name not in CRITERIA:
        raise SrkitError(f"unknown criterion {name!r}; choose one of {', '.join(CRITERIA)}")
    return CRITERIA[name]


class L1Loss(nn.Module):
    """:func:`l1_loss` as a module.

    Example:
        >>> L1Loss()(torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4))
        tensor(1.)
    """

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction("L1Loss", reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        return l1_loss(pred, target, weight=weight, reduction=self.reduction)


class MSELoss(nn.Module):
    """:func:`mse_loss` (L2) as a module.

    Example:
        >>> MSELoss()(torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 2.0))
        tensor(4.)
    """

    def __init__(self, *, reduction: Reduction = "mean") -> None:
        super().__init__()
        self.reduction = check_reduction("MSELoss", reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        return mse_loss(pred, target, weight=weight, reduction=self.reduction)


class CharbonnierLoss(nn.Module):
    """:func:`charbonnier_loss` as a module.

    Example:
        >>> CharbonnierLoss(eps=1e-3)(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))
        tensor(0.0010)
    """

    def __init__(self, *, eps: float = 1e-3, reduction: Reduction = "mean") -> None:
        super().__init__()
        if not eps > 0:
            raise SrkitError(f"CharbonnierLoss: eps must be > 0, got {eps!r}")
        self.eps = float(eps)
        self.reduction = check_reduction("CharbonnierLoss", reduction)

    def forward(self, pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
        return charbonnier_loss(pred, target, eps=self.eps, weight=weight, reduction=self.reduction)
