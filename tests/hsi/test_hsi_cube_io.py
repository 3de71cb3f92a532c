"""Cube files: every format round-trips the values, dtype and wavelengths; GeoTIFF tags survive; MATLAB's
layouts (H x W x bands, bands x pixels with the image size beside it, v7.3) read as (bands, H, W); bad files get
one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from cubes_fixture import scene

from srkit import SrkitError
from srkit.data.cube import Cube, read_cube, write_cube

scipy_io = pytest.importorskip("scipy.io")


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".mat", ".tif"])
@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_round_trip_keeps_values_dtype_and_wavelengths(tmp_path: Path, suffix: str, dtype: type) -> None:
    cube = scene(bands=7, size=12, dtype=dtype)
    back = read_cube(write_cube(tmp_path / f"c{suffix}", cube))
    assert back.data.dtype == cube.data.dtype
    np.testing.assert_array_equal(back.data, cube.data)
    assert back.wavelengths is not None
    np.testing.assert_allclose(back.wavelengths, cube.wavelengths, rtol=1e-5)


def test_mat_v73_is_written_and_read_as_matlab_does(tmp_path: Path) -> None:
    pytest.importorskip("h5py")
    cube = scene(bands=5, size=8, dtype=np.uint16)
    path = write_cube(tmp_path / "c.mat", cube, mat_version="7.3")
    assert path.read_bytes()[:10] == b"MATLAB 7.3"
    back = read_cube(path)
    np.testing.assert_array_equal(back.data, cube.data)


def test_matlab_layouts(tmp_path: Path) -> None:
    data = np.arange(2 * 3 * 4, dtype=np.float64).reshape(2, 3, 4)  # (bands, H, W)
    scipy_io.savemat(tmp_path / "hwb.mat", {"img": data.transpose(1, 2, 0), "wavelength": np.array([[500.0, 600.0]])})
    back = read_cube(tmp_path / "hwb.mat")
    np.testing.assert_array_equal(back.data, data)
    assert back.wavelengths.tolist() == [500.0, 600.0]
    # Samson / Jasper Ridge: bands x pixels, pixels in column-major order, with the image size
    pixels = data.transpose(0, 2, 1).reshape(2, -1)
    scipy_io.savemat(tmp_path / "flat.mat", {"Y": pixels, "nRow": 3, "nCol": 4})
    np.testing.assert_array_equal(read_cube(tmp_path / "flat.mat").data, data)


def test_geotiff_tags_survive(tmp_path: Path) -> None:
    import tifffile

    data = scene(bands=4, size=8, dtype=np.uint16).data
    scale = (33550, 12, 3, (30.0, 30.0, 0.0), True)
    tiepoint = (33922, 12, 6, (0.0, 0.0, 0.0, 500000.0, 4100000.0, 0.0), True)
    tifffile.imwrite(
        tmp_path / "g.tif", data, photometric="minisblack", planarconfig="separate", extratags=[scale, tiepoint]
    )
    cube = read_cube(tmp_path / "g.tif")
    np.testing.assert_array_equal(cube.data, data)
    back = read_cube(write_cube(tmp_path / "out.tif", cube))
    assert back.geo[33550][2] == (30.0, 30.0, 0.0)
    assert back.geo[33922][2][3:5] == (500000.0, 4100000.0)


def test_float_data_and_like_restore_units() -> None:
    cube = scene(bands=3, size=8, dtype=np.uint16)
    values, peak = cube.float_data()
    assert values.max() == pytest.approx(1.0) and peak == cube.data.max()
    np.testing.assert_array_equal(cube.like(values, peak=peak).data, cube.data)
    again = cube.like(values * 20.0, peak=peak)  # 80000 > 65535: clipped, not wrapped
    assert again.data.dtype == np.uint16 and again.data.max() == 65535


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.npy", None, "not found"),
        ("c.txt", b"1 2 3", "unknown cube format"),
        ("c.npy", b"not numpy", "not a readable"),
        ("c.mat", b"garbage that is not a mat file", "not a readable"),
    ],
)
def test_bad_files_one_line(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SrkitError, match=message):
        read_cube(path)


def test_refuses_pickles_four_dims_and_ambiguous_mat(tmp_path: Path) -> None:
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(SrkitError):
        read_cube(tmp_path / "obj.npy")
    np.save(tmp_path / "4d.npy", np.zeros((2, 2, 2, 2)))
    with pytest.raises(SrkitError, match="3-D"):
        read_cube(tmp_path / "4d.npy")
    scipy_io.savemat(tmp_path / "two.mat", {"a": np.zeros((4, 4, 3)), "b": np.zeros((4, 4, 3))})
    with pytest.raises(SrkitError, match="name one with key"):
        read_cube(tmp_path / "two.mat")
    assert read_cube(tmp_path / "two.mat", key="b").shape == (3, 4, 4)


def test_write_refuses_existing_and_leaves_no_partial_file(tmp_path: Path) -> None:
    cube = Cube(np.zeros((2, 4, 4), np.float32))
    path = write_cube(tmp_path / "c.npy", cube)
    with pytest.raises(SrkitError, match="exists"):
        write_cube(path, cube, overwrite=False)
    with pytest.raises(SrkitError, match="unknown cube format"):
        write_cube(tmp_path / "c.png", cube)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npy"]


def test_cube_checks() -> None:
    with pytest.raises(SrkitError, match="bands, H, W"):
        Cube(np.zeros((4, 4)))
    with pytest.raises(SrkitError, match="2 wavelengths for a cube of 3 bands"):
        Cube(np.zeros((3, 2, 2)), np.array([1.0, 2.0]))
    bad = Cube(np.array([[[np.nan]]], dtype=np.float32))
    with pytest.raises(SrkitError, match="NaN"):
        bad.check_finite()
