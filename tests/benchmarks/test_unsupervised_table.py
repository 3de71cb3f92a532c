"""benchmarks/unsupervised_table.py end to end on a tiny blind set: ``blind`` runs every per-image job in a
one-thread worker process and caches it, a second ``blind`` finds everything cached, and ``report`` writes the table
between the docs' markers and every number to ``--json``."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import srkit

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "unsupervised_table.py"
METHODS = ("bicubic", "srkit", "kernelgan", "zssr", "kernelgan_zssr")
SR_METHODS = ("bicubic", "srkit", "zssr", "kernelgan_zssr")  # those that make an image

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def table() -> Iterator[ModuleType]:
    if str(SCRIPT.parent) not in sys.path:  # the script imports its sibling _docs.py, as when run directly
        sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("unsupervised_table", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # registered while the tests run: the worker processes (spawned) unpickle its jobs by the module's name
    sys.modules["unsupervised_table"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["unsupervised_table"]


@pytest.fixture
def hr_folder(tmp_path: Path) -> Path:
    """Two smooth 96 x 96 HR images (48 x 48 LR at x2: KernelGAN takes at least 32 x 32)."""
    folder = tmp_path / "hr"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in ("one", "two"):
        coarse = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
        srkit.write_image(folder / f"{name}.png", srkit.imresize(coarse, 8))
    return folder


def _cells(md: str, label: str) -> list[str]:
    line = next(line for line in md.splitlines() if line.startswith(f"| {label} |"))
    return [c.strip() for c in line.strip("|").split("|")[1:]]


def test_blind_cache_and_report(
    table: ModuleType, hr_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    common = ["--work", str(work), "--scales", "2", "--jobs", "1"]
    blind = ["blind", "--hr", str(hr_folder), *common, "--steps", "2", "--methods", *METHODS]
    jobs = 2 * len(METHODS)

    table.main(blind)
    out = capsys.readouterr().out
    assert f"0 of {jobs} jobs cached; {jobs} to run on 1 processes" in out
    for method in SR_METHODS:
        assert len(list((table._method_dir(work, method, True) / "x2").glob("*.png"))) == 2
    assert len(list((work / "blind" / "kernelgan" / "x2").glob("*.npy"))) == 2
    facts = json.loads((work / "blind" / "zssr_fast" / "x2" / "one.json").read_text(encoding="utf-8"))
    assert facts["steps"] == 2 and facts["threads"] == 1 and facts["cpu_s"] > 0

    table.main(blind)  # everything cached: nothing runs again
    assert f"{jobs} of {jobs} jobs cached; 0 to run" in capsys.readouterr().out

    md, report = tmp_path / "doc.md", tmp_path / "numbers.json"
    before, after = "# Unsupervised\n\nKept.\n\n", "\n\n## Next\n\nkept too\n"
    md.write_text(f"{before}{table.START}\nnot yet measured\n{table.END}{after}", encoding="utf-8")
    table.main(["report", *common, "--write-docs", str(md), "--json", str(report)])

    text = md.read_text(encoding="utf-8")
    assert text.startswith(f"{before}{table.START}\n") and text.endswith(f"\n{table.END}{after}")
    assert "not yet measured" not in text and "**Blind benchmark** (2 images, seed 0):" in text
    for method in SR_METHODS:
        quality, cpu = _cells(text, table.LABELS[method])
        match = re.fullmatch(r"(\d+\.\d\d) / (\d\.\d{4})", quality)
        assert match is not None, (method, quality)
        assert math.isfinite(float(match[1])) and 0 < float(match[2]) <= 1 and float(cpu) >= 0
    assert _cells(text, table.LABELS["dpsr"]) == [table.NA, table.NA]  # not asked for
    assert re.search(r"\| kernel error of the estimate, mean \| \d+\.\d{3} \(2 images\) \|", text)

    numbers = json.loads(report.read_text(encoding="utf-8"))
    per = numbers["blind"]["scales"]["2"]
    assert sorted(numbers["blind"]["images"]) == ["one", "two"]
    assert set(per) == {*SR_METHODS, "kernelgan"}
    for method in SR_METHODS:
        assert sorted(per[method]) == ["one", "two"]
        assert all(math.isfinite(r["psnr"]) and math.isfinite(r["ssim"]) for r in per[method].values())
        assert all(r["cpu_s"] > 0 for r in per[method].values())
    assert all(math.isfinite(r["kernel_error"]) for r in per["kernelgan"].values())
    assert numbers["dip_set5"] == {}
