"""Training losses (survey section 3.4.1): pixel, content (perceptual), texture, adversarial, cycle-consistency,
total-variation and frequency losses.

Every loss is a pure function plus a thin ``nn.Module`` calling it, with shapes checked at entry. The content and
texture losses run on a feature network: :class:`VGG19Features` with ImageNet weights from a file the user gives
(never downloaded), or :class:`SRKitFeatures`, srkit's file-free network of fixed random features (NOT ImageNet
VGG; see its docstring). The adversarial losses take the logits of the discriminators in
``srkit.archs.build_discriminator``.

This package imports only ``srkit._core`` and torch.
"""

from srkit.losses._common import REDUCTIONS, Reduction
from srkit.losses.adversarial import GAN_KINDS, GANKind, GANLoss, gan_loss, gradient_penalty
from srkit.losses.features import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    VGG19_LAYERS,
    FeatureNetwork,
    SRKitFeatures,
    VGG19Features,
)
from srkit.losses.perceptual import PerceptualLoss, TextureLoss, gram_matrix, perceptual_loss, texture_loss
from srkit.losses.pixel import (
    CRITERIA,
    CharbonnierLoss,
    L1Loss,
    MSELoss,
    charbonnier_loss,
    get_criterion,
    l1_loss,
    mse_loss,
)
from srkit.losses.regularisers import (
    CycleLoss,
    FrequencyLoss,
    TVLoss,
    cycle_loss,
    frequency_loss,
    total_variation,
)

__all__ = [
    "CRITERIA",
    "GAN_KINDS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "REDUCTIONS",
    "VGG19_LAYERS",
    "CharbonnierLoss",
    "CycleLoss",
    "FeatureNetwork",
    "FrequencyLoss",
    "GANKind",
    "GANLoss",
    "L1Loss",
    "MSELoss",
    "PerceptualLoss",
    "Reduction",
    "SRKitFeatures",
    "TVLoss",
    "TextureLoss",
    "VGG19Features",
    "charbonnier_loss",
    "cycle_loss",
    "frequency_loss",
    "gan_loss",
    "get_criterion",
    "gradient_penalty",
    "gram_matrix",
    "l1_loss",
    "mse_loss",
    "perceptual_loss",
    "texture_loss",
    "total_variation",
]
