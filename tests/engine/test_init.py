"""Fine-tuning: model.init loads other weights (a noise-map input added to an image model starts at zero), and
data.holdout leaves images out of training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

import srkit
from srkit import SrkitError
from srkit._core.cards import with_noise_map
from srkit.data import TrainPatches
from srkit.engine.run import init_weights


def _save(model: torch.nn.Module, path: Path) -> Path:
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path


def test_a_noise_map_model_starts_as_the_image_model(tmp_path: Path) -> None:
    torch.manual_seed(0)
    source = srkit.build_model("srkit_net", scale=2, n_feats=8, n_blocks=1).eval()
    prior = srkit.build_model("srkit_prior", scale=2, n_feats=8, n_blocks=1).eval()
    assert init_weights(prior, str(_save(source, tmp_path / "net.safetensors"))) == ["head.weight"]
    x = torch.rand(1, 3, 10, 10)
    with torch.no_grad():
        for sigma in (0.0, 0.2):
            torch.testing.assert_close(prior(with_noise_map(x, sigma), 2), source(x, 2))


def test_mismatched_weights_are_refused(tmp_path: Path) -> None:
    small = _save(srkit.build_model("srkit_net", scale=2, n_feats=8, n_blocks=1), tmp_path / "small.safetensors")
    with pytest.raises(SrkitError, match=r"model.init .*head.weight is \(8, 3, 3, 3\), the model's \(16, 3, 3, 3\)"):
        init_weights(srkit.build_model("srkit_net", scale=2, n_feats=16, n_blocks=1), str(small))
    with pytest.raises(SrkitError, match="missing"):
        init_weights(srkit.build_model("srkit_net", scale=2, n_feats=8, n_blocks=2), str(small))


def test_holdout_leaves_images_out(tmp_path: Path) -> None:
    for name in ("100.png", "200.png", "201.png"):
        Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / name)
    kept = TrainPatches(hr_folders=[tmp_path], scales=(2,), patch_size=16, exclude=["2*.png"], length=1)
    assert [p.name for p in kept.images] == ["100.png"]
