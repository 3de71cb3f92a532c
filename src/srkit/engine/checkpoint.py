"""Training checkpoints: one dict, written atomically (temporary file, fsync, rename), read back with
``torch.load(weights_only=True)``.

Layout: ``modules``, ``optimizers``, ``schedulers`` and ``scalers`` map each trained network's name (``model``,
``discriminator``: the recipe's players) to its state (a scaler is None outside fp16); then ``ema`` (the model's
averaged weights or None), ``step``, ``seconds`` (training time so far), ``config`` and ``rng``. Checkpoints of
the earlier layout (``model``, ``optimizer``, ``scheduler``, ``scaler``, a GAN's ``recipe``) are read into this
one.
"""

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
    if not isinstance(state, dict) or not ({"modules", "model"} & set(state)) or "step" not in state:
        raise SrkitError(f"{p} is not an srkit training checkpoint (no model/step)")
    return state if "modules" in state else _upgrade(state)


def _upgrade(old: dict[str, Any]) -> dict[str, Any]:
    """The earlier layout (one model at the top, a GAN's discriminator under ``recipe``) in today's."""
    new = {k: v for k, v in old.items() if k not in ("model", "optimizer", "scheduler", "scaler", "recipe")}
    new["modules"], new["optimizers"] = {"model": old["model"]}, {"model": old.get("optimizer")}
    new["schedulers"], new["scalers"] = {"model": old.get("scheduler")}, {"model": old.get("scaler")}
    recipe = old.get("recipe") or {}
    if "discriminator" in recipe:
        new["modules"]["discriminator"] = recipe["discriminator"]
        new["optimizers"]["discriminator"] = recipe.get("d_optimizer")
    return new
