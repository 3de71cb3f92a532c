"""Community checkpoints through spandrel (the ``srkit[spandrel]`` extra): spandrel architectures built with random
weights, saved in their official layouts, loaded back by ``srkit.load_model`` behind the card contract, and run by
srkit's one image path, tiling, precision, evaluation and export unchanged. srkit's own zoo keeps priority.

spandrel needs torchvision, which needs a torch build of its own (torch 2.14 with torchvision 0.29), so CI runs this
file in a separate environment (.ci/run, constraints-spandrel.txt); elsewhere the spandrel tests skip.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn

import srkit
from srkit.archs import community

try:  # spandrel imports torchvision: a torchvision that does not fit torch fails here, not only a missing one
    import spandrel  # noqa: F401

    HAVE_SPANDREL = True
except Exception:
    HAVE_SPANDREL = False
if os.environ.get("SRKIT_REQUIRE_SPANDREL") and not HAVE_SPANDREL:  # CI's spandrel environment: no silent skip
    raise RuntimeError("SRKIT_REQUIRE_SPANDREL is set but spandrel does not import")
needs_spandrel = pytest.mark.skipif(
    not HAVE_SPANDREL, reason="spandrel is not installed (pip install 'srkit[spandrel]'; CI tests it in its own venv)"
)


def _compact(scale: int = 2) -> nn.Module:
    from spandrel.architectures.Compact import Compact

    return Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=scale)


def _span() -> nn.Module:
    from spandrel.architectures.SPAN import SPAN

    return SPAN(num_in_ch=3, num_out_ch=3, feature_channels=8, upscale=2)


def _omnisr() -> nn.Module:
    from spandrel.architectures.OmniSR import OmniSR

    return OmniSR(num_in_ch=3, num_out_ch=3, num_feat=16, block_num=1, window_size=8, res_num=1, up_scale=2)


def _hat() -> nn.Module:
    from spandrel.architectures.HAT import HAT

    return HAT(
        in_chans=3,
        embed_dim=12,
        depths=(1,),
        num_heads=(2,),
        window_size=4,
        squeeze_factor=6,
        upscale=2,
        num_feat=8,
        drop_path_rate=0.0,
    )


# name: (builder, spandrel's architecture id, scale)
CASES: dict[str, tuple[Callable[[], nn.Module], str, int]] = {
    "compact": (_compact, "Compact", 2),
    "span": (_span, "SPAN", 2),
    "omnisr": (_omnisr, "OmniSR", 2),
    "hat": (_hat, "HAT", 2),
}


def _saved(tmp_path: Path, net: nn.Module, suffix: str = ".pth", wrap: str = "params_ema") -> Path:
    state = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
    path = tmp_path / f"community{suffix}"
    if suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save({wrap: state} if wrap else state, path)
    return path


@needs_spandrel
@pytest.mark.parametrize("case", list(CASES))
def test_official_layout_loads_with_a_card_and_computes_the_same(tmp_path: Path, case: str) -> None:
    build, arch_id, scale = CASES[case]
    torch.manual_seed(0)
    net = build().eval()
    model = srkit.load_model(_saved(tmp_path, net, ".safetensors" if case == "span" else ".pth"))
    card = srkit.card_of(model)
    assert card.name == f"spandrel:{arch_id}" and card.scales == (scale,) and card.scale == scale
    assert (card.in_channels, card.out_channels, card.color, card.scale_arg) == (3, 3, "rgb", False)
    assert card.params[scale] == sum(p.numel() for p in net.parameters())
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(srkit.call_model(model, x), net(x))


@needs_spandrel
def test_upscale_tiles_precision_and_bench_work_unchanged(tmp_path: Path) -> None:
    torch.manual_seed(0)
    path = _saved(tmp_path, _compact(3))
    image = (np.random.default_rng(0).random((200, 172, 3)) * 255).astype(np.uint8)
    whole = srkit.upscale(image, 3, str(path), tile=None)
    tiled = srkit.upscale(image, 3, str(path), tile=160)  # overlap 2 * 16 + 8: four tiles, seams blended
    assert whole.shape == (600, 516, 3) and whole.dtype == np.uint8
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
    half = srkit.upscale(image, 3, str(path), tile=None, precision="bf16")
    assert np.abs(whole.astype(int) - half.astype(int)).mean() < 3
    bench = srkit.ModelMethod(srkit.load_model(path))
    assert bench.scales == (3,) and bench.upscale(image, 3).shape == (600, 516, 3)


@needs_spandrel
def test_export_works_unchanged(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime", reason="onnxruntime (srkit[export]) not installed")
    torch.manual_seed(0)
    model = srkit.load_model(_saved(tmp_path, _span()))
    onnx_path = srkit.export_onnx(model, tmp_path / "span.onnx")
    assert srkit.check_onnx(model, onnx_path) < 1e-4
    ts = srkit.export_torchscript(model, tmp_path / "span.pt")
    assert ts.is_file()


@needs_spandrel
def test_srkit_zoo_keeps_priority(tmp_path: Path) -> None:
    """An RRDBNet (ESRGAN) state dict both srkit and spandrel recognise is srkit's RRDBNet."""
    from spandrel.architectures.ESRGAN import ESRGAN

    net = ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=4)
    model = srkit.load_model(_saved(tmp_path, net, wrap=""))
    assert srkit.card_of(model).name == "rrdbnet"


@needs_spandrel
def test_non_sr_models_are_refused(tmp_path: Path) -> None:
    torch.manual_seed(0)
    with pytest.raises(srkit.SrkitError, match=r"Restoration model at x1: srkit upscales with SR models"):
        srkit.load_model(_saved(tmp_path, _compact(1)))
    bogus = tmp_path / "bogus.pth"
    torch.save({"foo.weight": torch.zeros(3)}, bogus)
    with pytest.raises(srkit.SrkitError, match=r"unrecognised checkpoint .*spandrel \S+ does not recognise it either"):
        srkit.load_model(bogus)


def test_without_spandrel_the_error_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(community, "spandrel_version", lambda: None)
    bogus = tmp_path / "bogus.pth"
    torch.save({"foo.weight": torch.zeros(3)}, bogus)
    with pytest.raises(srkit.SrkitError, match=r"unrecognised checkpoint .* pip install 'srkit\[spandrel\]'"):
        srkit.load_model(bogus)


def test_spandrel_is_optional() -> None:
    """The core never imports spandrel: importing srkit works without it (and without torchvision)."""
    assert importlib.util.find_spec("srkit.archs.community") is not None
    assert "spandrel" not in {m.split(".")[0] for m in srkit.__dict__}


@needs_spandrel
def test_cli_upscale_with_a_community_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from srkit.cli.main import main

    torch.manual_seed(0)
    path = _saved(tmp_path, _compact(2))
    src = tmp_path / "in.png"
    Image.fromarray((np.random.default_rng(1).random((20, 24, 3)) * 255).astype(np.uint8)).save(src)
    assert main(["upscale", str(src), "--model", str(path), "--scale", "2", "-o", str(tmp_path / "out.png")]) == 0
    assert Image.open(tmp_path / "out.png").size == (48, 40)
    assert "spandrel:Compact" in capsys.readouterr().out
