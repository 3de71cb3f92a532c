"""A tiny composed model and its training config, shared by the engine's tests (``from tiny_run import
tiny_config``; the training images are the ``images`` fixture of this folder's conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# A few-thousand-parameter x2 model: a step takes milliseconds.
TINY_SPEC: dict[str, Any] = {
    "framework": "post",
    "n_feats": 8,
    "body": [{"block": "resblock"}],
    "upsampler": {"type": "subpixel"},
}


def tiny_config(images: Path, out: Path, **extra: Any) -> dict[str, Any]:
    """A training config of :data:`TINY_SPEC` on ``images`` (8x8 LR patches, batch 4, no loader workers)."""
    cfg: dict[str, Any] = {
        "model": {"spec": TINY_SPEC, "scale": 2},
        "data": {"train": [str(images)], "patch_size": 8, "batch_size": 4, "workers": 0},
        "steps": 12,
        "ckpt_every": 4,
        "log_every": 1,
        "output": str(out),
    }
    cfg.update(extra)
    return cfg
