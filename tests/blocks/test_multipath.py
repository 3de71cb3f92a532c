"""Tests of srkit.blocks.multipath: MSRB, ScaleSpecific, MultiPathGlobal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from block_checks import check_contract
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.multipath import MSRB, MultiPathGlobal, ScaleSpecific


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


class _Call(nn.Module):
    """``m(x, scale)`` as a one-input module, for tracing blocks that take the scale at call time."""

    def __init__(self, m: nn.Module, scale: int) -> None:
        super().__init__()
        self.m, self.scale = m, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.m(x, self.scale)


@pytest.mark.parametrize(
    "make",
    [
        lambda: MSRB(n_feats=8),
        lambda: MultiPathGlobal(n_feats=8),
        lambda: MultiPathGlobal(n_feats=8, n_paths=3, depth=2, exchange="conv", act="lrelu"),
    ],
)
def test_body_contract(make: Callable[[], nn.Module]) -> None:
    check_contract(make(), torch.randn(2, 8, 12, 10))


def test_msrb_official_keys() -> None:
    shapes = {k: tuple(v.shape) for k, v in MSRB(n_feats=64).state_dict().items() if k.endswith("weight")}
    assert shapes == {
        "conv_3_1.weight": (64, 64, 3, 3),
        "conv_5_1.weight": (64, 64, 5, 5),
        "conv_3_2.weight": (128, 128, 3, 3),
        "conv_5_2.weight": (128, 128, 5, 5),
        "confusion.weight": (64, 256, 1, 1),
    }


def test_msrb_paths_cross() -> None:
    """Stage 2 reads both stage-1 paths: zeroing the 5x5 path of stage 1 changes the 3x3 path of stage 2."""
    m, x = MSRB(n_feats=4), torch.randn(1, 4, 8, 8)
    y = m(x)
    with torch.no_grad():
        m.conv_5_1.weight.zero_()
        m.conv_5_1.bias.zero_()
    assert not torch.allclose(m(x), y)


def test_scale_specific_contract_and_heads() -> None:
    m = ScaleSpecific(n_feats=8, scales=(2, 3, 4))
    # only the x3 head takes part: the other heads get no gradient
    check_contract(
        m, torch.randn(2, 8, 10, 9), wrap=lambda mod: _Call(mod, 3), used=lambda n: n.startswith("heads.x3.")
    )
    assert m.heads["x2"][0].body[0].kernel_size == (5, 5)
    assert len(m.heads["x4"]) == 2


def test_scale_specific_selects_head_and_rejects_unknown_scale() -> None:
    m, x = ScaleSpecific(n_feats=8, scales=(2, 4)), torch.randn(1, 8, 8, 8)
    with torch.no_grad():
        assert not torch.allclose(m(x, 2), m(x, 4))
        torch.testing.assert_close(m(x, 2), m.heads["x2"](x))
    with pytest.raises(SrkitError, match="scale 3"):
        m(x, 3)
    with pytest.raises(SrkitError):
        ScaleSpecific(scales=(2, 2))


def test_multipath_global_structure() -> None:
    m = MultiPathGlobal(n_feats=8, n_paths=3, depth=2, dilation_step=1)
    assert [m.layers[0].paths[p][0].dilation for p in range(3)] == [(1, 1), (2, 2), (3, 3)]
    assert m.fuse.in_channels == 24
    conv = MultiPathGlobal(n_feats=8, n_paths=3, depth=2, exchange="conv")
    extra = sum(p.numel() for p in conv.parameters()) - sum(p.numel() for p in m.parameters())
    assert extra == 2 * (24 * 8 + 8)  # one 1x1 exchange conv per layer
    with pytest.raises(SrkitError, match="exchange"):
        MultiPathGlobal(exchange="max")


def test_multipath_global_paths_exchange() -> None:
    """With exchange, the output depends on a path's layers even when that path is cut from the final fusion."""
    m, x = MultiPathGlobal(n_feats=4, n_paths=2, depth=2), torch.randn(1, 4, 8, 8)
    with torch.no_grad():
        m.fuse.weight[:, 4:] = 0  # the final fusion reads path 0 only
        y = m(x)
        m.layers[0].paths[1][0].weight.mul_(2)  # change path 1's first layer
        assert not torch.allclose(m(x), y)
