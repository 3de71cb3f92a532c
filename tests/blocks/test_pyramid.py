"""Tests of srkit.blocks.pyramid: PyramidPooling."""

from __future__ import annotations

import pytest
import torch
from block_checks import check_contract

from srkit._core.errors import SrkitError
from srkit.blocks.pyramid import PyramidPooling


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_contract() -> None:
    check_contract(PyramidPooling(n_feats=16), torch.randn(2, 16, 12, 10))


@pytest.mark.parametrize("size", [(5, 7), (1, 1), (2, 9), (13, 6)])
def test_any_size_even_below_the_bins(size: tuple[int, int]) -> None:
    x = torch.randn(2, 8, *size)
    y = PyramidPooling(n_feats=8)(x)
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_structure() -> None:
    m = PyramidPooling(n_feats=64)
    assert [stage[0].out_channels for stage in m.stages] == [16] * 4
    assert m.fuse.in_channels == 128 and m.fuse.out_channels == 64
    with pytest.raises(SrkitError):
        PyramidPooling(n_feats=2, bins=(1, 2, 3))
    with pytest.raises(SrkitError):
        PyramidPooling(bins=(0, 2))


def test_global_context() -> None:
    """Apart from pooling, everything is 1x1: a change in one corner reaches the opposite corner only through the
    pooled maps, so it does reach it (and does not without them)."""
    m = PyramidPooling(n_feats=8)
    x = torch.randn(1, 8, 12, 12)
    x2 = x.clone()
    x2[0, :, 0, 0] += 5.0
    with torch.no_grad():
        assert not torch.allclose(m(x)[..., -1, -1], m(x2)[..., -1, -1])
        for stage in m.stages:
            stage[0].weight.zero_()
        torch.testing.assert_close(m(x)[..., -1, -1], m(x2)[..., -1, -1])
