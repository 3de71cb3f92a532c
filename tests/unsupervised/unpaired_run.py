"""A tiny unpaired set and training configs for the unpaired recipes' tests (``from unpaired_run import ...``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

import srkit.engine.run
from srkit import write_image
from srkit.data.unpairedset import make_unpaired_set
from srkit.engine import config_from_dict, load_checkpoint, train


def tiny_unpaired_set(root: Path) -> Path:
    """Four smooth random 100x104 images split into two HR and two real LR (x4, 25x26) images."""
    folder = root / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        small = torch.from_numpy(rng.random((3, 25, 26)))[None]
        big = torch.nn.functional.interpolate(small, size=(100, 104), mode="bicubic", align_corners=False)
        write_image(folder / f"{i}.png", (big[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
    return make_unpaired_set([folder], root / "set", scales=[4])


def unpaired_config(root: Path, out: Path, recipe: str, **extra: Any) -> dict[str, Any]:
    """A config of ``recipe`` on the tiny set: srkit_net with 8 features and one block, batch 2, constant rate."""
    cfg: dict[str, Any] = {
        "model": {"name": "srkit_net", "scale": 4, "options": {"n_feats": 8, "n_blocks": 1}},
        "data": {"train": [str(root / "hr")], "unpaired_lr": [str(root / "lr_x4")], "batch_size": 2, "workers": 0},
        "recipe": recipe,
        "optim": {"lr": 1e-3},
        "schedule": {"kind": "constant"},
        "steps": 6,
        "ckpt_every": 3,
        "log_every": 1,
        "output": str(out),
    }
    for key, value in extra.items():
        cfg[key] = {**cfg[key], **value} if isinstance(value, dict) and key in cfg else value
    return cfg


class Stop(Exception):
    """Raised in place of a kill."""


def interrupted_then_resumed(cfg: dict[str, Any], monkeypatch: Any, at: int) -> dict[str, Any]:
    """Train ``cfg``, stopped when step ``at`` starts (after the checkpoint of step ``at``), then resumed to the
    end; returns the checkpoint written at the stop."""
    config = config_from_dict(cfg)
    step = srkit.engine.run.Run.step

    def stopping(self: Any, i: int, batch: Any) -> Any:
        if i == at:
            raise Stop
        return step(self, i, batch)

    with monkeypatch.context() as m:
        m.setattr(srkit.engine.run.Run, "step", stopping)
        with contextlib.suppress(Stop):
            train(config, progress=False)
    stopped = load_checkpoint(Path(cfg["output"]) / "latest.pt")
    train(config, resume=True, progress=False)
    return stopped


def same_modules(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Every tensor of every player equal, bit for bit."""
    return a.keys() == b.keys() and all(
        a[n].keys() == b[n].keys() and all(torch.equal(a[n][k], b[n][k]) for k in a[n]) for n in a
    )
