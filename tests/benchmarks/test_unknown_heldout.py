"""benchmarks/unknown_heldout.py: the held-out pairs are the named images mod-cropped and degraded by the unknown
pipeline with the documented per-image seeds, in the test pairs' layout; refusals are one line."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import torch
from bench_script import load_script

import srkit
from srkit.degradations.classic import image_seed
from srkit.degradations.unknown import apply_unknown, sample_unknown


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("unknown_heldout")


def _shared(root: Path) -> Path:
    """A stand-in for ../shared/data: 22 City100 pairs and two Vid4 frames, small odd-sized images."""
    rng = np.random.default_rng(0)
    city = root / "real" / "City100_iPhoneX_40"
    city.mkdir(parents=True)
    for i in range(1, 23):
        for side in ("HR", "LR"):
            srkit.write_image(city / f"{i:03d}_{side}.png", rng.integers(0, 256, (34, 41, 3), dtype=np.uint8))
    for clip in ("calendar", "city"):
        (root / "video" / "Vid4" / clip).mkdir(parents=True)
        srkit.write_image(root / "video" / "Vid4" / clip / "Frame 001.png", rng.integers(0, 256, (30, 30, 3), np.uint8))
    return root


def test_layout_and_pipeline(script: ModuleType, tmp_path: Path) -> None:
    shared = _shared(tmp_path / "shared")
    sources = script.default_sources(shared)
    assert [p.name for p in sources[:2]] == ["021_HR.png", "022_HR.png"] and len(sources) == 4
    assert script.main(["-o", str(tmp_path / "out"), "--shared", str(shared)]) == 0
    names = sorted(p.stem for p in (tmp_path / "out" / "gt").iterdir())
    assert names == sorted(
        ["City100_iPhoneX_40_021_HR", "City100_iPhoneX_40_022_HR", "calendar_Frame_001", "city_Frame_001"]
    )
    gt = srkit.read_image(tmp_path / "out" / "gt" / "City100_iPhoneX_40_021_HR.png")
    assert gt.shape == (32, 40, 3)
    np.testing.assert_array_equal(gt, srkit.read_image(sources[0])[:32, :40])
    draw = torch.Generator().manual_seed(image_seed(0, "heldout/City100_iPhoneX_40_021_HR_x4"))
    expected = apply_unknown(gt, sample_unknown(draw, scale=4))
    np.testing.assert_array_equal(
        srkit.read_image(tmp_path / "out" / "lr_x4" / "City100_iPhoneX_40_021_HR.png"), expected
    )
    assert len(list(srkit.BenchmarkSet(tmp_path / "out", name="heldout").pairs(4))) == 4


def test_refusals(script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shared = _shared(tmp_path / "shared")
    (tmp_path / "out").mkdir()
    assert script.main(["-o", str(tmp_path / "out"), "--shared", str(shared)]) == 2
    assert capsys.readouterr().err.strip() == f"unknown_heldout: {tmp_path / 'out'} exists; remove it first"
    (shared / "video" / "Vid4" / "city" / "Frame 001.png").unlink()
    assert script.main(["-o", str(tmp_path / "new"), "--shared", str(shared)]) == 2
    assert "missing source images" in capsys.readouterr().err and not (tmp_path / "new").exists()
