"""Official checkpoints load into srkit's models and reproduce the published PSNRs (interoperability).

The files are the authors' releases kept in ``../shared/weights`` (see its MANIFEST.md; override the folder with
``SRKIT_SHARED_WEIGHTS``): IMDN x2/x3/x4 (Zheng222/IMDN), PAN x2/x3/x4 (zhaohengyuan1/PAN, DF2K) and the multi-scale
CARN-M (nmhkahn/CARN-pytorch). Each loads with ``load_state_dict(strict=True)`` once the ``module.`` prefix is
stripped, and each module's ``detect`` finds the constructor arguments.

The benchmark test runs srkit's evaluation runner on Set5 and Set14 (MATLAB-bicubic LR, Y channel,
shave = scale, SR clamped and rounded to uint8) with one difference from srkit's default protocol
(``Protocol(gray_as_rgb=True)``, ``srkit bench --gray-as-rgb``): the grayscale Set14 image (``bridge``) is scored
like the colour ones, on the Y of its three equal channels, as the authors' scripts do (they expand a gray image
to RGB before ``rgb2ycbcr``). Y = 16 + 219/255 * gray shrinks that image's errors, which lifts its PSNR by 1.3 dB
and every Set14 mean by 0.094 dB; with srkit's default (gray compared as gray) the Set14 cells below are 0.094 dB
lower. The 18 evaluations take one to three minutes on two CPU cores: they are ``slow`` (``pytest -m slow``, run
by CI); one cell per model runs in the default suite.

Measured (this protocol) next to the published figures:

============  ==============  ==============  ==============
model         x2 Set5/Set14   x3 Set5/Set14   x4 Set5/Set14
============  ==============  ==============  ==============
IMDN          37.996/33.627   34.360/30.322   32.210/28.582
  published   38.00/33.63     34.36/30.32     32.21/28.58
PAN           38.001/33.593   34.400/30.355   32.131/28.611
  published   38.00/33.59     34.40/30.36     32.13/28.61
CARN-M        37.678/33.303   34.058/30.102   31.883/28.417
  published   37.53/33.26     33.99/30.08     31.92/28.42
============  ==============  ==============  ==============

CARN-M's released ``carn_m.pth`` is not the network of the paper's table: it is 0.15 dB better on Set5 x2 and
0.07 dB on Set5 x3 (the other cells are within 0.05 dB); those two cells are strict ``xfail``\\s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F

import srkit
from srkit import BenchmarkSet, ModelMethod, Protocol, SetResult, evaluate

AUTHORS = Protocol(gray_as_rgb=True)  # the gray Set14 image scored on Y, as the authors' scripts do


@pytest.fixture(scope="session")
def weights() -> Path:
    """``../shared/weights`` (or ``$SRKIT_SHARED_WEIGHTS``); the test is skipped when it is absent."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "weights"
    folder = Path(os.environ.get("SRKIT_SHARED_WEIGHTS") or default)
    if not folder.is_dir():
        pytest.skip(f"../shared/weights not found: {folder} (set SRKIT_SHARED_WEIGHTS to its location)")
    return folder


# file, scale to ask for (PAN x2/x3 do not tell), expected registry name and detected arguments
CHECKPOINTS: dict[str, tuple[str, int | None, str, dict[str, Any]]] = {
    "IMDN_x2": ("IMDN/IMDN_x2.pth", None, "imdn", {"scale": 2, "n_feats": 64, "n_blocks": 6}),
    "IMDN_x3": ("IMDN/IMDN_x3.pth", None, "imdn", {"scale": 3, "n_feats": 64, "n_blocks": 6}),
    "IMDN_x4": ("IMDN/IMDN_x4.pth", None, "imdn", {"scale": 4, "n_feats": 64, "n_blocks": 6}),
    "PANx2": ("PAN/PANx2_DF2K.pth", 2, "pan", {"scale": 2, "n_feats": 40, "n_blocks": 16}),
    "PANx3": ("PAN/PANx3_DF2K.pth", 3, "pan", {"scale": 3, "n_feats": 40, "n_blocks": 16}),
    "PANx4": ("PAN/PANx4_DF2K.pth", None, "pan", {"scale": 4, "n_feats": 40, "n_blocks": 16}),
    "carn_m": ("CARN-M/carn_m.pth", None, "carn_m", {"efficient": True, "groups": 4, "multi_scale": True}),
}


def _load(weights: Path, key: str) -> torch.nn.Module:
    relative, scale, _, _ = CHECKPOINTS[key]
    if not (weights / relative).is_file():
        pytest.skip(f"checkpoint not found: {weights / relative}")
    return srkit.load_model(weights / relative, scale=scale)


@pytest.mark.parametrize("key", list(CHECKPOINTS))
def test_checkpoint_loads_strictly(weights: Path, key: str) -> None:
    model = _load(weights, key)
    relative, _, name, expected = CHECKPOINTS[key]
    assert model.card.name == name
    assert {k: model.hparams[k] for k in expected} == expected
    state = srkit.archs.read_state_dict(weights / relative)
    n_buffers = sum(b.numel() for b in model.buffers())
    assert sum(p.numel() for p in model.parameters()) + n_buffers == sum(v.numel() for v in state.values())
    method = ModelMethod(model)
    # a smooth image (uniform noise is far outside the training data: PAN's released trunk diverges on it)
    coarse = torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    x = F.interpolate(coarse, size=(12, 10), mode="bilinear", align_corners=False)
    for s in method.scales:
        with torch.no_grad():
            y = model(x, s) if key == "carn_m" else model(x)
        assert y.shape == (1, 3, 12 * s, 10 * s)
        smooth = F.interpolate(x, scale_factor=s, mode="bicubic", align_corners=False)
        assert float((y - smooth).abs().mean()) < 0.02  # on a smooth image SR is close to interpolation


