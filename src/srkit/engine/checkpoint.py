"""Training checkpoints: one dict (model, optimiser, scheduler, EMA, step, config, RNG state), written
atomically (temporary file, fsync, rename), read back with ``torch.load(weights_only=True)``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path
from srkit._core.torchload import load_tensors


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically: a crash or a full disk leaves the previous file intact."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        raise SrkitError(f"cannot write checkpoint {path}: {err.strerror or err}") from None


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a training checkpoint (tensors and plain data only; never code)."""
    p = Path(path)
    if not p.is_file():
        raise SrkitError(f"checkpoint not found: {p}")
    state = load_tensors(p)  # an SrkitError that says why, never advising unsafe loading
    if not isinstance(state, dict) or "model" not in state or "step" not in state:
        raise SrkitError(f"{p} is not an srkit training checkpoint (no model/step)")
    return state
