"""Blind sets: made deterministically from HR folders (DIV2KRK protocol), LR = the documented downscaling of the HR
by the kernel written beside it; read back, and the original DIV2KRK layout (.mat/.png kernels) read too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srkit import BenchmarkSet, SrkitError, read_image, write_image
from srkit.data.blindset import find_kernel_layout, make_blindset
from srkit.data.kernelfile import read_kernel
from srkit.degradations import aligned_centre, image_seed, kernel_centre, kernel_downscale


def _random(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def hr_folder(tmp_path: Path) -> Path:
    """``a.png`` 26x30 RGB (mod-crop to 4: 24x28), ``b.png`` 24x24 gray, ``c.jpg`` 20x22 RGB."""
    folder = tmp_path / "HR"
    folder.mkdir()
    write_image(folder / "a.png", _random((26, 30, 3), 1))
    write_image(folder / "b.png", _random((24, 24), 2))
    write_image(folder / "c.jpg", _random((20, 22, 3), 3))
    return folder


@pytest.fixture
def blind(hr_folder: Path, tmp_path: Path) -> Path:
    return make_blindset([hr_folder], tmp_path / "blind", seed=5)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- making a set ---------------------------------------------------------------------------------------------------


def test_layout_and_protocol(blind: Path, hr_folder: Path) -> None:
    assert sorted(p.name for p in blind.iterdir()) == ["gt", "gt_k_x2", "gt_k_x4", "lr_x2", "lr_x4", "protocol.json"]
    for s in (2, 4):
        assert sorted(p.name for p in (blind / f"lr_x{s}").iterdir()) == ["a.png", "b.png", "c.png"]
        assert sorted(p.name for p in (blind / f"gt_k_x{s}").iterdir()) == [
            f"{n}.{e}" for n in "abc" for e in ("npy", "png")
        ]
    protocol = json.loads((blind / "protocol.json").read_text())
    assert protocol["seed"] == 5 and protocol["scales"] == [2, 4] and protocol["sources"] == [str(hr_folder)]
    images = {i["name"]: i for i in protocol["images"]}
    assert images["a"]["size"] == [26, 30] and images["a"]["hr_size"] == [24, 28]
    for entry in images.values():
        for s in (2, 4):
            k = entry[f"x{s}"]
            assert 0.6 <= k["lambda1"] <= 5 and 0.6 <= k["lambda2"] <= 5 and abs(k["theta"]) <= np.pi
            assert k["kernel_shape"] == ([11, 11] if s == 2 else [31, 31])
            assert k["generator_seed"] == image_seed(5, f"{entry['name']}_x{s}")
    assert not list(blind.parent.glob(".blind.*"))  # no temporary folder left


def test_gt_is_the_mod_cropped_hr(blind: Path, hr_folder: Path) -> None:
    np.testing.assert_array_equal(read_image(blind / "gt" / "a.png"), read_image(hr_folder / "a.png")[:24, :28])
    assert read_image(blind / "gt" / "b.png").ndim == 2  # gray stays gray
    np.testing.assert_array_equal(read_image(blind / "gt" / "c.png"), read_image(hr_folder / "c.jpg")[:20, :20])


def test_lr_is_the_documented_downscaling_by_the_written_kernel(blind: Path) -> None:
    for name in "abc":
        hr = read_image(blind / "gt" / f"{name}.png")
        for s in (2, 4):
            k = read_kernel(blind / f"gt_k_x{s}" / f"{name}.npy")
            lr = read_image(blind / f"lr_x{s}" / f"{name}.png")
            assert lr.shape[:2] == (hr.shape[0] // s, hr.shape[1] // s)
            np.testing.assert_array_equal(lr, kernel_downscale(hr, k, s))
            assert k.sum() == pytest.approx(1, abs=1e-12) and k.min() >= 0
            np.testing.assert_allclose(kernel_centre(k), aligned_centre(k.shape, s), atol=1e-5)  # float32 file


def test_lr_equals_scipy_correlate_then_every_sth_pixel(blind: Path) -> None:
    ndimage = pytest.importorskip("scipy.ndimage")
    hr = read_image(blind / "gt" / "a.png").astype(np.float64)
    k = read_kernel(blind / "gt_k_x2" / "a.npy")
    blurred = np.stack([ndimage.correlate(hr[..., c], k, mode="reflect") for c in range(3)], axis=-1)
    want = np.clip(np.floor(blurred[::2, ::2] + 0.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(read_image(blind / "lr_x2" / "a.png"), want)


def test_same_seed_same_files_bit_for_bit(hr_folder: Path, blind: Path, tmp_path: Path) -> None:
    again = make_blindset([hr_folder], tmp_path / "again", seed=5)
    assert _files(again) == _files(blind)
    other = make_blindset([hr_folder], tmp_path / "other", seed=6)
    assert _files(other)["gt/a.png"] == _files(blind)["gt/a.png"]
    assert _files(other)["gt_k_x2/a.npy"] != _files(blind)["gt_k_x2/a.npy"]


def test_an_image_keeps_its_kernel_whatever_else_is_in_the_set(hr_folder: Path, blind: Path, tmp_path: Path) -> None:
    (hr_folder / "b.png").unlink()
    write_image(hr_folder / "d.png", _random((24, 24, 3), 9))
    changed = make_blindset([hr_folder], tmp_path / "changed", seed=5, scales=[4])
    assert _files(changed)["gt_k_x4/a.npy"] == _files(blind)["gt_k_x4/a.npy"]
    assert _files(changed)["lr_x4/a.png"] == _files(blind)["lr_x4/a.png"]
    assert not (changed / "lr_x2").exists()


def test_several_folders_prefix_the_names(hr_folder: Path, tmp_path: Path) -> None:
    second = tmp_path / "More"
    second.mkdir()
    write_image(second / "a.png", _random((24, 24, 3), 4))
    out = make_blindset([hr_folder, second], tmp_path / "two", scales=(2,))
    assert sorted(p.name for p in (out / "gt").iterdir()) == ["HR_a.png", "HR_b.png", "HR_c.png", "More_a.png"]


def test_overwrite_replaces_only_a_set_srkit_made(hr_folder: Path, blind: Path, tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"output folder exists and is not empty \(pass --overwrite"):
        make_blindset([hr_folder], blind, seed=1)
    make_blindset([hr_folder], blind, seed=1, overwrite=True, scales=(2,))
    assert json.loads((blind / "protocol.json").read_text())["seed"] == 1
    assert not (blind / "lr_x4").exists()  # the earlier set is gone, not merged
    assert not list(tmp_path.glob(".blind.*"))
    (blind / "notes.txt").write_text("mine")
    with pytest.raises(SrkitError, match=r"refusing to replace .*: not a blind set made by srkit \(it holds notes.txt"):
        make_blindset([hr_folder], blind, overwrite=True)
    foreign = tmp_path / "foreign"
    (foreign / "gt").mkdir(parents=True)
    with pytest.raises(SrkitError, match=r"no srkit protocol.json"):
        make_blindset([hr_folder], foreign, overwrite=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("scale3", r"the DIV2KRK protocol has scales x2 and x4 only, got 3"),
        ("missing", r"folder not found: .*nope"),
        ("inside", r"must not hold the HR folder"),
        ("tiny", r"is smaller than the scale 4"),
        ("twins", r"two HR images are both named 'HR_a'"),
        ("parent", r"output folder's parent does not exist"),
    ],
)
def test_bad_requests_are_one_line_errors(hr_folder: Path, tmp_path: Path, change: str, message: str) -> None:
    sources, out, scales = [hr_folder], tmp_path / "out", (2, 4)
    if change == "scale3":
        scales = (2, 3)
    elif change == "missing":
        sources = [tmp_path / "nope"]
    elif change == "inside":
        out = hr_folder
    elif change == "tiny":
        write_image(hr_folder / "z.png", _random((3, 9, 3), 5))
    elif change == "twins":
        (tmp_path / "x" / "HR").mkdir(parents=True)
        write_image(tmp_path / "x" / "HR" / "a.png", _random((8, 8, 3), 6))
        sources = [hr_folder, tmp_path / "x" / "HR"]
    elif change == "parent":
        out = tmp_path / "no" / "out"
    with pytest.raises(SrkitError, match=message) as err:
        make_blindset(sources, out, scales=scales)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out.*"))


# --- reading a set --------------------------------------------------------------------------------------------------


def test_benchmark_set_reads_a_blind_set_with_its_kernels(blind: Path) -> None:
    bench = BenchmarkSet(blind)
    assert bench.name == "blind" and bench.names == ["a", "b", "c"] and bench.reads_lr_files
    assert bench.scales == (2, 4)
    for s in (2, 4):
        pairs = {p.name: p for p in bench.pairs(s)}
        b = pairs["b"]
        assert b.gray and b.hr.shape == (24, 24, 3) and b.lr.shape == (24 // s, 24 // s, 3)
        for name, pair in pairs.items():
            assert pair.kernel is not None
            np.testing.assert_array_equal(pair.kernel, read_kernel(blind / f"gt_k_x{s}" / f"{name}.npy"))
            lr = read_image(blind / f"lr_x{s}" / f"{name}.png", gray_to_rgb=True)
            np.testing.assert_array_equal(pair.lr, lr)
    with pytest.raises(SrkitError, match=r"has LR images for x2, x4 \(lr_x2/, lr_x4/\), not x3; choose --scale 2 4"):
        bench.pairs(3)
    with pytest.raises(SrkitError, match=r"has LR files; the degradation 'BD' cannot be applied"):
        bench.pairs(2, "BD")


def _div2krk(tmp_path: Path, *, kernels: bool = True) -> Path:
    """A tiny DIV2KRK-layout folder: img_1, img_2, img_10 at x2; kernels as .mat (1, 10) and .png (2)."""
    savemat = pytest.importorskip("scipy.io").savemat
    root = tmp_path / "DIV2KRK"
    for d in ("gt", "lr_x2", "gt_k_x2"):
        (root / d).mkdir(parents=True)
    ax = np.arange(11) - 5.5
    base = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2 / 3) / 2)
    for n in (1, 2, 10):
        hr = _random((24, 28, 3), n)
        k = base / base.sum() * (1 + 0.01 * n)  # any positive scale: normalised when read
        write_image(root / "gt" / f"img_{n}_gt.png", hr)
        write_image(root / "lr_x2" / f"im_{n}.png", kernel_downscale(hr, k / k.sum(), 2))
        if n == 2:
            Image.fromarray(np.floor(k / k.max() * 255 + 0.5).astype(np.uint8)).save(root / "gt_k_x2" / "kernel_2.png")
        else:
            savemat(root / "gt_k_x2" / f"kernel_{n}.mat", {"Kernel": k})
            Image.fromarray(np.zeros((11, 11), np.uint8)).save(root / "gt_k_x2" / f"kernel_{n}.png")  # .mat wins
    if not kernels:
        for p in (root / "gt_k_x2").iterdir():
            p.unlink()
        (root / "gt_k_x2").rmdir()
    return root


def test_the_original_div2krk_layout_is_read(tmp_path: Path) -> None:
    root = _div2krk(tmp_path)
    layout = find_kernel_layout(root)
    assert layout is not None and layout.scales == (2,)
    bench = BenchmarkSet(root)
    assert bench.names == ["img_1", "img_2", "img_10"]  # natural order
    pairs = list(bench.pairs(2))
    ax = np.arange(11) - 5.5
    base = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2 / 3) / 2)
    for pair in pairs:
        assert pair.kernel is not None and pair.kernel.shape == (11, 11)
        atol = 2e-3 if pair.name == "img_2" else 1e-12  # the .png kernel is 8-bit
        np.testing.assert_allclose(pair.kernel, base / base.sum(), atol=atol)
        n = pair.name.split("_")[1]
        np.testing.assert_array_equal(pair.lr, read_image(root / "lr_x2" / f"im_{n}.png"))
        np.testing.assert_array_equal(pair.hr, read_image(root / "gt" / f"img_{n}_gt.png"))
    with pytest.raises(SrkitError, match=r"has LR images for x2 \(lr_x2/\), not x4"):
        bench.pairs(4)


def test_div2krk_without_kernels_gives_none(tmp_path: Path) -> None:
    pairs = list(BenchmarkSet(_div2krk(tmp_path, kernels=False)).pairs(2))
    assert len(pairs) == 3 and all(p.kernel is None for p in pairs)


def test_missing_files_in_a_blind_set_are_named(tmp_path: Path) -> None:
    root = _div2krk(tmp_path)
    (root / "gt_k_x2" / "kernel_10.mat").unlink()
    (root / "gt_k_x2" / "kernel_10.png").unlink()
    with pytest.raises(SrkitError, match=r"no kernel for img_10_gt.png in .*gt_k_x2 \(looked for kernel_10"):
        list(BenchmarkSet(root).pairs(2))
    (root / "lr_x2" / "im_2.png").unlink()
    with pytest.raises(SrkitError, match=r"no LR image for img_2_gt.png in .*lr_x2 \(looked for im_2"):
        list(BenchmarkSet(root).pairs(2))


def test_a_folder_without_the_layout_is_not_a_blind_set(hr_folder: Path, tmp_path: Path) -> None:
    assert find_kernel_layout(hr_folder) is None
    (tmp_path / "half" / "gt").mkdir(parents=True)
    assert find_kernel_layout(tmp_path / "half") is None  # gt/ without lr_xS/
    assert BenchmarkSet(hr_folder).scales is None
