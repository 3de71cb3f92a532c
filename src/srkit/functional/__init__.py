"""Pure functions on images: MATLAB-exact resizing, colour conversion and small image utilities."""

from srkit.functional.color import gray_to_rgb, rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from srkit.functional.image import image_size, modcrop, shave, to_float, to_uint8
from srkit.functional.resize import KERNEL_NAMES, Resize, imresize
from srkit.functional.wavelet import BANDS, HaarDWT, HaarIDWT, haar_dwt, haar_idwt

__all__ = [
    "BANDS",
    "KERNEL_NAMES",
    "HaarDWT",
    "HaarIDWT",
    "Resize",
    "gray_to_rgb",
    "haar_dwt",
    "haar_idwt",
    "image_size",
    "imresize",
    "modcrop",
    "rgb_to_y",
    "rgb_to_ycbcr",
    "shave",
    "to_float",
    "to_uint8",
    "ycbcr_to_rgb",
]
