"""Aligned faces with landmark files: reading, the photo-level split, and training batches made from (seed, index)
alone with mirrored faces renumbered."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from faces_fixture import tiny_faces

from srkit import SrkitError
from srkit.face.data import FaceBatches, face_split, read_landmarks
from srkit.face.priors import FLIP_68


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_faces(tmp_path_factory.mktemp("faces"))


def test_read_landmarks_refuses_what_is_not_68_points(tmp_path: Path) -> None:
    bad = tmp_path / "a.txt"
    bad.write_text("1 2\n3 4\n")
    with pytest.raises(SrkitError, match="expected 68 lines"):
        read_landmarks(bad)
    bad.write_text("x y\n" * 68)
    with pytest.raises(SrkitError, match="not a landmark file"):
        read_landmarks(bad)
    with pytest.raises(SrkitError, match="not found"):
        read_landmarks(tmp_path / "missing.txt")


def test_images_without_landmarks_are_not_faces(tmp_path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a_1.png")
    with pytest.raises(SrkitError, match="no face images with landmarks"):
        face_split(tmp_path, "train")


def test_split_keeps_each_photo_on_one_side(faces: Path) -> None:
    train, val, every = (face_split(faces, s, val_every=3) for s in ("train", "val", "all"))
    assert sorted(train + val) == sorted(every) and not set(train) & set(val) and val
    photo = lambda p: p.stem.rsplit("_", 1)[0]  # noqa: E731
    assert not {photo(p) for p in train} & {photo(p) for p in val}
    with pytest.raises(SrkitError, match="split must be"):
        face_split(faces, "test")
    with pytest.raises(SrkitError, match="no images in"):
        face_split(faces.parent, "train")


def test_batches_are_made_from_seed_and_index_alone(faces: Path) -> None:
    a = FaceBatches([faces], scales=[4, 8], batch_size=4, seed=3, length=5, split="all")
    b = FaceBatches([faces], scales=[4, 8], batch_size=4, seed=3, length=5, split="all")
    x, y = a[2], b[2]
    for key in ("hr", "lr", "heatmaps", "parsing", "landmarks"):
        assert torch.equal(x[key], y[key]), key
    s = x["scale"]
    assert x["hr"].shape == (4, 3, 32, 32) and x["lr"].shape == (4, 3, 32 // s, 32 // s)
    assert x["heatmaps"].shape == (4, 68, 16, 16) and x["parsing"].shape == (4, 7, 16, 16)
    with pytest.raises(IndexError):
        a[5]


def test_mirrored_faces_carry_mirrored_renumbered_landmarks(faces: Path) -> None:
    plain = FaceBatches([faces], scales=[4], batch_size=16, seed=0, length=1, split="all", augment=False)
    flipped = FaceBatches([faces], scales=[4], batch_size=16, seed=0, length=1, split="all", augment=True)
    p, f = plain[0], flipped[0]
    mirrored = [i for i in range(16) if not torch.equal(p["hr"][i], f["hr"][i])]
    assert mirrored  # some faces of the batch were mirrored
    for i in mirrored:
        assert torch.equal(f["hr"][i], p["hr"][i].flip(-1))
        expected = p["landmarks"][i][list(FLIP_68)].clone()
        expected[:, 0] = 31 - expected[:, 0]
        assert torch.allclose(f["landmarks"][i], expected)


def test_shards_together_are_the_whole_batch(faces: Path) -> None:
    whole = FaceBatches([faces], scales=[4], batch_size=4, seed=1, length=2, split="all")
    parts = [whole.with_shard(r, 2)[1] for r in range(2)]
    assert torch.equal(torch.cat([p["hr"] for p in parts]), whole[1]["hr"])
    with pytest.raises(SrkitError, match="equal share"):
        whole.with_shard(0, 3)


def test_faces_of_different_sizes_are_refused(faces: Path, tmp_path: Path) -> None:
    import shutil

    from PIL import Image

    for p in sorted(faces.iterdir())[:4]:  # two faces with their landmarks
        shutil.copy(p, tmp_path / p.name)
    first = sorted(tmp_path.glob("*.png"))[0]
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(first)
    with pytest.raises(SrkitError, match="one size"):
        FaceBatches([tmp_path], scales=[4], split="all")
