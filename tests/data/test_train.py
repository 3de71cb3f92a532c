"""Training patches: batch i made from (seed, i) alone; BI exact; LR/HR oriented alike; paired data aligned; caches."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from srkit import SrkitError, imresize, read_image, write_image
from srkit.data.cache import ImageCache
from srkit.data.loader import loader_throughput, make_loader
from srkit.data.train import Batch, PatchParams, TrainPatches
from srkit.degradations import degrade
from srkit.functional import rgb_to_y

P = 4  # LR patch size of the tiny tests


def _random(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def hr_folder(tmp_path: Path) -> Path:
    """Five RGB images of different sizes, one grayscale, and a non-image file."""
    folder = tmp_path / "hr"
    folder.mkdir()
    for k, (h, w) in enumerate([(30, 26), (25, 40), (48, 33), (36, 36), (29, 31)]):
        write_image(folder / f"im{k}.png", _random((h, w, 3), seed=k))
    write_image(folder / "gray.png", _random((27, 28), seed=9))
    (folder / "notes.txt").write_text("not an image")
    return folder


def _ds(folder: Path, **kw: Any) -> TrainPatches:
    return TrainPatches(hr_folders=[folder], **{"scales": (2,), "patch_size": P, "batch_size": 6, **kw})


def _u8(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) float in [0, 1] made from uint8 -> (H, W, C) uint8, exactly."""
    return (x * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()


def _t(batch: Batch, key: str) -> torch.Tensor:
    x = batch[key]
    assert isinstance(x, torch.Tensor)
    return x


def _equal(a: Batch, b: Batch) -> bool:
    return bool(a["scale"] == b["scale"]) and all(torch.equal(_t(a, k), _t(b, k)) for k in ("lr", "hr"))


def _orient(x: np.ndarray, p: PatchParams) -> np.ndarray:
    if p.hflip:
        x = x[:, ::-1]
    if p.vflip:
        x = x[::-1]
    return x.transpose(1, 0, 2) if p.transpose else x


# --- batches ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("in_channels", [3, 1])
def test_shapes_dtypes_ranges(hr_folder: Path, in_channels: int) -> None:
    ds = _ds(hr_folder, scales=(3,), in_channels=in_channels, length=7)
    assert len(ds) == 7 and len(ds.images) == 6
    b = ds[0]
    assert b["scale"] == 3
    lr, hr = _t(b, "lr"), _t(b, "hr")
    assert isinstance(lr, torch.Tensor) and isinstance(hr, torch.Tensor)
    assert lr.shape == (6, in_channels, P, P) and hr.shape == (6, in_channels, 3 * P, 3 * P)
    assert lr.dtype == hr.dtype == torch.float32 and lr.is_contiguous()
    low = 16 / 255 - 1e-6 if in_channels == 1 else 0.0
    high = 235 / 255 + 1e-6 if in_channels == 1 else 1.0
    for x in (lr, hr):
        assert low <= float(x.min()) and float(x.max()) <= high
    with pytest.raises(IndexError):
        ds[7]


def test_y_channel_is_matlab_y_of_the_rgb_patches(hr_folder: Path) -> None:
    rgb, y = _ds(hr_folder, seed=3)[5], _ds(hr_folder, seed=3, in_channels=1)[5]
    for k in ("lr", "hr"):
        want = rgb_to_y(_t(rgb, k).double()).unsqueeze(1).float()
        assert torch.equal(_t(y, k), want)


def test_same_seed_and_index_give_the_same_batch(hr_folder: Path) -> None:
    a, b = _ds(hr_folder, seed=5, scales=(2, 3)), _ds(hr_folder, seed=5, scales=(2, 3))
    for i in (0, 1, 17, 10**9 - 1):
        assert _equal(a[i], b[i])
        assert a.sample_params(i) == b.sample_params(i)
    assert not _equal(a[0], a[1])  # another index
    assert not torch.equal(_t(a[0], "hr"), _t(_ds(hr_folder, seed=6, scales=(2, 3))[0], "hr"))


def test_bi_lr_is_matlab_imresize_of_the_hr_crop(hr_folder: Path) -> None:
    for s in (2, 3):
        ds = _ds(hr_folder, scales=(s,), augment=False, seed=s)
        for i in range(3):
            b, (scale, params) = ds[i], ds.sample_params(i)
            assert scale == s
            for j, p in enumerate(params):
                hr, lr = _u8(_t(b, "hr")[j]), _u8(_t(b, "lr")[j])
                np.testing.assert_array_equal(lr, imresize(hr, 1 / s))  # uint8 semantics, then / 255
                assert not (p.hflip or p.vflip or p.transpose)
                image = ds._cache[ds._hr_keys[p.image]]  # the crop sits on the LR grid of the file
                image = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
                crop = image[s * p.top : s * (p.top + P), s * p.left : s * (p.left + P)]
                np.testing.assert_array_equal(hr, crop)


def test_augmentation_is_shared_by_lr_and_hr(hr_folder: Path) -> None:
    aug, plain = _ds(hr_folder, seed=1), _ds(hr_folder, seed=1, augment=False)
    seen = set()
    for i in range(4):
        a, b = aug[i], plain[i]
        for j, p in enumerate(aug.sample_params(i)[1]):
            seen.add((p.hflip, p.vflip, p.transpose))
            hr = _u8(_t(a, "hr")[j])
            np.testing.assert_array_equal(hr, _orient(_u8(_t(b, "hr")[j]), p))
            np.testing.assert_array_equal(_u8(_t(a, "lr")[j]), imresize(hr, 0.5))
    assert len(seen) >= 5  # flips and transposition are really drawn


def test_other_degradations(hr_folder: Path) -> None:
    bd = _ds(hr_folder, degradation="bd", augment=False)
    b = bd[2]
    np.testing.assert_array_equal(_u8(_t(b, "lr")[0]), degrade(_u8(_t(b, "hr")[0]), 2, "BD"))
    dn = _ds(hr_folder, degradation="DN")
    assert _equal(dn[4], _ds(hr_folder, degradation="DN")[4])  # noise seeded by (seed, index, sample)
    bi = _ds(hr_folder)[4]
    assert torch.equal(_t(dn[4], "hr"), _t(bi, "hr")) and not torch.equal(_t(dn[4], "lr"), _t(bi, "lr"))

    calls: list[tuple[tuple[int, ...], int]] = []

    def darken(hr: np.ndarray, scale: int, g: torch.Generator) -> np.ndarray:
        calls.append((hr.shape, scale))
        k = int(torch.randint(1, 5, (1,), generator=g))
        return np.ascontiguousarray(hr[::scale, ::scale] // k)

    custom = bd.with_degradation(darken)
    assert _equal(custom[1], custom[1]) and calls[0] == ((2 * P, 2 * P, 3), 2)
    with pytest.raises(SrkitError, match="degradation returned"):
        bd.with_degradation(lambda hr, s, g: hr)[0]
    with pytest.raises(SrkitError, match="unknown degradation"):
        _ds(hr_folder, degradation="JPEG")


def test_multi_scale_and_scale_curriculum(hr_folder: Path) -> None:
    ds = _ds(hr_folder, scales=(2, 3, 4), patch_size=3, batch_size=2)
    counts = {2: 0, 3: 0, 4: 0}
    for i in range(60):
        b = ds[i]
        s = b["scale"]
        assert isinstance(s, int)
        counts[s] += 1
        assert _t(b, "hr").shape[-1] == s * 3
    assert min(counts.values()) >= 10
    x4 = ds.with_scales([4])
    assert x4.scales == (4,) and x4._cache is ds._cache  # the curriculum shares the decoded images
    assert all(x4[i]["scale"] == 4 for i in range(5))
    assert ds.scales == (2, 3, 4)


def test_shards_make_up_the_full_batch(hr_folder: Path) -> None:
    ds = _ds(hr_folder, degradation="DN")
    parts = [ds.with_shard(r, 3)[9] for r in range(3)]
    for k in ("lr", "hr"):
        assert torch.equal(torch.cat([_t(p, k) for p in parts]), _t(ds[9], k))
    with pytest.raises(SrkitError, match="equal share"):
        ds.with_shard(0, 4)


# --- sources, errors --------------------------------------------------------------------------------------------------


def test_paired_folders_crop_aligned_positions(hr_folder: Path, tmp_path: Path) -> None:
    lr_root = tmp_path / "lr"
    (lr_root / "X3").mkdir(parents=True)
    lr_files: dict[str, np.ndarray] = {}
    for path in sorted(hr_folder.glob("*.png")):
        hr = read_image(path, gray_to_rgb=True)
        h, w = hr.shape[:2]
        lr_files[path.name] = lr = imresize(hr[: h // 3 * 3, : w // 3 * 3], 1 / 3)  # aligned pairs
        name = f"X3/{path.stem}x3.png" if path.stem.startswith("im") else f"{path.stem}.png"  # both namings
        write_image(lr_root / name, lr)
    ds = _ds(hr_folder, scales=(3,), lr_folders=[lr_root])
    plain = _ds(hr_folder, scales=(3,), lr_folders=[lr_root], augment=False)
    for i in range(3):
        b, b0 = ds[i], plain[i]
        for j, p in enumerate(ds.sample_params(i)[1]):
            lr0 = lr_files[ds.images[p.image].name][p.top : p.top + P, p.left : p.left + P]
            np.testing.assert_array_equal(_u8(_t(b0, "lr")[j]), lr0)
            np.testing.assert_array_equal(_u8(_t(b, "lr")[j]), _orient(lr0, p))
            np.testing.assert_array_equal(_u8(_t(b, "hr")[j]), _orient(_u8(_t(b0, "hr")[j]), p))
    with pytest.raises(SrkitError, match="cannot be applied to paired"):
        _ds(hr_folder, scales=(3,), lr_folders=[lr_root], degradation="BD")
    with pytest.raises(SrkitError, match=r"gray.png is 9x9, expected 13x14 for x2"):  # found by name, wrong size
        _ds(hr_folder, scales=(2,), lr_folders=[lr_root])
    write_image(lr_root / "X3" / "im1x3.png", _random((5, 5, 3), seed=0))
    with pytest.raises(SrkitError, match=r"im1x3.png is 5x5, expected 8x13"):
        _ds(hr_folder, scales=(3,), lr_folders=[lr_root])
    with pytest.warns(UserWarning, match="im1x3.png is 5x5"):
        assert len(_ds(hr_folder, scales=(3,), lr_folders=[lr_root], on_bad_image="skip").images_at(3)) == 5
    (lr_root / "X3" / "im0x3.png").unlink()
    with pytest.raises(SrkitError, match=r"no LR image for .*im0.png at x3"):
        _ds(hr_folder, scales=(3,), lr_folders=[lr_root])


def test_bad_images_stop_or_skip(hr_folder: Path) -> None:
    (hr_folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(SrkitError, match=r"broken\.png"):
        _ds(hr_folder)
    with pytest.warns(UserWarning, match=r"broken\.png") as record:
        ds = _ds(hr_folder, on_bad_image="skip")
    assert sum("broken.png" in str(w.message) for w in record) == 1
    assert len(ds.images) == 6 and "broken.png" not in {p.name for p in ds.images}
    ds[0]


def test_small_images_are_left_out_with_a_warning(hr_folder: Path) -> None:
    with pytest.warns(UserWarning, match=r"4 of 6 .* 30x30 HR crop at x3 .*: gray.png, im0.png, im1.png, im4.png$"):
        ds = _ds(hr_folder, scales=(3,), patch_size=10)
    assert {p.name for p in ds.images_at(3)} == {"im2.png", "im3.png"}
    with pytest.raises(SrkitError, match="not one of this dataset's scales"):
        ds.images_at(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SrkitError, match="no training image is large enough"):
            _ds(hr_folder, scales=(4,), patch_size=20)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"patch_size": 0}, "patch_size must be >= 1"),
        ({"scales": ()}, "scales must be a non-empty"),
        ({"scales": (2, 1.5)}, "every scale must be an integer"),
        ({"on_bad_image": "ignore"}, "on_bad_image"),
        ({"in_channels": 2}, "in_channels"),
        ({"cache": ""}, "cache must be"),
        ({"lr_folders": ["a", "b"]}, "one LR folder per HR folder"),
    ],
)
def test_argument_errors(hr_folder: Path, kw: dict[str, Any], match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        _ds(hr_folder, **kw)


# --- caches and loaders -----------------------------------------------------------------------------------------------


def test_cache_modes_give_identical_batches(hr_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    dss = [_ds(hr_folder, cache=c, scales=(2, 3)) for c in ("memory", "none", str(folder))]
    assert len(list(folder.glob("*.npy"))) == 6
    again = _ds(hr_folder, cache=folder, scales=(2, 3))  # reads the .npy files (memory-mapped)
    spawned = pickle.loads(pickle.dumps(again))  # what a spawned worker receives: no arrays, reopened lazily
    assert dss[0]._cache.nbytes() > 0 and again._cache.nbytes() == 0
    for i in (0, 3, 8):
        for other in (*dss[1:], again, spawned):
            assert _equal(dss[0][i], other[i])
    with pytest.raises(SrkitError, match="image not found"):
        ImageCache("none").add(tmp_path / "missing.png")


def test_loader_order_resume_and_workers(hr_folder: Path) -> None:
    ds = _ds(hr_folder, scales=(2, 3), length=12, degradation="DN")
    serial = list(make_loader(ds, workers=0))
    assert len(serial) == 12 and all(_equal(serial[i], ds[i]) for i in range(12))
    resumed = make_loader(ds, start=9, workers=2, prefetch_factor=2)
    assert len(resumed) == 3
    batches = list(resumed)
    assert len(batches) == 3 and all(_equal(batches[k], serial[9 + k]) for k in range(3))
    assert loader_throughput(ds, batches=2, workers=0, warmup=1) > 0


@pytest.mark.shared_data
def test_real_t91_folder(shared_data: Path) -> None:
    t91 = shared_data / "train" / "T91"
    if not t91.is_dir():
        pytest.skip(f"{t91} not found")
    with pytest.warns(UserWarning, match="t20.bmp"):  # the one T91 image under 96x96
        ds = TrainPatches(hr_folders=[t91], scales=(2,), patch_size=48, batch_size=4, seed=1)
    assert len(ds.images) == 91
    b = ds[123]
    assert _t(b, "lr").shape == (4, 3, 48, 48) and _t(b, "hr").shape == (4, 3, 96, 96)
    for j in range(4):
        np.testing.assert_array_equal(_u8(_t(b, "lr")[j]), imresize(_u8(_t(b, "hr")[j]), 0.5))
