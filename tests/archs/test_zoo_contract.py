"""One contract over every registered model of the zoo (STYLE.md rules 14 and 16).

Each card is checked against the module's real behaviour: how ``forward`` is called (``scale_arg``), which scales
one instance serves (``multi_scale``), the channels and colour space, what ``forward_all`` returns, the float32
image path under bf16 weights (``float32_io``), the size rules (``multiple_of``, ``min_size``) and the receptive
field that tiling relies on. Shapes, NaN, gradients, input untouched and the hparams round trip run on the smallest
settings of each model (a few blocks, few features); parameter counts use the full default models, built on the
meta device (no memory, no time), and must equal the card, which must be within 1% of the paper's figure.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import torch
from torch import nn

from srkit import call_model, call_model_all, card_of
from srkit._core.cards import ModelCard
from srkit.archs import MODELS, build_model
from srkit.blocks._build import accepts
from srkit.inference import run_piece

# Shrinks a model for the behavioural checks: applied where the constructor takes the argument.
TINY: dict[str, Any] = {
    "n_feats": 16,
    "n_blocks": 1,
    "n_groups": 1,
    "n_layers": 2,
    "n_units": 2,
    "n_recursions": 2,
    "n_stages": 2,
    "n_steps": 2,
    "n_modules": 1,
    "n_memories": 1,
    "depth": 1,
    "growth": 8,
}
# Per-model adjustments where the generic shrink does not fit (names follow each constructor).
TINY_BY_MODEL: dict[str, dict[str, Any]] = {
    "swinir": {"n_feats": 12, "depths": (2, 2), "n_heads": (2, 2)},
    "swinir_light": {"n_feats": 12, "depths": (2, 2), "n_heads": (2, 2)},
}


def _sr_models() -> list[str]:
    """Image-to-image SR models (discriminators and cube models left out: tests/hsi checks those); a noise-map
    model's input has one more channel."""
    cards = [MODELS.get(n).card for n in MODELS.names()]
    return [c.name for c in cards if c.kind == "image" and c.in_channels - c.noise_map == c.out_channels]


def _cases() -> list[tuple[str, int]]:
    return [(n, s) for n in _sr_models() for s in MODELS.get(n).card.scales]


def _tiny(name: str, scale: int) -> nn.Module:
    entry = MODELS.get(name)
    with torch.device("meta"):
        probe = entry.builder(scale=scale)
    default = probe.hparams  # shrink only: a tiny model never has more of anything than the full one
    overrides = {k: v for k, v in TINY.items() if accepts(type(probe), k) and not (default.get(k, v + 1) <= v)}
    overrides.update(TINY_BY_MODEL.get(name, {}))
    torch.manual_seed(0)
    return build_model(name, scale=scale, **overrides)


def _input(card: ModelCard, side: int = 12, seed: int = 1) -> torch.Tensor:
    side = side + (-side) % card.multiple_of
    side = max(side, card.min_size)
    return torch.rand(1, card.in_channels, side, side, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("name", "scale"), _cases())
def test_model_contract(name: str, scale: int) -> None:
    registered = MODELS.get(name).card
    model = _tiny(name, scale)
    card = card_of(model)
    assert card.scale == scale
    assert card.scales == (registered.scales if registered.multi_scale else (scale,))
    x = _input(card)
    before = x.clone()
    y = call_model(model, x, scale)
    assert y.shape == (1, card.out_channels, x.shape[2] * scale, x.shape[3] * scale)
    assert torch.isfinite(y).all()
    assert torch.equal(x, before), "the model wrote into its input"
    loss = y.square().mean()
    if card.multi_scale:  # each scale has its own head/tail: gradients come from all of them
        loss = loss + sum(call_model(model, x, s).square().mean() for s in card.scales if s != scale)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"no gradient for {missing[:5]}"


@pytest.mark.parametrize("name", _sr_models())
def test_card_declares_how_forward_is_called(name: str) -> None:
    card = MODELS.get(name).card
    model = _tiny(name, card.scales[-1]).eval()
    takes_scale = "scale" in inspect.signature(model.forward).parameters
    assert card.scale_arg == takes_scale, f"{name}: card.scale_arg={card.scale_arg}, forward takes scale: {takes_scale}"
    assert (card.forward_all is not None) == hasattr(model, "forward_all")
    assert card.color == ("y" if card.out_channels == 1 else "rgb")
    assert card.pixel_range == 1.0  # srkit's models take [0, 1]; 0-255 architectures scale inside
    x = _input(card)
    with torch.no_grad():
        final = call_model(model, x, card.scales[-1])
        outs = call_model_all(model, x, card.scales[-1])
    torch.testing.assert_close(outs[-1], final)
    if card.forward_all == "hr":
        assert len(outs) > 1 and all(o.shape == final.shape for o in outs)
    if card.forward_all == "pyramid":
        sides = [o.shape[-1] for o in outs]
        assert sides == [x.shape[-1] * 2 ** (i + 1) for i in range(len(outs))], sides
    if card.multi_scale:  # one instance serves every scale of the card
        for s in card.scales:
            with torch.no_grad():
                assert call_model(model, x, s).shape[-1] == x.shape[-1] * s


