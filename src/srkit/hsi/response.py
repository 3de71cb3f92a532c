"""Spectral responses: how an RGB, multispectral or panchromatic sensor sees a cube's bands.

A :class:`SpectralResponse` is a set of curves (one per guide channel) sampled at wavelengths in nm. For a cube
with known band centres, :meth:`SpectralResponse.matrix` samples each curve at the centres (linear
interpolation, zero outside the curve) and normalises each row to sum 1: ``Z = R X`` is then each guide channel
as a weighted mean of the bands. The guide's own units and gain do not need to match: fusion methods calibrate
each guide channel against the cube (:func:`srkit.hsi.fusion.calibrate_guide`).

- :func:`read_response`: a CSV file (first column the wavelength in nm, one column per channel, an optional
  header row naming them), or a ``.mat``/``.npy`` array laid out the same way (HySure's ``ikonos_spec_resp.mat``).
- :func:`cie_xyz`: the CIE 1931 2-degree colour matching functions, from the multi-lobe Gaussian fit of Wyman,
  Sloan and Shirley (JCGT 2013), which is within the CIE tables' own precision for this use: a
  non-negative, colour-camera-like response for 400-700 nm data such as CAVE.

Example:
    >>> r = cie_xyz().matrix(np.arange(400.0, 701.0, 10.0))
    >>> r.shape, np.allclose(r.sum(axis=1), 1.0)
    ((3, 31), True)
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from srkit._core.errors import SrkitError

__all__ = ["SpectralResponse", "cie_xyz", "read_response"]


@dataclass(frozen=True)
class SpectralResponse:
    """Curves ``(channels, samples)`` at ``wavelengths`` ``(samples,)`` nm, with channel ``names``."""

    wavelengths: np.ndarray
    curves: np.ndarray
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        wl, curves = np.asarray(self.wavelengths, np.float64), np.asarray(self.curves, np.float64)
        if wl.ndim != 1 or curves.ndim != 2 or curves.shape[1] != wl.size or curves.shape[0] < 1 or wl.size < 1:
            raise SrkitError(f"a response is (channels, samples) curves at samples wavelengths, got {curves.shape}")
        if not (np.isfinite(wl).all() and np.isfinite(curves).all()):
            raise SrkitError("the response holds NaN or infinite values")
        if (curves < 0).any():
            raise SrkitError("the response has negative values; a sensor's spectral response is non-negative")
        if np.any(np.diff(wl) <= 0):
            raise SrkitError("the response's wavelengths must increase from row to row")
        if len(self.names) != curves.shape[0]:
            raise SrkitError(f"{len(self.names)} names for {curves.shape[0]} response channels")
        object.__setattr__(self, "wavelengths", wl)
        object.__setattr__(self, "curves", curves)

    @property
    def channels(self) -> int:
        return int(self.curves.shape[0])

    def select(self, names: list[str]) -> SpectralResponse:
        """The channels named ``names`` (e.g. IKONOS's MS bands without its PAN)."""
        missing = [n for n in names if n not in self.names]
        if missing:
            raise SrkitError(f"the response has no channel {', '.join(missing)} (it has {', '.join(self.names)})")
        return SpectralResponse(self.wavelengths, self.curves[[self.names.index(n) for n in names]], tuple(names))

    def matrix(self, band_wavelengths: np.ndarray | None, bands: int | None = None) -> np.ndarray:
        """``R`` ``(channels, bands)``, rows summing to 1, for a cube with these band centres (nm).

        A cube without wavelengths needs a response sampled once per band (``bands`` rows, in band order).

        Raises:
            SrkitError: a band count that does not match, or a channel that sees none of the cube's bands.
        """
        if band_wavelengths is None:
            if bands is not None and self.wavelengths.size != bands:
                raise SrkitError(
                    f"the response has {self.wavelengths.size} rows but the cube has {bands} bands and no "
                    "wavelengths: give the cube's wavelengths, or a response with one row per band"
                )
            r = self.curves.copy()
        else:
            wl = np.asarray(band_wavelengths, np.float64)
            if bands is not None and wl.size != bands:
                raise SrkitError(f"{wl.size} band wavelengths for a cube of {bands} bands")
            r = np.stack([np.interp(wl, self.wavelengths, c, left=0.0, right=0.0) for c in self.curves])
        sums = r.sum(axis=1)
        blind = [n for n, s in zip(self.names, sums, strict=True) if not s > 0]
        if blind:
            span = (
                f"{band_wavelengths.min():.0f}-{band_wavelengths.max():.0f} nm" if band_wavelengths is not None else ""
            )
            raise SrkitError(f"response channel(s) {', '.join(blind)} see none of the cube's bands {span}".rstrip())
        out: np.ndarray = r / sums[:, None]
        return out


def _check_table(table: np.ndarray, source: str) -> np.ndarray:
    if table.ndim != 2 or table.shape[1] < 2 or table.shape[0] < 2:
        raise SrkitError(f"{source}: a response is a table of wavelength + one column per channel, got {table.shape}")
    return table


def read_response(path: str | os.PathLike[str], names: list[str] | None = None) -> SpectralResponse:
    """Read a response table (module docstring); ``names`` overrides the channel names."""
    p = Path(path)
    if not p.is_file():
        raise SrkitError(f"response file not found: {p}")
    suffix = p.suffix.lower()
    header: list[str] | None = None
    try:
        if suffix in (".csv", ".txt"):
            with open(p, newline="", encoding="utf-8") as f:
                rows = [r for r in csv.reader(f) if r and not r[0].lstrip().startswith("#")]
            if rows and not _is_number(rows[0][0]):
                header, rows = [c.strip() for c in rows[0]], rows[1:]
            table = _check_table(np.array([[float(v) for v in r] for r in rows], dtype=np.float64), str(p))
        elif suffix == ".npy":
            table = _check_table(np.load(p, allow_pickle=False).astype(np.float64), str(p))
        elif suffix == ".mat":
            try:
                from scipy.io import loadmat
            except ImportError:
                raise SrkitError(f"reading {p} needs scipy: pip install 'srkit[mat]'") from None
            arrays = [np.asarray(v) for k, v in loadmat(str(p)).items() if not k.startswith("__")]
            tables = [a for a in arrays if a.ndim == 2 and min(a.shape) >= 2 and a.dtype.kind in "uif"]
            if len(tables) != 1:
                raise SrkitError(f"{p}: expected one response table in the .mat file, found {len(tables)}")
            table = _check_table(tables[0].astype(np.float64), str(p))
        else:
            raise SrkitError(f"{p}: a response is a .csv (or .txt, .npy, .mat) table, got {suffix!r}")
    except ValueError as err:
        raise SrkitError(f"{p}: not a table of numbers ({err})") from None
    channels = table.shape[1] - 1
    labels = names or (header[1:] if header and len(header) == table.shape[1] else [f"c{i}" for i in range(channels)])
    if len(labels) != channels:
        raise SrkitError(f"{p}: {len(labels)} names for {channels} channels")
    try:
        return SpectralResponse(table[:, 0], table[:, 1:].T, tuple(labels))
    except SrkitError as err:
        raise SrkitError(f"{p}: {err}") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _lobe(wl: np.ndarray, mu: float, s1: float, s2: float) -> np.ndarray:
    s = np.where(wl < mu, s1, s2)
    out: np.ndarray = np.exp(-0.5 * ((wl - mu) / s) ** 2)
    return out


def cie_xyz() -> SpectralResponse:
    """CIE 1931 x-bar, y-bar, z-bar (Wyman, Sloan and Shirley's multi-lobe fit), 360-830 nm in 1 nm steps."""
    wl = np.arange(360.0, 831.0)
    x = (
        1.056 * _lobe(wl, 599.8, 37.9, 31.0)
        + 0.362 * _lobe(wl, 442.0, 16.0, 26.7)
        - 0.065 * _lobe(wl, 501.1, 20.4, 26.2)
    )
    y = 0.821 * _lobe(wl, 568.8, 46.9, 40.5) + 0.286 * _lobe(wl, 530.9, 16.3, 31.1)
    z = 1.217 * _lobe(wl, 437.0, 11.8, 36.0) + 0.681 * _lobe(wl, 459.0, 26.0, 13.8)
    return SpectralResponse(wl, np.clip(np.stack([x, y, z]), 0.0, None), ("X", "Y", "Z"))
