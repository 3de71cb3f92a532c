"""``srkit models`` and ``srkit bench --model/--weights``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from srkit.cli.main import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_the_zoo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["models", "--no-flops"], capsys)
    assert code == 0
    zoo = out.split("architectures (")[1].splitlines()
    names = [line.split()[0] for line in zoo[3:]]
    assert len(names) >= 25 and {"edsr_baseline", "rcan", "imdn", "swinir", "espcn", "srkit_net"} <= set(names)


def test_models_lists_the_shipped_models_with_their_card_figures(capsys: pytest.CaptureFixture[str]) -> None:
    import srkit

    code, out, _ = _run(["models", "--no-flops"], capsys)
    assert code == 0 and out.startswith("shipped models")
    shipped = out.split("\n\n")[0].splitlines()[3:]
    assert (
        [line.split()[0] for line in shipped]
        == srkit.shipped_models()
        == [
            "srkit",
            "srkit_face_generic_x4",
            "srkit_face_generic_x8",
            "srkit_face_x4",
            "srkit_face_x8",
            "srkit_fast",
            "srkit_hsi_fusion",
            "srkit_hsi_x4",
            "srkit_prior",
            "srkit_real",
            "srkit_real_gan",
        ]
    )
    for line in shipped:
        name = line.split()[0]
        card = srkit.load_model(name).card
        if name.startswith("srkit_face"):  # face models: scored on held-out faces, not Set5/Set14
            key = f"Helen val x{name[-1]}"
            assert f"{key} {card.training[key].split(' /')[0]}" in line and line.split()[4:6] == ["-", "-"]
        elif name.startswith("srkit_hsi"):  # hyperspectral: scored on the held-out CAVE cube
            key = next(k for k in card.training if k.startswith("CAVE balloons x") and "bicubic" not in k)
            assert f"{key} {card.training[key].split(',')[0]}" in line and line.split()[4:6] == ["-", "-"]
        else:
            assert card.training["Set5 x4"] in line and card.training["Set14 x4"] in line
    assert "srkit_net" in shipped[0] and "default" in shipped[0]


@pytest.mark.parametrize("name", ["srkit", "srkit_fast"])
def test_models_shows_a_shipped_card_under_its_name(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, _ = _run(["models", name, "--no-flops"], capsys)
    assert code == 0 and out.startswith(f"{name}: ") and "srkit's shipped weights:" in out and "Set5 x4: " in out


def test_models_card_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "cards.json"
    code, out, _ = _run(["models", "imdn", "--json", str(out_json)], capsys)
    assert code == 0
    assert "parameters x4: 715,176 (paper: 715,000)" in out
    assert "published: Set5 x4 32.21" in out
    assert "FLOPs:" in out and "G for one 64x64 LR input" in out
    (card,) = json.loads(out_json.read_text())
    assert card["name"] == "imdn" and card["flops"] > 0


def test_models_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["models", "nope"], capsys)
    assert code == 1
    assert err.startswith("srkit: error: unknown model 'nope'; available:") and len(err.splitlines()) == 1


def test_bench_model_needs_weights(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["bench", "--model", "imdn", "--no-progress"], capsys)
    assert code == 1 and "needs --weights" in err


def test_bench_bad_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"junk")
    code, _, err = _run(["bench", "--weights", str(junk), "--no-progress"], capsys)
    assert code == 1 and "cannot read checkpoint" in err
    other = tmp_path / "other.pth"
    torch.save({"conv.weight": torch.ones(1, 1, 3, 3)}, other)
    code, _, err = _run(["bench", "--weights", str(other), "--no-progress"], capsys)
    assert code == 1 and "unrecognised checkpoint" in err and "imdn" in err


def _weights() -> Path:
    default = Path(__file__).resolve().parents[2].parent / "shared" / "weights"
    folder = Path(os.environ.get("SRKIT_SHARED_WEIGHTS") or default)
    if not folder.is_dir():
        pytest.skip(f"../shared/weights not found: {folder}")
    return folder


def test_bench_official_weights_on_examples(capsys: pytest.CaptureFixture[str]) -> None:
    pth = _weights() / "IMDN" / "IMDN_x4.pth"
    code, out, _ = _run(
        ["bench", "--weights", str(pth), "--method", "bicubic", "--scale", "4", "--no-progress"], capsys
    )
    assert code == 0
    rows = {
        line.split()[0]: float(line.split()[3]) for line in out.splitlines() if line.startswith(("imdn", "bicubic"))
    }
    assert rows["imdn"] > rows["bicubic"] + 0.3  # a trained network beats bicubic on the bundled examples (+0.66 dB)
    code, _, err = _run(["bench", "--weights", str(pth), "--scale", "2", "--no-progress"], capsys)
    assert code == 1 and "holds a x4 imdn model, not x2" in err


def test_export_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime (srkit[export]) not installed")
    pth = _weights() / "IMDN" / "IMDN_x2.pth"
    out = tmp_path / "imdn.onnx"
    code, text, _ = _run(["export", str(pth), "-o", str(out)], capsys)
    assert code == 0 and out.is_file() and "max difference" in text
    code, _, err = _run(["export", str(pth), "-o", str(out)], capsys)
    assert code == 1 and "pass --overwrite" in err
    code, _, _ = _run(["export", str(pth), "--format", "torchscript", "-o", str(tmp_path / "imdn.pt")], capsys)
    assert code == 0 and (tmp_path / "imdn.pt").is_file()
    code, _, err = _run(["export", str(tmp_path / "missing.pth"), "-o", str(tmp_path / "x.onnx")], capsys)
    assert code == 1 and "checkpoint not found" in err and not (tmp_path / "x.onnx").exists()


def test_models_shows_the_training_record_of_shipped_weights(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "srkit_fast", "--no-flops"]) == 0
    out = capsys.readouterr().out
    assert "srkit's shipped weights:" in out and "recipe: configs/srkit/fast_stage2.yaml" in out and "Set5 x4:" in out
    assert "earlier_steps: 6000" in out and "init: trained on from srkit_fast_stage1" in out  # stage 1 counted


@pytest.mark.parametrize("name", ["srkit", "srkit_fast"])
def test_export_shipped_models(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime (srkit[export]) not installed")
    out = tmp_path / f"{name}.onnx"
    code, text, _ = _run(["export", name, "--scale", "3", "-o", str(out)], capsys)
    assert code == 0 and out.is_file() and "max difference" in text


@pytest.mark.parametrize("name", ["srkit", "srkit_fast"])
def test_models_shows_a_shipped_card_with_its_flops(capsys: pytest.CaptureFixture[str], name: str) -> None:
    assert main(["models", name]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{name}: Srkit") and "FLOPs: unknown" not in out and "G for one 64x64 LR input" in out
