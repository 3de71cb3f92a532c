"""Blind and unsupervised super-resolution (survey section 4): methods that learn from the test image itself or
from unpaired data, and super-resolution for an arbitrary blur kernel.

- ZSSR (Shocher et al., CVPR 2018): a small network trained on the test image's own downscaled versions.
- KernelGAN (Bell-Kligler et al., NeurIPS 2019): the image's own downscaling kernel, estimated by an internal GAN.
- Deep Image Prior (Ulyanov et al., CVPR 2018): an untrained hourglass network fitted to the LR image.
- DPSR (Zhang et al., CVPR 2019): half-quadratic splitting with a learned, noise-level-conditioned prior.
- Degradation learning (Bulat et al., ECCV 2018) and CinCGAN (Yuan et al., CVPRW 2018): trained from unpaired
  folders with ``srkit train``.

Each per-image method runs under a :class:`Budget` (steps, ``max_time``, seed, progress) and reports an
:class:`OptimLog`.
"""

from srkit.unsupervised._images import SRResult, as_rgb_tensor
from srkit.unsupervised._loop import Budget, OptimLog, optimise, seeded
from srkit.unsupervised.cincgan import CinCGANNet, CinCGANRecipe, load_cincgan  # registers recipe cincgan
from srkit.unsupervised.degradation import TwoStepRecipe  # registers recipe two_step
from srkit.unsupervised.dip import DIPConfig, dip
from srkit.unsupervised.dpsr import dpsr, hqs_schedule, lr_kernel
from srkit.unsupervised.kernelgan import KernelGANConfig, KernelResult, estimate_kernel
from srkit.unsupervised.methods import PER_IMAGE_METHODS, PerImageMethod, register_methods
from srkit.unsupervised.zssr import ZSSRConfig, zssr

register_methods()  # srkit bench --method zssr, dpsr, ...

__all__ = [
    "PER_IMAGE_METHODS",
    "Budget",
    "CinCGANNet",
    "CinCGANRecipe",
    "DIPConfig",
    "KernelGANConfig",
    "KernelResult",
    "OptimLog",
    "PerImageMethod",
    "SRResult",
    "TwoStepRecipe",
    "ZSSRConfig",
    "as_rgb_tensor",
    "dip",
    "dpsr",
    "estimate_kernel",
    "hqs_schedule",
    "load_cincgan",
    "lr_kernel",
    "optimise",
    "seeded",
    "zssr",
]
