"""Shared by the fuzz tests: a library of valid encoded images, mutation strategies, and a runner that counts the
inputs it tried (hypothesis's ``max_examples`` is a target, so the tests check what ran)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

# the default suite tries a few of each kind; the slow suite (CI's pytest -m slow) >= 10,000 in all
QUICK, SLOW = 60, 2500


def _encode(pixels: np.ndarray, mode: str, fmt: str, **save: Any) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buf, fmt, **save)
    return buf.getvalue()


def image_library() -> list[tuple[str, bytes]]:
    """Valid files: PNG, JPEG, TIFF, WebP, BMP, GIF in several modes, sizes and options, as ``(suffix, bytes)``."""
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, (9, 13, 4), dtype=np.uint8)
    files: list[tuple[str, bytes]] = []
    for mode in ("L", "LA", "RGB", "RGBA", "P", "1", "I;16"):
        files.append((".png", _encode(rgba, mode, "PNG")))
    files.append((".png", _encode(rgba, "RGB", "PNG", optimize=True)))
    for mode in ("L", "RGB", "CMYK"):
        files.append((".jpg", _encode(rgba, mode, "JPEG", quality=80)))
    files.append((".jpg", _encode(rgba, "RGB", "JPEG", progressive=True)))
    for mode in ("L", "RGB", "RGBA", "CMYK", "I;16", "F"):
        files.append((".tif", _encode(rgba, mode, "TIFF")))
    files.append((".tif", _encode(rgba, "RGB", "TIFF", compression="tiff_deflate")))
    for mode in ("RGB", "RGBA"):
        files.append((".webp", _encode(rgba, mode, "WEBP", quality=70)))
    files.append((".webp", _encode(rgba, "RGB", "WEBP", lossless=True)))
    for mode in ("1", "L", "P", "RGB"):
        files.append((".bmp", _encode(rgba, mode, "BMP")))
    files.append((".gif", _encode(rgba, "P", "GIF")))
    for w, h in ((1, 1), (1, 300), (300, 1), (2, 2)):  # extreme shapes
        files.append((".png", _encode(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), "RGB", "PNG")))
    return files


def _huge_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width x height`` (a decompression bomb's header; the data is tiny)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


LIBRARY = image_library()
BOMBS = [(".png", _huge_png(w, h)) for w, h in ((100_000, 100_000), (2**31 - 1, 1), (1, 2**31 - 1), (65_535, 65_535))]


@st.composite
def mutated(draw: Any, library: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    """A library file truncated, with bytes replaced, inserted or deleted, or left as it is."""
    suffix, data = draw(st.sampled_from(library))
    buf = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        if not buf:
            break
        kind = draw(st.sampled_from(("set", "insert", "delete", "truncate")))
        at = draw(st.integers(0, len(buf) - 1))
        if kind == "set":
            buf[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            buf[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del buf[at : at + draw(st.integers(1, 16))]
        else:
            del buf[at:]
    return draw(st.sampled_from((suffix, ".png", ".jpg", ".tif", ".webp", ".bmp"))), bytes(buf)  # names lie too


def image_files() -> st.SearchStrategy[tuple[str, bytes]]:
    """Random bytes, mutated valid files, decompression-bomb headers, and valid files."""
    suffixes = st.sampled_from((".png", ".jpg", ".tif", ".webp", ".bmp"))
    return st.one_of(
        st.tuples(suffixes, st.binary(max_size=300)),
        mutated(LIBRARY),
        st.sampled_from(BOMBS),
        st.sampled_from(LIBRARY),
    )


def run_fuzz(strategy: st.SearchStrategy[Any], check: Callable[[Any], None], examples: int) -> int:
    """Run ``check`` on ``examples`` generated inputs (a fixed sequence: derandomized); returns how many ran."""
    ran = [0]

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(strategy)
    def inner(value: Any) -> None:
        ran[0] += 1
        check(value)

    inner()
    return ran[0]
