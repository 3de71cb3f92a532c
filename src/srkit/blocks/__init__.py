"""Building blocks of SR networks (survey section 3): upsampling layers and network designs.

Every block is registered here, explicitly, under a lower-case name (a duplicate name raises); specs like
``{"block": "rcab", "reduction": 16}`` build them through :func:`build_block`. ``docs/composition.md`` maps the
survey's taxonomy onto these names.
"""

from srkit._core.checks import check_scale
from srkit.blocks._build import BLOCKS, UPSAMPLERS, BlockEntry, build_block, build_upsampler
from srkit.blocks.attention import RCAB, SCPA, ChannelAttention, PixelAttention, ResidualGroup
from srkit.blocks.common import (
    INTERPOLATIONS,
    MeanShift,
    activation,
    check_interpolation,
    conv2d,
    default_mean,
    interpolate,
)
from srkit.blocks.conv import IMDB, CascadingBlock, CCALayer, DilatedConvBlock, EResidualBlock, ResidualBlock
from srkit.blocks.dense import RDB, RRDB, DenseBlock, ResidualDenseBlock
from srkit.blocks.feedback import FeedbackBlock, FeedbackLoop
from srkit.blocks.hourglass import Hourglass
from srkit.blocks.multipath import MSRB, MultiPathGlobal, ScaleSpecific
from srkit.blocks.projection import DownProjection, LaplacianStep, UpProjection
from srkit.blocks.pyramid import PyramidPooling
from srkit.blocks.recursive import ConvAct, Recursive, RecursiveResidual
from srkit.blocks.residual import GlobalResidual, ResBlock
from srkit.blocks.sequential import SequentialRefiner
from srkit.blocks.upsample import (
    EDSRUpsampler,
    InterpolationUpsample,
    MetaUpscale,
    SubPixelUpsample,
    TransposedConvUpsample,
    icnr_,
)
from srkit.blocks.wavelet import WaveletBody, WaveletSR

_UPSAMPLERS = {
    "interpolation": (InterpolationUpsample, "interpolation-based upsampling (nearest, bilinear, bicubic) + conv"),
    "transposed": (TransposedConvUpsample, "transposed convolution layer"),
    "subpixel": (SubPixelUpsample, "sub-pixel layer"),
    "meta": (MetaUpscale, "meta upscale module (arbitrary scale)"),
}
for _name, (_cls, _survey) in _UPSAMPLERS.items():
    UPSAMPLERS.register(_name, BlockEntry(_cls, "upsample", _survey))

# name: (class, role, the survey's term)
_BLOCKS = {
    "resblock": (ResBlock, "body", "residual learning (local)"),
    "carn_resblock": (ResidualBlock, "body", "residual learning (local, CARN)"),
    "conv_act": (ConvAct, "body", "recursive learning (DRCN's layer)"),
    "recursive": (Recursive, "body", "recursive learning"),
    "recursive_residual": (RecursiveResidual, "body", "recursive learning (DRRN)"),
    "channel_attention": (ChannelAttention, "body", "channel attention"),
    "rcab": (RCAB, "body", "channel attention (RCAN)"),
    "residual_group": (ResidualGroup, "body", "channel attention (RCAN residual group)"),
    "pixel_attention": (PixelAttention, "body", "pixel attention (PAN)"),
    "scpa": (SCPA, "body", "pixel attention (PAN)"),
    "dense_block": (DenseBlock, "body", "dense connections"),
    "rdb": (RDB, "body", "dense connections (RDN)"),
    "residual_dense_block": (ResidualDenseBlock, "body", "dense connections (ESRGAN)"),
    "rrdb": (RRDB, "body", "dense connections (ESRGAN residual-in-residual)"),
    "msrb": (MSRB, "body", "local multi-path learning"),
    "scale_specific": (ScaleSpecific, "special", "scale-specific multi-path learning"),
    "multipath_global": (MultiPathGlobal, "body", "global multi-path learning"),
    "dilated": (DilatedConvBlock, "body", "dilated convolution"),
    "eresidual": (EResidualBlock, "body", "group convolution (CARN-M)"),
    "cascading": (CascadingBlock, "body", "group convolution, cascading (CARN)"),
    "imdb": (IMDB, "body", "information distillation (IMDN)"),
    "pyramid_pooling": (PyramidPooling, "body", "pyramid pooling"),
    "sequential_refiner": (SequentialRefiner, "body", "pixel recursive / attention-based sequential refinement"),
    "wavelet_body": (WaveletBody, "body", "wavelet transformation (feature level)"),
    "wavelet_sr": (WaveletSR, "special", "wavelet transformation (image level)"),
    "feedback": (FeedbackBlock, "special", "feedback (SRFBN)"),
    "feedback_loop": (FeedbackLoop, "special", "feedback (SRFBN), unrolled"),
    "up_projection": (UpProjection, "upsample", "iterative up-and-down sampling"),
    "down_projection": (DownProjection, "downsample", "iterative up-and-down sampling"),
    "laplacian_step": (LaplacianStep, "special", "progressive upsampling (LapSRN)"),
}
for _name, (_cls, _role, _survey) in _BLOCKS.items():
    BLOCKS.register(_name, BlockEntry(_cls, _role, _survey))

__all__ = [
    "BLOCKS",
    "IMDB",
    "INTERPOLATIONS",
    "MSRB",
    "RCAB",
    "RDB",
    "RRDB",
    "SCPA",
    "UPSAMPLERS",
    "BlockEntry",
    "CCALayer",
    "CascadingBlock",
    "ChannelAttention",
    "ConvAct",
    "DenseBlock",
    "DilatedConvBlock",
    "DownProjection",
    "EDSRUpsampler",
    "EResidualBlock",
    "FeedbackBlock",
    "FeedbackLoop",
    "GlobalResidual",
    "Hourglass",
    "InterpolationUpsample",
    "LaplacianStep",
    "MeanShift",
    "MetaUpscale",
    "MultiPathGlobal",
    "PixelAttention",
    "PyramidPooling",
    "Recursive",
    "RecursiveResidual",
    "ResBlock",
    "ResidualBlock",
    "ResidualDenseBlock",
    "ResidualGroup",
    "ScaleSpecific",
    "SequentialRefiner",
    "SubPixelUpsample",
    "TransposedConvUpsample",
    "UpProjection",
    "WaveletBody",
    "WaveletSR",
    "activation",
    "build_block",
    "build_upsampler",
    "check_interpolation",
    "check_scale",
    "conv2d",
    "default_mean",
    "icnr_",
    "interpolate",
]
