"""Benchmark results as a terminal table, Markdown, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from srkit._core.fileio import atomic_write_text
from srkit.evaluation.runner import Protocol, SetResult

_HEADER = ("method", "set", "scale", "PSNR", "SSIM", "ms/image")


def _rows(results: Sequence[SetResult]) -> list[tuple[str, ...]]:
    return [
        (
            r.method,
            r.dataset,
            f"x{r.scale}",
            f"{r.psnr:.2f}",
            f"{r.ssim:.4f}",
            f"{r.seconds_per_image * 1e3:.1f}",
        )
        for r in results
    ]


def format_table(results: Sequence[SetResult], protocol: Protocol) -> str:
    """An aligned plain-text table with the protocol on the last line."""
    rows = [_HEADER, *_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADER))]
    numeric = {2, 3, 4, 5}
    lines = [
        "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([*lines, protocol.describe()])


def to_markdown(results: Sequence[SetResult], protocol: Protocol) -> str:
    """A Markdown table, followed by the protocol it was measured with."""
    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 4) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in _rows(results)]
    return "\n".join([*lines, "", f"Protocol: {protocol.describe()}.", ""])


def to_csv(results: Sequence[SetResult], *, per_image: bool = False) -> str:
    """CSV with one row per (method, set, scale), or per image with ``per_image``; full precision."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["method", "set", "scale", "image", "psnr", "ssim", "seconds"])
    for r in results:
        if per_image:
            for i in r.images:
                writer.writerow(
                    [
                        r.method,
                        r.dataset,
                        r.scale,
                        i.name,
                        f"{i.psnr:.6f}",
                        f"{i.ssim:.6f}",
                        f"{i.seconds:.6f}",
                    ]
                )
        else:
            writer.writerow(
                [
                    r.method,
                    r.dataset,
                    r.scale,
                    "mean",
                    f"{r.psnr:.6f}",
                    f"{r.ssim:.6f}",
                    f"{r.seconds_per_image:.6f}",
                ]
            )
    return out.getvalue()


def to_json(results: Sequence[SetResult], protocol: Protocol) -> str:
    """JSON with the protocol, the means and every image's scores."""
    payload = {
        "protocol": {**asdict(protocol), "description": protocol.describe()},
        "results": [
            {
                "method": r.method,
                "set": r.dataset,
                "scale": r.scale,
                "psnr": r.psnr,
                "ssim": r.ssim,
                "seconds_per_image": r.seconds_per_image,
                "images": [asdict(i) for i in r.images],
            }
            for r in results
        ],
    }
    return json.dumps(_finite(payload), indent=2, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    """JSON has no infinity: an infinite PSNR (SR identical to HR) is written as the string ``"inf"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def write_reports(
    results: Sequence[SetResult],
    protocol: Protocol,
    *,
    csv_path: str | None = None,
    json_path: str | None = None,
    markdown_path: str | None = None,
    per_image: bool = False,
) -> list[str]:
    """Write the requested report files atomically; return the paths written."""
    written = []
    for path, text in (
        (csv_path, lambda: to_csv(results, per_image=per_image)),
        (json_path, lambda: to_json(results, protocol)),
        (markdown_path, lambda: to_markdown(results, protocol)),
    ):
        if path is not None:
            atomic_write_text(path, text())
            written.append(path)
    return written