@pytest.mark.parametrize("name", _sr_models())
def test_card_size_rules_and_float32_path(name: str) -> None:
    card = MODELS.get(name).card
    scale = card.scales[0]
    model = _tiny(name, scale).eval()
    odd = torch.rand(1, card.in_channels, max(card.min_size, 7) + 1 + card.multiple_of, 11)
    with torch.no_grad():
        out, s = run_piece(model, odd, scale, torch.device("cpu"), torch.float32)  # padded to the card's rules
    assert s == scale and out.shape[-2:] == (odd.shape[-2] * scale, odd.shape[-1] * scale)
    if not card.bf16:
        return
    x = _input(card, side=10)
    with torch.no_grad():
        ref = call_model(model, x, scale)
        half = model.to(torch.bfloat16)
        got = call_model(half, x if card.float32_io else x.to(torch.bfloat16), scale)
    assert got.dtype == (torch.float32 if card.float32_io else torch.bfloat16)
    assert torch.isfinite(got.float()).all()
    assert (got.float() - ref).abs().max() < 0.25  # bf16 keeps 8 bits of mantissa; random weights amplify it


def _tileable() -> list[Any]:
    """Tileable models; those with a receptive field over 64 LR pixels need large inputs: slow tests."""
    cards = [MODELS.get(n).card for n in _sr_models() if MODELS.get(n).card.tiling]
    return [pytest.param(c.name, marks=[pytest.mark.slow] if c.receptive_field > 64 else []) for c in cards]


@pytest.mark.parametrize("name", _tileable())
def test_receptive_field_bounds_what_an_output_pixel_sees(name: str) -> None:
    """Changing one LR pixel changes the output only within ``receptive_field`` LR pixels of it (what tiling
    with overlap ``> 2 * receptive_field`` relies on), on the tiny model (whose field is at most the card's)."""
    card = MODELS.get(name).card
    scale = card.scales[0]
    model = _tiny(name, scale).eval()
    rf = card.receptive_field
    side = 2 * rf + 2 * card.multiple_of + 3
    side += (-side) % card.multiple_of
    x = _input(card, side=side, seed=3)
    c = side // 2
    bumped = x.clone()
    bumped[..., c, c] += 0.5
    with torch.no_grad():
        diff = (call_model(model, bumped, scale) - call_model(model, x, scale)).abs().amax(dim=(0, 1))
    changed = (diff > 1e-6).nonzero()
    if len(changed):
        lo, hi = changed.min(0).values, changed.max(0).values
        assert int(lo.min()) >= (c - rf) * scale and int(hi.max()) < (c + rf + 1) * scale, (name, rf)


@pytest.mark.parametrize("name", _sr_models())
def test_model_rebuilds_from_hparams(name: str) -> None:
    card = MODELS.get(name).card
    model = _tiny(name, card.scales[-1]).eval()
    rebuilt = type(model)(**model.hparams).eval()
    rebuilt.load_state_dict(model.state_dict(), strict=True)
    x = _input(card)
    with torch.no_grad():
        torch.testing.assert_close(model(x) if not card.scale_arg else model(x, card.scales[-1]), call_model(model, x))
        torch.testing.assert_close(call_model(rebuilt, x, card.scales[-1], card=card), call_model(model, x))


@pytest.mark.parametrize(("name", "scale"), [(n, s) for n in MODELS.names() for s in MODELS.get(n).card.scales])
def test_parameter_count_matches_card_and_paper(name: str, scale: int) -> None:
    card = MODELS.get(name).card
    with torch.device("meta"):
        model = build_model(name, scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale], f"{name} x{scale}: built {count:,}, card says {card.params[scale]:,}"
    published = card.published_params.get(scale)
    if published:
        assert abs(count - published) <= 0.01 * published, f"{name} x{scale}: {count:,} vs paper {published:,}"


@pytest.mark.parametrize("name", MODELS.names())
def test_card_is_complete(name: str) -> None:
    card = MODELS.get(name).card
    assert card.name == name and card.arch and card.paper and card.scales
    assert set(card.params) == set(card.scales)
    assert card.multiple_of >= 1 and card.min_size >= 1
    assert card.scale is None  # a registered card describes the architecture, not an instance


def test_zoo_is_populated() -> None:
    assert len(_sr_models()) >= 25
