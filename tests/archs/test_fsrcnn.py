"""FSRCNN and FSRCNN-s: both tails, state-dict detection, yjn870's weights (when ../shared/weights is present)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit.archs.fsrcnn import FSRCNN, ZOO, detect, fsrcnn, fsrcnn_s


def _weights_dir() -> Path:
    default = Path(__file__).resolve().parents[2].parent / "shared" / "weights"
    folder = Path(os.environ.get("SRKIT_SHARED_WEIGHTS") or default)
    if not folder.is_dir():
        pytest.skip(f"../shared/weights not found: {folder} (set SRKIT_SHARED_WEIGHTS to its location)")
    return folder


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("tail", ["deconv", "subpixel"])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_shape_and_gradients(tail: str, scale: int) -> None:
    torch.manual_seed(0)
    m = fsrcnn_s(scale=scale, tail=tail)
    x = torch.rand(2, 1, 7, 9)
    x0 = x.clone()
    y = m(x)
    assert y.shape == (2, 1, 7 * scale, 9 * scale)
    assert torch.equal(x, x0)
    y.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_key_names_follow_yjn870() -> None:
    keys = set(fsrcnn(scale=3).state_dict())
    assert {"first_part.0.weight", "first_part.1.weight", "mid_part.11.weight", "last_part.weight"} <= keys
    assert len(keys) == 23
    assert {"last_part.conv.weight", "last_part.bias"} <= set(fsrcnn(scale=3, tail="subpixel").state_dict())


def test_errors() -> None:
    with pytest.raises(SrkitError, match="tail"):
        FSRCNN(tail="pixelshuffle")
    with pytest.raises(SrkitError, match="integer scale"):
        FSRCNN(scale=1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("builder", [fsrcnn, fsrcnn_s])
@pytest.mark.parametrize("tail", ["deconv", "subpixel"])
def test_detect_round_trip(builder: Callable[..., FSRCNN], tail: str) -> None:
    m = builder(scale=4, tail=tail)
    args = detect({f"module.{k}": v for k, v in m.state_dict().items()})
    assert args is not None
    if tail == "deconv":
        assert "scale" not in args  # a deconvolution's stride is not stored in its weights
        args["scale"] = 4
    rebuilt = FSRCNN(**args)
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    assert rebuilt.hparams == m.hparams


def test_detect_rejects_other_state_dicts() -> None:
    assert detect({"conv.weight": torch.zeros(1, 1, 3, 3)}) is None
    state = fsrcnn(scale=2).state_dict()
    state["mid_part.2.weight"] = torch.zeros(12, 12, 5, 5)
    assert detect(state) is None
    del state["last_part.weight"]
    assert detect(state) is None


def test_rebuild_from_hparams() -> None:
    m = fsrcnn(scale=3, tail="subpixel").eval()
    rebuilt = type(m)(**m.hparams).eval()
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 1, 8, 8)
    assert torch.equal(rebuilt(x), m(x))


@pytest.mark.parametrize(("builder", "card"), ZOO, ids=[c.name for _, c in ZOO])
def test_parameter_counts(builder: Callable[..., FSRCNN], card: ModelCard) -> None:
    for scale in card.scales:
        assert _n_params(builder(scale=scale)) == card.params[scale]


@pytest.mark.parametrize(("builder", "paper"), [(fsrcnn, 12_464), (fsrcnn_s, 3_937)])
def test_weights_only_count_is_the_papers(builder: Callable[..., FSRCNN], paper: int) -> None:
    """The paper counts convolution weights only: 12,464 for (56, 12, 4), 3,937 for (32, 5, 1)."""
    m = builder(scale=2)
    assert sum(p.numel() for n, p in m.named_parameters() if n.endswith("weight") and p.ndim == 4) == paper


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_yjn870_weights_load_and_beat_bicubic(scale: int, shared_data: Path) -> None:
    """yjn870/FSRCNN-pytorch's checkpoints load with strict=True and beat bicubic on Set5 "bird" (Y, BI)."""
    from srkit.data.io import read_image
    from srkit.frameworks.base import interpolate
    from srkit.functional.color import rgb_to_y
    from srkit.metrics.psnr import psnr

    path = _weights_dir() / "FSRCNN_yjn870" / f"fsrcnn_x{scale}.pth"
    state = torch.load(path, map_location="cpu", weights_only=True)
    args = detect(state)
    expected = {"in_channels": 1, "out_channels": 1, "n_feats": 56, "n_shrink": 12, "n_layers": 4, "tail": "deconv"}
    assert args == expected
    model = FSRCNN(scale=scale, **args).eval()
    model.load_state_dict(state, strict=True)
    folder = shared_data / "bench" / "Set5_matlab_pairs" / f"image_SRF_{scale}"
    hr = rgb_to_y(read_image(folder / f"img_002_SRF_{scale}_HR.png", gray_to_rgb=True)) / 255.0
    lr = rgb_to_y(read_image(folder / f"img_002_SRF_{scale}_LR.png", gray_to_rgb=True)) / 255.0
    x = torch.from_numpy(lr.astype(np.float32))[None, None]
    with torch.no_grad():
        sr = model(x)[0, 0].clamp(0, 1).double().numpy()
        bic = interpolate(x, scale, "matlab")[0, 0].clamp(0, 1).double().numpy()
    assert psnr(sr, hr, crop_border=scale) > psnr(bic, hr, crop_border=scale) + 0.5
