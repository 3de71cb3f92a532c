"""``srkit bench`` on the command line: tables, report files, and one-line errors that leave no output behind."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

import srkit
from srkit.cli.main import main


def _cli(argv: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command line in-process; argparse's SystemExit becomes an exit code."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _console_script() -> list[str]:
    """The installed ``srkit`` script beside this interpreter, else ``python -m srkit``."""
    script = shutil.which("srkit", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "srkit"]


def _subprocess(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def _assert_one_line_error(code: int, out: str, err: str, match: str) -> None:
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("srkit: error: ")
    assert match in lines[0]


def _image_folder(folder: Path, names: Sequence[str], corrupt: Sequence[str] = ()) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in names:
        srkit.write_image(folder / name, rng.integers(0, 256, (24, 24, 3), dtype=np.uint8))
    for name in corrupt:
        (folder / name).write_bytes(b"\x00\x01garbage, not a PNG" * 8)
    return folder


# --- success ---------------------------------------------------------------------------------------------------------


def test_bench_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(["bench", "--no-progress", "--scale", "4"], capsys)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["method", "set", "scale", "PSNR", "SSIM", "ms/image"]
    assert lines[2].split()[:3] == ["bicubic", "examples", "x4"]
    assert lines[-1] == srkit.Protocol().describe()


def test_bench_writes_all_three_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = {k: tmp_path / f"out.{k}" for k in ("csv", "json", "md")}
    argv = ["bench", "--no-progress", "--scale", "4", "--method", "bicubic", "nearest", "--per-image"]
    argv += ["--csv", str(paths["csv"]), "--json", str(paths["json"]), "--markdown", str(paths["md"])]
    code, out, _ = _cli(argv, capsys)
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.json", "out.md"]
    rows = list(csv.DictReader(io.StringIO(paths["csv"].read_text())))
    assert len(rows) == 6  # per image: 2 methods x 3 images
    assert {r["method"] for r in rows} == {"bicubic", "nearest"}
    payload = json.loads(paths["json"].read_text())
    assert [r["method"] for r in payload["results"]] == ["bicubic", "nearest"]
    assert payload["protocol"]["degradation"] == "BI"
    assert paths["md"].read_text().startswith("| method | set | scale | PSNR | SSIM | ms/image |")
    assert "bicubic examples x4 zoneplate:" in out  # --per-image prints one line per image


def test_bench_degradation_and_channel_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["bench", "--no-progress", "--scale", "3", "--degradation", "bd", "--rgb"], capsys)
    assert code == 0
    assert out.splitlines()[-1] == srkit.Protocol(degradation="BD", test_y_channel=False).describe()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["--version"], capsys)
    assert code == 0
    assert out.strip() == f"srkit {srkit.__version__}"


def test_console_script_bench_on_examples(tmp_path: Path) -> None:
    proc = _subprocess([*_console_script(), "bench", "--no-progress"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines() if line.startswith("bicubic")]
    assert [r[:3] for r in rows] == [["bicubic", "examples", f"x{s}"] for s in (2, 3, 4)]
    assert list(tmp_path.iterdir()) == []


def test_python_m_srkit_help(tmp_path: Path) -> None:
    proc = _subprocess([sys.executable, "-m", "srkit", "--help"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: srkit")
    assert "bench" in proc.stdout


# --- errors: exit code, ONE line on stderr, no traceback, no output file ---------------------------------------------


@pytest.mark.parametrize(
    ("make_args", "match"),
    [
        (lambda tmp: ["--data", str(tmp / "missing")], "--data: not found: "),
        (lambda tmp: ["--data", str(_image_folder(tmp / "empty", []))], "no images in"),
        (lambda tmp: ["--data", str(_image_folder(tmp / "bad", [], ["x.png"]))], "cannot read image"),
        (lambda tmp: ["--method", "srgan9000"], "unknown method 'srgan9000'; available: bicubic"),
        (lambda tmp: ["--rgb", "--y-round"], "--y-round applies to the Y channel"),
        (lambda tmp: ["--lr", str(tmp / "no_lr")], "--lr: not found: "),
    ],
    ids=["missing-folder", "empty-folder", "corrupt-image", "unknown-method", "rgb-y-round", "missing-lr"],
)
def test_bad_input_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_args: Callable[[Path], list[str]], match: str
) -> None:
    args = make_args(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = _cli(["bench", "--no-progress", *args, "--csv", str(tmp_path / "out.csv")], capsys)
    _assert_one_line_error(code, out, err, match)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no report, no temporary file


def test_corrupt_image_in_the_middle_leaves_no_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _image_folder(tmp_path / "data", ["a.png", "c.png"], corrupt=["b.png"])  # a is evaluated, then b fails
    argv = ["bench", "--no-progress", "--data", str(srkit.example_folder()), str(data), "--scale", "2", "4"]
    argv += ["--csv", str(tmp_path / "out.csv"), "--json", str(tmp_path / "out.json")]
    code, out, err = _cli(argv, capsys)
    _assert_one_line_error(code, out, err, "b.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_output_folder_is_checked_before_evaluation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The data folder holds a corrupt image: if evaluation ran first, the error would name it instead.
    data = _image_folder(tmp_path / "data", [], corrupt=["x.png"])
    argv = ["bench", "--no-progress", "--data", str(data), "--csv", str(tmp_path / "ok.csv")]
    argv += ["--json", str(tmp_path / "missing" / "out.json")]
    code, out, err = _cli(argv, capsys)
    _assert_one_line_error(code, out, err, "output folder does not exist")
    assert "missing" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # not even the valid ok.csv


def test_output_path_that_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out.csv").mkdir()
    code, out, err = _cli(["bench", "--no-progress", "--csv", str(tmp_path / "out.csv")], capsys)
    _assert_one_line_error(code, out, err, "output path is a folder")


def test_scale_1_needs_same_size_lr_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(["bench", "--no-progress", "--scale", "1", "--csv", str(tmp_path / "out.csv")], capsys)
    assert code == 1 and out == "" and "Traceback" not in err
    assert "scale 1 needs same-size LR files" in err.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    data = _image_folder(tmp_path / "data", ["a.png"], corrupt=["b.png"])
    proc = _subprocess([*_console_script(), "bench", "--data", str(data), "--csv", "out.csv"], tmp_path)
    _assert_one_line_error(proc.returncode, proc.stdout, proc.stderr, "b.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


BAD_SCALES = ["0", "1.5", "-2", "two"]


@pytest.mark.parametrize("scale", BAD_SCALES)
def test_bad_scale_is_refused_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str], scale: str) -> None:
    code, out, err = _cli(["bench", "--no-progress", "--scale", scale, "--csv", str(tmp_path / "out.csv")], capsys)
    assert code == 2  # a bad command line (argparse)
    assert out == ""
    assert "Traceback" not in err
    assert "--scale" in err
    assert scale in err.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("scale", ["0", "1.5", "-2"])
def test_bad_scale_is_one_line_error(capsys: pytest.CaptureFixture[str], scale: str) -> None:
    code, out, err = _cli(["bench", "--no-progress", "--scale", scale], capsys)
    assert code != 0
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith("srkit: error: ")


def test_bench_progress_is_plain_lines_in_logs_and_a_bar_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import srkit._core.progress as progress

    argv = ["bench", "--scale", "4", "--method", "bicubic"]
    monkeypatch.setitem(progress.Progress.__init__.__kwdefaults__, "interval", 0.0)  # a line per image
    code, _, err = _cli(argv, capsys)  # captured stderr: not a terminal
    assert code == 0 and "\r" not in err and "img/s" not in err and "?it" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("bicubic: ") and "/3 imgs" in line for line in lines), err
    assert _cli([*argv, "--no-progress"], capsys)[2] == ""
    monkeypatch.setattr(progress, "is_terminal", lambda stream=None: True)
    code, _, err = _cli(argv, capsys)
    assert code == 0 and "img" in err and "\r" in err  # tqdm's bar


def test_a_closed_pipe_ends_quietly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``srkit models | head -1``: the reader has gone, so writing fails; srkit stops quietly with 141 (128 +
    SIGPIPE), no BrokenPipeError traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # what head does after its line
    with os.fdopen(write_end, "w") as closed:
        monkeypatch.setattr(sys, "stdout", closed)
        assert main(["models", "--no-flops"]) == 141
    assert capsys.readouterr().err == ""


def test_bench_on_a_fixed_synthetic_real_world_set(capsys: pytest.CaptureFixture[str]) -> None:
    runs = {}
    for seed in ("0", "0", "1"):
        code, out, err = _cli(
            ["bench", "--no-progress", "--scale", "4", "--degradation", "bsrgan", "--seed", seed], capsys
        )
        assert code == 0, err
        assert out.splitlines()[-1].startswith(f"LR: BSRGAN's synthetic degradation (seed {seed})")
        runs.setdefault(seed, []).append(out.splitlines()[2].split()[3:5])  # PSNR, SSIM
    assert runs["0"][0] == runs["0"][1]  # a fixed test set
    assert runs["0"][0] != runs["1"][0]  # another seed, other LR images


def test_bench_without_ground_truth_reports_niqe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(["bench", "--no-progress", "--no-reference", "--scale", "2", "--per-image"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["method", "set", "scale", "NIQE", "ms/image"]
    assert float(lines[2].split()[3]) > 0
    assert any(line.startswith("no reference: NIQE of the outputs") for line in lines)
    code, out, err = _cli(["bench", "--no-reference", "--csv", str(tmp_path / "x.csv")], capsys)
    assert code == 1 and "--no-reference scores real photos with NIQE alone; drop csv" in err
