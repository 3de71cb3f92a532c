"""ONNX and TorchScript export of zoo models: numeric agreement with PyTorch at several sizes, metadata, errors."""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import srkit
from srkit import SrkitError
from srkit.inference.export import check_onnx, export_onnx, export_torchscript, onnx_metadata

HAS_ONNX = importlib.util.find_spec("onnx") is not None
HAS_ORT = importlib.util.find_spec("onnxruntime") is not None
needs_onnx = pytest.mark.skipif(not HAS_ONNX, reason="onnx is not installed (pip install onnx)")
needs_ort = pytest.mark.skipif(
    not (HAS_ONNX and HAS_ORT), reason="onnx/onnxruntime not installed (pip install onnx onnxruntime)"
)

# (name, scale, overrides): small settings of zoo models; carn_m is multi-scale and exports at one fixed scale.
CASES: list[tuple[str, int, dict[str, Any]]] = [
    ("espcn", 2, {}),
    ("fsrcnn", 3, {}),
    ("edsr_baseline", 2, {"n_blocks": 2, "n_feats": 16}),
    ("imdn", 2, {"n_blocks": 2, "n_feats": 16}),
    ("pan", 4, {"n_blocks": 2}),
    ("carn_m", 3, {"n_feats": 16, "n_groups": 1, "n_blocks": 1}),
    ("swinir_light", 2, {"n_feats": 12, "depths": (2, 2), "n_heads": (2, 2)}),
]
IDS = [c[0] for c in CASES]


def _build(name: str, scale: int, overrides: dict[str, Any]) -> nn.Module:
    torch.manual_seed(0)
    return srkit.build_model(name, scale=scale, **overrides).eval()


@needs_ort
@pytest.mark.parametrize(("name", "scale", "overrides"), CASES, ids=IDS)
def test_onnx_matches_pytorch_at_two_sizes(tmp_path: Path, name: str, scale: int, overrides: dict[str, Any]) -> None:
    model = _build(name, scale, overrides)
    path = export_onnx(model, tmp_path / f"{name}.onnx")
    assert path == tmp_path / f"{name}.onnx" and path.is_file()
    assert check_onnx(model, path, sizes=((17, 23), (32, 40)), batch=2) <= 1e-4
    meta = onnx_metadata(path)
    card = srkit.model_card(name)
    assert meta == {
        "srkit.name": name,
        "srkit.scale": str(scale),
        "srkit.in_channels": str(card.in_channels),
        "srkit.multiple_of": str(card.multiple_of),
        "srkit.color": card.color,
        "srkit.pixel_range": str(card.pixel_range),
    }
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary file


@needs_ort
def test_onnx_graph_has_named_dynamic_axes(tmp_path: Path) -> None:
    import onnx

    model = _build("espcn", 2, {})
    proto = onnx.load(str(export_onnx(model, tmp_path / "m.onnx", opset=17)))
    assert proto.opset_import[0].version == 17
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert (inp.name, out.name) == ("lr", "sr")
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert dims == ["batch", 1, "height", "width"]


@needs_ort
def test_static_export_rejects_other_sizes(tmp_path: Path) -> None:
    model = _build("espcn", 2, {})
    path = export_onnx(model, tmp_path / "static.onnx", dynamic=False)
    assert check_onnx(model, path, sizes=((16, 16),)) <= 1e-4
    with pytest.raises(SrkitError, match="onnxruntime failed"):
        check_onnx(model, path, sizes=((20, 24),))


@needs_ort
def test_multi_scale_model_exports_each_scale(tmp_path: Path) -> None:
    model = _build("carn_m", 2, {"n_feats": 16, "n_groups": 1, "n_blocks": 1})
    path = export_onnx(model, tmp_path / "x4.onnx", scale=4)
    assert onnx_metadata(path)["srkit.scale"] == "4"
    assert check_onnx(model, path, scale=4, sizes=((9, 11),)) <= 1e-4
    assert check_onnx(model, path, sizes=((9, 11),)) == float("inf")  # compared at x2: the shapes differ


@pytest.mark.parametrize(("name", "scale", "overrides"), CASES, ids=IDS)
def test_torchscript_matches_pytorch(tmp_path: Path, name: str, scale: int, overrides: dict[str, Any]) -> None:
    model = _build(name, scale, overrides)
    path = export_torchscript(model, tmp_path / f"{name}.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        traced = torch.jit.load(str(path))  # type: ignore[no-untyped-call]
    card = srkit.model_card(name)
    for h, w in ((24, 32), (40, 16)):  # multiples of SwinIR's window, and not the traced 16 x 16
        x = torch.rand(2, card.in_channels, h, w, generator=torch.Generator().manual_seed(h))
        with torch.no_grad():
            expected = model(x, scale) if name == "carn_m" else model(x)
            got = traced(x)
        assert got.shape == (2, card.out_channels, scale * h, scale * w)
        assert torch.allclose(got, expected, atol=1e-5)


@needs_onnx
def test_unwritable_or_missing_folder_raises(tmp_path: Path) -> None:
    model = _build("espcn", 2, {})
    with pytest.raises(SrkitError, match="output folder does not exist"):
        export_onnx(model, tmp_path / "missing" / "m.onnx")
    with pytest.raises(SrkitError, match="output path is a folder"):
        export_torchscript(model, tmp_path)
    if os.name == "posix" and os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(SrkitError, match="not writable"):
            export_onnx(model, locked / "m.onnx")


@needs_onnx
def test_failed_export_leaves_old_file(tmp_path: Path) -> None:
    class Broken(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if torch.jit.is_tracing():  # type: ignore[attr-defined,no-untyped-call]
                raise RuntimeError("cannot be traced")
            return torch.nn.functional.interpolate(x, scale_factor=2)

    target = tmp_path / "m.onnx"
    target.write_bytes(b"old")
    broken = srkit.with_card(Broken(), srkit.ModelCard(name="broken", arch="Broken", paper="", scales=(2,)))
    with pytest.raises(SrkitError, match="export"):
        export_onnx(broken, target)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]


def test_not_a_module_and_wrong_scale_raise(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"expected an nn\.Module"):
        export_torchscript("espcn", tmp_path / "m.pt")  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="'espcn' serves x2, not x3"):
        export_torchscript(_build("espcn", 2, {}), tmp_path / "m.pt", scale=3)
    with pytest.raises(SrkitError, match="has no model card"):
        export_torchscript(nn.Conv2d(3, 3, 3), tmp_path / "m.pt")


def test_missing_onnxruntime_names_pip_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "onnxruntime":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(SrkitError, match="pip install onnxruntime"):
        check_onnx(_build("espcn", 2, {}), tmp_path / "m.onnx")
