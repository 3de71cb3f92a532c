"""Data paths: absolute as is; ``../shared/data/...`` from ``$SRKIT_SHARED_DATA`` when set; otherwise relative to
the current folder; a missing folder is one line naming the path tried and the variable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srkit import SrkitError
from srkit.cli.main import main
from srkit.data.paths import resolve_data_path
from srkit.engine import load_config, load_run

RECIPE = Path(__file__).resolve().parents[2] / "configs" / "train" / "espcn_quick.yaml"


pytestmark = pytest.mark.usefixtures("one_thread")


def _images(folder: Path, n: int = 2, size: int = 40) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray((rng.random((size, size, 3)) * 255).astype(np.uint8)).save(folder / f"{i}.png")
    return folder


def test_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, elsewhere = tmp_path / "team", tmp_path / "work"
    (data / "train" / "T91").mkdir(parents=True)
    (elsewhere / "mine").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("SRKIT_SHARED_DATA", raising=False)

    found = resolve_data_path(str(data / "train" / "T91"))
    assert (found.path, found.source) == (data / "train" / "T91", "absolute")
    found = resolve_data_path("mine")
    assert found.path == elsewhere / "mine" and found.source == f"relative to the current folder {elsewhere}"

    monkeypatch.setenv("SRKIT_SHARED_DATA", str(data))
    found = resolve_data_path("../shared/data/train/T91")
    assert found.path == data / "train" / "T91" and found.source == f"from $SRKIT_SHARED_DATA={data}"
    assert found.describe() == f"../shared/data/train/T91 -> {data / 'train' / 'T91'} (from $SRKIT_SHARED_DATA={data})"
    assert resolve_data_path("mine").path == elsewhere / "mine"  # only the team convention reads the variable


def test_a_missing_folder_is_one_line_naming_the_path_tried_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SRKIT_SHARED_DATA", raising=False)
    with pytest.raises(SrkitError) as info:
        resolve_data_path("../shared/data/train/T91", key="config.data.train[0]")
    tried = tmp_path.parent / "shared" / "data" / "train" / "T91"
    assert str(info.value) == (
        f"config.data.train[0]: not found: ../shared/data/train/T91 -> {tried} (relative to the current folder "
        f"{tmp_path}); set SRKIT_SHARED_DATA to the team data folder (the one holding train/ and bench/)"
    )
    monkeypatch.setenv("SRKIT_SHARED_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(SrkitError, match=r"nowhere/train/T91 \(from \$SRKIT_SHARED_DATA=.*nowhere\); SRKIT_SHARED"):
        resolve_data_path("../shared/data/train/T91")
    with pytest.raises(SrkitError, match=r"^data path: not found: mine -> .*; give an absolute path"):
        resolve_data_path("mine")


def test_the_readme_training_command_runs_from_a_fresh_clone_with_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clone without ../shared beside it: the recipe's paths come from $SRKIT_SHARED_DATA, and the run's
    config.yaml says where each came from."""
    data = tmp_path / "elsewhere" / "data"
    for name in ("T91", "BSD200", "General100_half"):
        _images(data / "train" / name)
    _images(data / "bench" / "Set5", n=1, size=24)
    clone = tmp_path / "clone"
    clone.mkdir()
    monkeypatch.chdir(clone)
    overrides = ["steps=2", "ckpt_every=2", "data.patch_size=8", "data.batch_size=2", "data.workers=0"]
    args = ["train", str(RECIPE), *(x for o in overrides for x in ("--set", o)), "--set", "output=run", "--no-progress"]

    monkeypatch.delenv("SRKIT_SHARED_DATA", raising=False)
    assert main(args) == 1
    assert "SRKIT_SHARED_DATA" in capsys.readouterr().err
    assert not (clone / "run").exists()  # found before anything was written

    monkeypatch.setenv("SRKIT_SHARED_DATA", str(data))
    assert main(args) == 0, capsys.readouterr().err
    written = (clone / "run" / "config.yaml").read_text()
    assert f"# data: ../shared/data/train/T91 -> {data / 'train' / 'T91'} (from $SRKIT_SHARED_DATA={data})" in written
    assert f"# data: ../shared/data/bench/Set5 -> {data / 'bench' / 'Set5'}" in written
    _, config = load_run(clone / "run")
    assert config == load_config(RECIPE, [*overrides, "output=run"])  # the config as written, paths unchanged


def test_bench_follows_the_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``srkit bench --data ../shared/data/bench/X`` reads $SRKIT_SHARED_DATA, from any folder."""
    data = tmp_path / "team"
    (data / "bench" / "Tiny").mkdir(parents=True)
    for name in ("a", "b"):
        Image.fromarray(np.full((40, 40, 3), 120, np.uint8)).save(data / "bench" / "Tiny" / f"{name}.png")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SRKIT_SHARED_DATA", str(data))
    assert main(["bench", "--data", "../shared/data/bench/Tiny", "--scale", "2", "--no-progress"]) == 0
    assert "Tiny" in capsys.readouterr().out
    monkeypatch.delenv("SRKIT_SHARED_DATA")
    assert main(["bench", "--data", "../shared/data/bench/Tiny", "--scale", "2", "--no-progress"]) == 1
    assert "set SRKIT_SHARED_DATA" in capsys.readouterr().err
