"""The video networks (clip in, clip out, flow warping that undoes a shift) and srkit train on synthetic clips."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import srkit
import srkit.video.train
from srkit import SrkitError, build_model, card_of
from srkit.engine import config_from_dict, train
from srkit.functional.warp import flow_warp
from srkit.video.data import SyntheticClips

pytestmark = pytest.mark.usefixtures("one_thread")
TINY = {"vespcn": {"n_feats": 8, "n_layers": 3}, "basicvsr_lite": {"n_feats": 8, "n_blocks": 1}}
TINY["basicvsr_uni"] = TINY["basicvsr_lite"]
TINY["srkit_vsr"] = {"prop_feats": 8, "prop_blocks": 1, "fuse_blocks": 1}
TINY["srkit_vsr_uni"] = TINY["srkit_vsr"]


@pytest.mark.parametrize("name", ["vespcn", "basicvsr_lite", "basicvsr_uni", "srkit_vsr", "srkit_vsr_uni"])
def test_clip_in_clip_out(name: str) -> None:
    model = build_model(name, scale=4, **TINY[name])
    assert card_of(model).kind == "clip"
    assert model(torch.rand(2, 3, 3, 12, 10)).shape == (2, 3, 3, 48, 40)
    assert sum(p.numel() for p in build_model(name, scale=4).parameters()) == card_of(model).params[4]


def test_srkit_vsr_starts_as_srkit_frame_by_frame_and_trains_only_its_own_parts() -> None:
    model = build_model("srkit_vsr", scale=3, **TINY["srkit_vsr"]).eval()
    clip = torch.rand(1, 4, 3, 10, 12)
    image = srkit.load_model("srkit")
    with torch.no_grad():
        torch.testing.assert_close(model(clip)[0], image(clip[0], 3), rtol=0, atol=0)
    trainable = {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"flow", "forward_branch", "backward_branch", "fuse"}


def test_srkit_vsr_of_another_size_needs_its_own_start() -> None:
    with pytest.raises(SrkitError, match="does not fit n_feats=16, n_blocks=8: pass image_init=None"):
        build_model("srkit_vsr", scale=4, n_feats=16)
    assert build_model("srkit_vsr", scale=4, n_feats=16, image_init=None)(torch.rand(1, 2, 3, 8, 8)).shape[-1] == 32


@pytest.mark.parametrize("name", ["basicvsr_uni", "srkit_vsr_uni"])
def test_unidirectional_outputs_depend_on_the_past_only(name: str) -> None:
    model = build_model(name, scale=2, **TINY[name]).eval()
    if name == "srkit_vsr_uni":  # the fusion starts at zero: make it carry the past
        torch.nn.init.normal_(model.fuse[-1].weight, std=0.1)
    x = torch.rand(1, 4, 3, 16, 16)
    y = x.clone()
    y[:, 3] = torch.rand(3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x)[:, :3], model(y)[:, :3])


def test_flow_warp_undoes_a_shift() -> None:
    x = torch.rand(1, 3, 16, 16)
    moved = torch.roll(x, shifts=2, dims=-1)  # content 2 px to the right
    flow = torch.zeros(1, 2, 16, 16)
    flow[:, 0] = 2.0
    torch.testing.assert_close(flow_warp(moved, flow)[..., 2:-2], x[..., 2:-2])


def test_synthetic_clips_move_and_are_step_indexed(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray((rng.random((90, 100, 3)) * 255).astype(np.uint8)).save(tmp_path / f"s{i}.png")
    clips = SyntheticClips([tmp_path], scale=2, frames=4, patch=16, batch_size=2, max_speed=2.0)
    a, b = clips[3], clips[3]
    torch.testing.assert_close(a["hr"], b["hr"])
    assert a["lr"].shape == (2, 4, 3, 16, 16) and a["hr"].shape == (2, 4, 3, 32, 32)
    assert not torch.equal(a["hr"][:, 0], a["hr"][:, 3])  # the camera moved
    with pytest.raises(SrkitError, match="no training still"):
        SyntheticClips([tmp_path], scale=4, patch=64)


@pytest.mark.parametrize("name", ["vespcn", "basicvsr_lite", "srkit_vsr"])
def test_train_vsr(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(0)
    stills = tmp_path / "stills"
    stills.mkdir()
    for i in range(2):
        Image.fromarray((rng.random((60, 60, 3)) * 255).astype(np.uint8)).save(stills / f"s{i}.png")
    config = {
        "model": {"name": name, "scale": 2, "options": TINY[name]},
        "data": {
            "kind": "clips",
            "train": [str(stills)],
            "options": {"frames": 3},
            "patch_size": 12,
            "batch_size": 2,
            "workers": 0,
        },
        "recipe": "vsr",
        "steps": 2,
        "output": str(tmp_path / "run"),
    }
    assert np.isfinite(train(config_from_dict(config), progress=False).loss)
    model = srkit.load_model(tmp_path / "run" / "model.safetensors")
    assert card_of(model).kind == "clip"
    with pytest.raises(SrkitError, match="video network, not an image SR model: use srkit video"):
        srkit.upscale(np.zeros((8, 8, 3), np.uint8), 2, model=model)
