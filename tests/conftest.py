"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The team data folder ``../shared/data`` (or ``$SRKIT_SHARED_DATA``); the test is skipped when it is absent."""
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    folder = Path(os.environ.get("SRKIT_SHARED_DATA") or default)
    if not folder.is_dir():
        pytest.skip(f"../shared/data not found: {folder} (set SRKIT_SHARED_DATA to its location)")
    return folder


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread for the test: tiny tensors on a busy shared 2-core CPU run an order of magnitude faster
    (thread hand-offs dominate), and runs compared bit for bit use the same thread count. Use it with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
