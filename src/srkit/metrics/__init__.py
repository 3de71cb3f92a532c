"""Image-quality metrics measured as the SR papers do (EVALUATION.md steps 4-6).

Every metric takes ``sr`` and ``hr`` as numpy arrays ``(H, W)`` / ``(H, W, C)`` or torch tensors
``(C, H, W)`` / ``(B, C, H, W)``; uint8 means the 0-255 scale, floating point the 0-1 scale. By default they
measure the float Y channel of MATLAB ``rgb2ycbcr``; ``crop_border`` shaves the borders and ``y_round`` rounds
Y as MATLAB does on uint8 images. Numpy input gives a python float, torch input one float64 value per image.
:func:`niqe` is no-reference: it takes one image and gives a python float (lower is more natural).
:func:`nme` is the landmark error of face alignment (estimated vs true 68 points).
"""

from srkit.metrics.landmarks import nme
from srkit.metrics.niqe import niqe
from srkit.metrics.psnr import PSNR, psnr
from srkit.metrics.ssim import MSSSIM, SSIM, ms_ssim, ssim

__all__ = ["MSSSIM", "PSNR", "SSIM", "ms_ssim", "niqe", "nme", "psnr", "ssim"]
