"""Content (perceptual) and texture losses over a feature network (survey section 3.4.1).

- Content loss: the distance between feature maps of the SR and HR images, ``sum_l w_l * d(phi_l(SR),
  phi_l(HR))``: J. Johnson, A. Alahi, L. Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
  Super-Resolution", ECCV 2016 (https://arxiv.org/abs/1603.08155); SRGAN (VGG54 after activation) and ESRGAN
  (``conv5_4`` before activation, L1).
- Texture loss: the distance between Gram matrices (feature correlations), L. A. Gatys, A. S. Ecker, M. Bethge,
  "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016; computed on patches by EnhanceNet:
  M. S. M. Sajjadi, B. Scholkopf, M. Hirsch, "EnhanceNet: Single Image Super-Resolution Through Automated Texture
  Synthesis", ICCV 2017 (https://arxiv.org/abs/1612.07919), 16 x 16 patches.

The feature network is a :class:`~srkit.losses.features.FeatureNetwork`: :class:`VGG19Features` with an ImageNet
weights file the user gives, or srkit's file-free :class:`SRKitFeatures` (the default here).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.losses._common import Reduction, check_pair, check_reduction, check_tensor
from srkit.losses.features import FeatureNetwork, SRKitFeatures
from srkit.losses.pixel import get_criterion

__all__ = ["PerceptualLoss", "TextureLoss", "gram_matrix", "perceptual_loss", "texture_loss"]

_FEATURE_REDUCTIONS = ("mean", "none")
_IMAGES = "(B, C, H, W)"


def _features(
    name: str,
    feature_net: FeatureNetwork,
    pred: torch.Tensor,
    target: torch.Tensor,
    layers: Mapping[str, float],
    detach_target: bool,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    check_pair(name, pred, target, ndims=(4,), what=_IMAGES)
    _check_layers(name, feature_net, layers)
    pred_features = feature_net(pred)
    if detach_target:
        with torch.no_grad():
            target_features = feature_net(target.detach())
    else:
        target_features = feature_net(target)
    return pred_features, target_features


def _check_layers(name: str, feature_net: object, layers: Mapping[str, float]) -> None:
    if not isinstance(feature_net, FeatureNetwork):
        raise SrkitError(f"{name}: feature_net must be a srkit FeatureNetwork, got {type(feature_net).__name__}")
    if not isinstance(layers, Mapping) or not layers:
        raise SrkitError(f"{name}: layers must be a non-empty mapping {{layer name: weight}}, got {layers!r}")
    missing = [layer for layer in layers if layer not in feature_net.layers]
    if missing:
        raise SrkitError(
            f"{name}: layer {missing[0]!r} is not among the feature network's layers "
            f"({', '.join(feature_net.layers)}); build {type(feature_net).__name__} with layers=[...] including it"
        )


def _check_patch_size(name: str, patch_size: object) -> None:
    if patch_size is not None and (isinstance(patch_size, bool) or not isinstance(patch_size, int) or patch_size < 1):
        raise SrkitError(f"{name}: patch_size must be an integer >= 1 or None, got {patch_size!r}")


def _per_sample(loss: torch.Tensor) -> torch.Tensor:
    return loss.flatten(1).mean(1)


def perceptual_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    feature_net: FeatureNetwork,
    layers: Mapping[str, float],
    criterion: str = "l1",
    reduction: Reduction = "mean",
    detach_target: bool = True,
) -> torch.Tensor:
    """Content loss ``sum_l layers[l] * criterion(phi_l(pred), phi_l(target))``.

    Args:
        pred: SR images in [0, 1].
        target: HR images in [0, 1], same shape.
        feature_net: the feature network (its ``layers`` must include every key of ``layers``).
        layers: ``{layer name: weight}``, e.g. ``{"conv5_4": 1.0}`` (ESRGAN) with :class:`VGG19Features`.
        criterion: ``"l1"``, ``"l2"`` or ``"charbonnier"``, applied to each layer with a mean over its elements.
        reduction: ``"mean"`` (0-d) or ``"none"`` (one value per sample, ``(B,)``).
        detach_target: compute the target's features without a graph (the target is a constant).

    Returns:
        A 0-d tensor, or ``(B,)`` for ``reduction="none"``.

    Shape:
        ``pred``, ``target``: ``(B, C, H, W)``, the same for both.

    Example:
        >>> net = SRKitFeatures(layers=["relu2"])
        >>> x = torch.rand(1, 3, 16, 16)
        >>> perceptual_loss(x, x, feature_net=net, layers={"relu2": 1.0})
        tensor(0.)
    """
    reduction = check_reduction("perceptual_loss", reduction, _FEATURE_REDUCTIONS)
    crit = get_criterion(criterion)
    fp, ft = _features("perceptual_loss", feature_net, pred, target, layers, detach_target)
    total: torch.Tensor | int = 0
    for layer, weight in layers.items():
        value = crit(fp[layer], ft[layer], reduction="none")
        total = total + weight * (_per_sample(value) if reduction == "none" else value.mean())
    assert isinstance(total, torch.Tensor)
    return total


def gram_matrix(features: torch.Tensor, *, patch_size: int | None = None) -> torch.Tensor:
    """Gram matrix of feature maps, ``G = F F^T / (C * N)`` with ``F`` the ``(C, N)`` features of ``N`` pixels.

    With ``patch_size = p``, one Gram matrix per non-overlapping ``p x p`` patch (EnhanceNet); the bottom and
    right rows/columns that do not fill a patch are left out.

    Args:
        features: feature maps.
        patch_size: the patch side in feature pixels, or None for one Gram matrix over the whole map.

    Returns:
        ``(B, C, C)``, or ``(B, P, C, C)`` for ``P = (H // p) * (W // p)`` patches in row-major order.

    Shape:
        ``features``: ``(B, C, H, W)``.

    Example:
        >>> gram_matrix(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
        tensor([[[7.5000]]])
    """
    f = check_tensor("gram_matrix: features", features, ndims=(4,), what=_IMAGES)
    b, c, h, w = f.shape
    if patch_size is None:
        flat = f.reshape(b, c, h * w)
        return flat @ flat.transpose(1, 2) / (c * h * w)
    p = patch_size
    if isinstance(p, bool) or not isinstance(p, int) or p < 1 or p > min(h, w):
        raise SrkitError(f"gram_matrix: patch_size must be an integer in [1, {min(h, w)}] here, got {patch_size!r}")
    nh, nw = h // p, w // p
    patches = f[..., : nh * p, : nw * p].reshape(b, c, nh, p, nw, p).permute(0, 2, 4, 1, 3, 5)
    flat = patches.reshape(b, nh * nw, c, p * p)
    return flat @ flat.transpose(2, 3) / (c * p * p)


def texture_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    feature_net: FeatureNetwork,
    layers: Mapping[str, float],
    patch_size: int | None = None,
    criterion: str = "l2",
    reduction: Reduction = "mean",
    detach_target: bool = True,
) -> torch.Tensor:
    """Texture (style) loss ``sum_l layers[l] * criterion(G(phi_l(pred)), G(phi_l(target)))``, ``G`` the Gram
    matrix (:func:`gram_matrix`).

    Args:
        pred: SR images in [0, 1].
        target: HR images in [0, 1], same shape.
        feature_net: the feature network (its ``layers`` must include every key of ``layers``).
        layers: ``{layer name: weight}``.
        patch_size: None for a global Gram matrix (Gatys); otherwise the patch side in IMAGE pixels (EnhanceNet:
            16): at a layer downsampled by ``s`` the patch is ``max(1, patch_size // s)`` feature pixels, at
            most the feature map's size.
        criterion: ``"l2"`` (Gatys, EnhanceNet), ``"l1"`` or ``"charbonnier"``.
        reduction: ``"mean"`` (0-d) or ``"none"`` (``(B,)``).
        detach_target: compute the target's features without a graph.

    Returns:
        A 0-d tensor, or ``(B,)`` for ``reduction="none"``.

    Shape:
        ``pred``, ``target``: ``(B, C, H, W)``, the same for both.

    Example:
        >>> net = SRKitFeatures(layers=["relu1"])
        >>> x = torch.rand(1, 3, 16, 16)
        >>> texture_loss(x, x, feature_net=net, layers={"relu1": 1.0}, patch_size=8)
        tensor(0.)
    """
    reduction = check_reduction("texture_loss", reduction, _FEATURE_REDUCTIONS)
    crit = get_criterion(criterion)
    _check_patch_size("texture_loss", patch_size)
    fp, ft = _features("texture_loss", feature_net, pred, target, layers, detach_target)
    total: torch.Tensor | int = 0
    for layer, weight in layers.items():
        p = None
        if patch_size is not None:
            h, w = fp[layer].shape[-2:]
            stride = max(1, pred.shape[-2] // h)
            p = min(max(1, patch_size // stride), h, w)
        value = crit(gram_matrix(fp[layer], patch_size=p), gram_matrix(ft[layer], patch_size=p), reduction="none")
        total = total + weight * (_per_sample(value) if reduction == "none" else value.mean())
    assert isinstance(total, torch.Tensor)
    return total


def _default_net(name: str, layers: Mapping[str, float], feature_net: FeatureNetwork | None) -> FeatureNetwork:
    if feature_net is None:
        if not isinstance(layers, Mapping) or not layers:
            raise SrkitError(f"{name}: layers must be a non-empty mapping {{layer name: weight}}, got {layers!r}")
        feature_net = SRKitFeatures(layers=list(layers))
    _check_layers(name, feature_net, layers)
    return feature_net


class PerceptualLoss(nn.Module):
    """:func:`perceptual_loss` as a module, holding its feature network.

    Args:
        layers: ``{layer name: weight}``.
        criterion: ``"l1"``, ``"l2"`` or ``"charbonnier"``.
        feature_net: the feature network; None builds :class:`SRKitFeatures` (fixed random features, no file)
            with ``layers``. For ImageNet VGG19: ``VGG19Features(layers=[...], weights="vgg19-dcbbc4f6.pth")``.
        reduction: ``"mean"`` or ``"none"`` (``(B,)``).
        detach_target: compute the target's features without a graph.

    Example:
        >>> loss = PerceptualLoss(layers={"relu1": 0.5, "relu3": 1.0})
        >>> x = torch.rand(2, 3, 16, 16)
        >>> bool(loss(x, x) == 0)
        True
    """

    def __init__(
        self,
        *,
        layers: Mapping[str, float],
        criterion: str = "l1",
        feature_net: FeatureNetwork | None = None,
        reduction: Reduction = "mean",
        detach_target: bool = True,
    ) -> None:
        super().__init__()
        get_criterion(criterion)
        self.reduction = check_reduction("PerceptualLoss", reduction, _FEATURE_REDUCTIONS)
        self.feature_net = _default_net("PerceptualLoss", layers, feature_net)
        self.layers = dict(layers)
        self.criterion = criterion
        self.detach_target = detach_target

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return perceptual_loss(
            pred,
            target,
            feature_net=self.feature_net,
            layers=self.layers,
            criterion=self.criterion,
            reduction=self.reduction,
            detach_target=self.detach_target,
        )


class TextureLoss(nn.Module):
    """:func:`texture_loss` as a module, holding its feature network.

    Args:
        layers: ``{layer name: weight}``.
        patch_size: None (global Gram matrices) or the patch side in image pixels (EnhanceNet: 16).
        criterion: ``"l2"``, ``"l1"`` or ``"charbonnier"``.
        feature_net: the feature network; None builds :class:`SRKitFeatures` with ``layers``.
        reduction: ``"mean"`` or ``"none"`` (``(B,)``).
        detach_target: compute the target's features without a graph.

    Example:
        >>> loss = TextureLoss(layers={"relu1": 1.0, "relu2": 1.0}, patch_size=16)
        >>> x = torch.rand(2, 3, 32, 32)
        >>> bool(loss(x, x) == 0)
        True
    """

    def __init__(
        self,
        *,
        layers: Mapping[str, float],
        patch_size: int | None = None,
        criterion: str = "l2",
        feature_net: FeatureNetwork | None = None,
        reduction: Reduction = "mean",
        detach_target: bool = True,
    ) -> None:
        super().__init__()
        get_criterion(criterion)
        if patch_size is not None and (
            isinstance(patch_size, bool) or not isinstance(patch_size, int) or patch_size < 1
        ):
            raise SrkitError(f"TextureLoss: patch_size must be an integer >= 1 or None, got {patch_size!r}")
        self.reduction = check_reduction("TextureLoss", reduction, _FEATURE_REDUCTIONS)
        self.feature_net = _default_net("TextureLoss", layers, feature_net)
        self.layers = dict(layers)
        self.patch_size = patch_size
        self.criterion = criterion
        self.detach_target = detach_target

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return texture_loss(
            pred,
            target,
            feature_net=self.feature_net,
            layers=self.layers,
            patch_size=self.patch_size,
            criterion=self.criterion,
            reduction=self.reduction,
            detach_target=self.detach_target,
        )
