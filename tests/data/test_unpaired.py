"""Unpaired data: the unknown-degradation set (disjoint halves, deterministic files, test pairs srkit bench reads,
srkit unpairedset) and the unpaired batches (real LR patches drawn by step, independent of the HR draws)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from srkit import BenchmarkSet, SrkitError, read_image, write_image
from srkit.cli.main import main
from srkit.data.loader import make_loader
from srkit.data.unpaired import UnpairedPatches
from srkit.data.unpairedset import make_unpaired_set, split_halves
from srkit.degradations import image_seed
from srkit.degradations.unknown import apply_unknown, sample_unknown

pytestmark = pytest.mark.usefixtures("one_thread")


def _folder(root: Path, name: str, n: int, size: tuple[int, int] = (40, 44), seed: int = 0) -> Path:
    folder = root / name
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(n):
        write_image(folder / f"{name.lower()}{i}.png", rng.integers(0, 256, (*size, 3), dtype=np.uint8))
    return folder


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    _folder(root, "A", 5, seed=1)
    _folder(root, "B", 4, size=(48, 52), seed=2)
    _folder(root, "T", 2, size=(30, 26), seed=3)
    return root


def test_the_halves_are_disjoint_deterministic_and_the_files_reproducible(sources: Path, tmp_path: Path) -> None:
    train = [sources / "A", sources / "B"]
    out = make_unpaired_set(train, tmp_path / "set", test=[sources / "T"], seed=3)
    again = make_unpaired_set(train, tmp_path / "again", test=[sources / "T"], seed=3)
    assert _files(out) == _files(again)
    protocol = json.loads((out / "protocol.json").read_text())
    hr = {p.stem for p in (out / "hr").iterdir()}
    for s in (2, 4):
        assert {p.stem for p in (out / f"lr_x{s}").iterdir()} == {e["name"] for e in protocol["lr_side"]}
    lr = {e["name"] for e in protocol["lr_side"]}
    assert not hr & lr and hr | lr == {f"A_a{i}" for i in range(5)} | {f"B_b{i}" for i in range(4)}
    assert len([n for n in hr if n.startswith("A_")]) == 2 and len([n for n in hr if n.startswith("B_")]) == 2
    assert split_halves([f"A_a{i}" for i in range(5)], 3)[0] == sorted(n for n in hr if n.startswith("A_"))
    assert {p.stem for p in (out / "test" / "gt").iterdir()} == {"t0", "t1"}  # neither half
    other = make_unpaired_set(train, tmp_path / "other", seed=4)
    assert {p.stem for p in (other / "hr").iterdir()} != hr  # the split follows the seed
    # each LR file is the pipeline applied with the parameters drawn from the image's seed
    name = sorted(lr)[0]
    params = sample_unknown(torch.Generator().manual_seed(image_seed(3, f"{name}_x4")), scale=4)
    folder, stem = name.split("_")
    expect = apply_unknown(read_image(sources / folder / f"{stem}.png"), params)
    assert np.array_equal(read_image(out / "lr_x4" / f"{name}.png"), expect)


def test_the_test_pairs_are_a_benchmark_set(sources: Path, tmp_path: Path) -> None:
    out = make_unpaired_set([sources / "A"], tmp_path / "set", test=[sources / "T"], scales=[4])
    pairs = list(BenchmarkSet(out / "test").pairs(4))
    assert [p.hr.shape for p in pairs] == [(28, 24, 3)] * 2 and [p.lr.shape for p in pairs] == [(7, 6, 3)] * 2
    by_lr_folder = list(BenchmarkSet(out / "test" / "gt", lr_root=out / "test" / "lr_x4").pairs(4))
    assert all(np.array_equal(a.lr, b.lr) for a, b in zip(pairs, by_lr_folder, strict=True))


def test_refusals(sources: Path, tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match="both a training and a test folder"):
        make_unpaired_set([sources / "A"], tmp_path / "x", test=[sources / "A"])
    with pytest.raises(SrkitError, match="scales must list 2, 4"):
        make_unpaired_set([sources / "A"], tmp_path / "x", scales=[3])
    with pytest.raises(SrkitError, match="must not hold, or be inside"):
        make_unpaired_set([sources / "A"], sources / "A" / "out")
    made = make_unpaired_set([sources / "A"], tmp_path / "set", scales=[4])
    with pytest.raises(SrkitError, match="pass --overwrite"):
        make_unpaired_set([sources / "A"], made, scales=[4])
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(SrkitError, match="refusing to replace"):
        make_unpaired_set([sources / "A"], tmp_path / "mine", overwrite=True)


def test_cli(sources: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["unpairedset", str(sources / "A"), str(sources / "B"), "-o", str(tmp_path / "set"), "--scale", "4"]
    assert main([*args, "--test", str(sources / "T"), "--no-progress"]) == 0
    assert "4 HR images (hr/), 5 real LR images (lr_xS/) at x4, 2 test pairs" in capsys.readouterr().out
    assert main([*args, "--no-progress"]) == 1
    assert "pass --overwrite" in capsys.readouterr().err
    assert main([*args, "--no-progress", "--overwrite"]) == 0


@pytest.fixture(scope="module")
def unpaired_set(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_unpaired_set([sources / "A", sources / "B"], tmp_path_factory.mktemp("u") / "set", scales=[4])


def _dataset(root: Path, **extra: object) -> UnpairedPatches:
    kwargs: dict = dict(hr_folders=[root / "hr"], real_lr_folders=[root / "lr_x4"], scales=(4,), patch_size=8)
    kwargs.update(batch_size=4, seed=7, length=50)
    kwargs.update(extra)
    return UnpairedPatches(**kwargs)


def test_unpaired_batches_are_deterministic_by_step(unpaired_set: Path) -> None:
    ds = _dataset(unpaired_set)
    b = ds[5]
    assert b["real_lr"].shape == (4, 3, 8, 8) and b["hr"].shape == (4, 3, 32, 32) and b["lr"].shape == (4, 3, 8, 8)
    again = _dataset(unpaired_set)[5]
    assert all(torch.equal(b[k], again[k]) for k in ("lr", "hr", "real_lr"))
    assert not torch.equal(ds[6]["real_lr"], b["real_lr"])
    loaded = list(zip(range(3, 6), make_loader(ds, start=3, workers=2), strict=False))
    assert all(torch.equal(batch["real_lr"], ds[i]["real_lr"]) for i, batch in loaded)
    halves = [ds.with_shard(r, 2)[5]["real_lr"] for r in (0, 1)]
    assert torch.equal(torch.cat(halves), b["real_lr"])
    # the real LR draws are their own stream: another HR side leaves them as they were
    fewer = _dataset(unpaired_set, exclude=["A_*"])
    assert fewer.real_lr_params(5) == ds.real_lr_params(5) and not torch.equal(fewer[5]["hr"], b["hr"])


def test_unpaired_refusals(unpaired_set: Path, tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match="HR-only folders"):
        _dataset(unpaired_set, lr_folders=[unpaired_set / "lr_x4"])
    with pytest.raises(SrkitError, match="no real LR image of at least 32x32"):
        _dataset(unpaired_set, patch_size=32, scales=(1,))
    with pytest.warns(UserWarning, match="3 real LR images are smaller than the 11x11 patch"):
        assert len(_dataset(unpaired_set, patch_size=11, scales=(1,)).real_images) == 2
