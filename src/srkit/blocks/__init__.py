"""Building blocks of SR networks (survey section 3): upsampling layers and network designs.

Every block is registered here, explicitly, under a lower-case name (a duplicate name raises); specs like
``{"block": "rcab", "reduction": 16}`` build them through :func:`build_block`.
"""

from srkit.blocks._build import BLOCKS, UPSAMPLERS, BlockEntry, build_block, build_upsampler
from srkit.blocks.common import MeanShift, activation, conv2d
from srkit.blocks.residual import GlobalResidual, ResBlock
from srkit.blocks.upsample import (
    InterpolationUpsample,
    MetaUpscale,
    SubPixelUpsample,
    TransposedConvUpsample,
    icnr_,
)

UPSAMPLERS.register("interpolation", BlockEntry(InterpolationUpsample, "upsample", "interpolation-based upsampling"))
UPSAMPLERS.register("transposed", BlockEntry(TransposedConvUpsample, "upsample", "transposed convolution"))
UPSAMPLERS.register("subpixel", BlockEntry(SubPixelUpsample, "upsample", "sub-pixel convolution"))
UPSAMPLERS.register("meta", BlockEntry(MetaUpscale, "upsample", "meta upscale (arbitrary scale)"))

BLOCKS.register("resblock", BlockEntry(ResBlock, "body", "local residual learning"))

__all__ = [
    "BLOCKS",
    "UPSAMPLERS",
    "BlockEntry",
    "GlobalResidual",
    "InterpolationUpsample",
    "MeanShift",
    "MetaUpscale",
    "ResBlock",
    "SubPixelUpsample",
    "TransposedConvUpsample",
    "activation",
    "build_block",
    "build_upsampler",
    "conv2d",
    "icnr_",
]
