"""Kernel files: .npy/.mat/.png read, checked and normalised; written as .npy with a picture; bad files refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srkit import SrkitError
from srkit.data.kernelfile import check_kernel, kernel_picture, read_kernel, write_kernel


def _gauss(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    ax = np.arange(size) - size // 2
    k = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * sigma**2))
    return k / k.sum()


def test_npy_round_trip_with_a_picture(tmp_path: Path) -> None:
    k = _gauss()
    path = write_kernel(tmp_path / "k.npy", k * 3.0)  # any positive scale: normalised
    np.testing.assert_allclose(read_kernel(path), k, atol=1e-7)
    picture = np.asarray(Image.open(tmp_path / "k.png"))
    assert picture.dtype == np.uint8 and picture.max() == 255 and picture.shape[0] >= 11 * 20
    assert not list(tmp_path.glob(".*.tmp"))


def test_png_kernel_scaled_to_255_is_normalised(tmp_path: Path) -> None:
    k = _gauss()
    Image.fromarray(np.floor(k / k.max() * 255 + 0.5).astype(np.uint8)).save(tmp_path / "k.png")
    got = read_kernel(tmp_path / "k.png")
    assert got.sum() == pytest.approx(1.0) and np.abs(got - k).max() < 2e-3


def test_mat_kernel(tmp_path: Path) -> None:
    scipy_io = pytest.importorskip("scipy.io")
    scipy_io.savemat(str(tmp_path / "k.mat"), {"Kernel": _gauss()})
    np.testing.assert_allclose(read_kernel(tmp_path / "k.mat"), _gauss(), atol=1e-12)


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.ones((3, 3, 3)), "a kernel is a 2-D array"),
        (np.array([[1.0, -0.5], [0.2, 0.3]]), "negative values"),
        (np.array([[1.0, np.nan], [0.0, 0.0]]), "NaN or infinite"),
        (np.zeros((5, 5)), "all zeros"),
        ("abc", "a 2-D array of numbers"),
    ],
)
def test_bad_kernels_are_refused(array: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        check_kernel(array, source="k.npy")


def test_bad_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match="kernel file not found"):
        read_kernel(tmp_path / "missing.npy")
    (tmp_path / "k.txt").write_text("1 2 3")
    with pytest.raises(SrkitError, match=r"unknown kernel format '\.txt'"):
        read_kernel(tmp_path / "k.txt")
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    with pytest.raises(SrkitError, match=r"cannot read kernel file .*bad\.npy"):
        read_kernel(tmp_path / "bad.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(SrkitError, match=r"cannot read kernel file .*obj\.npy"):  # no pickles
        read_kernel(tmp_path / "obj.npy")
    with pytest.raises(SrkitError, match=r"written as \.npy"):
        write_kernel(tmp_path / "k.png", _gauss())


def test_picture_is_enlarged() -> None:
    assert kernel_picture(_gauss(5)).shape == (255, 255)
