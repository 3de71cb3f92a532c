"""srkit train on cubes: step-indexed batches with random sensors, both HSI recipes, and their config errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from cubes_fixture import scene

import srkit
from srkit import SrkitError
from srkit.data.cube import write_cube
from srkit.engine import config_from_dict, train
from srkit.hsi.data import CubeBatches, random_response

pytestmark = pytest.mark.usefixtures("one_thread")


def test_batches_are_step_indexed_and_shaped() -> None:
    cubes = [scene(bands=20, size=40, seed=0), scene(bands=30, size=48, seed=1)]
    batches = CubeBatches(cubes, scales=[4, 8], batch_size=3, patch_size=32, bands=8, seed=5, guide=True)
    a, b = batches[7], batches[7]
    for key in ("hr", "lr", "guide", "response"):
        torch.testing.assert_close(a[key], b[key])
    s = a["scale"]
    assert a["hr"].shape == (3, 8, 32, 32) and a["lr"].shape == (3, 8, 32 // s, 32 // s)
    assert a["guide"].shape[:2] == a["response"].shape[:2] and a["guide"].shape[2:] == (32, 32)
    torch.testing.assert_close(a["response"].sum(dim=2), torch.ones(a["response"].shape[:2]))
    half = batches.with_shard(0, 3)[7]
    torch.testing.assert_close(half["hr"], a["hr"][:1])
    with pytest.raises(SrkitError, match="smaller than the patch size"):
        CubeBatches(cubes, scales=[4], patch_size=64)


def test_random_responses_cover_the_span() -> None:
    rng = np.random.default_rng(0)
    wl = np.linspace(400, 1000, 50)
    r = random_response(rng, wl, 4)
    assert r.shape == (4, 50) and np.allclose(r.sum(axis=1), 1.0) and (r >= 0).all()


@pytest.mark.parametrize(
    ("name", "options", "guide"),
    [("hsi3d", {"n_feats": 4, "n_blocks": 1}, False), ("hsi_fusion", {"n_feats": 4, "n_blocks": 1, "stages": 1}, True)],
)
def test_train_both_recipes(tmp_path: Path, name: str, options: dict[str, int], guide: bool) -> None:
    folder = tmp_path / "cubes"
    folder.mkdir()
    write_cube(folder / "a.npz", scene(bands=12, size=32, dtype=np.uint16))
    config = {
        "model": {"name": name, "scale": 4, "options": options},
        "data": {
            "kind": "cubes",
            "train": [str(folder)],
            "options": {"bands": 6, "guide": guide},
            "patch_size": 16,
            "batch_size": 2,
            "workers": 0,
        },
        "recipe": "hsi",
        "steps": 2,
        "output": str(tmp_path / "run"),
    }
    result = train(config_from_dict(config), progress=False)
    assert np.isfinite(result.loss)
    model = srkit.load_model(tmp_path / "run" / "model.safetensors")
    assert type(model).__name__ == ("HSIFusionNet" if guide else "HSI3DNet")


def test_config_errors(tmp_path: Path) -> None:
    folder = tmp_path / "cubes"
    folder.mkdir()
    write_cube(folder / "a.npz", scene(bands=12, size=32))
    base = {
        "model": {"name": "hsi_fusion", "scale": 4, "options": {"n_feats": 4, "n_blocks": 1, "stages": 1}},
        "data": {
            "kind": "cubes",
            "train": [str(folder)],
            "options": {"bands": 6},
            "patch_size": 16,
            "batch_size": 2,
            "workers": 0,
        },
        "recipe": "hsi",
        "steps": 1,
        "output": str(tmp_path / "run"),
    }
    with pytest.raises(SrkitError, match=r"set data\.options\.guide to true"):
        train(config_from_dict(base), progress=False)
    many = {**base, "data": {**base["data"], "options": {"bands": 16}}, "output": str(tmp_path / "run1")}
    with pytest.raises(SrkitError, match="a cube of 12 bands cannot give 16 bands per sample"):
        train(config_from_dict(many), progress=False)
    bad = {**base, "data": {**base["data"], "options": {"bands": "many"}}, "output": str(tmp_path / "run2")}
    with pytest.raises(SrkitError, match=r"data.options.bands must be int"):
        train(config_from_dict(bad), progress=False)
    other = {**base, "model": {"name": "espcn", "scale": 4}, "output": str(tmp_path / "run3")}
    with pytest.raises(SrkitError, match="recipe hsi trains the hyperspectral networks"):
        train(config_from_dict(other), progress=False)
