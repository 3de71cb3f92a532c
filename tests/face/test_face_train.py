"""srkit train with data.kind faces and recipe face_prior: FSRNet's multi-supervised loss, the same recipe for the
generic model (the prior terms drop out), resume bit for bit, one-line config errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from faces_fixture import tiny_faces
from safetensors.torch import load_file

import srkit
import srkit.engine.run
from srkit import SrkitError
from srkit.engine import config_from_dict, config_to_dict, load_checkpoint, train
from srkit.face.train import heatmap_divergence

pytestmark = pytest.mark.usefixtures("one_thread")
SMALL = {"n_feats": 8, "coarse_blocks": 1, "encoder_blocks": 1, "decoder_blocks": 1, "hourglass_depth": 2}


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_faces(tmp_path_factory.mktemp("faces"))


def _config(faces: Path, out: Path, name: str = "fsrnet", **extra: object) -> srkit.TrainConfig:
    raw = {
        "model": {"name": name, "scale": 8, "options": SMALL},
        "data": {"kind": "faces", "train": [str(faces)], "batch_size": 2, "workers": 0, "options": {"sigma": 1.5}},
        "recipe": "face_prior",
        "steps": 4,
        "ckpt_every": 2,
        "log_every": 1,
        "output": str(out),
        **extra,
    }
    return config_from_dict(raw)


@pytest.mark.parametrize("name", ["fsrnet", "fsrnet_generic"])
def test_face_models_train_and_load_back(faces: Path, tmp_path: Path, name: str) -> None:
    result = train(_config(faces, tmp_path / name, name), progress=False)
    assert result.steps == 4 and torch.isfinite(torch.tensor(result.loss))
    model = srkit.load_model(tmp_path / name / "model.safetensors")
    assert model.scale == 8 and model.has_prior == (name == "fsrnet")
    assert model(torch.rand(1, 3, 4, 4)).shape == (1, 3, 32, 32)


def test_a_run_killed_and_resumed_ends_with_the_same_weights(
    faces: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    train(_config(faces, tmp_path / "whole"), progress=False)
    step = srkit.engine.run.Run.step

    def killed(self: object, i: int, batch: object) -> object:
        if i == 2:  # after the checkpoint of step 2
            raise KeyboardInterrupt
        return step(self, i, batch)  # type: ignore[arg-type]

    with monkeypatch.context() as m:
        m.setattr(srkit.engine.run.Run, "step", killed)
        with pytest.raises(KeyboardInterrupt):
            train(_config(faces, tmp_path / "cut"), progress=False)
    train(_config(faces, tmp_path / "cut"), resume=True, progress=False)
    a, b = (load_file(str(tmp_path / n / "model.safetensors")) for n in ("whole", "cut"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_heatmap_divergence_is_zero_for_the_target_and_positive_otherwise() -> None:
    target = torch.rand(2, 3, 8, 8) + 0.01
    logits = (target / target.sum(dim=(2, 3), keepdim=True)).log()
    assert abs(float(heatmap_divergence(logits, target))) < 1e-5
    assert float(heatmap_divergence(torch.zeros(2, 3, 8, 8), target)) > 0


def _changed(faces: Path, out: Path, **changes: object) -> srkit.TrainConfig:
    raw = config_to_dict(_config(faces, out))
    for key, value in changes.items():
        section, _, field = key.partition("__")
        raw[section] = {**raw[section], field: value} if field else value
    return config_from_dict(raw)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data__kind": "patches"}, "recipe face_prior trains on faces with landmarks: set data.kind to faces"),
        ({"data__kind": "voices", "recipe": None}, "unknown data.kind 'voices'; available: patches, "),
        ({"model__name": "espcn", "model__options": {}, "model__scale": 4}, "recipe face_prior trains FSRNet-style"),
        ({"recipe_options": {"landmark_weight": 1.0}}, "recipe face_prior: unknown recipe_options"),
        ({"data__options": {"sigma": 0}}, "data.kind faces: data.options.sigma must be > 0"),
    ],
)
def test_config_errors_are_one_line(faces: Path, tmp_path: Path, changes: dict, message: str) -> None:
    config = _changed(faces, tmp_path / "out", **changes)
    with pytest.raises(SrkitError, match=re.escape(message)) as err:
        train(config, progress=False)
    assert "voices" not in message or "faces" in str(err.value).split("available:")[1]  # among the kinds, in any order
    assert not (tmp_path / "out").exists()


def test_fsrgan_adds_a_discriminator_player(faces: Path, tmp_path: Path) -> None:
    gan = {"gan": "vanilla", "discriminator": "unet_discriminator", "discriminator_options": {"n_feats": 8}}
    config = _config(faces, tmp_path / "gan", loss={**gan, "perceptual_weight": 0.1, "gan_weight": 0.01})
    result = train(config, progress=False)
    assert torch.isfinite(torch.tensor(result.loss))
    state = load_checkpoint(tmp_path / "gan" / "latest.pt")
    assert set(state["modules"]) == {"model", "discriminator"}
