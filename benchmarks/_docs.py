"""What the benchmark scripts that write tables into the docs share: the marker blocks they replace
(``<!-- NAME:start -->`` ... ``<!-- NAME:end -->``, the rest of the file kept) and the CPU they name."""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

from srkit._core.fileio import atomic_write_text


def replace_block(path: str | Path, start: str, end: str, block: str) -> None:
    """Replace what lies between the first ``start`` of ``path`` and the next ``end`` with ``block`` (one line
    break after ``start`` and before ``end``), atomically; everything outside the markers is kept.

    Raises:
        SystemExit: the file lacks either marker, or no ``end`` follows ``start``.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    before, found, rest = text.partition(start)
    if not found or end not in rest:
        raise SystemExit(f"{path} has no {start} ... {end} block")
    after = rest.split(end, 1)[1]
    atomic_write_text(path, f"{before}{start}\n{block}\n{end}{after}")


def cpu_model() -> str:
    """The CPU's model name (Linux's ``/proc/cpuinfo``), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """The options every docs-table script takes: ``--threads`` (torch's, default 2), ``--json FILE`` and
    ``--write-docs MD``."""
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    parser.add_argument("--write-docs", metavar="MD", help="replace the table's marker block in this Markdown file")
