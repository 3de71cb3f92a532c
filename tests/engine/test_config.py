"""Config checks: every number's range (one line naming the key and the allowed range), and YAML errors with
``file:line:column``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import srkit
from srkit import SrkitError
from srkit.cli.main import main
from srkit.engine import config_from_dict, load_config
from srkit.engine.config import apply_overrides

BASE: dict[str, Any] = {"model": {"name": "espcn"}, "data": {"train": ["x"]}}


def _with(key: str, value: Any) -> dict[str, Any]:
    """BASE with ``key`` (dotted) set to ``value``."""
    return apply_overrides(BASE, [f"{key}={value}"])


BAD: list[tuple[str, str, str]] = [  # key, value (YAML), the allowed range in the message
    ("optim.lr", "-1", "> 0"),
    ("optim.lr", "0", "> 0"),
    ("optim.lr", ".nan", "> 0"),
    ("optim.lr", ".inf", "> 0"),
    ("optim.betas", "[0.9, 1.0]", "in [0, 1)"),
    ("optim.betas", "[-0.1, 0.9]", "in [0, 1)"),
    ("optim.weight_decay", "-0.01", ">= 0"),
    ("optim.grad_clip", "0", "> 0 or null"),
    ("steps", "0", ">= 1"),
    ("data.batch_size", "0", ">= 1"),
    ("data.patch_size", "-4", ">= 1"),
    ("data.workers", "-1", ">= 0"),
    ("data.scales", "[2, 0]", ">= 1"),
    ("model.scale", "0", ">= 1"),
    ("ema", "1.0", "in (0, 1) or null"),
    ("ema", "0", "in (0, 1) or null"),
    ("log_every", "0", ">= 1"),
    ("ckpt_every", "0", ">= 1"),
    ("val_every", "-1", ">= 0"),
    ("seed", "-3", ">= 0"),
    ("schedule.warmup", "-1", ">= 0"),
    ("schedule.gamma", "0", "> 0"),
    ("schedule.min_ratio", "1.5", "in [0, 1]"),
    ("schedule.milestones", "[0]", ">= 1"),
    ("loss.pixel_weight", "-1", ">= 0"),
    ("loss.perceptual_weight", "-0.5", ">= 0"),
    ("loss.gan_weight", "-0.001", ">= 0"),
    ("loss.d_lr", "0", "> 0"),
]


@pytest.mark.parametrize(("key", "value", "allowed"), BAD)
def test_every_number_is_checked_with_one_line_naming_key_and_range(key: str, value: str, allowed: str) -> None:
    with pytest.raises(SrkitError) as info:
        config_from_dict(_with(key, value))
    message = str(info.value)
    assert message.startswith(f"config.{key}") and f"must be {allowed}, got" in message, message
    assert "\n" not in message


def test_rules_between_fields() -> None:
    with pytest.raises(SrkitError, match=r"config\.schedule\.milestones\[1\] must be in \[1, steps = 100\], got 200"):
        config_from_dict({**BASE, "steps": 100, "schedule": {"kind": "step", "milestones": [50, 200]}})
    with pytest.raises(SrkitError, match=r"config\.curriculum\[1\]\.step must be in \[0, steps = 10\), got 10"):
        config_from_dict({**BASE, "steps": 10, "curriculum": [{"step": 0, "scales": [2]}, {"step": 10, "scales": [4]}]})
    with pytest.raises(SrkitError, match=r"config\.curriculum\[1\]\.step 0 repeats"):
        config_from_dict({**BASE, "curriculum": [{"step": 0, "scales": [2]}, {"step": 0, "scales": [4]}]})
    with pytest.raises(SrkitError, match=r"config\.curriculum\[0\]\.scales must list at least one scale"):
        config_from_dict({**BASE, "curriculum": [{"step": 0, "scales": []}]})
    with pytest.raises(SrkitError, match=r"config\.optim\.betas must hold 2 numbers"):
        config_from_dict({**BASE, "optim": {"betas": [0.9]}})
    ok = config_from_dict({**BASE, "steps": 100, "ema": 0.999, "optim": {"grad_clip": None, "betas": [0, 0.999]}})
    assert ok.ema == 0.999 and ok.optim.grad_clip is None


def test_a_negative_learning_rate_from_the_command_line_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recipe = Path(__file__).resolve().parents[2] / "configs" / "train" / "espcn_quick.yaml"
    code = main(["train", str(recipe), "--set", "optim.lr=-1", "--set", f"output={tmp_path / 'r'}"])
    err = capsys.readouterr().err
    assert code == 1 and err == "srkit: error: config.optim.lr must be > 0, got -1\n"
    assert not (tmp_path / "r").exists()


def test_malformed_yaml_says_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  name: espcn\ndata:\n  train: [a, b\nsteps: 3\n")
    with pytest.raises(SrkitError) as info:
        load_config(bad)
    message = str(info.value)
    assert message.startswith(f"{bad}:5:6: cannot parse YAML: "), message  # steps: ends the unclosed list
    assert "expected ',' or ']'" in message and "\n" not in message
    tabs = tmp_path / "tabs.yaml"
    tabs.write_text("model:\n\tname: espcn\n")
    with pytest.raises(SrkitError, match=rf"^{tabs}:2:1: cannot parse YAML: found character '\\t'"):
        load_config(tabs)


def test_malformed_set_value_says_the_column() -> None:
    with pytest.raises(SrkitError) as info:
        apply_overrides(BASE, ["data.scales=[2, 3"])
    message = str(info.value)
    assert message.startswith("--set data.scales: cannot parse '[2, 3' (column 6): expected ',' or ']'"), message


def test_malformed_composition_spec_says_file_line_and_column(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("framework: post\nbody:\n  - {block: resblock\n")
    with pytest.raises(SrkitError, match=rf"^{spec}:4:1: cannot parse YAML: expected ',' or '}}'"):
        srkit.create_model(spec)
