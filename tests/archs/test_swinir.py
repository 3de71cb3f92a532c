"""SwinIR (Liang et al. 2021) and its Swin layers: windows, relative positions, shift masks, locality, counts."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs._swin import (
    SwinTransformerBlock,
    WindowAttention,
    relative_position_index,
    shifted_window_mask,
    window_partition,
    window_reverse,
)
from srkit.archs.swinir import ZOO, SwinIR, swinir, swinir_light

TINY: dict[str, Any] = {"n_feats": 12, "depths": (2, 2), "n_heads": (2, 3), "window_size": 4}
CARDS = {card.name: card for _, card in ZOO}
TABLES = {"swinir": 36 * 15 * 15 * 6, "swinir_light": 24 * 15 * 15 * 6}  # relative-position bias parameters


@pytest.mark.parametrize("builder", [swinir, swinir_light], ids=lambda b: b.__name__)
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card_and_paper(builder: Any, scale: int) -> None:
    card = CARDS[builder.__name__]
    with torch.device("meta"):
        model = builder(scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale]
    paper = {
        "swinir": {2: 11_750_000, 3: 11_940_000, 4: 11_900_000},
        "swinir_light": {2: 878_000, 3: 886_000, 4: 897_000},
    }[card.name][scale]
    if card.published_params:
        assert card.published_params[scale] == paper
        assert abs(count - paper) <= 0.01 * paper
    else:  # the lightweight paper figures leave out the relative-position tables (see the card)
        assert abs(count - TABLES[card.name] - paper) <= 0.001 * paper


def test_window_partition_round_trip() -> None:
    x = torch.arange(2 * 8 * 12 * 3, dtype=torch.float32).view(2, 8, 12, 3)
    windows = window_partition(x, 4)
    assert windows.shape == (2, 6, 16, 3)
    assert torch.equal(windows[0, 1, 0], x[0, 0, 4])  # second window starts at column 4
    assert torch.equal(windows[0, 3, 5], x[0, 5, 1])  # window (1, 0), row 1, column 1
    assert torch.equal(window_reverse(windows, 4, 8, 12), x)


def test_relative_position_index_depends_only_on_the_offset() -> None:
    ws = 3
    index = relative_position_index(ws)
    coords = [(i, j) for i in range(ws) for j in range(ws)]
    for a, (ya, xa) in enumerate(coords):
        for b, (yb, xb) in enumerate(coords):
            assert index[a, b] == (ya - yb + ws - 1) * (2 * ws - 1) + (xa - xb + ws - 1)
    assert index.min() == 0 and index.max() == (2 * ws - 1) ** 2 - 1


def test_shift_mask_separates_the_rolled_regions() -> None:
    mask = shifted_window_mask(8, 8, 4, 2, device=torch.device("cpu"), dtype=torch.float32)
    assert mask.shape == (4, 16, 16)
    assert torch.equal(mask[0], torch.zeros(16, 16))  # the first window holds one region
    assert set(mask.unique().tolist()) == {0.0, -100.0}
    assert torch.equal(mask, mask.transpose(1, 2))
    # last window: rows 4..7 and columns 4..7 of the rolled image; tokens (0, 0) and (3, 3) come from
    # different corners of the original image, tokens (0, 0) and (1, 1) from the same
    assert mask[3, 0, 15] == -100.0 and mask[3, 0, 5] == 0.0


def test_window_attention_matches_the_formula() -> None:
    torch.manual_seed(0)
    attn = WindowAttention(dim=8, window_size=2, n_heads=2)
    x = torch.randn(3, 2, 4, 8)
    mask = torch.zeros(2, 4, 4)
    mask[1, 0, 3] = mask[1, 3, 0] = -100.0
    q, k, v = attn.qkv(x).view(3, 2, 4, 3, 2, 4).permute(3, 0, 1, 4, 2, 5)
    bias = attn.relative_position_bias_table[attn.relative_position_index.view(-1)].view(4, 4, 2).permute(2, 0, 1)
    weights = torch.softmax(q @ k.transpose(-1, -2) / 2.0 + bias + mask[:, None], dim=-1)
    expected = attn.proj((weights @ v).transpose(2, 3).reshape(3, 2, 4, 8))
    torch.testing.assert_close(attn(x, mask), expected)


@pytest.mark.parametrize("shift", [0, 2])
def test_attention_stays_inside_the_windows(shift: int) -> None:
    """Unshifted: a change in window (0, 0) stays in it; shifted: it reaches the windows of the shifted grid."""
    torch.manual_seed(0)
    block = SwinTransformerBlock(8, 2, 4, shift, 2.0, True, 0.0).eval()
    mask = shifted_window_mask(8, 8, 4, 2, device=torch.device("cpu"), dtype=torch.float32)
    x = torch.randn(1, 64, 8)
    y = x.clone()
    y[0, 3 * 8 + 3] += 1.0  # pixel (3, 3): window (0, 0) of the plain grid
    with torch.no_grad():
        changed = (block(x, (8, 8), mask) - block(y, (8, 8), mask)).abs().sum(-1).view(8, 8) > 0
    rows, cols = changed.nonzero().T
    if shift == 0:
        assert rows.max() < 4 and cols.max() < 4
    else:  # the shifted window covering (3, 3) spans rows and columns 2..5
        assert rows.min() == 2 and rows.max() == 5 and cols.min() == 2 and cols.max() == 5


@pytest.mark.parametrize(("upsampler", "scale"), [("pixelshuffle", 2), ("pixelshuffle", 3), ("pixelshuffledirect", 4)])
@pytest.mark.parametrize("size", [(8, 8), (5, 11), (2, 3)])  # (2, 3): too small to reflect-pad
def test_any_size_gives_scale_times_the_size(upsampler: str, scale: int, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    model = SwinIR(scale=scale, upsampler=upsampler, **TINY)
    x = torch.rand(2, 3, *size)
    before = x.clone()
    y = model(x)
    assert y.shape == (2, 3, size[0] * scale, size[1] * scale)
    assert torch.equal(x, before)
    y.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_official_key_layout() -> None:
    with torch.device("meta"):
        classical_model, light_model = swinir(scale=4), swinir_light(scale=3)
    classical = {k: tuple(v.shape) for k, v in classical_model.state_dict().items()}
    block = "layers.5.residual_group.blocks.5."
    assert classical[block + "attn.relative_position_bias_table"] == (225, 6)
    assert classical[block + "attn.qkv.weight"] == (540, 180) and classical[block + "mlp.fc1.weight"] == (360, 180)
    assert classical["patch_embed.norm.weight"] == (180,) and classical["layers.0.conv.weight"] == (180, 180, 3, 3)
    assert classical["conv_before_upsample.0.weight"] == (64, 180, 3, 3)
    assert classical["upsample.0.weight"] == classical["upsample.2.weight"] == (256, 64, 3, 3)
    assert classical["conv_last.weight"] == (3, 64, 3, 3)
    light = {k: tuple(v.shape) for k, v in light_model.state_dict().items()}
    assert light["upsample.0.weight"] == (27, 60, 3, 3) and "conv_last.weight" not in light
    assert not any("relative_position_index" in k or "attn_mask" in k for k in classical)


def test_drop_path_is_random_in_training_only() -> None:
    torch.manual_seed(0)
    model = SwinIR(scale=2, upsampler="pixelshuffledirect", drop_path=0.5, **TINY)
    rates = [b.drop_path.p for layer in model.layers for b in layer.residual_group.blocks]
    assert rates[0] == 0.0 and rates[-1] == pytest.approx(0.5) and rates == sorted(rates)
    x = torch.rand(4, 3, 8, 8)
    with torch.no_grad():
        assert not torch.equal(model(x), model(x))
        model.eval()
        assert torch.equal(model(x), model(x))


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="upsampler"):
        SwinIR(scale=2, upsampler="nearest", **TINY)
    with pytest.raises(SrkitError, match="pixelshuffle"):
        SwinIR(scale=5, **TINY)
    with pytest.raises(SrkitError, match="n_heads"):
        SwinIR(scale=2, n_feats=12, depths=(2,), n_heads=(2, 2))
    with pytest.raises(SrkitError, match="divide"):
        SwinIR(scale=2, n_feats=10, depths=(2,), n_heads=(3,))
