"""benchmarks/upscaler_table.py: the Markdown table, the README block replacement, and a tiny real measurement."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
from bench_script import load_script

import srkit


@pytest.fixture(scope="module")
def table() -> ModuleType:
    return load_script("upscaler_table")


def _fake_result() -> dict[str, Any]:
    q = {"Set5": {"4": {"psnr": 28.4312, "ssim": 0.81109}}, "Set14": {"4": {"psnr": 25.9921, "ssim": 0.70291}}}
    return {
        "sets": ["Set5", "Set14"],
        "scales": [2, 4],
        "rows": [
            {"name": "Bicubic", "quality": q, "speed": {"4": {"mpx_per_s": 9.876}}, "params": None},
            {
                "name": "ESPCN (published)",
                "quality": {"Set5": {"4": {"psnr": 30.9, "ssim": None}}},
                "speed": {},
                "params": 24752,
                "macs_per_lr_pixel_x4": 24641.0,
            },
        ],
        "produced_by": "Produced by `python benchmarks/upscaler_table.py`.",
    }


def test_markdown_table(table: ModuleType) -> None:
    lines = table.markdown_table(_fake_result()).splitlines()
    assert lines[0] == (
        "| Method | Set5 x2 | Set5 x4 | Set14 x2 | Set14 x4 | Mpx/s x2 | Mpx/s x4 | Params | MACs / LR px (x4) |"
    )
    assert lines[1] == "|" + "---|" * 9
    na = table.NA  # an en dash marks an empty cell
    assert lines[2] == "| Bicubic | ~ | 28.43 / 0.8111 | ~ | 25.99 / 0.7029 | ~ | 9.88 | ~ | ~ |".replace("~", na)
    assert lines[3] == "| ESPCN (published) | ~ | 30.90 / ~ | ~ | ~ | ~ | ~ | 24.8K | 24.6K |".replace("~", na)
    assert lines[-1] == "Produced by `python benchmarks/upscaler_table.py`."


def test_replace_block_keeps_the_rest(table: ModuleType) -> None:
    text = f"# Title\n\nintro\n{table.START}\nold table\nmore\n{table.END}\n\nafter\n"
    new = table.replace_block(text, "| a |\n")
    assert new == f"# Title\n\nintro\n{table.START}\n| a |\n{table.END}\n\nafter\n"
    assert table.replace_block(new, "| a |") == new  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "no markers\n",
        "<!-- upscaler-table:start -->\nonly start\n",
        "<!-- upscaler-table:end -->\n<!-- upscaler-table:start -->\n",
        "<!-- upscaler-table:start -->\n<!-- upscaler-table:start -->\n<!-- upscaler-table:end -->\n",
    ],
)
def test_replace_block_needs_markers(table: ModuleType, text: str) -> None:
    with pytest.raises(srkit.SrkitError, match="upscaler-table:start"):
        table.replace_block(text, "x")


def test_write_readme(table: ModuleType, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{table.START}\n{table.END}\nb\n", encoding="utf-8")
    table.write_readme(readme, "| t |\n")
    assert readme.read_text(encoding="utf-8") == f"a\n{table.START}\n| t |\n{table.END}\nb\n"
    readme.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(srkit.SrkitError):
        table.write_readme(readme, "| t |\n")
    assert readme.read_text(encoding="utf-8") == "no markers\n"


def test_speed_image_is_fixed(table: ModuleType, tmp_path: Path) -> None:
    a, desc = table.speed_image(tmp_path, 32)  # no data here: the seeded synthetic image
    b, _ = table.speed_image(tmp_path, 32)
    assert a.shape == (32, 32, 3) and a.dtype == np.uint8 and "synthetic" in desc
    np.testing.assert_array_equal(a, b)


@pytest.mark.shared_data
def test_bicubic_set5_x4(table: ModuleType, shared_data: Path) -> None:
    """Quality and speed of bicubic alone, on Set5 x4: the EVALUATION.md check value (28.43 / 0.8111)."""
    args = table.parse_args(
        [
            "--data-root",
            str(shared_data / "bench"),
            "--sets",
            "Set5",
            "--scales",
            "4",
            "--repeats",
            "1",
            "--size",
            "32",
            "--no-peers",
            "--threads",
            "1",
        ]
    )
    threads = torch.get_num_threads()
    try:
        result = table.run(args, models=[])
    finally:
        torch.set_num_threads(threads)  # the script sets it process-wide; later tests (bit-for-bit resume) need it
    rows = {r["name"]: r for r in result["rows"]}
    bicubic = rows["Bicubic (MATLAB imresize)"]["quality"]["Set5"]["4"]
    assert bicubic["psnr"] == pytest.approx(28.43, abs=0.006)
    assert bicubic["ssim"] == pytest.approx(0.8111, abs=0.00006)
    assert rows["Bicubic (MATLAB imresize)"]["speed"]["4"]["mpx_per_s"] > 0
    assert any("published" in name for name in rows)
    assert "| Bicubic (MATLAB imresize) | 28.43 / 0.8111 |" in table.markdown_table(result)
