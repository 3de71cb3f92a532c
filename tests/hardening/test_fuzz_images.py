"""Fuzzing image decoding and ``srkit upscale`` (hypothesis): random bytes, truncated and mutated PNG, JPEG, TIFF,
WebP, BMP and GIF files in many modes, extreme shapes and decompression-bomb headers, under names that may lie.
Every input either decodes or gives one :class:`srkit.SrkitError` line; ``srkit upscale`` exits with 0 or 1, prints
one error line on failure, and leaves nothing but whole outputs in its folder."""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fuzz_support import QUICK, SLOW, image_files, run_fuzz
from PIL import Image

import srkit
from srkit.cli.main import main
from srkit.data.imagefile import read_picture

pytestmark = pytest.mark.usefixtures("one_thread")


def check_decode(case: tuple[str, bytes]) -> None:
    suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            pic = read_picture(path, max_pixels=1_000_000)
        except srkit.SrkitError as err:
            message = str(err)
        else:
            message = None
    if message is not None:
        assert message and "\n" not in message
        return
    pixels = pic.pixels
    assert isinstance(pixels, np.ndarray) and pixels.ndim == 3 and 1 <= pixels.shape[2] <= 4
    assert pixels.shape[0] * pixels.shape[1] <= 1_000_000


def check_upscale(case: tuple[str, bytes]) -> None:
    suffix, data = case
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"input{suffix}"
        src.write_bytes(data)
        out = Path(tmp) / "out"
        err, stdout = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(stdout):
            code = main(
                [
                    "upscale",
                    str(src),
                    "-o",
                    str(out),
                    "--model",
                    "srkit_fast",
                    "--scale",
                    "2",
                    "--max-pixels",
                    "100000",
                    "--no-progress",
                ]
            )
        files = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if code == 0:
            assert files == [src.name] and err.getvalue() == ""
            with Image.open(out / src.name) as im:
                im.load()
        else:
            assert code == 1 and files == [], (code, files)
            lines = [line for line in err.getvalue().splitlines() if not line.startswith("srkit: warning: ")]
            assert len(lines) == 1 and lines[0].startswith("srkit: error: "), err.getvalue()


def test_decoding_quick() -> None:
    assert run_fuzz(image_files(), check_decode, QUICK) >= QUICK


def test_upscale_quick() -> None:
    assert run_fuzz(image_files(), check_upscale, QUICK // 2) >= QUICK // 2


@pytest.mark.slow
def test_decoding_many() -> None:
    assert run_fuzz(image_files(), check_decode, 2 * SLOW) >= 2 * SLOW


@pytest.mark.slow
def test_upscale_many() -> None:
    assert run_fuzz(image_files(), check_upscale, SLOW // 2) >= SLOW // 2
