"""benchmarks/model_stages.py: training totals over stages, the table, and the stages timed in turn."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import ModuleType

import pytest
from bench_script import load_script

import srkit
from srkit._core.cards import card_of, with_card


@pytest.fixture(scope="module")
def stages() -> ModuleType:
    return load_script("model_stages")


def test_totals_add_the_earlier_stages(stages: ModuleType) -> None:
    model = srkit.build_model("srkit_fast", scale=4)
    record = {"steps": "6000", "wall_time": "24 min", "earlier_steps": "6000", "earlier_wall_time": "18 min"}
    model = with_card(model, dataclasses.replace(card_of(model), training=record))
    assert stages._totals(model) == (12000, 42.0)
    first = with_card(model, dataclasses.replace(card_of(model), training={"steps": "20000", "wall_time": "108 min"}))
    assert stages._totals(first) == (20000, 108.0)


def test_every_stage_names_a_commit_or_the_working_tree(stages: ModuleType) -> None:
    for model in stages.FILES:
        labels = [s.label for s in stages.STAGES if s.model == model]
        assert labels == [str(i + 1) for i in range(len(labels))], model  # stages in order, none skipped
    assert all(s.rev is None or len(s.rev) >= 7 for s in stages.STAGES)


def test_the_table_has_a_cell_per_set_and_scale(stages: ModuleType) -> None:
    names = [stages.HELD_OUT[0], stages.CITY[0], *stages.TEST_SETS]
    psnr = {f"{n} x{s}": 30.0 + s / 100 for n in names for s in stages.SCALES}
    row = {"model": "srkit", "stage": "1", "change": "c", "steps": 10, "minutes": 2.0, "psnr": psnr, "x4_ms": 12.3}
    header, rule, line, _, note = stages.markdown([row]).splitlines()
    assert header.count("|") == rule.count("|") == line.count("|")
    assert "| 30.02 / 30.03 / 30.04 |" in line and line.endswith("| 12 |")
    assert "model_stages.py --write-docs docs/models.md" in note


def test_stages_are_timed_in_turn(stages: ModuleType, shared_data: Path, one_thread: None) -> None:  # Set14 lenna
    tiny = [srkit.build_model("srkit_fast", scale=4) for _ in range(2)]
    seconds = stages.time_stages(tiny, repeats=2)
    assert len(seconds) == 2 and all(s > 0 for s in seconds)
