"""``srkit serve``'s page in a real browser: Playwright driving the system's Chromium (Debian's ``chromium``; nothing
is downloaded). Upload a PNG, wait for the result, move the before/after slider with the keyboard, download, and
check the download is ``srkit upscale``'s output byte for byte; every control is reachable with Tab.

Skipped when Playwright or Chromium is missing, unless ``SRKIT_REQUIRE_BROWSER=1`` (CI sets it). With
``SRKIT_SCREENSHOTS=DIR`` the test also saves the screenshots of docs/web.md there.
"""

from __future__ import annotations

import importlib.resources
import io
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from srkit.cli.main import main

# Chromium flags for a closed network (no background connections) running as root in a container
_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    required = os.environ.get("SRKIT_REQUIRE_BROWSER") == "1"
    path = os.environ.get("SRKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    if path is None:
        if required:
            raise AssertionError("SRKIT_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install chromium)")
        pytest.skip("no Chromium (apt-get install chromium, or set SRKIT_CHROMIUM)")
    return path


def _photo(path: Path) -> Path:
    """A 160x120 crop of the bundled example drawing (line art: the comparison shows what SR does)."""
    example = importlib.resources.files("srkit") / "assets" / "examples" / "drawing.png"
    with Image.open(io.BytesIO(example.read_bytes())) as im:
        im.convert("RGB").crop((40, 60, 200, 180)).save(path)
    return path


def _focus_order(page: Any, steps: int) -> list[str]:
    order = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    return order


def test_upload_compare_download_in_chromium(tmp_path: Path, serve: Any) -> None:
    chromium = _chromium()
    from playwright.sync_api import expect, sync_playwright

    src = _photo(tmp_path / "drawing.png")
    assert main(["upscale", str(src), "-o", str(tmp_path / "cli.png"), "--model", "srkit_fast", "-q"]) == 0
    shots = os.environ.get("SRKIT_SCREENSHOTS")
    with serve(models=("srkit", "srkit_fast")) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=_FLAGS)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": 1000, "height": 900})
            page.goto(base)
            expect(page.locator("#model option")).to_have_count(2)
            # keyboard only: Tab reaches the file picker, model, scale, TTA (the button is disabled until a file
            # is chosen), then the button too
            assert _focus_order(page, 5) == ["file", "model", "scale", "tta", "A"]  # A: the footer's API link
            page.set_input_files("#file", str(src))
            page.focus("#file")
            assert _focus_order(page, 4) == ["model", "scale", "tta", "go"]
            page.focus("#model")
            page.keyboard.press("ArrowDown")  # srkit -> srkit_fast
            assert page.eval_on_selector("#model", "e => e.value") == "srkit_fast"
            expect(page.locator("#model-info")).to_contain_text("faster")
            page.focus("#go")
            page.keyboard.press("Enter")
            expect(page.locator("#result")).to_be_visible(timeout=60_000)
            page.wait_for_function("document.getElementById('after').naturalWidth > 0")
            assert page.eval_on_selector("#after", "e => [e.naturalWidth, e.naturalHeight]") == [640, 480]
            expect(page.locator("#facts")).to_contain_text("160 \u00d7 120")
            expect(page.locator("#facts")).to_contain_text("640 \u00d7 480")
            # the slider: Tab reaches it, arrows move it, the input's clip follows
            order = _focus_order(page, 1)
            assert order == ["slider"], order
            for _ in range(20):
                page.keyboard.press("ArrowRight")
            assert page.eval_on_selector("#slider", "e => e.value") == "70"
            assert page.eval_on_selector("#before", "e => e.style.clipPath") == "inset(0px 30% 0px 0px)"
            assert page.eval_on_selector("#divider", "e => e.style.left") == "70%"
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(Path(shots) / "web_compare.png"), full_page=True)
            # zoom and download, by keyboard too
            assert _focus_order(page, 2) == ["zoom", "download"]
            with page.expect_download() as info:
                page.keyboard.press("Enter")
            download = info.value
            assert download.suggested_filename == "drawing_x4.png"
            saved = tmp_path / "downloaded.png"
            download.save_as(saved)
            assert saved.read_bytes() == (tmp_path / "cli.png").read_bytes()
            # a file that is not an image: one clear message, no result
            bad = tmp_path / "notes.png"
            bad.write_text("not an image")
            page.set_input_files("#file", str(bad))
            page.click("#go")
            expect(page.locator("#error")).to_contain_text("not a PNG, JPEG, WebP, TIFF or BMP image")
            expect(page.locator("#result")).to_be_hidden()
            if shots:
                page.goto(base)
                expect(page.locator("#model option")).to_have_count(2)
                page.screenshot(path=str(Path(shots) / "web_start.png"))
        finally:
            browser.close()
