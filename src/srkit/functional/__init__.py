"""Pure functions on images: MATLAB-exact resizing, colour conversion and small image utilities."""

from srkit.functional.color import gray_to_rgb, rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from srkit.functional.image import image_size, modcrop, shave, to_float, to_uint8
from srkit.functional.resize import KERNEL_NAMES, Resize, imresize

__all__ = [
    "KERNEL_NAMES",
    "Resize",
    "gray_to_rgb",
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
