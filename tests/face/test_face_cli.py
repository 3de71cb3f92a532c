"""srkit face: a photo without faces is still upscaled (and the summary says so), --aligned restores one crop,
bad input gets one line and leaves no file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from faces_fixture import tiny_faces
from PIL import Image

import srkit
from srkit.cli.main import main
from srkit.engine import config_from_dict, train

pytestmark = pytest.mark.usefixtures("one_thread")
SMALL = {"n_feats": 8, "coarse_blocks": 1, "encoder_blocks": 1, "decoder_blocks": 1, "hourglass_depth": 2}


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("face_model")
    config = {
        "model": {"name": "fsrnet", "scale": 8, "options": SMALL},
        "data": {"kind": "faces", "train": [str(tiny_faces(root / "faces"))], "batch_size": 2, "workers": 0},
        "recipe": "face_prior",
        "steps": 2,
        "output": str(root / "run"),
    }
    train(config_from_dict(config), progress=False)
    return root / "run" / "model.safetensors"


def _photo(path: Path, mode: str = "RGB") -> Path:
    ramp = np.tile(np.linspace(0, 255, 40, dtype=np.uint8)[None, :], (30, 1))
    Image.fromarray(ramp).convert(mode).save(path)
    return path


def test_a_photo_without_faces_is_still_upscaled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photo(tmp_path / "wall.png")
    out = tmp_path / "wall_x4.png"
    args = ["face", str(src), "-o", str(out), "--scale", "4", "--upscaler", "srkit_fast", "--no-progress"]
    assert main(args) == 0
    assert "no face found: upscaled with srkit_fast alone" in capsys.readouterr().out
    expected = np.asarray(srkit.upscale(np.asarray(Image.open(src)), 4, "srkit_fast"))
    assert np.array_equal(np.asarray(Image.open(out)), expected)


def test_gray_photos_stay_gray(tmp_path: Path) -> None:
    src = _photo(tmp_path / "gray.png", "L")
    assert main(["face", str(src), "--scale", "4", "--upscaler", "srkit_fast", "--no-progress"]) == 0
    out = Image.open(tmp_path / "gray_face_x4.png")
    assert out.mode == "L" and out.size == (160, 120)


def test_aligned_crops_are_restored_at_the_scale(tmp_path: Path, tiny_model: Path) -> None:
    for side in (16, 20):
        src = tmp_path / f"crop{side}.png"
        Image.fromarray(np.full((side, side, 3), 120, np.uint8)).save(src)
        assert main(["face", str(src), "--aligned", "--model", str(tiny_model), "--no-progress"]) == 0
        assert Image.open(tmp_path / f"crop{side}_face_x8.png").size == (side * 8, side * 8)


def test_bad_input_gets_one_line_and_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.png"
    Image.fromarray(np.zeros((20, 20), np.uint16)).save(deep)
    assert main(["face", str(deep), "-o", str(tmp_path / "o.png")]) == 1
    assert "srkit face takes 8-bit images" in capsys.readouterr().err
    assert main(["face", str(tmp_path / "missing.png")]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["face", str(deep), "--scale", "3"])
    assert not (tmp_path / "o.png").exists()


def test_the_mirror_ensemble_gives_a_symmetric_face_a_symmetric_result(tiny_model: Path, tmp_path: Path) -> None:
    from srkit.face import hallucinate

    half = np.random.default_rng(0).integers(0, 255, (16, 8, 3), dtype=np.uint8)
    face = np.concatenate([half, half[:, ::-1]], axis=1)  # mirror-symmetric
    out = hallucinate(face, 8, model=tiny_model, mirror=True).astype(int)
    assert np.abs(out - out[:, ::-1]).max() <= 1  # symmetric up to rounding
    src = tmp_path / "sym.png"
    Image.fromarray(face).save(src)
    assert main(["face", str(src), "--aligned", "--mirror", "--model", str(tiny_model), "--no-progress"]) == 0
