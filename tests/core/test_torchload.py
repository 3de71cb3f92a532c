"""Unreadable checkpoints: srkit says what the file holds and never suggests loading it unsafely."""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import pytest
import torch

from srkit import SrkitError
from srkit._core.torchload import load_tensors, unsafe_load_reason
from srkit.archs import read_state_dict
from srkit.engine import load_checkpoint


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("pwned",))


def _files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "object": tmp_path / "object.pth",  # tensors plus a pickled Python object (an argparse.Namespace)
        "code": tmp_path / "code.pth",  # a pickle that would call print
        "junk": tmp_path / "junk.pt",  # not a checkpoint at all
        "truncated": tmp_path / "truncated.ckpt",
    }
    torch.save({"model": {"w": torch.ones(2)}, "step": 1, "args": argparse.Namespace(lr=1e-3)}, files["object"])
    with files["code"].open("wb") as f:
        pickle.dump({"w": _Evil()}, f, protocol=2)  # torch's own protocol: the reader names the global
    files["junk"].write_bytes(b"not a checkpoint")
    torch.save({"model": {"w": torch.ones(1000)}, "step": 1}, files["truncated"])
    files["truncated"].write_bytes(files["truncated"].read_bytes()[:300])
    return files


@pytest.mark.parametrize("reader", [read_state_dict, load_checkpoint, load_tensors])
@pytest.mark.parametrize("kind", ["object", "code", "junk", "truncated"])
def test_no_message_suggests_unsafe_loading(tmp_path: Path, reader: object, kind: str) -> None:
    path = _files(tmp_path)[kind]
    with pytest.raises(SrkitError) as info:
        reader(path)  # type: ignore[operator]
    message = str(info.value)
    assert "weights_only" not in message and "trust the source" not in message and "\x1b[" not in message
    assert str(path) in message and "\n" not in message


@pytest.mark.parametrize("reader", [read_state_dict, load_checkpoint])
def test_pickled_objects_are_named_and_a_safe_way_out_is_given(tmp_path: Path, reader: object) -> None:
    files = _files(tmp_path)
    with pytest.raises(SrkitError, match=r"pickled Python objects besides tensors \(argparse\.Namespace\).*never"):
        reader(files["object"])  # type: ignore[operator]
    with pytest.raises(SrkitError, match=r"\(print\).*convert it to \.safetensors"):
        reader(files["code"])  # type: ignore[operator]
    with pytest.raises(SrkitError, match="not a checkpoint of plain tensors"):
        reader(files["junk"])  # type: ignore[operator]


def test_reason_keeps_other_errors_first_line() -> None:
    assert unsafe_load_reason(RuntimeError("failed finding central directory\nmore")) == (
        "failed finding central directory"
    )
    assert unsafe_load_reason(ValueError("")) == "ValueError"
