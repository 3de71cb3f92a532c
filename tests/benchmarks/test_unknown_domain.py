"""benchmarks/unknown_domain.py: a tiny test set in the layout of ``srkit unpairedset``'s ``test/``, missing runs
skipped with a note, and the table written between the docs' markers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from bench_script import load_script

import srkit

pytestmark = pytest.mark.usefixtures("one_thread")  # the script sets torch's threads; the fixture restores them


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("unknown_domain")


@pytest.fixture
def test_set(tmp_path: Path) -> Path:
    """Three 32 x 32 HR images and their 8 x 8 LR (x4) as OUT/test/gt/NAME.png and OUT/test/lr_x4/NAME.png."""
    root = tmp_path / "unknown" / "test"
    rng = np.random.default_rng(0)
    (root / "gt").mkdir(parents=True)
    (root / "lr_x4").mkdir()
    for name in ("a", "b", "c"):
        hr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
        srkit.write_image(root / "gt" / f"{name}.png", hr)
        srkit.write_image(root / "lr_x4" / f"{name}.png", srkit.imresize(hr, 1 / 4))
    return root


def _rows(block: str) -> dict[str, list[str]]:
    """The table's rows by method label: the cells after the label."""
    rows = {}
    for line in block.splitlines():
        if line.startswith("| ") and not line.startswith("| method"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_write_docs_with_missing_runs(
    script: ModuleType, test_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    md = tmp_path / "doc.md"
    before, after = "# Title\n\nIntro kept.\n\n", "\n\n## After\n\nkept too\n"
    md.write_text(f"{before}{script.START}\nnot yet measured\n{script.END}{after}", encoding="utf-8")
    report = tmp_path / "report.json"
    argv = ["--data", str(test_set), "--two-step", str(tmp_path / "no_two_step"), "--cincgan", str(tmp_path / "no")]
    assert script.main([*argv, "--write-docs", str(md), "--json", str(report)]) == 0

    err = capsys.readouterr().err
    assert f"no two_step run at {tmp_path / 'no_two_step'}; skipped" in err
    assert f"no cincgan run at {tmp_path / 'no'}; skipped" in err
    text = md.read_text(encoding="utf-8")
    assert text.startswith(f"{before}{script.START}\n") and text.endswith(f"\n{script.END}{after}")
    assert "not yet measured" not in text
    block = text[len(before) + len(script.START) : -len(script.END + after)]
    rows = _rows(block)
    assert set(rows) == {script.LABELS["bicubic"], script.LABELS["srkit"]}  # the missing runs have no rows
    for label, cells in rows.items():
        scale, psnr, ssim, gain, ms = cells
        assert scale == "x4"
        assert math.isfinite(float(psnr)) and 0 < float(ssim) <= 1 and float(ms) > 0
        if label == script.LABELS["srkit"]:
            assert gain == script.NA
        else:
            assert math.isfinite(float(gain))
    srkit_psnr, bicubic_psnr = float(rows[script.LABELS["srkit"]][1]), float(rows[script.LABELS["bicubic"]][1])
    assert float(rows[script.LABELS["bicubic"]][3]) == pytest.approx(bicubic_psnr - srkit_psnr, abs=0.011)
    assert "Produced by `python benchmarks/unknown_domain.py --data" in block
    assert "--write-docs" in block and "3 test pairs" in block
    assert "two_step: no run at" in block and "cincgan: no run at" in block

    results = json.loads(report.read_text(encoding="utf-8"))  # --json keeps working beside --write-docs
    assert "bicubic" in json.dumps(results) and "srkit" in json.dumps(results)


def test_run_note_reads_log_and_config(script: ModuleType, tmp_path: Path) -> None:
    run = tmp_path / "two_step"
    run.mkdir()
    assert script.run_note("two_step", str(run)) == f"two_step: `{run}`"
    (run / "config.yaml").write_text("steps: 4200\nrecipe: two_step\n", encoding="utf-8")
    (run / "log.csv").write_text("step,loss,lr,seconds\n50,0.1,1e-4,3.0\n100,0.09,1e-4,6.1\n", encoding="utf-8")
    assert script.run_note("two_step", str(run)) == f"two_step: `{run}`, last logged step 100 of 4200"
    assert script.run_note("two_step", str(run / "latest.pt")).endswith("last logged step 100 of 4200")


@pytest.mark.parametrize(
    "text",
    [
        "no markers\n",
        "<!-- unknown-domain:start -->\nonly the start\n",
        "<!-- unknown-domain:end -->\n<!-- unknown-domain:start -->\n",  # the end before the start
    ],
)
def test_write_docs_needs_the_markers(script: ModuleType, tmp_path: Path, text: str) -> None:
    md = tmp_path / "doc.md"
    md.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit, match="unknown-domain:start"):
        script.replace_block(md, script.START, script.END, "| t |")
    assert md.read_text(encoding="utf-8") == text  # left as it was
