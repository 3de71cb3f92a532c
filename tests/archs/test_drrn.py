"""DRRN: the first block reads the image, recursion shares weights, global residual, counts (B1U9, B1U25)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.drrn import DRRN, ZOO, drrn_b1u9, drrn_b1u25
from srkit.frameworks.base import interpolate


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("bn", [True, False])
@pytest.mark.parametrize("n_blocks", [1, 2])
def test_shape_and_gradients(bn: bool, n_blocks: int) -> None:
    torch.manual_seed(0)
    m = DRRN(scale=3, n_feats=8, n_blocks=n_blocks, n_units=2, bn=bn)
    x = torch.rand(2, 1, 6, 7)
    x0 = x.clone()
    y = m(x)
    assert y.shape == (2, 1, 18, 21)
    assert torch.equal(x, x0)
    y.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
    assert m(x, scale=2).shape == (2, 1, 12, 14)
    assert m.blocks[0].conv_in.in_channels == 1
    assert all(b.conv_in.in_channels == 8 for b in m.blocks[1:])


def test_global_residual_and_weight_sharing() -> None:
    m = DRRN(scale=2, n_feats=8, n_units=3, bn=False)
    with torch.no_grad():
        m.tail.weight.zero_()
        m.tail.bias.zero_()
    x = torch.rand(1, 1, 5, 5)
    torch.testing.assert_close(m(x), interpolate(x, 2, "matlab"))
    assert _n_params(DRRN(n_feats=8, n_units=2)) == _n_params(DRRN(n_feats=8, n_units=7))


def test_errors_and_rebuild() -> None:
    with pytest.raises(SrkitError, match="n_blocks"):
        DRRN(n_blocks=0)
    m = DRRN(scale=2, n_feats=8, n_units=2).eval()
    rebuilt = type(m)(**m.hparams).eval()
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 1, 6, 6)
    assert torch.equal(rebuilt(x), m(x))


@pytest.mark.parametrize(("builder", "layers"), [(drrn_b1u9, 20), (drrn_b1u25, 52)])
def test_parameter_counts_and_depth(builder: Callable[..., DRRN], layers: int) -> None:
    card = next(c for b, c in ZOO if b is builder)
    m = builder(scale=2)
    assert _n_params(m) == card.params[2]
    assert abs(_n_params(m) / card.published_params[2] - 1) < 0.01
    # the paper's 297K counts convolution weights: 1x128 + 2 x 128x128 + 128x1 filters of 3x3
    assert sum(p.numel() for p in m.parameters() if p.ndim == 4) == 297_216
    hp = m.hparams
    assert (1 + 2 * hp["n_units"]) * hp["n_blocks"] + 1 == layers
