"""Soak (slow): ``srkit upscale`` over 1000 small files of every format, 5% of them corrupt, with two worker
processes. The summary counts right, each good file is written once, the bad ones are named on stderr, and the
output folder holds exactly the good files (no temporary or partial file)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srkit.cli.main import main

FORMATS = (
    (".png", "PNG", "RGB"),
    (".jpg", "JPEG", "RGB"),
    (".webp", "WEBP", "RGBA"),
    (".tif", "TIFF", "L"),
    (".bmp", "BMP", "RGB"),
    (".png", "PNG", "LA"),
)


@pytest.mark.slow
def test_thousand_mixed_files_five_percent_corrupt(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    src = tmp_path / "in"
    src.mkdir()
    corrupt = set(rng.choice(1000, size=50, replace=False).tolist())
    good: list[str] = []
    for i in range(1000):
        suffix, fmt, mode = FORMATS[i % len(FORMATS)]
        name = f"{i:04d}{suffix}"
        pixels = rng.integers(0, 256, (int(rng.integers(4, 24)), int(rng.integers(4, 24)), 4), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels, "RGBA").convert(mode).save(buf, fmt)
        data = buf.getvalue()
        if i in corrupt:  # truncated after the header, or garbage behind a valid signature
            data = data[: len(data) // 3] if i % 2 else data[:8] + bytes(rng.integers(0, 256, 64, dtype=np.uint8))
        else:
            good.append(name)
        (src / name).write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(
            [
                "upscale",
                str(src),
                "-o",
                str(tmp_path / "out"),
                "--model",
                "srkit_fast",
                "--scale",
                "2",
                "-j",
                "2",
                "--no-progress",
            ]
        )
    assert code == 1
    lines = out.getvalue().splitlines()
    assert f"upscaled {len(good)} images x2 with srkit_fast in 2 processes" in lines[-1]
    assert lines[-1].endswith("; 50 failed")
    written = [Path(line.split(" -> ")[1].split(" (")[0]).name for line in lines[:-1]]
    assert written == good  # each good file once, in order
    errors = err.getvalue().splitlines()
    assert len(errors) == 50 and all(e.startswith("srkit: error: ") for e in errors)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == good
