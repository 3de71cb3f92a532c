"""MSRN (Li et al. 2018): hierarchical feature fusion, official key layout, parameter counts."""

from __future__ import annotations

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.msrn import MSRN, ZOO, msrn


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card(scale: int) -> None:
    card = ZOO[0][1]
    with torch.device("meta"):
        model = msrn(scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale] == {2: 5_930_307, 3: 6_114_947, 4: 6_078_019}[scale]
    assert not card.published_params  # see the card's notes


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_shape_gradients_and_input_untouched(scale: int) -> None:
    torch.manual_seed(0)
    model = MSRN(scale=scale, n_feats=8, n_blocks=2)
    x = torch.rand(2, 3, 5, 6)
    before = x.clone()
    y = model(x)
    assert y.shape == (2, 3, 5 * scale, 6 * scale)
    assert torch.equal(x, before)
    y.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_official_key_layout() -> None:
    with torch.device("meta"):
        model = msrn(scale=4)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items() if not k.endswith("shift")}
    assert shapes["head.0.weight"] == (64, 3, 3, 3)
    assert shapes["body.7.conv_5_2.weight"] == (128, 128, 5, 5) and shapes["body.0.confusion.weight"] == (64, 256, 1, 1)
    assert shapes["tail.0.weight"] == (64, 9 * 64, 1, 1)  # 8 MSRB outputs + the shallow features
    assert shapes["tail.1.weight"] == (64, 64, 3, 3)
    assert shapes["tail.2.0.weight"] == shapes["tail.2.2.weight"] == (256, 64, 3, 3)
    assert shapes["tail.3.weight"] == (3, 64, 3, 3)


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="scale"):
        MSRN(scale=5, n_feats=8, n_blocks=1)
    with pytest.raises(SrkitError, match="n_blocks"):
        MSRN(scale=2, n_feats=8, n_blocks=0)
