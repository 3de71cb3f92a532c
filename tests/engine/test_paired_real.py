"""Real-pair training end to end: same-size (scale 1) pairs in one folder, their alignment check, a degradation
mixture, and a trained zoo model that ``srkit.load_model`` and ``srkit.upscale`` take back at scale 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tiny_run import tiny_config

import srkit
from srkit import SrkitError
from srkit.engine import config_from_dict, train, validate

pytestmark = pytest.mark.usefixtures("one_thread")


def _pairs(folder: Path, n: int = 3, shift: int = 0) -> Path:
    """``NNN_HR.png`` / ``NNN_LR.png`` pairs of 64x64: the LR a blurred copy (a camera's softer lens)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for i in range(n):
        small = Image.fromarray((rng.random((12, 12, 3)) * 255).astype(np.uint8))
        hr = small.resize((64, 64), Image.Resampling.BICUBIC)
        lr = np.asarray(hr.resize((32, 32), Image.Resampling.BICUBIC).resize((64, 64), Image.Resampling.BICUBIC))
        hr.save(folder / f"{i:03d}_HR.png")
        Image.fromarray(np.roll(lr, shift, axis=1) if i == n - 1 else lr).save(folder / f"{i:03d}_LR.png")
    return folder


def _camera_config(pairs: Path, out: Path, **data: object) -> dict[str, object]:
    cfg = tiny_config(pairs, out, steps=4, ckpt_every=4)
    cfg["model"] = {"name": "vdsr_camera", "scale": 1, "options": {"n_feats": 4, "n_layers": 3}}
    cfg["data"] = {"train": [str(pairs)], "lr_train": [str(pairs)], "patch_size": 16, "batch_size": 2, "workers": 0}
    cfg["data"].update(data)  # type: ignore[union-attr]
    return cfg


def test_same_size_pairs_train_and_the_model_serves_scale_1(tmp_path: Path) -> None:
    pairs = _pairs(tmp_path / "pairs")
    result = train(config_from_dict(_camera_config(pairs, tmp_path / "run", holdout=["002_*"])), progress=False)
    assert np.isfinite(result.loss)
    model = srkit.load_model(result.output / "model.safetensors")  # srkit_arch and hparams in the metadata
    assert model.card.name == "vdsr_camera" and model.card.scale == 1
    assert sum(p.numel() for p in model.parameters()) == sum(
        p.numel() for p in srkit.build_model("vdsr_camera", n_feats=4, n_layers=3).parameters()
    )
    lr = np.asarray(Image.open(pairs / "002_LR.png"))
    assert srkit.upscale(lr, scale=1, model=model).shape == lr.shape
    assert srkit.upscale(lr[:32, :32], scale=2, model=model).shape == (64, 64, 3)  # the raw shot, bicubic inside
    (result_set,) = srkit.evaluate(
        srkit.ModelMethod(model), [srkit.BenchmarkSet(pairs, include=["002_*"])], [1], progress=False
    )
    assert len(result_set.images) == 1 and np.isfinite(result_set.psnr)


def test_validation_on_a_held_out_split_of_a_training_folder(tmp_path: Path) -> None:
    pairs = _pairs(tmp_path / "pairs")
    split = {"holdout": ["001_*"], "val": str(pairs), "val_include": ["001_*"]}
    cfg = config_from_dict(_camera_config(pairs, tmp_path / "run", **split))
    model = srkit.build_model("vdsr_camera", n_feats=4, n_layers=3)
    (only,) = srkit.evaluate(
        srkit.ModelMethod(model, precision="fp32", tile=None),
        [srkit.BenchmarkSet(pairs, include=["001_*"])],
        [1],
        progress=False,
    )
    assert validate(model, cfg, torch.device("cpu")) == pytest.approx((only.psnr, only.ssim))
    (whole,) = srkit.evaluate(srkit.ModelMethod(model), [srkit.BenchmarkSet(pairs)], [1], progress=False)
    assert whole.psnr != pytest.approx(only.psnr)  # the split, not the folder
    no_val = _camera_config(pairs, tmp_path / "run2", val_include=["001_*"])
    with pytest.raises(
        SrkitError, match=r"^config.data.val_include names images of config.data.val, which is not set$"
    ):
        config_from_dict(no_val)


def test_a_misaligned_pair_is_reported_not_used(tmp_path: Path) -> None:
    pairs = _pairs(tmp_path / "pairs", shift=5)
    with pytest.raises(SrkitError, match=r"the pair 002_HR.png / 002_LR.png at x1: misaligned by [45]\.\d HR pixels"):
        train(config_from_dict(_camera_config(pairs, tmp_path / "run")), progress=False)
    cfg = config_from_dict(_camera_config(pairs, tmp_path / "run2", on_bad_image="skip"))
    with pytest.warns(UserWarning, match=r"misaligned by [45]\.\d HR pixels \(dy 0\.\d, dx [45]\.\d\) \(skipped\)"):
        result = train(cfg, progress=False)
    assert np.isfinite(result.loss)
    with pytest.warns(UserWarning, match=r"pairs/002: misaligned by [45]\.\d HR pixels"):
        list(srkit.BenchmarkSet(pairs).pairs(1))


def test_srkit_models_refuse_scale_1_with_one_line() -> None:
    with pytest.raises(SrkitError, match=r"scale 1 needs a same-size model .* srkit_fast serves x2, x3, x4"):
        srkit.upscale(np.zeros((8, 8, 3), dtype=np.uint8), scale=1, model="srkit_fast")


def test_a_mixture_of_degradations_trains(images: Path, tmp_path: Path) -> None:
    data = {"train": [str(images)], "patch_size": 8, "batch_size": 2, "workers": 0}
    data["degradation_mix"] = {"bsrgan": 0.5, "real_esrgan": 0.25, "BI": 0.25}
    cfg = config_from_dict(tiny_config(images, tmp_path / "mix", data=data, steps=2, ckpt_every=2))
    assert np.isfinite(train(cfg, progress=False).loss)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"degradation": "jpeg"}, r"config.data.degradation must be one of BI, BD, DN, REAL_ESRGAN, BSRGAN"),
        ({"degradation_mix": {"BI": 0.5, "BD": 0.4}}, r"config.data.degradation_mix: .* add up to 1"),
        ({"degradation": "BD", "degradation_mix": {"BI": 1.0}}, r"set degradation or degradation_mix, not both"),
    ],
)
def test_degradation_settings_are_checked(images: Path, tmp_path: Path, data: dict[str, object], message: str) -> None:
    cfg = tiny_config(images, tmp_path / "bad")
    cfg["data"].update(data)
    with pytest.raises(SrkitError, match=message):
        config_from_dict(cfg)
