"""Tests of srkit.blocks.sequential: SequentialRefiner."""

from __future__ import annotations

import pytest
import torch
from block_checks import check_contract

from srkit._core.errors import SrkitError
from srkit.blocks.sequential import SequentialRefiner


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_contract() -> None:
    check_contract(SequentialRefiner(n_feats=8, n_steps=3, patch_size=4), torch.randn(2, 8, 12, 8))


def test_attention_sums_to_one_over_locations() -> None:
    m = SequentialRefiner(n_feats=8, n_steps=3, patch_size=4)
    with torch.no_grad():
        y, att = m.forward_with_attention(torch.randn(2, 8, 8, 12))
    assert att.shape == (2, 3, 2, 3)
    assert (att >= 0).all() and torch.isfinite(y).all()
    torch.testing.assert_close(att.sum(dim=(2, 3)), torch.ones(2, 3))


def test_steps_change_the_output() -> None:
    two = SequentialRefiner(n_feats=8, n_steps=2, patch_size=4)
    one = SequentialRefiner(n_feats=8, n_steps=1, patch_size=4)
    zero = SequentialRefiner(n_feats=8, n_steps=0, patch_size=4)
    one.load_state_dict(two.state_dict(), strict=True)  # the weights do not depend on n_steps
    zero.load_state_dict(two.state_dict(), strict=True)
    x = torch.randn(2, 8, 8, 8)
    with torch.no_grad():
        y2, y1, y0 = two(x), one(x), zero(x)
        assert not torch.allclose(y2, y1) and not torch.allclose(y1, y0)
        torch.testing.assert_close(y0, x)
        assert zero.forward_with_attention(x)[1].shape == (2, 0, 2, 2)
        # step 1 is the same in both: the 2-step attention starts with the 1-step one
        torch.testing.assert_close(two.forward_with_attention(x)[1][:, :1], one.forward_with_attention(x)[1])


def test_one_hot_attention_refines_one_patch() -> None:
    """With a saturated (one-hot) attention, one step changes exactly one patch, as a hard choice would."""
    m = SequentialRefiner(n_feats=4, n_steps=1, patch_size=4)
    with torch.no_grad():
        m.query.weight.zero_()
        m.query.bias.fill_(1.0)
        m.key.weight.zero_()
        m.key.weight[:, 0] = 1.0  # every key component = the cell's mean of channel 0
        m.key.bias.zero_()
        x = torch.zeros(1, 4, 8, 8)
        x[0, 0, 4:, :4] = 1e4  # cell (1, 0) has by far the largest key
        y, att = m.forward_with_attention(x)
    assert att[0, 0, 1, 0] > 1 - 1e-6
    changed = (y - x).abs().sum(dim=1)[0] > 1e-3
    assert changed[4:, :4].any() and not changed[:4].any() and not changed[4:, 4:].any()


def test_any_size_by_padding() -> None:
    m = SequentialRefiner(n_feats=8, n_steps=2, patch_size=4)
    x = torch.randn(2, 8, 10, 13)
    with torch.no_grad():
        y, att = m.forward_with_attention(x)
    assert y.shape == x.shape and att.shape == (2, 2, 3, 4) and torch.isfinite(y).all()


def test_small_and_validated() -> None:
    assert sum(p.numel() for p in SequentialRefiner(n_feats=16).parameters()) < 10_000
    with pytest.raises(SrkitError, match="patch_size"):
        SequentialRefiner(patch_size=0)
