"""Spectral responses: CIE 1931 fit, CSV/MAT tables, placement on a cube's bands, and their one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from srkit import SrkitError
from srkit.hsi.response import SpectralResponse, cie_xyz, read_response


def test_cie_peaks_where_the_cie_tables_do() -> None:
    r = cie_xyz()
    peaks = {n: float(r.wavelengths[c.argmax()]) for n, c in zip(r.names, r.curves, strict=True)}
    assert abs(peaks["X"] - 599) <= 5 and abs(peaks["Y"] - 555) <= 5 and abs(peaks["Z"] - 445) <= 5
    assert (r.curves >= 0).all()


def test_matrix_rows_sum_to_one_and_blind_channels_are_refused() -> None:
    m = cie_xyz().matrix(np.linspace(400, 700, 31), 31)
    assert m.shape == (3, 31) and np.allclose(m.sum(axis=1), 1.0)
    with pytest.raises(SrkitError, match="see none of the cube's bands"):
        cie_xyz().matrix(np.linspace(1500, 2500, 10), 10)
    with pytest.raises(SrkitError, match="has 471 rows but the cube has 31 bands and no wavelengths"):
        cie_xyz().matrix(None, 31)


def test_csv_with_header_and_without(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("wavelength,red,nir\n400,0,0\n600,1,0\n800,0,1\n")
    r = read_response(tmp_path / "r.csv")
    assert r.names == ("red", "nir") and r.channels == 2
    np.testing.assert_allclose(r.matrix(np.array([500.0, 700.0]), 2), [[0.5, 0.5], [0.0, 1.0]])  # interpolated
    (tmp_path / "plain.csv").write_text("# my camera\n400,1\n500,2\n")
    assert read_response(tmp_path / "plain.csv").names == ("c0",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("400,1\n", "table of wavelength"),
        ("400,1\n500,x\n", "not a table of numbers"),
        ("500,1\n400,2\n", "must increase"),
        ("400,-1\n500,1\n", "negative"),
    ],
)
def test_bad_csv_one_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "r.csv").write_text(text)
    with pytest.raises(SrkitError, match=message):
        read_response(tmp_path / "r.csv")


def test_select_channels() -> None:
    r = SpectralResponse(np.array([400.0, 500.0]), np.ones((3, 2)), ("PAN", "B", "G"))
    assert r.select(["B", "G"]).names == ("B", "G")
    with pytest.raises(SrkitError, match="no channel NIR"):
        r.select(["NIR"])
