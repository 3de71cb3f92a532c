"""Small synthetic hyperspectral scenes for the HSI tests (no shared data needed): a few smooth endmember spectra
mixed by smooth abundance maps with sharp-edged shapes, so that fusion and SR have real structure to recover."""

from __future__ import annotations

import numpy as np

from srkit.data.cube import Cube


def scene(bands: int = 24, size: int = 64, *, seed: int = 0, dtype: type = np.float32) -> Cube:
    """A ``(bands, size, size)`` cube over 400-700 nm (values up to about 1, or scaled to the integer dtype)."""
    rng = np.random.default_rng(seed)
    wl = np.linspace(400.0, 700.0, bands)
    t = (wl - 400.0) / 300.0
    spectra = np.stack([0.2 + 0.7 * np.exp(-((t - c) ** 2) / 0.05) for c in (0.1, 0.4, 0.7, 0.95)])  # (4, bands)
    yy, xx = np.mgrid[0:size, 0:size] / size
    maps = [0.5 + 0.5 * np.sin(6 * xx + 1.0) * np.cos(5 * yy)]
    maps.append(((xx - 0.3) ** 2 + (yy - 0.6) ** 2 < 0.05).astype(np.float64))
    maps.append(((xx > 0.55) & (yy > 0.2) & (yy < 0.5)).astype(np.float64))
    maps.append(rng.random((size, size)) * 0.1 + 0.2 * xx)
    abundance = np.stack(maps)
    abundance /= abundance.sum(axis=0, keepdims=True)
    cube = np.einsum("mb,mhw->bhw", spectra, abundance)
    if np.dtype(dtype).kind == "u":
        cube = np.round(cube / cube.max() * 4000)
    return Cube(cube.astype(dtype), wl)
