"""Tiled inference: padding, seam-free blending equal to the untiled output, bands, progress and errors."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import torch
from torch import Tensor, nn

import srkit
from srkit import ModelCard, SrkitError
from srkit.inference import auto_tile_size, crop_to, iter_tiles, pad_to_multiple, upscale_tensor

TOL = 1 / 255


pytestmark = pytest.mark.usefixtures("one_thread")


def _build(name: str, scale: int, **overrides: Any) -> nn.Module:
    torch.manual_seed(0)
    return srkit.build_model(name, scale=scale, **overrides).eval()


def _shuffle_net(scale: int = 2, receptive_field: int = 16) -> nn.Module:
    """An x``scale`` model with a receptive field of 2 LR pixels; its card declares ``receptive_field``."""
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3 * scale**2, 3, padding=1), nn.PixelShuffle(scale)
    ).eval()
    card = ModelCard(name="shuffle", arch="Sequential", paper="-", scales=(scale,), receptive_field=receptive_field)
    return srkit.with_card(net, card)


# ---------------------------------------------------------------------------------------------- padding


def test_pad_to_multiple_reflects_and_crops_back() -> None:
    x = torch.rand(2, 3, 13, 17)
    padded, size = pad_to_multiple(x, 8)
    assert padded.shape == (2, 3, 16, 24) and size == (13, 17)
    torch.testing.assert_close(padded[..., :13, :17], x)
    torch.testing.assert_close(padded[..., 13, :17], x[..., 11, :])  # reflect: row 13 mirrors row 11
    torch.testing.assert_close(padded[..., :13, 17], x[..., :, 15])
    torch.testing.assert_close(crop_to(padded, size), x)
    assert crop_to(torch.zeros(1, 3, 32, 48), (13, 17), scale=2).shape == (1, 3, 26, 34)


def test_pad_to_multiple_noop_replicate_and_min_size() -> None:
    x = torch.rand(1, 1, 16, 8)
    assert pad_to_multiple(x, 8)[0] is x
    small = torch.rand(1, 1, 3, 2)
    padded, _ = pad_to_multiple(small, 8)  # pad (5, 6) >= size: replicate
    assert padded.shape == (1, 1, 8, 8)
    torch.testing.assert_close(padded[..., 7, 7], small[..., 2, 1])
    assert pad_to_multiple(torch.rand(1, 3, 5, 9), 4, min_size=12)[0].shape == (1, 3, 12, 12)


@pytest.mark.parametrize(("shape", "multiple"), [((3, 8, 8), 8), ((1, 3, 8, 8), 0)])
def test_pad_to_multiple_rejects_bad_input(shape: tuple[int, ...], multiple: int) -> None:
    with pytest.raises(SrkitError, match=r"pad_to_multiple|multiple"):
        pad_to_multiple(torch.rand(shape), multiple)


# ---------------------------------------------------------------------------------------------- equality

CASES = [
    # name, build scale, overrides, call scale, LR size (odd), tile, overlap
    ("edsr_baseline", 2, {"n_blocks": 2, "n_feats": 16}, None, (37, 53), 24, 16),
    ("espcn", 3, {}, 3, (37, 53), 20, 12),
    ("carn_m", 2, {"n_feats": 16}, 3, (37, 53), 24, 16),  # multi-scale model called at x3
    ("swinir_light", 2, {"n_feats": 12, "depths": (2,), "n_heads": (2,), "window_size": 4}, 2, (45, 51), 32, 24),
]


@pytest.mark.parametrize(("name", "built", "overrides", "scale", "size", "tile", "overlap"), CASES)
def test_tiled_equals_untiled(
    name: str, built: int, overrides: dict[str, Any], scale: int | None, size: tuple[int, int], tile: int, overlap: int
) -> None:
    model = _build(name, built, **overrides)
    card = model.card
    assert isinstance(card, ModelCard)
    x = torch.rand(2, card.in_channels, *size, generator=torch.Generator().manual_seed(1))
    before = x.clone()
    ref = upscale_tensor(model, x, scale=scale)
    calls: list[tuple[int, int]] = []
    out = upscale_tensor(model, x, scale=scale, tile=tile, overlap=overlap, on_tile=lambda d, t: calls.append((d, t)))
    s = scale or built
    assert out.shape == ref.shape == (2, card.out_channels, s * size[0], s * size[1])
    assert (out - ref).abs().max().item() <= TOL
    assert len(calls) > 1 and calls == [(i + 1, len(calls)) for i in range(len(calls))]
    torch.testing.assert_close(x, before, rtol=0, atol=0)  # the input is never written


def test_multi_scale_output_differs_per_scale() -> None:
    model = _build("carn_m", 2, n_feats=16)
    x = torch.rand(1, 3, 20, 20)
    assert upscale_tensor(model, x, scale=4, tile=16, overlap=8).shape == (1, 3, 80, 80)
    assert upscale_tensor(model, x).shape == (1, 3, 40, 40)


def test_tile_larger_than_image_is_one_tile() -> None:
    model = _shuffle_net()
    x = torch.rand(1, 3, 11, 7)
    calls: list[tuple[int, int]] = []
    out = upscale_tensor(model, x, tile=64, overlap=8, on_tile=lambda d, t: calls.append((d, t)))
    with torch.no_grad():
        torch.testing.assert_close(out, model(x))
    assert calls == [(1, 1)]


def test_bands_concatenate_in_order_and_count_tiles() -> None:
    model = _shuffle_net()  # card: receptive field 16, so the margin is capped at (overlap - 1) // 2
    x = torch.rand(1, 3, 61, 47, dtype=torch.float64)
    calls: list[tuple[int, int]] = []
    bands = list(iter_tiles(model, x, tile=24, overlap=10, on_tile=lambda d, t: calls.append((d, t))))
    # tile starts every 14 px: rows 0, 14, 28, 42 (42 + 24 >= 61) and columns 0, 14, 28 (28 + 24 >= 47)
    assert len(bands) == 4 and calls[-1] == (12, 12) and len(calls) == 12
    assert bands[0][0] == 0 and bands[-1][1] == 122
    for (_, end, _), (start, _, _) in itertools.pairwise(bands):
        assert end == start
    for y0, y1, rows in bands:
        assert rows.shape == (1, 3, y1 - y0, 94) and rows.dtype == torch.float32
    full = torch.cat([b for _, _, b in bands], dim=-2)
    out = upscale_tensor(model, x, tile=24, overlap=10)
    assert out.dtype == torch.float64
    torch.testing.assert_close(full.double(), out)
    with torch.no_grad():
        ref = model(x.float()).double()
    assert (out - ref).abs().max().item() < 1e-5


def test_blend_weights_are_smooth_across_the_seam() -> None:
    """A constant-output model: the blended output must stay exactly constant (weights normalise everywhere)."""

    class Const(nn.Module):
        def forward(self, x: Tensor) -> Tensor:
            return torch.full((x.shape[0], 3, 2 * x.shape[-2], 2 * x.shape[-1]), 0.5)

    const = srkit.with_card(Const(), ModelCard(name="const", arch="Const", paper="-", scales=(2,)))
    out = upscale_tensor(const, torch.rand(1, 3, 50, 50), tile=20, overlap=12)
    torch.testing.assert_close(out, torch.full((1, 3, 100, 100), 0.5))


# ---------------------------------------------------------------------------------------------- auto / no tiling


def test_auto_tile_size_follows_budget_and_multiple() -> None:
    model = _build("swinir_light", 2, n_feats=12, depths=(2,), n_heads=(2,), window_size=4)
    small = auto_tile_size(model, scale=2, budget_bytes=1 << 20)
    mid = auto_tile_size(model, scale=2, budget_bytes=1 << 30)
    assert small == 64 and mid % 8 == 0 and 64 < mid <= 4096
    assert auto_tile_size(model, scale=4, budget_bytes=1 << 30) <= mid
    assert auto_tile_size(model, scale=2, budget_bytes=1 << 50) == 4096
    x = torch.rand(1, 3, 21, 19)
    torch.testing.assert_close(upscale_tensor(model, x, tile="auto"), upscale_tensor(model, x))


def _global_model() -> nn.Module:
    model = _shuffle_net()
    card = ModelCard(name="globalnet", arch="Global", paper="-", scales=(2,), tiling=False)
    object.__setattr__(model, "card", card)
    return model


def test_untileable_model_refuses_tiles_but_runs_whole() -> None:
    model = _global_model()
    x = torch.rand(1, 3, 40, 40)
    with pytest.raises(SrkitError, match="'globalnet' cannot be tiled"):
        upscale_tensor(model, x, tile=16, overlap=8)
    assert upscale_tensor(model, x, tile=64, overlap=8).shape == (1, 3, 80, 80)  # fits in one tile
    calls: list[tuple[int, int]] = []
    upscale_tensor(model, x, tile="auto", on_tile=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tile": -1}, "tile must be a positive int"),
        ({"tile": "big"}, "tile must be a positive int"),
        ({"tile": 16, "overlap": 16}, r"overlap \(16\) must be smaller than tile \(16\)"),
        ({"tile": 16, "overlap": -1}, "overlap must be >= 0"),
        ({"tile": 16}, "from receptive field 16"),  # default overlap 2 * 16 + 8 = 40 >= 16
        ({"scale": 3}, "'shuffle' serves x2, not x3"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        upscale_tensor(_shuffle_net(), torch.rand(1, 3, 40, 40), **kwargs)


def test_bad_input_shape_raises() -> None:
    with pytest.raises(SrkitError, match=r"\(B, C, H, W\)"):
        upscale_tensor(_shuffle_net(), torch.rand(3, 40, 40))
    with pytest.raises(SrkitError, match=r"\(B, C, H, W\)"):
        upscale_tensor(_shuffle_net(), torch.zeros(1, 3, 8, 8, dtype=torch.int32))


def test_uint8_input_is_made_float_per_tile() -> None:
    net = _shuffle_net()
    x = torch.randint(0, 256, (1, 3, 40, 36), dtype=torch.uint8)
    out = upscale_tensor(net, x, tile=24, overlap=16)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, upscale_tensor(net, x.float() / 255, tile=24, overlap=16))


def test_tile_zero_means_no_tiling() -> None:
    model, x = _shuffle_net(), torch.rand(1, 3, 40, 40)
    calls: list[tuple[int, int]] = []
    out = upscale_tensor(model, x, tile=0, overlap=8, on_tile=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 1)]
    torch.testing.assert_close(out, upscale_tensor(model, x, tile=None))


def test_check_tile_minimum_is_four_overlaps() -> None:
    from srkit.inference.tiling import check_tile, default_overlap

    assert default_overlap(19) == 46 and default_overlap(6) == 20 and default_overlap(0) == 8
    assert check_tile(0, 46) is None and check_tile("auto", 46) == "auto" and check_tile(184, 46) == 184
    with pytest.raises(SrkitError, match=r"tile 64 is too small for x: .* 18 new px per side .* about 13x over"):
        check_tile(64, 46, name="x")
