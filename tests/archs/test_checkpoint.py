"""Reading checkpoints safely: formats, wrappers, refusal of pickled code, clear errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from srkit import SrkitError
from srkit.archs import load_state, read_state_dict, unwrap
from srkit.archs.loader import detect_arch


def _state() -> dict[str, torch.Tensor]:
    return {"conv.weight": torch.ones(2, 1, 3, 3), "conv.bias": torch.zeros(2)}


@pytest.mark.parametrize("suffix", [".pth", ".pt", ".ckpt", ".bin"])
def test_torch_formats(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"w{suffix}"
    torch.save(_state(), path)
    assert read_state_dict(path).keys() == _state().keys()


def test_safetensors(tmp_path: Path) -> None:
    path = tmp_path / "w.safetensors"
    save_file(_state(), str(path))
    state = read_state_dict(path)
    assert torch.equal(state["conv.weight"], _state()["conv.weight"])


@pytest.mark.parametrize("wrapper", ["params_ema", "params", "state_dict", "model"])
def test_wrappers_and_prefixes_are_stripped(tmp_path: Path, wrapper: str) -> None:
    path = tmp_path / "w.pth"
    torch.save({wrapper: {f"module.{k}": v for k, v in _state().items()}, "epoch": 3}, path)
    assert sorted(read_state_dict(path)) == ["conv.bias", "conv.weight"]


def test_params_ema_wins_over_params() -> None:
    ema, raw = {"w": torch.ones(1)}, {"w": torch.zeros(1)}
    assert torch.equal(unwrap({"params_ema": ema, "params": raw})["w"], torch.ones(1))


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("pwned",))


def test_pickled_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pth"
    with path.open("wb") as f:
        pickle.dump({"w": _Evil()}, f)
    with pytest.raises(SrkitError, match="a pickle that srkit will not load, since unpickling can run code"):
        read_state_dict(path)


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match="checkpoint not found"):
        read_state_dict(tmp_path / "missing.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(SrkitError, match="cannot read checkpoint"):
        read_state_dict(junk)
    odd = tmp_path / "w.h5"
    odd.write_bytes(b"x")
    with pytest.raises(SrkitError, match=r"unknown checkpoint format '\.h5'"):
        read_state_dict(odd)
    empty = tmp_path / "empty.pth"
    torch.save({"epoch": 1}, empty)
    with pytest.raises(SrkitError, match="holds no state dict"):
        read_state_dict(empty)


def test_mismatch_lists_what_was_expected() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3))
    bad = {"0.weight": torch.ones(3, 1, 3, 3), "extra": torch.ones(1)}
    with pytest.raises(SrkitError, match=r"missing 1 \(e.g. 0.bias\).*unexpected 1 \(e.g. extra\).*shape mismatch"):
        load_state(model, bad)


def test_unknown_architecture_names_what_is_recognised() -> None:
    with pytest.raises(SrkitError, match=r"unrecognised checkpoint.*first keys: conv\.weight"):
        detect_arch(_state())


def test_a_copy_of_a_shipped_file_loads_by_path_with_its_record(tmp_path: Path) -> None:
    import shutil

    import srkit
    from srkit.archs.shipped import shipped_path

    source = shipped_path("srkit_fast")
    assert source is not None
    copy = shutil.copy(source, tmp_path / "mine.safetensors")
    model, shipped = srkit.load_model(copy), srkit.load_model("srkit_fast")
    assert type(model) is type(shipped)
    assert all(
        torch.equal(a, b) for a, b in zip(model.state_dict().values(), shipped.state_dict().values(), strict=True)
    )
    assert srkit.card_of(model).training == srkit.card_of(shipped).training
    assert srkit.card_of(model).training["steps"]
