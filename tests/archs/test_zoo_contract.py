"""One contract over every registered model of the zoo (STYLE.md rule 14).

Shapes, NaN, gradients, input untouched and the hparams round trip run on the smallest settings of each model
(a few blocks, few features); parameter counts use the full default models, built on the meta device (no memory,
no time), and must equal the card, which must be within 1% of the paper's figure.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest
import torch
from torch import nn

from srkit._core.cards import ModelCard
from srkit.archs import MODELS, build_model
from srkit.blocks._build import accepts

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
    return [n for n in MODELS.names() if MODELS.get(n).card.in_channels == MODELS.get(n).card.out_channels]


def _cases() -> list[tuple[str, int]]:
    return [(n, s) for n in _sr_models() for s in MODELS.get(n).card.scales]


def _tiny(name: str, scale: int) -> nn.Module:
    entry = MODELS.get(name)
    with torch.device("meta"):
        probe = entry.builder(scale=scale)
    overrides = {k: v for k, v in TINY.items() if accepts(type(probe), k)}
    overrides.update(TINY_BY_MODEL.get(name, {}))
    torch.manual_seed(0)
    return build_model(name, scale=scale, **overrides)


def _input(card: ModelCard) -> torch.Tensor:
    side = 12 + (-12) % card.multiple_of
    side = max(side, card.min_size)
    return torch.rand(1, card.in_channels, side, side, generator=torch.Generator().manual_seed(1))


def _multi_scale(model: nn.Module) -> bool:
    takes_scale = "scale" in inspect.signature(model.forward).parameters
    return takes_scale and bool(getattr(model, "hparams", {}).get("multi_scale", True))


def _forward(model: nn.Module, x: torch.Tensor, scale: int) -> torch.Tensor:
    if "scale" in inspect.signature(model.forward).parameters:
        return model(x, scale)
    return model(x)


@pytest.mark.parametrize(("name", "scale"), _cases())
def test_model_contract(name: str, scale: int) -> None:
    card = MODELS.get(name).card
    model = _tiny(name, scale)
    x = _input(card)
    before = x.clone()
    y = _forward(model, x, scale)
    assert y.shape == (1, card.out_channels, x.shape[2] * scale, x.shape[3] * scale)
    assert torch.isfinite(y).all()
    assert torch.equal(x, before), "the model wrote into its input"
    loss = y.square().mean()
    if _multi_scale(model):  # each scale has its own head/tail: gradients come from all of them
        loss = loss + sum(_forward(model, x, s).square().mean() for s in card.scales if s != scale)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"no gradient for {missing[:5]}"
    if hasattr(model, "forward_all"):
        with torch.no_grad():
            torch.testing.assert_close(model.forward_all(x)[-1], _forward(model, x, scale))


@pytest.mark.parametrize("name", _sr_models())
def test_model_rebuilds_from_hparams(name: str) -> None:
    card = MODELS.get(name).card
    model = _tiny(name, card.scales[-1]).eval()
    rebuilt = type(model)(**model.hparams).eval()
    rebuilt.load_state_dict(model.state_dict(), strict=True)
    x = _input(card)
    with torch.no_grad():
        torch.testing.assert_close(_forward(rebuilt, x, card.scales[-1]), _forward(model, x, card.scales[-1]))


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


def test_zoo_is_populated() -> None:
    assert len(_sr_models()) >= 25
