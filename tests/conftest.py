"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The team data folder ``../shared/data`` (or ``$SRKIT_SHARED_DATA``); the test is skipped when it is absent."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    folder = Path(os.environ.get("SRKIT_SHARED_DATA") or default)
    if not folder.is_dir():
        pytest.skip(f"../shared/data not found: {folder} (set SRKIT_SHARED_DATA to its location)")
    return folder
