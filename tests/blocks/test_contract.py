"""One contract over every registered block and upsampler (STYLE.md rule 14)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import nn

from srkit.blocks import BLOCKS, UPSAMPLERS, build_block, build_upsampler

N = 8  # features in the contract: tiny, so that the whole registry runs in seconds

# Small settings per block (the paper defaults are far too large for a unit test).
SMALL: dict[str, dict[str, Any]] = {
    "recursive": {"n_recursions": 2, "unit": {"block": "resblock"}},
    "recursive_residual": {"n_units": 2},
    "channel_attention": {"reduction": 4},
    "rcab": {"reduction": 4},
    "residual_group": {"n_blocks": 2, "reduction": 4},
    "dense_block": {"growth": 4, "n_layers": 2},
    "rdb": {"growth": 4, "n_layers": 2},
    "residual_dense_block": {"growth": 4},
    "rrdb": {"growth": 4},
    "imdb": {"reduction": 4},
    "scale_specific": {"scales": (2, 3), "n_blocks": 1},
    "sequential_refiner": {"patch_size": 4, "n_steps": 2, "hidden": 4},
    "wavelet_body": {"n_layers": 2},
    "wavelet_sr": {"in_channels": 3, "n_layers": 2},
    "feedback": {"n_groups": 2, "scale": 2},
    "feedback_loop": {"n_groups": 2, "scale": 2, "n_steps": 2},
    "up_projection": {"scale": 2},
    "down_projection": {"scale": 2},
    "laplacian_step": {"depth": 1, "in_channels": 3},
    "multipath_global": {"depth": 2},
}


def _inputs(name: str, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    feats = torch.rand(2, N, 8, 8, generator=g, dtype=dtype)
    if name == "wavelet_sr":
        return (torch.rand(2, 3, 8, 8, generator=g, dtype=dtype),)
    if name == "laplacian_step":
        return feats, torch.rand(2, 3, 8, 8, generator=g, dtype=dtype)
    return (feats,)


def _call(name: str) -> Callable[[nn.Module, tuple[torch.Tensor, ...]], Any]:
    if name == "scale_specific":
        return lambda m, xs: m(*xs, 2)
    return lambda m, xs: m(*xs)


def _expected_shapes(name: str, xs: tuple[torch.Tensor, ...]) -> list[tuple[int, ...]]:
    b, c, h, w = xs[0].shape
    role = BLOCKS.get(name).role
    if name == "laplacian_step":
        return [(b, c, 2 * h, 2 * w), (b, 3, 2 * h, 2 * w)]
    if role == "upsample":
        return [(b, c, 2 * h, 2 * w)]
    if role == "downsample":
        return [(b, c, h // 2, w // 2)]
    return [tuple(xs[0].shape)]


def _flat(out: Any) -> list[torch.Tensor]:
    return list(out) if isinstance(out, list | tuple) else [out]


def _build(name: str) -> nn.Module:
    return build_block({"block": name, **SMALL.get(name, {})}, n_feats=N)


@pytest.mark.parametrize("name", BLOCKS.names())
def test_block_contract(name: str) -> None:
    torch.manual_seed(0)
    m = _build(name)
    xs = _inputs(name)
    before = [x.clone() for x in xs]
    outs = _flat(_call(name)(m, xs))
    # shape, no NaN, input untouched
    assert [tuple(o.shape) for o in outs] == _expected_shapes(name, xs)
    assert all(torch.isfinite(o).all() for o in outs)
    for x, b in zip(xs, before, strict=True):
        assert torch.equal(x, b), f"{name} modified its input"
    # gradients reach every parameter
    sum(o.square().mean() for o in outs).backward()  # type: ignore[union-attr]
    if name == "scale_specific":  # only the head of the scale in use takes part
        _flat(m(*xs, 3))[0].square().mean().backward()
    # Every parameter is in the graph (a dead ReLU at a random initialisation may still give a zero gradient).
    missing = [n for n, p in m.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, f"{name}: no gradient for {missing}"
    assert sum(float(p.grad.abs().sum()) for p in m.parameters() if p.grad is not None) > 0


@pytest.mark.parametrize("name", BLOCKS.names())
def test_block_rebuilds_from_hparams(name: str) -> None:
    m = _build(name)
    rebuilt = type(m)(**m.hparams)
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    xs = _inputs(name)
    m.eval()
    rebuilt.eval()
    with torch.no_grad():
        for a, b in zip(_flat(_call(name)(m, xs)), _flat(_call(name)(rebuilt, xs)), strict=True):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name", BLOCKS.names())
def test_block_keeps_dtype(name: str) -> None:
    m = _build(name).double()
    outs = _flat(_call(name)(m, _inputs(name, torch.float64)))
    assert all(o.dtype == torch.float64 for o in outs)


@pytest.mark.parametrize("name", [n for n in BLOCKS.names() if n not in ("scale_specific",)])
def test_block_traces(name: str) -> None:
    m = _build(name).eval()
    xs = _inputs(name)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(m, xs, strict=False)
        for a, b in zip(_flat(traced(*xs)), _flat(m(*xs)), strict=True):
            torch.testing.assert_close(a, b)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", BLOCKS.names())
def test_block_keeps_device(name: str) -> None:
    m = _build(name).cuda()
    outs = _flat(_call(name)(m, tuple(x.cuda() for x in _inputs(name))))
    assert all(o.is_cuda for o in outs)


UPSAMPLER_SCALES = {
    "interpolation": [1, 2, 3, 4, 8],
    "transposed": [1, 2, 3, 4, 8],
    "subpixel": [1, 2, 3, 4, 6, 8],
    "meta": [1.5, 2, 2.7, 4],
}


@pytest.mark.parametrize(("kind", "scale"), [(k, s) for k in UPSAMPLERS.names() for s in UPSAMPLER_SCALES[k]])
def test_upsampler_contract(kind: str, scale: float) -> None:
    torch.manual_seed(0)
    m = build_upsampler({"type": kind, "scale": scale}, in_channels=N, out_channels=3)
    x = torch.rand(2, N, 7, 5)
    before = x.clone()
    y = m(x)
    assert y.shape == (2, 3, math.ceil(7 * scale - 1e-9), math.ceil(5 * scale - 1e-9))
    assert torch.equal(x, before)
    y.square().mean().backward()
    assert all(p.grad is not None for p in m.parameters())
    assert m.double()(x.double()).dtype == torch.float64
    rebuilt = type(m)(**m.hparams)
    rebuilt.load_state_dict(m.state_dict(), strict=True)


def test_meta_upscale_one_model_many_scales() -> None:
    m = build_upsampler({"type": "meta"}, in_channels=N, out_channels=3)
    x = torch.rand(1, N, 10, 10)
    assert [tuple(m(x, s).shape[-2:]) for s in (1.5, 2.7, 3.0)] == [(15, 15), (27, 27), (30, 30)]


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_subpixel_icnr_starts_checkerboard_free(scale: int) -> None:
    """ICNR: every sub-pixel of a shuffled block starts with the same kernel, so the output of a fresh layer is
    nearest-neighbour upsampling of one convolution: constant within each scale x scale cell."""
    m = build_upsampler({"type": "subpixel", "scale": scale, "stepwise": False}, in_channels=N, out_channels=3)
    y = m(torch.rand(1, N, 6, 6))
    cells = y.unfold(2, scale, scale).unfold(3, scale, scale)  # (1, 3, 6, 6, s, s)
    torch.testing.assert_close(cells, cells[..., :1, :1].expand_as(cells))


@pytest.mark.parametrize("s", [2, 3, 4])
def test_pixel_shuffle_inverse(s: int) -> None:
    x = torch.rand(2, 2 * s * s, 5, 7)
    y = nn.functional.pixel_shuffle(x, s)
    assert y.shape == (2, 2, 5 * s, 7 * s)
    assert torch.equal(nn.functional.pixel_unshuffle(y, s), x)


def test_registry_refuses_duplicates() -> None:
    entry = BLOCKS.get("resblock")
    with pytest.raises(ValueError, match="already registered"):
        BLOCKS.register("resblock", entry)


def test_every_block_is_documented() -> None:
    """docs/composition.md maps the survey's taxonomy onto srkit names: every registered name must appear."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "composition.md").read_text(encoding="utf-8")
    missing = [n for n in [*BLOCKS.names(), *UPSAMPLERS.names()] if f"`{n}`" not in doc]
    assert not missing, f"not in docs/composition.md: {missing}"
