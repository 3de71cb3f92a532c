"""Hyperspectral super-resolution (survey section 6.2): single-image HSI SR and fusion with RGB/MS/PAN.

- :func:`super_resolve`: a cube by itself (srkit's band-shared 3-D network, any band count, or bicubic).
- :func:`fuse`: an LR cube with an HR RGB/MS/PAN guide through the guide's spectral response (srkit's fusion
  network, the regression start, GSA, CNMF, bicubic), the response given or estimated.
- :func:`simulate`: Wald's protocol (:mod:`srkit.degradations.wald`), the LR cube and the HR guide of an HR cube.
- :mod:`srkit.hsi.response`: spectral responses (CSV files, CIE 1931); :mod:`srkit.hsi.scenes`: the team's cubes.
- :mod:`srkit.hsi.evaluate`: methods scored by band-mean PSNR/SSIM, SAM, ERGAS, RMSE
  (:mod:`srkit.metrics.spectral`); :mod:`srkit.hsi.plot`: spectral-signature plots.
- :mod:`srkit.hsi.train`: ``srkit train`` with ``data.kind: cubes`` and ``recipe: hsi``.

Cube files (``.npy``, ``.npz``, ``.mat``, GeoTIFF) are read and written by :mod:`srkit.data.cube`.
"""

from srkit.hsi.api import FUSION_METHODS, SR_METHODS, fuse, simulate, super_resolve
from srkit.hsi.data import CubeBatches
from srkit.hsi.evaluate import CubeScore, evaluate_fusion, evaluate_sr
from srkit.hsi.response import SpectralResponse, cie_xyz, read_response
from srkit.hsi.scenes import load_scene
from srkit.hsi.train import HSIRecipe  # registers data kind cubes and recipe hsi

__all__ = [
    "FUSION_METHODS",
    "SR_METHODS",
    "CubeBatches",
    "CubeScore",
    "HSIRecipe",
    "SpectralResponse",
    "cie_xyz",
    "evaluate_fusion",
    "evaluate_sr",
    "fuse",
    "load_scene",
    "read_response",
    "simulate",
    "super_resolve",
]
