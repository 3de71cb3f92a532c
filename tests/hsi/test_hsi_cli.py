"""srkit hsi sr|fuse|simulate end to end on a small cube file; bad input gets one line and leaves no file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from cubes_fixture import scene

from srkit.archs.hsi import HSI3DNet
from srkit.archs.shipped import save_shipped
from srkit.cli.main import main
from srkit.data.cube import read_cube, write_cube
from srkit.hsi.response import cie_xyz

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    write_cube(tmp_path / "hr.npy", scene(bands=12, size=64, dtype=np.uint16))
    assert main(["hsi", "simulate", str(tmp_path / "hr.npy"), "--scale", "4", "--response", "cie"]) == 0
    return tmp_path


def test_simulate_fuse_and_sr(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lr, guide = files / "hr_lr_x4.npy", files / "hr_guide.npy"
    assert read_cube(lr).shape == (12, 16, 16) and read_cube(guide).shape == (3, 64, 64)
    out = files / "fused.tif"
    assert main(["hsi", "fuse", "--hsi", str(lr), "--rgb", str(guide), "--method", "gsa", "-o", str(out)]) == 0
    fused = read_cube(out)
    assert fused.data.dtype == np.uint16 and fused.shape == (12, 64, 64) and fused.wavelengths is not None
    assert "response estimated from the pair" in capsys.readouterr().out
    cie = cie_xyz()  # the guide's response, as a table whose first channel is a panchromatic one
    rows = [f"{w:g},1,{x:.6g},{y:.6g},{z:.6g}" for w, (x, y, z) in zip(cie.wavelengths, cie.curves.T, strict=True)]
    ms = files / "ms.csv"
    ms.write_text("wavelength,pan,x,y,z\n" + "\n".join(rows) + "\n")
    args = ["hsi", "fuse", "--hsi", str(lr), "--rgb", str(guide), "--response", str(ms), "--channels", "2,y,4"]
    assert main([*args, "--method", "regression", "-o", str(files / "f2.npy")]) == 0
    torch.manual_seed(0)
    net = HSI3DNet(scale=4)
    save_shipped(files / "net.safetensors", net.state_dict(), {}, arch="hsi3d")
    sr = files / "sr.mat"
    args = ["hsi", "sr", str(lr), "--model", str(files / "net.safetensors"), "-o", str(sr), "--no-progress"]
    assert main(args) == 0
    assert read_cube(sr).shape == (12, 64, 64)


def test_bad_input_one_line_no_file(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lr, guide = files / "hr_lr_x4.npy", files / "hr_guide.npy"
    nan = read_cube(lr).data.astype(np.float32)
    nan[0, 0, 0] = np.nan
    np.save(files / "nan.npy", nan)
    (files / "r2.csv").write_text("wavelength,a,b\n400,1,0\n700,0,1\n")
    cases = [
        (["hsi", "sr", str(files / "nan.npy"), "--method", "bicubic"], "NaN"),
        (["hsi", "fuse", "--hsi", str(lr), "--rgb", str(guide), "--response", str(files / "r2.csv")], "2 channels"),
        (["hsi", "fuse", "--hsi", str(lr), "--rgb", str(guide), "--scale", "3"], "exactly 3x"),
        (["hsi", "fuse", "--hsi", str(lr), "--pan", str(guide)], "one-channel"),
        (["hsi", "sr", str(files / "missing.npy")], "not found"),
        (["hsi", "sr", str(lr), "-o", str(files / "out.png")], "the output is a cube file"),
    ]
    before = sorted(p.name for p in files.iterdir())
    for args, message in cases:
        assert main(args) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)
    assert sorted(p.name for p in files.iterdir()) == before


def test_bench_cubes(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hr = str(files / "hr.npy")
    assert main(["bench", "--cubes", "--data", hr, "--method", "bicubic", "--no-progress"]) == 0
    assert "| hr.npy | x4 | bicubic |" in capsys.readouterr().out
    csv = files / "fusion.csv"
    args = ["bench", "--cubes", "--data", hr, "--response", "cie", "-m", "gsa", "regression", "--csv", str(csv)]
    assert main([*args, "--no-progress"]) == 0
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("cube,method,ratio,psnr") and len(lines) == 3
    assert main(["bench", "--cubes", "--data", hr, "-m", "gsa", "--no-progress"]) == 1
    assert "add --response for fusion" in capsys.readouterr().err
    assert main(["bench", "--response", "cie"]) == 1
    assert "add --cubes" in capsys.readouterr().err
