"""Registration is declared in the paper files: the generated list of ``srkit/archs/__init__.py`` and the zoo table
of docs/models.md are current, and checkpoint detection does not depend on any order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from srkit import SrkitError
from srkit.archs import DETECTIONS, MODELS, PAPER_FILES, Detection, build_model, detect_arch, loader

ROOT = Path(__file__).resolve().parents[2]


def test_generated_registration_and_docs_table_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "zoo_table.py"), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_registered_model_comes_from_a_listed_paper_file() -> None:
    declared = {card.name for module in PAPER_FILES for _, card in getattr(module, "ZOO", [])}
    assert declared == set(MODELS.names())


def test_detection_order_does_not_matter() -> None:
    state = {k: v for k, v in build_model("edsr_baseline", scale=2, n_feats=8, n_blocks=2).state_dict().items()}
    forward = detect_arch(dict(state))[0]
    original = list(DETECTIONS)
    try:
        DETECTIONS.reverse()
        assert detect_arch(dict(state))[0] == forward == "edsr"
    finally:
        DETECTIONS[:] = original


def test_a_state_dict_claimed_twice_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    state = {"w": torch.zeros(1)}
    claim = Detection("espcn", lambda s: {"scale": 2}, "w (test)")
    monkeypatch.setattr(loader, "DETECTIONS", [claim, Detection("fsrcnn", lambda s: {"scale": 2}, "w (other)")])
    with pytest.raises(SrkitError, match=r"fits several formats: espcn \(w \(test\)\); fsrcnn"):
        detect_arch(state)
