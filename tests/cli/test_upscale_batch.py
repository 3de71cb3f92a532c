"""``srkit upscale`` over many files: worker processes, --skip-existing (resume), Ray, and the ordered summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import srkit
from srkit.cli.main import main as _main
from srkit.cli.upscale import pick_processes
from srkit.inference.batch import Job, Settings, run_local


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def _folder(root: Path, count: int, *, corrupt: tuple[int, ...] = ()) -> Path:
    folder = root / "in"
    folder.mkdir()
    rng = np.random.default_rng(count)
    for i in range(count):
        path = folder / f"{i:03d}.png"
        if i in corrupt:
            path.write_bytes(b"\x89PNG\r\n\x1a\n not really")
        else:
            Image.fromarray(rng.integers(0, 256, (12 + i % 3, 16, 3), dtype=np.uint8)).save(path)
    return folder


def _names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_two_processes_write_the_same_files_in_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _folder(tmp_path, 9, corrupt=(4,))
    common = ["upscale", str(src), "--model", "srkit_fast", "--no-progress"]
    assert main([*common, "-o", str(tmp_path / "one"), "-j", "1"]) == 1  # one bad file: exit code 1
    capsys.readouterr()
    assert main([*common, "-o", str(tmp_path / "two"), "-j", "2"]) == 1
    captured = capsys.readouterr()
    good = [f"{i:03d}.png" for i in range(9) if i != 4]
    assert _names(tmp_path / "one") == _names(tmp_path / "two") == good  # nothing else (no temporary files)
    for name in good:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    lines = captured.out.splitlines()
    assert [Path(line.split(" -> ")[0]).name for line in lines[:-1]] == good  # the inputs' order
    assert "upscaled 8 images x4 with srkit_fast in 2 processes" in lines[-1] and lines[-1].endswith("; 1 failed")
    assert captured.err.count("srkit: error:") == 1 and "004.png" in captured.err


def test_skip_existing_resumes_and_contradicts_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _folder(tmp_path, 4)
    out = tmp_path / "out"
    common = ["upscale", str(src), "-o", str(out), "--model", "srkit_fast", "--no-progress"]
    assert main(common) == 0
    first = {n: (out / n).read_bytes() for n in _names(out)}
    (out / "001.png").unlink()  # as if the first run had been stopped before this file
    (out / "002.png").write_bytes(b"kept as it is")
    capsys.readouterr()
    assert main(common) == 1
    assert "pass --overwrite to replace, or --skip-existing to keep" in capsys.readouterr().err
    assert main([*common, "--skip-existing"]) == 0
    summary = capsys.readouterr().out.splitlines()
    assert len(summary) == 2 and "upscaled 1 image x4" in summary[-1] and "3 skipped" in summary[-1]
    assert (out / "001.png").read_bytes() == first["001.png"] and (out / "002.png").read_bytes() == b"kept as it is"
    assert main([*common, "--skip-existing", "--overwrite"]) == 1
    assert "contradict" in capsys.readouterr().err


def test_process_count() -> None:
    assert pick_processes(3, 2, "cpu") == 2  # never more processes than files
    assert pick_processes("auto", 3, "cpu") == 1  # few files: one process, all cores
    assert pick_processes("auto", 1000, "cuda") == 1
    cores = len(os.sched_getaffinity(0))
    assert pick_processes("auto", 4 * cores, "cpu") == (cores if cores > 1 else 1)


def test_bad_jobs_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upscale", "x.png", "-j", "0"]) == 2
    assert "--jobs takes a number of processes >= 1 or 'auto'" in capsys.readouterr().err


def test_run_local_reports_each_file(tmp_path: Path) -> None:
    src = _folder(tmp_path, 3, corrupt=(1,))
    jobs = [Job(p, tmp_path / f"o{p.name}") for p in sorted(src.iterdir())]
    outcomes = list(run_local(jobs, Settings(model="srkit_fast", scale=2), processes=2))
    assert [o.job for o in outcomes] == jobs and [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[0].out_size == (24, 32) and "not really" not in str(outcomes[1].error)
    with pytest.raises(srkit.SrkitError, match="processes must be >= 1"):
        next(run_local(jobs, Settings(), processes=0))


def test_ray_local_instance_writes_what_local_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ray")
    src = _folder(tmp_path, 5, corrupt=(2,))
    common = ["upscale", str(src), "--model", "srkit_fast", "--no-progress"]
    assert main([*common, "-o", str(tmp_path / "local")]) == 1
    # in a child process: Ray replaces builtins.print in the process that starts it, for good
    command = [sys.executable, "-m", "srkit", *common, "-o", str(tmp_path / "ray"), "--ray", "--ray-workers", "2"]
    ray = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert ray.returncode == 1, ray.stderr
    assert _names(tmp_path / "local") == _names(tmp_path / "ray") == ["000.png", "001.png", "003.png", "004.png"]
    for name in _names(tmp_path / "local"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes()
    assert "on Ray (2 workers)" in ray.stdout and "; 1 failed" in ray.stdout
    errors = [line for line in ray.stderr.splitlines() if line.startswith("srkit: error:")]
    assert len(errors) == 1 and f"{src / '002.png'}" in errors[0]


def _die(settings: object, threads: int) -> None:
    os._exit(3)  # a worker killed as it starts (as by the OOM killer)


def test_a_dead_worker_is_one_line_and_the_run_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import srkit.inference.batch as batch

    src = _folder(tmp_path, 8)
    monkeypatch.setattr(batch, "_init_worker", _die)
    common = ["upscale", str(src), "-o", str(tmp_path / "out"), "--model", "srkit_fast", "--no-progress", "-j", "2"]
    assert main(common) == 1
    assert "a worker process died" in capsys.readouterr().err
    monkeypatch.undo()
    assert main([*common, "--skip-existing"]) == 0
    assert _names(tmp_path / "out") == [f"{i:03d}.png" for i in range(8)]