# (model, scale, set) -> (published, measured by srkit under the authors' protocol)
CELLS: dict[tuple[str, int, str], tuple[float, float]] = {
    ("IMDN", 2, "Set5"): (38.00, 37.996),
    ("IMDN", 2, "Set14"): (33.63, 33.627),
    ("IMDN", 3, "Set5"): (34.36, 34.360),
    ("IMDN", 3, "Set14"): (30.32, 30.322),
    ("IMDN", 4, "Set5"): (32.21, 32.210),
    ("IMDN", 4, "Set14"): (28.58, 28.582),
    ("PAN", 2, "Set5"): (38.00, 38.001),
    ("PAN", 2, "Set14"): (33.59, 33.593),
    ("PAN", 3, "Set5"): (34.40, 34.400),
    ("PAN", 3, "Set14"): (30.36, 30.355),
    ("PAN", 4, "Set5"): (32.13, 32.131),
    ("PAN", 4, "Set14"): (28.61, 28.611),
    ("CARN-M", 2, "Set5"): (37.53, 37.678),
    ("CARN-M", 2, "Set14"): (33.26, 33.303),
    ("CARN-M", 3, "Set5"): (33.99, 34.058),
    ("CARN-M", 3, "Set14"): (30.08, 30.102),
    ("CARN-M", 4, "Set5"): (31.92, 31.883),
    ("CARN-M", 4, "Set14"): (28.42, 28.417),
}
# IMDN's published SSIMs (PUBLISHED.md); the measured ones agree to 2e-4
IMDN_SSIM = {(2, "Set5"): 0.9605, (2, "Set14"): 0.9177, (3, "Set5"): 0.9270, (3, "Set14"): 0.8417}
IMDN_SSIM |= {(4, "Set5"): 0.8948, (4, "Set14"): 0.7811}
CARN_M_RELEASE = "the released carn_m.pth beats the paper's CARN-M on this cell (not the table's network)"
FILES = {"IMDN": "IMDN/IMDN_x{s}.pth", "PAN": "PAN/PANx{s}_DF2K.pth", "CARN-M": "CARN-M/carn_m.pth"}


def _method(weights: Path, model: str, scale: int) -> ModelMethod:
    path = weights / FILES[model].format(s=scale)
    loaded = srkit.load_model(path, scale=None if model == "CARN-M" else scale)
    return ModelMethod(loaded, name=f"{model} x{scale}")


@pytest.fixture(scope="module")
def benchmark(weights: Path, shared_data: Path) -> dict[tuple[str, int, str], SetResult]:
    """All 18 cells: IMDN and PAN at x2/x3/x4 and the multi-scale CARN-M at each scale, on Set5 and Set14."""
    sets = [BenchmarkSet(shared_data / "bench" / name) for name in ("Set5", "Set14")]
    results: dict[tuple[str, int, str], SetResult] = {}
    for model in FILES:
        for scale in (2, 3, 4):
            for r in evaluate(_method(weights, model, scale), sets, [scale], AUTHORS, progress=False):
                results[(model, scale, r.dataset)] = r
    return results


def _cell_params() -> list[Any]:
    xfails = {("CARN-M", 2, "Set5"), ("CARN-M", 3, "Set5")}
    return [
        pytest.param(
            key,
            id=f"{key[0]}-x{key[1]}-{key[2]}",
            marks=[pytest.mark.xfail(strict=True, reason=CARN_M_RELEASE)] if key in xfails else [],
        )
        for key in CELLS
    ]


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("key", _cell_params())
def test_published_psnr(benchmark: dict[tuple[str, int, str], SetResult], key: tuple[str, int, str]) -> None:
    published, _ = CELLS[key]
    assert benchmark[key].psnr == pytest.approx(published, abs=0.05)


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("key", list(CELLS), ids=[f"{m}-x{s}-{d}" for m, s, d in CELLS])
def test_measured_psnr_is_stable(benchmark: dict[tuple[str, int, str], SetResult], key: tuple[str, int, str]) -> None:
    """The numbers recorded above (and in the docs) are what srkit measures, to 0.01 dB."""
    _, measured = CELLS[key]
    assert benchmark[key].psnr == pytest.approx(measured, abs=0.01)
    if key[0] == "IMDN":
        assert benchmark[key].ssim == pytest.approx(IMDN_SSIM[key[1:]], abs=0.001)


@pytest.mark.shared_data
@pytest.mark.parametrize("model", list(FILES))
def test_published_psnr_x4_set5(weights: Path, shared_data: Path, model: str) -> None:
    """The default suite's share of the table: every model at x4 on Set5 (the slow test does all 18 cells)."""
    published, measured = CELLS[(model, 4, "Set5")]
    (r,) = evaluate(_method(weights, model, 4), [BenchmarkSet(shared_data / "bench" / "Set5")], [4], progress=False)
    assert r.psnr == pytest.approx(published, abs=0.05)
    assert r.psnr == pytest.approx(measured, abs=0.01)
