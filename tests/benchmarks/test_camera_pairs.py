"""benchmarks/camera_pairs.py on tiny same-size pairs and two tiny runs: alignment and ratio measured, the held-out
pairs scored, the table written between the docs' markers; and scripts/picture_grid.py's grid."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

import srkit
from srkit.engine import config_from_dict, train

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("one_thread")


def _load(path: Path, name: str) -> ModuleType:
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pairs(folder: Path) -> Path:
    """Pairs 030-033 of 64x80: the LR the HR shrunk by 3 and enlarged back (bicubic)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(30, 34):
        hr = Image.fromarray((rng.random((8, 10, 3)) * 255).astype(np.uint8)).resize((80, 64), Image.Resampling.BICUBIC)
        lr = srkit.imresize(srkit.imresize(np.asarray(hr), size=(21, 27)), size=(64, 80))
        hr.save(folder / f"{i:03d}_HR.png")
        Image.fromarray(lr).save(folder / f"{i:03d}_LR.png")
    return folder


def _run(pairs: Path, out: Path, scale: int) -> Path:
    data = {"train": [str(pairs)], "patch_size": 16 // scale, "batch_size": 2, "workers": 0}
    if scale == 1:
        data["lr_train"] = [str(pairs)]
    cfg = {
        "model": {"name": "vdsr_camera", "scale": scale, "options": {"n_feats": 4, "n_layers": 3}},
        "data": data,
        "steps": 2,
        "ckpt_every": 2,
        "log_every": 1,
        "output": str(out),
    }
    return train(config_from_dict(cfg), progress=False).output


def test_camera_pairs_table(tmp_path: Path) -> None:
    script = _load(ROOT / "benchmarks" / "camera_pairs.py", "camera_pairs")
    pairs = _pairs(tmp_path / "pairs")
    ratio, _ = script.effective_ratio(
        np.asarray(Image.open(pairs / "031_HR.png")), np.asarray(Image.open(pairs / "031_LR.png"))
    )
    assert abs(ratio - 3.0) <= 0.1  # the ratio the LR was made with
    real, bicubic = _run(pairs, tmp_path / "real", 1), _run(pairs, tmp_path / "bicubic", 2)
    docs = tmp_path / "doc.md"
    docs.write_text(f"intro\n{script.START}\nold\n{script.END}\nend\n", encoding="utf-8")
    argv = ["--data", str(pairs), "--real", str(real), "--bicubic", str(bicubic), "--threads", "1"]
    assert script.main([*argv, "--write-docs", str(docs)]) == 0
    text = docs.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("end\n") and "old" not in text
    assert "| short-focal shot as it is | - |" in text and "Real pairs beat bicubic pairs by" in text
    assert "Held-out pairs 031-040" in text and "median 3." in text


def test_picture_grid(tmp_path: Path) -> None:
    script = _load(ROOT / "scripts" / "picture_grid.py", "picture_grid")
    lr = (np.random.default_rng(0).random((20, 24, 3)) * 255).astype(np.uint8)
    Image.fromarray(lr).save(tmp_path / "a.png")
    grid = script.make_grid([tmp_path / "a.png"] * 2, ["input", "bicubic", "srkit_fast"], 2, ["2,3,10,8", "0,0,10,8"])
    tile_h = 2 * 8
    assert grid.shape == (script.LABEL_HEIGHT + 2 * tile_h + 2, 3 * 2 * 10 + 2 * 2, 3)
    first = grid[script.LABEL_HEIGHT : script.LABEL_HEIGHT + tile_h, :20]
    np.testing.assert_array_equal(first, np.kron(lr[3:11, 2:12], np.ones((2, 2, 1), dtype=np.uint8)))
    with pytest.raises(SystemExit, match="leaves the 24x20 image"):
        script.make_grid([tmp_path / "a.png"], ["input"], 2, ["20,0,10,8"])
    with pytest.raises(SystemExit, match="every row needs a crop of the same size"):
        script.make_grid([tmp_path / "a.png"] * 2, ["input"], 2, ["0,0,10,8", None])
