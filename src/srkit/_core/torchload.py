"""``torch.load`` of tensors and plain data only, with errors that never advise unsafe loading.

PyTorch's own message for a file it refuses under ``weights_only=True`` suggests re-running ``torch.load`` with
``weights_only=False``, which would run whatever code the file's pickle holds. srkit never does that and never
suggests it: :func:`load_tensors` says what the file holds instead, and how to make a safe copy of it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

from srkit._core.errors import SrkitError

__all__ = ["load_tensors", "unsafe_load_reason"]

_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def unsafe_load_reason(err: BaseException) -> str:
    """Why ``torch.load(weights_only=True)`` failed, in one line, without PyTorch's advice to load unsafely.

    Example:
        >>> unsafe_load_reason(RuntimeError("PytorchStreamReader failed reading zip archive"))
        'PytorchStreamReader failed reading zip archive'
    """
    text = _ANSI.sub("", str(err))
    names = sorted(set(_GLOBAL.findall(text)))
    if names:
        return (
            f"it holds pickled Python objects besides tensors ({', '.join(names[:3])}), which srkit never loads "
            "(unpickling them can run code): where you trust the file, convert it to .safetensors"
        )
    if "Weights only load failed" in text or "weights_only" in text:
        return (
            "it is not a checkpoint of plain tensors (corrupt, another kind of file, or a pickle that srkit will not "
            "load, since unpickling can run code)"
        )
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first or type(err).__name__


def load_tensors(path: str | os.PathLike[str], *, what: str = "checkpoint") -> Any:
    """``torch.load(path, map_location="cpu", weights_only=True)``: tensors and plain data, never code.

    Raises:
        SrkitError: the file cannot be read this way; the message says why (see :func:`unsafe_load_reason`).
    """
    p = Path(path)
    try:
        return torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:
        raise SrkitError(f"cannot read {what} {p}: {unsafe_load_reason(err)}") from None
