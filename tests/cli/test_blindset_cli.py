"""``srkit blindset`` end to end on tiny images, and ``srkit bench`` on the set it makes (kernels, seconds)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from srkit import write_image
from srkit.cli.main import main


def _cli(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def hr(tmp_path: Path) -> Path:
    folder = tmp_path / "HR"
    folder.mkdir()
    for i, shape in enumerate([(24, 28, 3), (26, 24, 3)]):
        write_image(folder / f"p{i}.png", np.random.default_rng(i).integers(0, 256, shape, np.uint8))
    return folder


def test_blindset_then_bench(hr: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "set"
    code, stdout, err = _cli(["blindset", str(hr), "-o", str(out), "--seed", "3", "--no-progress"], capsys)
    assert code == 0, err
    assert stdout.strip() == f"wrote {out}: 2 images, x2 x4 (gt/, lr_x2/, lr_x4/, gt_k_x2/, gt_k_x4/, protocol.json)"
    assert err == ""
    assert json.loads((out / "protocol.json").read_text())["seed"] == 3
    code, stdout, err = _cli(["bench", "--data", str(out), "--scale", "2", "4", "--per-image", "--no-progress"], capsys)
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].split() == ["method", "set", "scale", "PSNR", "SSIM", "ms/image"]
    assert lines[4].startswith("LR: set from files with their kernels; metric on Y")
    per_image = [line for line in lines if line.startswith("bicubic set x")]
    assert len(per_image) == 4 and all(line.endswith(" s") for line in per_image)


def test_blindset_refuses_to_overwrite_without_the_flag(
    hr: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "set"
    assert _cli(["blindset", str(hr), "-o", str(out), "--scale", "2", "--no-progress"], capsys)[0] == 0
    first = (out / "gt_k_x2" / "p0.npy").read_bytes()
    code, stdout, err = _cli(["blindset", str(hr), "-o", str(out), "--scale", "2", "--seed", "1"], capsys)
    assert code == 1 and stdout == ""
    assert err == f"srkit: error: output folder exists and is not empty (pass --overwrite to replace it): {out}\n"
    args = ["blindset", str(hr), "-o", str(out), "--scale", "2", "--seed", "1", "--overwrite", "--no-progress"]
    assert _cli(args, capsys)[0] == 0
    assert (out / "gt_k_x2" / "p0.npy").read_bytes() != first


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--scale", "3"], 2, "argument --scale/-s: invalid choice: 3"),
        (["--seed", "x"], 2, "argument --seed: invalid int value"),
    ],
)
def test_bad_arguments_are_one_line(
    hr: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    got, stdout, err = _cli(["blindset", str(hr), "-o", str(tmp_path / "o"), *args], capsys)
    assert got == code and stdout == ""
    assert err.startswith("srkit: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_missing_or_unreadable_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(["blindset", str(tmp_path / "nope"), "-o", str(tmp_path / "o")], capsys)
    assert code == 1 and err.startswith("srkit: error: HR_DIR: not found:") and err.count("\n") == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.png").write_bytes(b"not a png")
    code, _, err = _cli(["blindset", str(bad), "-o", str(tmp_path / "o"), "--no-progress"], capsys)
    assert code == 1 and err.startswith("srkit: error: cannot read image") and err.count("\n") == 1
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.*"))
