"""D-DBPN (Haris et al. 2018): dense projection units, shapes at x2/x4/x8, parameter counts."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.dbpn import DDBPN, ZOO, ddbpn

TINY: dict[str, Any] = {"n_feats": 8, "n_init_feats": 12, "n_stages": 3}


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_full_parameter_count_matches_card_and_paper(scale: int) -> None:
    card = ZOO[0][1]
    with torch.device("meta"):
        model = ddbpn(scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale] == {2: 5_953_526, 4: 10_426_358, 8: 23_205_878}[scale]
    published = card.published_params.get(scale)
    if published:
        assert abs(count - published) <= 0.01 * published


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_shape_gradients_and_input_untouched(scale: int) -> None:
    torch.manual_seed(0)
    model = DDBPN(scale=scale, **TINY)
    x = torch.rand(2, 3, 5, 3)
    before = x.clone()
    y = model(x)
    assert y.shape == (2, 3, 5 * scale, 3 * scale)
    assert torch.equal(x, before)
    y.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_dense_connections_are_the_official_ones() -> None:
    """up_1, down_1, up_2 read one map; down_t reads t HR maps and up_{t+1} t LR maps (1x1 reduction first)."""
    with torch.device("meta"):
        model = ddbpn(scale=4)
    assert len(model.ups) == 7 and len(model.downs) == 6
    assert [type(u.reduce).__name__ for u in model.ups[:2]] == ["Identity", "Identity"]
    assert type(model.downs[0].reduce).__name__ == "Identity"
    assert [u.reduce[0].in_channels for u in model.ups[2:]] == [128, 192, 256, 320, 384]
    assert [d.reduce[0].in_channels for d in model.downs[1:]] == [128, 192, 256, 320, 384]
    assert model.output_conv.in_channels == 7 * 64 and model.feat0[0].out_channels == 256


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="scales"):
        DDBPN(scale=5, **TINY)
    with pytest.raises(SrkitError, match="n_stages"):
        DDBPN(scale=2, n_feats=8, n_init_feats=8, n_stages=1)
