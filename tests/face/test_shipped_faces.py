"""The shipped face models: each card's held-out score is what srkit.face.evaluate measures now; srkit face finds,
restores and pastes the small faces of a real photo in seconds."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import srkit
from srkit.cli.main import main
from srkit.face import FACE_MODELS, GENERIC_MODELS
from srkit.face.evaluate import evaluate_faces, face_model_method

SHIPPED = [*FACE_MODELS.values(), *GENERIC_MODELS.values()]


@pytest.mark.parametrize("name", SHIPPED)
def test_face_models_load_at_their_one_scale(name: str) -> None:
    model = srkit.load_model(name)
    scale = int(name[-1])
    assert model.scale == scale and srkit.card_of(model).scales == (scale,)
    assert model(torch.rand(1, 3, 128 // scale, 128 // scale)).shape == (1, 3, 128, 128)
    with pytest.raises(srkit.SrkitError, match="serves scales"):
        srkit.load_model(name, scale=12 - scale)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", SHIPPED)
def test_card_scores_are_what_the_held_out_faces_measure(shared_data: Path, name: str) -> None:
    model = srkit.load_model(name)
    scale = model.scale
    rows, _ = evaluate_faces(shared_data / "face" / "Helen_train_128", scale, {name: face_model_method(model=model)})
    training = srkit.card_of(model).training
    assert training[f"Helen val x{scale}"] == f"{rows[-1].psnr:.2f} dB / {rows[-1].ssim:.4f}"
    assert training[f"Helen val x{scale} landmark NME"] == f"{rows[-1].nme:.4f}"


@pytest.mark.shared_data
def test_srkit_face_restores_the_small_faces_of_a_real_photo(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = shared_data / "train" / "BSD200" / "245051.png"  # four pilots, faces 14-18 px wide
    out = tmp_path / "pilots_x8.png"
    start = time.perf_counter()
    assert main(["face", str(src), "-o", str(out), "--no-progress"]) == 0
    seconds = time.perf_counter() - start
    text = capsys.readouterr().out
    assert "4 face(s) found, 4 restored" in text, text
    assert seconds < 30
    result = np.asarray(Image.open(out))
    plain = np.asarray(srkit.upscale(np.asarray(Image.open(src).convert("RGB")), 8))
    changed = np.any(result != plain, axis=2)
    assert 0 < changed.mean() < 0.05  # the faces changed, the rest is the plain upscale


@pytest.mark.shared_data
def test_landmarks_follow_the_face_at_any_size(shared_data: Path) -> None:
    from srkit.face import face_split, landmarks, read_landmarks
    from srkit.metrics import nme

    faces = face_split(shared_data / "face" / "Helen_train_128", "val")[:12]
    images = [np.asarray(Image.open(p).convert("RGB")) for p in faces]
    truth = np.stack([read_landmarks(p.with_suffix(".txt")) for p in faces])
    found = np.stack([landmarks(im) for im in images])
    assert nme(found, truth).mean() < 0.1
    # the same faces at twice the size: the points double (pixel centres: x -> 2x + 0.5)
    bigger = np.stack([landmarks(srkit.imresize(im, 2)) for im in images])
    assert nme(bigger, 2 * truth + 0.5).mean() < 0.1
