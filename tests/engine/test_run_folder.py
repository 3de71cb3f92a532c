"""What a run leaves behind: a failed run removes the folder it created (unless it has a checkpoint), training time
goes on across resumes, and progress is a bar on a terminal and plain lines elsewhere."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from tiny_run import tiny_config

from srkit import SrkitError
from srkit.engine import config_from_dict, load_checkpoint, save_checkpoint, train
from srkit.engine import loop as loop_module
from srkit.engine.run import Run

pytestmark = pytest.mark.usefixtures("one_thread")


def _config(images: Path, out: Path, **extra: Any) -> Any:
    return config_from_dict(tiny_config(images, out, **{"steps": 4, "ckpt_every": 2, **extra}))


def _fail_at(monkeypatch: pytest.MonkeyPatch, at: int, error: BaseException) -> None:
    step = Run.step

    def failing(self: Run, i: int, batch: dict[str, Any]) -> dict[str, float]:
        if i == at:
            raise error
        return step(self, i, batch)

    monkeypatch.setattr(Run, "step", failing)


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SrkitError("bad image"), RuntimeError("bug")])
def test_a_run_that_fails_before_its_first_checkpoint_removes_the_folders_it_created(
    images: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    _fail_at(monkeypatch, 1, error)
    with pytest.raises(type(error)):
        train(_config(images, tmp_path / "runs" / "new" / "run"), progress=False)
    assert list(tmp_path.iterdir()) == []  # runs/new/run all gone: this run made them


def test_a_folder_that_was_there_or_holds_a_checkpoint_stays(
    images: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "existing"
    (existing / "notes.txt").parent.mkdir()
    (existing / "notes.txt").write_text("mine")
    _fail_at(monkeypatch, 1, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        train(_config(images, existing / "run"), progress=False)
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]  # its new sub-folder went, the folder stayed
    with pytest.raises(KeyboardInterrupt):
        train(_config(images, existing), progress=False)
    assert (existing / "notes.txt").read_text() == "mine"

    monkeypatch.undo()
    _fail_at(monkeypatch, 3, KeyboardInterrupt())  # after the checkpoint of step 2: resumable, kept
    with pytest.raises(KeyboardInterrupt):
        train(_config(images, tmp_path / "resumable"), progress=False)
    assert load_checkpoint(tmp_path / "resumable" / "latest.pt")["step"] == 2


def test_a_data_error_leaves_nothing(images: Path, tmp_path: Path) -> None:
    cfg = _config(images, tmp_path / "out", data={"train": [str(tmp_path / "missing")], "workers": 0})
    with pytest.raises(SrkitError, match=r"config\.data\.train\[0\]: not found: .*missing"):
        train(cfg, progress=False)
    assert not (tmp_path / "out").exists()


def _log_seconds(log: Path) -> list[tuple[int, float]]:
    with log.open(encoding="utf-8") as f:
        return [(int(r["step"]), float(r["seconds"])) for r in csv.DictReader(f) if r["seconds"]]


def test_training_time_goes_on_across_resumes(images: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    train(_config(images, out, steps=2), progress=False)
    latest = out / "latest.pt"
    state = load_checkpoint(latest)
    assert 0 < state["seconds"] < 1000
    save_checkpoint(latest, {**state, "seconds": 1000.0})  # as if the first part had trained for 1000 s
    result = train(_config(images, out, steps=4), resume=True, progress=False)
    rows = _log_seconds(out / "log.csv")
    assert [s for s, _ in rows] == [1, 2, 3, 4]
    assert rows[1][1] < 1000 <= rows[2][1] <= rows[3][1]  # monotonic: the resumed part counts on from 1000 s
    assert result.seconds >= 1000 and load_checkpoint(latest)["seconds"] >= 1000


def test_progress_is_plain_lines_when_not_on_a_terminal(
    images: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(loop_module, "PROGRESS_EVERY", 0.0)  # a line per step instead of every 30 s
    val = {"train": [str(images)], "val": str(images), "patch_size": 8, "batch_size": 2, "workers": 0}
    train(_config(images, tmp_path / "a", data=val, val_every=2, steps=3, ckpt_every=3), progress=None)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and "\r" not in "".join(lines)  # no bar
    assert re.fullmatch(r"train: 1/3 steps, \d+ s, loss \d\.\d{4}, lr \d\.\d\de-\d\d", lines[0]), lines[0]
    assert re.fullmatch(r"train: 2/3 steps, .*, lr [\d.e-]+, psnr \d+\.\d\d", lines[1]), lines[1]  # validated
    assert "psnr" in lines[2]

    train(_config(images, tmp_path / "b"), progress=False)  # --no-progress
    assert capsys.readouterr().err == ""


def test_gan_progress_shows_the_discriminator_loss(
    images: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(loop_module, "PROGRESS_EVERY", 0.0)
    loss = {"gan": "hinge", "discriminator_options": {"n_feats": 8}, "perceptual_weight": 0.0}
    train(_config(images, tmp_path / "gan", loss=loss, steps=1, ckpt_every=1), progress=True)
    (line,) = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"train: 1/1 steps, \d+ s, loss [\d.]+, discriminator_loss [\d.]+, lr .*", line), line
