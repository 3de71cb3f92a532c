"""Atomic output: all or nothing at the destination, with the permissions a plain open() would give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path, atomic_write_text


def test_atomic_output_gets_the_usual_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "x")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    target.chmod(0o640)
    atomic_write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.read_text() == "y"


def test_an_error_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"

    def fail() -> None:
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    assert list(tmp_path.iterdir()) == []


def test_existing_target_needs_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("keep")
    with pytest.raises(SrkitError, match="overwrite"):
        atomic_write_text(target, "new", overwrite=False)
    assert target.read_text() == "keep"
