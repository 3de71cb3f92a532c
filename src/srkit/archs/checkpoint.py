"""Reading checkpoints safely and loading them into srkit models, whatever their origin.

Only tensors are ever read: ``.safetensors`` through safetensors, ``.pth``/``.pt``/``.ckpt``/``.bin`` through
``torch.load(weights_only=True)``, which refuses pickled code. Wrappers are stripped (``params_ema``,
``params``, ``state_dict``, ``model`` dictionaries; ``module.`` and ``_orig_mod.`` key prefixes), then the
architecture and its hyper-parameters are detected from the keys and shapes, as spandrel does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.torchload import load_tensors, unsafe_load_reason

StateDict = dict[str, torch.Tensor]
Detector = Callable[[Mapping[str, torch.Tensor]], dict[str, Any] | None]

_WRAPPERS = ("params_ema", "params", "state_dict", "model", "net", "generator")
_PREFIXES = ("module.", "_orig_mod.")
TORCH_SUFFIXES = (".pth", ".pt", ".ckpt", ".bin", ".tar")  # .pth.tar ends in .tar


@dataclass(frozen=True)
class Detection:
    """A checkpoint format srkit recognises: the model to build and how to recognise its keys."""

    arch: str  # registry name of the builder, e.g. "imdn"
    detect: Detector  # returns the builder's keyword arguments (incl. scale) or None
    signature: str  # a few characteristic keys, for error messages
    convert: Callable[[Mapping[str, torch.Tensor]], StateDict] | None = None  # official keys -> srkit keys
    name_of: Callable[[Mapping[str, Any]], str] | None = None  # variant's registry name from detect's result


def read_state_dict(path: str | os.PathLike[str]) -> StateDict:
    """Read a checkpoint file as a flat ``{name: tensor}`` dict on the CPU, wrappers stripped.

    Raises:
        SrkitError: missing file, unknown format, unreadable or non-tensor content.
    """
    p = Path(path)
    if not p.is_file():
        raise SrkitError(f"checkpoint not found: {p}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".safetensors":
            from safetensors.torch import load_file

            raw: Any = load_file(str(p), device="cpu")
        elif suffix in TORCH_SUFFIXES:
            raw = load_tensors(p)
        else:
            raise SrkitError(
                f"unknown checkpoint format {p.suffix!r} for {p}; use .safetensors, .pth, .pt, .ckpt or .bin"
            )
    except SrkitError:
        raise
    except Exception as err:  # safetensors' errors; torch.load's are SrkitErrors from load_tensors
        raise SrkitError(f"cannot read checkpoint {p}: {unsafe_load_reason(err)}") from None
    return unwrap(raw, source=str(p))


def unwrap(raw: Any, *, source: str = "checkpoint") -> StateDict:
    """Strip training wrappers and key prefixes; check that what is left is a dict of tensors."""
    while isinstance(raw, Mapping) and not _is_state(raw):
        inner = next((raw[k] for k in _WRAPPERS if k in raw and isinstance(raw[k], Mapping)), None)
        if inner is None:
            raise SrkitError(
                f"{source} holds no state dict: top-level keys {sorted(map(str, raw))[:8]} "
                f"(expected tensors, or one of {', '.join(_WRAPPERS)})"
            )
        raw = inner
    if not isinstance(raw, Mapping):
        raise SrkitError(f"{source} holds a {type(raw).__name__}, not a state dict")
    state = {str(k): v for k, v in raw.items() if isinstance(v, torch.Tensor)}
    if not state:
        raise SrkitError(f"{source} holds no tensors")
    for prefix in _PREFIXES:
        if all(k.startswith(prefix) for k in state):
            state = {k[len(prefix) :]: v for k, v in state.items()}
    return state


def _is_state(d: Mapping[Any, Any]) -> bool:
    return bool(d) and all(isinstance(v, torch.Tensor) for v in d.values())


def load_state(model: nn.Module, state: Mapping[str, torch.Tensor], *, source: str = "checkpoint") -> None:
    """``model.load_state_dict(state, strict=True)`` with an error that lists what was expected."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k}: checkpoint {tuple(state[k].shape)}, model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} (e.g. {', '.join(missing[:4])})")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} (e.g. {', '.join(unexpected[:4])})")
        if shapes:
            parts.append(f"shape mismatch {len(shapes)} (e.g. {'; '.join(shapes[:3])})")
        name = type(model).__name__
        raise SrkitError(f"{source} does not fit {name} with {getattr(model, 'hparams', {})}: {'; '.join(parts)}")
    model.load_state_dict(dict(state), strict=True)
