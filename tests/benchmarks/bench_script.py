"""Loading a script of benchmarks/ as a module in the tests, as it runs when started directly."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def load_script(name: str, path: Path | None = None) -> ModuleType:
    """The module of ``benchmarks/NAME.py`` (or of ``path``). Its folder goes on ``sys.path`` so that it imports its
    siblings (``_docs``, ``_timing``) as when run directly; it sits in ``sys.modules`` while its file executes, as
    dataclasses need."""
    path = path or BENCHMARKS / f"{name}.py"
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module
