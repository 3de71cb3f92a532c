"""Benchmark folders: HR-only (LR made on the fly), paired *_HR/*_LR files, a separate LR folder; clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from srkit import BenchmarkSet, SrkitError, degrade, imresize, read_image, write_image
from srkit.degradations import image_seed


def _random(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def hr_folder(tmp_path: Path) -> Path:
    """``colour.png`` 13x17 RGB (odd sizes: needs mod-crop) and ``gray.png`` 12x12 single-channel."""
    folder = tmp_path / "Tiny"
    folder.mkdir()
    write_image(folder / "colour.png", _random((13, 17, 3), seed=1))
    write_image(folder / "gray.png", _random((12, 12), seed=2))
    (folder / "readme.txt").write_text("not an image")
    return folder


# --- HR only ---------------------------------------------------------------------------------------------------------


def test_hr_only_names_and_defaults(hr_folder: Path) -> None:
    bench = BenchmarkSet(hr_folder)
    assert bench.name == "Tiny"
    assert BenchmarkSet(hr_folder, name="T").name == "T"
    assert len(bench) == 2
    assert bench.names == ["colour", "gray"]
    assert not bench.reads_lr_files


@pytest.mark.parametrize(
    ("scale", "hr_shape", "lr_shape"),
    [(1, (13, 17), (13, 17)), (2, (12, 16), (6, 8)), (3, (12, 15), (4, 5)), (4, (12, 16), (3, 4))],
)
def test_hr_only_modcrop_and_lr_shapes(
    hr_folder: Path, scale: int, hr_shape: tuple[int, int], lr_shape: tuple[int, int]
) -> None:
    raw = read_image(hr_folder / "colour.png")
    pair = next(p for p in BenchmarkSet(hr_folder).pairs(scale) if p.name == "colour")
    assert pair.hr.shape == (*hr_shape, 3)
    assert pair.lr.shape == (*lr_shape, 3)
    assert pair.hr.dtype == pair.lr.dtype == np.uint8
    np.testing.assert_array_equal(pair.hr, raw[: hr_shape[0], : hr_shape[1]])  # crop bottom/right only
    np.testing.assert_array_equal(pair.lr, imresize(pair.hr, 1 / scale))  # BI = MATLAB bicubic
    assert not pair.gray


def test_gray_file_gives_three_identical_channels(hr_folder: Path) -> None:
    raw = read_image(hr_folder / "gray.png")
    pair = next(p for p in BenchmarkSet(hr_folder).pairs(3) if p.name == "gray")
    assert pair.gray
    assert pair.hr.shape == (12, 12, 3)
    assert pair.lr.shape == (4, 4, 3)
    for c in range(3):
        np.testing.assert_array_equal(pair.hr[..., c], raw)
        np.testing.assert_array_equal(pair.lr[..., c], pair.lr[..., 0])


@pytest.mark.parametrize("protocol", ["BD", "bd", "DN"])
def test_other_protocols_on_the_fly(hr_folder: Path, protocol: str) -> None:
    pair = next(BenchmarkSet(hr_folder).pairs(2, protocol, seed=5))
    assert pair.lr.shape == (6, 8, 3)
    np.testing.assert_array_equal(pair.lr, degrade(pair.hr, 2, protocol, seed=image_seed(5, pair.name)))


def test_dn_noise_is_reproducible_and_differs_per_image_and_seed(tmp_path: Path) -> None:
    image = np.full((8, 8, 3), 128, dtype=np.uint8)
    write_image(tmp_path / "a.png", image)
    write_image(tmp_path / "b.png", image)
    bench = BenchmarkSet(tmp_path)
    first = [p.lr for p in bench.pairs(2, "DN", seed=0)]
    again = [p.lr for p in bench.pairs(2, "DN", seed=0)]
    other = [p.lr for p in bench.pairs(2, "DN", seed=1)]
    assert all(np.array_equal(x, y) for x, y in zip(first, again, strict=True))
    assert not np.array_equal(first[0], first[1])  # same pixels, different names: different noise
    assert not np.array_equal(first[0], other[0])


# --- LR from files ---------------------------------------------------------------------------------------------------


def test_paired_hr_lr_folder(tmp_path: Path) -> None:
    hr, lr = _random((8, 10, 3), seed=3), _random((4, 5, 3), seed=4)
    write_image(tmp_path / "img_001_SRF_2_HR.png", hr)
    write_image(tmp_path / "img_001_SRF_2_LR.png", lr)
    write_image(tmp_path / "img_002_SRF_2_HR.png", _random((6, 6), seed=5))  # a gray pair
    write_image(tmp_path / "img_002_SRF_2_LR.png", _random((3, 3), seed=6))
    bench = BenchmarkSet(tmp_path)
    assert bench.reads_lr_files
    assert len(bench) == 2
    assert bench.names == ["img_001_SRF_2", "img_002_SRF_2"]
    first, second = bench.pairs(2)
    np.testing.assert_array_equal(first.hr, hr)
    np.testing.assert_array_equal(first.lr, lr)  # read, not recomputed
    assert not first.gray
    assert second.gray
    assert second.hr.shape == (6, 6, 3)
    assert second.lr.shape == (3, 3, 3)


def test_hr_only_reads_the_pairs_hr_photos_as_an_ordinary_set(tmp_path: Path) -> None:
    hr = _random((12, 16, 3), seed=3)
    write_image(tmp_path / "001_HR.png", hr)
    write_image(tmp_path / "001_LR.png", _random((12, 16, 3), seed=4))  # same size: a camera pair
    bench = BenchmarkSet(tmp_path, hr_only=True)
    assert not bench.reads_lr_files and bench.names == ["001"]
    (pair,) = bench.pairs(4)
    np.testing.assert_array_equal(pair.hr, hr)
    np.testing.assert_array_equal(pair.lr, imresize(hr, 1 / 4))  # made by the protocol (BI), not read


@pytest.mark.parametrize("lr_name", ["0001.png", "0001x2.png", "X2/0001x2.png", "x2/0001x2.png", "X2/0001x2.bmp"])
def test_lr_root_layouts(tmp_path: Path, lr_name: str) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    (lr_dir / Path(lr_name).parent).mkdir(parents=True, exist_ok=True)
    hr, lr = _random((8, 12, 3), seed=7), _random((4, 6, 3), seed=8)
    write_image(hr_dir / "0001.png", hr)
    write_image(lr_dir / lr_name, lr)
    bench = BenchmarkSet(hr_dir, lr_root=lr_dir)
    assert bench.reads_lr_files
    (pair,) = bench.pairs(2)
    assert pair.name == "0001"
    np.testing.assert_array_equal(pair.hr, hr)
    np.testing.assert_array_equal(pair.lr, lr)


def test_lr_root_picks_the_requested_scale(tmp_path: Path) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    (lr_dir / "X2").mkdir(parents=True)
    (lr_dir / "X3").mkdir()
    write_image(hr_dir / "0001.png", _random((12, 12, 3)))
    write_image(lr_dir / "X2" / "0001x2.png", _random((6, 6, 3), seed=1))
    write_image(lr_dir / "X3" / "0001x3.png", _random((4, 4, 3), seed=2))
    bench = BenchmarkSet(hr_dir, lr_root=lr_dir)
    assert next(bench.pairs(2)).lr.shape == (6, 6, 3)
    assert next(bench.pairs(3)).lr.shape == (4, 4, 3)


# --- errors ----------------------------------------------------------------------------------------------------------


def test_lr_of_the_wrong_size(tmp_path: Path) -> None:
    write_image(tmp_path / "a_HR.png", _random((8, 12, 3)))
    write_image(tmp_path / "a_LR.png", _random((5, 6, 3)))
    with pytest.raises(SrkitError, match=r"LR image .*a_LR\.png is 5x6, expected 4x6 for scale 2"):
        list(BenchmarkSet(tmp_path).pairs(2))


def test_paired_folder_at_another_scale(tmp_path: Path) -> None:
    write_image(tmp_path / "a_HR.png", _random((8, 12, 3)))
    write_image(tmp_path / "a_LR.png", _random((2, 3, 3)))
    with pytest.raises(SrkitError, match=r"is 2x3, expected 4x6 for scale 2 \(is it the right scale\?\)"):
        list(BenchmarkSet(tmp_path).pairs(2))


def test_missing_lr_twin(tmp_path: Path) -> None:
    write_image(tmp_path / "a_HR.png", _random((8, 8, 3)))
    write_image(tmp_path / "b_HR.png", _random((8, 8, 3)))
    write_image(tmp_path / "a_LR.png", _random((4, 4, 3)))
    with pytest.raises(SrkitError, match=r"no LR image for b_HR\.png \(looked for b_LR\.png"):
        list(BenchmarkSet(tmp_path).pairs(2))


def test_missing_lr_in_lr_root(tmp_path: Path) -> None:
    hr_dir, lr_dir = tmp_path / "HR", tmp_path / "LR"
    hr_dir.mkdir()
    lr_dir.mkdir()
    write_image(hr_dir / "0001.png", _random((8, 8, 3)))
    with pytest.raises(SrkitError, match=r"no LR image for 0001\.png"):
        list(BenchmarkSet(hr_dir, lr_root=lr_dir).pairs(2))


def test_missing_lr_root(hr_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"LR folder not found: .*nowhere"):
        BenchmarkSet(hr_folder, lr_root=tmp_path / "nowhere")


def test_folder_with_only_lr_files(tmp_path: Path) -> None:
    write_image(tmp_path / "a_LR.png", _random((4, 4, 3)))
    with pytest.raises(SrkitError, match=r"no HR images in "):
        BenchmarkSet(tmp_path)


def test_missing_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"folder not found: .*absent"):
        BenchmarkSet(tmp_path / "absent")
    with pytest.raises(SrkitError, match=r"no images in "):
        BenchmarkSet(tmp_path)


@pytest.mark.parametrize("protocol", ["BD", "DN"])
def test_degradation_cannot_apply_to_lr_files(tmp_path: Path, protocol: str) -> None:
    write_image(tmp_path / "a_HR.png", _random((8, 8, 3)))
    write_image(tmp_path / "a_LR.png", _random((4, 4, 3)))
    with pytest.raises(SrkitError, match=rf"has LR files; the degradation '{protocol}' cannot be applied"):
        list(BenchmarkSet(tmp_path).pairs(2, protocol))


def test_unknown_protocol(hr_folder: Path) -> None:
    with pytest.raises(SrkitError, match=r"unknown degradation 'XY'; choose one of BI, BD, DN"):
        list(BenchmarkSet(hr_folder).pairs(2, "XY"))


def test_scale_larger_than_the_image(tmp_path: Path) -> None:
    write_image(tmp_path / "small.png", _random((3, 5, 3)))
    with pytest.raises(SrkitError, match=r"image .*small\.png \(3x5\) is smaller than the scale 4"):
        list(BenchmarkSet(tmp_path).pairs(4))


@pytest.mark.parametrize("scale", [0, -2, 1.5, 2.0, True, "2", None])
def test_bad_scale_types(hr_folder: Path, scale: object) -> None:
    with pytest.raises(SrkitError, match=r"BenchmarkSet.pairs needs an integer scale( >= 1)?, got "):
        list(BenchmarkSet(hr_folder).pairs(scale))  # type: ignore[arg-type]


def test_corrupt_file_names_the_file(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", _random((8, 8, 3)))
    (tmp_path / "b.png").write_bytes(b"\x00garbage" * 10)
    pairs = BenchmarkSet(tmp_path).pairs(2)
    assert next(pairs).name == "a"
    with pytest.raises(SrkitError, match=r"cannot read image .*b\.png"):
        next(pairs)


# --- the team's benchmark folders ------------------------------------------------------------------------------------


@pytest.mark.shared_data
def test_set5_names(shared_data: Path) -> None:
    bench = BenchmarkSet(shared_data / "bench" / "Set5")
    assert bench.name == "Set5"
    assert bench.names == ["baby", "bird", "butterfly", "head", "woman"]


@pytest.mark.shared_data
def test_set14_bridge_is_gray(shared_data: Path) -> None:
    bench = BenchmarkSet(shared_data / "bench" / "Set14")
    assert len(bench) == 14
    gray = {p.name for p in bench.pairs(1) if p.gray}  # scale 1: no resizing, just reading
    assert gray == {"bridge"}


@pytest.mark.shared_data
def test_matlab_pairs_folder(shared_data: Path) -> None:
    bench = BenchmarkSet(shared_data / "bench" / "Set5_matlab_pairs" / "image_SRF_4")
    assert bench.reads_lr_files
    assert bench.names == [f"img_00{i}_SRF_4" for i in range(1, 6)]
    shapes = [(p.hr.shape, p.lr.shape) for p in bench.pairs(4)]
    assert shapes[0] == ((512, 512, 3), (128, 128, 3))  # baby


def test_same_size_lr_folder_at_scale_1_and_a_held_out_subset(tmp_path: Path) -> None:
    hr_dir, lr_dir = tmp_path / "hr", tmp_path / "lr"
    hr_dir.mkdir()
    lr_dir.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a01", "a02", "b01"):
        hr = imresize((rng.random((10, 12, 3)) * 255).astype(np.uint8), 4.0)
        write_image(hr_dir / f"{name}.png", hr)
        write_image(lr_dir / f"{name}.png", imresize(imresize(hr, 0.5), 2.0))  # same size, softer
    bench = BenchmarkSet(hr_dir, lr_root=lr_dir, include=["a*"])
    assert bench.names == ["a01", "a02"] and bench.reads_lr_files
    pairs = list(bench.pairs(1))
    assert all(p.lr.shape == p.hr.shape == (40, 48, 3) for p in pairs)
    with pytest.raises(SrkitError, match=r"no HR images in .* match z\*"):
        BenchmarkSet(hr_dir, include=["z*"])
