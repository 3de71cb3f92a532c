"""The hyperspectral scenes of ``../shared/data/hsi`` with the facts their files do not hold (wavelengths).

=================  ==========================  =====  ======================================================
name               file (key)                  bands  wavelengths (nm)
=================  ==========================  =====  ======================================================
``cave_balloons``  CAVE_256/balloons_ms.mat    31     400-700 in 10 nm steps (CAVE; Yasuma et al. 2010)
``houston2018``    Houston2018_subset (hyprImg) 48    380-1050, evenly spaced (ITRES CASI 1500, IEEE GRSS
                                                      DFC 2018); with its 4x finer RGB ``rgbImg``
``samson``         Samson/Samson.mat (Y)       156    401-889, evenly spaced (Samson sensor, 3.13 nm)
``jasper_ridge``   JasperRidge (Y)             198    AVIRIS channels 380-2500 nm (224 evenly spaced), the
                                                      file's ``SlectBands`` kept (water-vapour bands removed)
=================  ==========================  =====  ======================================================

IKONOS's responses (:func:`ikonos`) are HySure's table: PAN, blue, green, red, NIR at 350-1035 nm.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from srkit._core.errors import SrkitError
from srkit.data.cube import Cube, read_cube
from srkit.hsi.response import SpectralResponse, read_response

__all__ = ["DEFAULT_ROOT", "SCENES", "houston_rgb", "ikonos", "load_scene"]

DEFAULT_ROOT = Path("../shared/data/hsi")
SCENES: dict[str, tuple[str, str | None]] = {
    "cave_balloons": ("CAVE_256/balloons_ms.mat", None),
    "houston2018": ("Houston2018_subset/houston_dataset.mat", "hyprImg"),
    "samson": ("Samson/Samson.mat", "Y"),
    "jasper_ridge": ("JasperRidge/jasperRidge2_R198.mat", "Y"),
}


def _wavelengths(name: str, root: Path) -> np.ndarray:
    if name == "cave_balloons":
        return np.arange(400.0, 701.0, 10.0)
    if name == "houston2018":
        return np.linspace(380.0, 1050.0, 48)
    if name == "samson":
        return np.linspace(401.0, 889.0, 156)
    from scipy.io import loadmat

    selected = loadmat(str(root / SCENES[name][0]), variable_names=["SlectBands"])["SlectBands"].reshape(-1)
    return np.linspace(380.0, 2500.0, 224)[selected.astype(int) - 1]


def load_scene(name: str, root: str | os.PathLike[str] = DEFAULT_ROOT) -> Cube:
    """The scene ``name`` (table above) as a cube with its wavelengths."""
    if name not in SCENES:
        raise SrkitError(f"unknown scene {name!r} (known: {', '.join(SCENES)})")
    base = Path(root)
    rel, key = SCENES[name]
    cube = read_cube(base / rel, key=key)
    return replace(cube, wavelengths=_wavelengths(name, base))


def houston_rgb(root: str | os.PathLike[str] = DEFAULT_ROOT) -> np.ndarray:
    """Houston 2018's RGB ``(3, 512, 512)`` uint8, 4x finer than its cube and covering the same ground."""
    from scipy.io import loadmat

    rgb = loadmat(str(Path(root) / SCENES["houston2018"][0]), variable_names=["rgbImg"])["rgbImg"]
    return np.ascontiguousarray(np.asarray(rgb).transpose(2, 0, 1))


def ikonos(root: str | os.PathLike[str] = DEFAULT_ROOT) -> SpectralResponse:
    """IKONOS's PAN and four MS responses (``PAN``, ``B``, ``G``, ``R``, ``NIR``)."""
    return read_response(Path(root) / "spectral_response/ikonos_spec_resp.mat", names=["PAN", "B", "G", "R", "NIR"])
