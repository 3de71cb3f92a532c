"""The numbers on srkit's shipped model cards are what ``srkit bench --model NAME`` prints, and what the README
table shows: one image path measures all three (STYLE.md rule 16)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import srkit
from srkit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["srkit", "srkit_fast"]  # the upscalers (README table)
WITH_PRIOR = [*SHIPPED, "srkit_prior", "srkit_real", "srkit_real_gan"]  # the others' cards hold bicubic scores too
REAL = ["srkit_real", "srkit_real_gan"]  # their cards also hold srkit's fixed synthetic real-world test sets


def _card_cell(name: str, dataset: str, scale: int) -> tuple[str, str]:
    """``("31.61", "0.8873")`` from the card's ``"Set5 x4": "31.61 dB / 0.8873"``."""
    entry = srkit.card_of(srkit.load_model(name)).training[f"{dataset} x{scale}"]
    match = re.fullmatch(r"(\d+\.\d\d) dB / (\d\.\d{4})", entry)
    assert match, entry
    return match.group(1), match.group(2)


def _bench(
    capsys: pytest.CaptureFixture[str], name: str, folder: Path, scales: list[int], *extra: str
) -> dict[int, tuple[str, str]]:
    """PSNR and SSIM per scale as ``srkit bench --model NAME`` prints them."""
    args = ["bench", "--model", name, "--data", str(folder), "--scale", *map(str, scales), "--no-progress", *extra]
    assert main(args) == 0
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        parts = line.split()
        if len(parts) == 6 and parts[0] == name and parts[1] == folder.name:
            rows[int(parts[2].lstrip("x"))] = (parts[3], parts[4])
    return rows


@pytest.mark.shared_data
@pytest.mark.parametrize("name", WITH_PRIOR)
def test_bench_prints_the_card_figures_on_set5(
    shared_data: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    printed = _bench(capsys, name, shared_data / "bench" / "Set5", [2, 3, 4])
    assert printed == {s: _card_cell(name, "Set5", s) for s in (2, 3, 4)}


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("name", WITH_PRIOR)
def test_bench_prints_the_card_figures_on_set14(
    shared_data: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    printed = _bench(capsys, name, shared_data / "bench" / "Set14", [2, 3, 4])
    assert printed == {s: _card_cell(name, "Set14", s) for s in (2, 3, 4)}


@pytest.mark.shared_data
@pytest.mark.parametrize("name", REAL)
def test_bench_prints_the_card_figures_on_the_synthetic_real_world_set(
    shared_data: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    printed = _bench(capsys, name, shared_data / "bench" / "Set14", [4], "--degradation", "bsrgan", "--seed", "0")
    entry = srkit.card_of(srkit.load_model(name)).training["Set14 x4 BSRGAN seed 0"]
    assert f"{printed[4][0]} dB / {printed[4][1]}" == entry


@pytest.mark.parametrize("name", SHIPPED)
def test_readme_table_shows_the_card_figures(name: str) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- upscaler-table:start -->")[1].split("<!-- upscaler-table:end -->")[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    (row,) = [ln for ln in lines if ln.split("|")[1].strip() == name]
    cells = dict(zip(head, (c.strip() for c in row.strip("|").split("|")), strict=True))
    for dataset in ("Set5", "Set14"):
        for scale in (2, 3, 4):
            psnr, ssim = _card_cell(name, dataset, scale)
            assert cells[f"{dataset} x{scale}"] == f"{psnr} / {ssim}", (name, dataset, scale)
