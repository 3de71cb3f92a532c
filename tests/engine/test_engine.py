"""The training engine: typed configs, a run that learns, checkpoints, and bit-for-bit resume after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml
from PIL import Image
from safetensors.torch import load_file
from tiny_run import tiny_config

import srkit
from srkit import SrkitError
from srkit.engine import config_from_dict, config_to_dict, load_checkpoint, load_config, lr_factor, train
from srkit.engine.config import ScheduleConfig, apply_overrides


def _config(images: Path, out: Path, **extra: Any) -> dict[str, Any]:
    return tiny_config(images, out, **extra)


def test_config_validation() -> None:
    base = {"model": {"name": "espcn"}, "data": {"train": ["x"]}}
    cfg = config_from_dict(base)
    assert cfg.model.scale == 4 and cfg.data.batch_size == 16 and cfg.optim.lr == pytest.approx(2e-4)
    assert config_from_dict(config_to_dict(cfg)) == cfg
    with pytest.raises(SrkitError, match=r"unknown key config\.data\.batchsize"):
        config_from_dict({**base, "data": {"batchsize": 3}})
    with pytest.raises(SrkitError, match=r"config\.steps must be int, got 'many'"):
        config_from_dict({**base, "steps": "many"})
    with pytest.raises(SrkitError, match=r"config\.precision must be one of fp32, bf16, fp16"):
        config_from_dict({**base, "precision": "fp8"})
    with pytest.raises(SrkitError, match="config needs model"):
        config_from_dict({"data": {}})
    assert apply_overrides(base, ["data.batch_size=8", "steps=5"]) == {
        **base,
        "data": {"train": ["x"], "batch_size": 8},
        "steps": 5,
    }
    with pytest.raises(SrkitError, match="--set takes key=value"):
        apply_overrides(base, ["steps"])


def test_every_recipe_in_configs_is_valid() -> None:
    folder = Path(__file__).resolve().parents[2] / "configs" / "train"
    recipes = sorted(folder.glob("*.yaml"))
    assert len(recipes) >= 2 * 25
    names = set(srkit.MODELS.names()) if hasattr(srkit, "MODELS") else {c.name for c in srkit.list_models()}
    for path in recipes:
        cfg = load_config(path)
        assert cfg.model.name in names, path


@pytest.mark.parametrize("folder", ["srkit", "camerasr"])
def test_shipped_and_camera_recipes_are_valid(folder: str) -> None:
    recipes = sorted((Path(__file__).resolve().parents[2] / "configs" / folder).glob("*.yaml"))
    assert recipes
    for path in recipes:
        cfg = load_config(path)
        assert cfg.model.name in {c.name for c in srkit.list_models()}, path
        if cfg.data.lr_train:  # same-size pairs in one folder: the folder is both
            assert cfg.data.lr_train == cfg.data.train and cfg.model.scale == 1, path


def test_schedules() -> None:
    assert lr_factor(0, 100, ScheduleConfig(kind="cosine", warmup=10)) == pytest.approx(0.1)
    assert lr_factor(99, 100, ScheduleConfig(kind="cosine")) == pytest.approx(0.0, abs=1e-3)
    step = ScheduleConfig(kind="step", milestones=[10, 20], gamma=0.5)
    assert [lr_factor(s, 100, step) for s in (0, 10, 25)] == [1.0, 0.5, 0.25]


def test_train_writes_everything(images: Path, tmp_path: Path) -> None:
    cfg = config_from_dict(
        _config(
            images,
            tmp_path / "run",
            ema=0.9,
            data={"train": [str(images)], "val": str(images), "patch_size": 8, "batch_size": 4, "workers": 0},
        )
    )
    result = train(cfg, progress=False)
    out = tmp_path / "run"
    assert {p.name for p in out.iterdir()} >= {
        "latest.pt",
        "log.csv",
        "config.yaml",
        "model.safetensors",
        "model_ema.safetensors",
        "curve.png",
    }
    assert result.val_psnr is not None and np.isfinite(result.loss)
    state = load_checkpoint(out / "latest.pt")
    assert state["step"] == 12 and state["ema"] is not None
    _, loaded_cfg = srkit.load_run(out)
    assert loaded_cfg == cfg
    assert Image.open(out / "curve.png").size == (800, 360)
    with pytest.raises(SrkitError, match="already holds a run"):
        train(cfg, progress=False)


def test_multi_supervision_and_curriculum(images: Path, tmp_path: Path) -> None:
    spec = {
        "framework": "progressive",
        "n_feats": 8,
        "body": [{"block": "resblock"}],
        "upsampler": {"type": "subpixel"},
    }
    cfg = config_from_dict(
        _config(
            images, tmp_path / "lap", model={"spec": spec, "scale": 4}, loss={"supervise": "all"}, steps=4, ckpt_every=4
        )
    )
    assert np.isfinite(train(cfg, progress=False).loss)
    cfg = config_from_dict(  # a scale curriculum on a multi-scale model: x2 first, then x4
        _config(
            images,
            tmp_path / "cur",
            model={"name": "srkit_fast", "scale": 4, "options": {"n_feats": 8}},
            steps=4,
            curriculum=[{"step": 0, "scales": [2]}, {"step": 2, "scales": [4]}],
        )
    )
    assert np.isfinite(train(cfg, progress=False).loss)


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / "model.safetensors"))


def test_resume_after_sigkill_is_bit_for_bit(images: Path, tmp_path: Path) -> None:
    steps = 120
    plain = _config(images, tmp_path / "plain", steps=steps, ckpt_every=10)
    killed = _config(images, tmp_path / "killed", steps=steps, ckpt_every=10)
    train(config_from_dict(plain), progress=False)
    cfg_path = tmp_path / "killed.yaml"
    cfg_path.write_text(yaml.safe_dump(killed))
    cmd = [sys.executable, "-m", "srkit", "train", str(cfg_path), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    latest, deadline = tmp_path / "killed" / "latest.pt", time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if latest.exists() and load_checkpoint(latest)["step"] >= 20:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stopped_at = load_checkpoint(latest)["step"]
    assert 0 < stopped_at < steps, "the run ended before it could be killed mid-way"
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    a, b = _weights(tmp_path / "plain"), _weights(tmp_path / "killed")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_train_errors(images: Path, tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match="exactly one of 'name'"):
        train(config_from_dict(_config(images, tmp_path / "e1", model={"scale": 2})), progress=False)
    with pytest.raises(SrkitError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.shared_data
def test_a_minute_of_training_beats_bicubic(shared_data: Path, tmp_path: Path) -> None:
    """A small residual network trained for about a minute on T91 beats MATLAB bicubic on Set5 x2."""
    spec = {
        "framework": "post",
        "n_feats": 32,
        "global_residual": "image",
        "tail": False,
        "body": [{"block": "conv_act", "repeat": 3}],
        "upsampler": {"type": "subpixel"},
    }
    cfg = config_from_dict(
        {
            "model": {"spec": spec, "scale": 2},
            "data": {
                "train": [str(shared_data / "train" / "T91")],
                "val": str(shared_data / "bench" / "Set5"),
                "patch_size": 24,
                "batch_size": 16,
                "workers": 1,
            },
            "optim": {"lr": 1e-3},
            "schedule": {"kind": "cosine", "warmup": 20},
            "steps": 400,
            "ckpt_every": 400,
            "log_every": 100,
            "output": str(tmp_path / "minute"),
        }
    )
    result = train(cfg, progress=False)
    (bicubic,) = srkit.evaluate(
        srkit.get_method("bicubic"), [srkit.BenchmarkSet(shared_data / "bench" / "Set5")], [2], progress=False
    )
    assert result.val_psnr is not None
    assert result.val_psnr > bicubic.psnr + 0.3, (result.val_psnr, bicubic.psnr)


@pytest.mark.parametrize("pipeline", ["real_esrgan", "bsrgan"])
def test_training_on_a_real_world_degradation_pipeline(images: Path, tmp_path: Path, pipeline: str) -> None:
    data = {"train": [str(images)], "patch_size": 8, "batch_size": 2, "workers": 0, "degradation": pipeline}
    cfg = config_from_dict(_config(images, tmp_path / pipeline, data=data, steps=2, ckpt_every=2))
    assert np.isfinite(train(cfg, progress=False).loss)


def test_tensorboard_logs_or_a_clear_error(images: Path, tmp_path: Path) -> None:
    cfg = config_from_dict(_config(images, tmp_path / "tb", tensorboard=True, steps=2, ckpt_every=2))
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.raises(SrkitError, match="needs the tensorboard package"):
            train(cfg, progress=False)
        assert not (tmp_path / "tb").exists()  # checked before anything is written
        return
    train(cfg, progress=False)
    assert any((tmp_path / "tb" / "tensorboard").iterdir())


def test_full_disk_never_corrupts_the_latest_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from srkit.engine import save_checkpoint

    latest = tmp_path / "latest.pt"
    save_checkpoint(latest, {"model": {"w": torch.ones(2)}, "step": 1})
    before = latest.read_bytes()

    def disk_full(obj: object, f: object) -> None:
        f.write(b"partial")  # type: ignore[attr-defined]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(SrkitError, match=r"cannot write checkpoint .*No space left"):
        save_checkpoint(latest, {"model": {"w": torch.zeros(2)}, "step": 2})
    assert latest.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt"]
    assert load_checkpoint(latest)["step"] == 1


def test_precision_options(images: Path, tmp_path: Path) -> None:
    cfg = config_from_dict(
        _config(images, tmp_path / "bf16", precision="bf16", channels_last=True, steps=2, ckpt_every=2)
    )
    assert np.isfinite(train(cfg, progress=False).loss)
    with pytest.raises(SrkitError, match="fp16 needs a CUDA device"):
        train(config_from_dict(_config(images, tmp_path / "fp16", precision="fp16")), progress=False)
    assert not (tmp_path / "fp16").exists()
