"""VDSR: shapes at every scale (one network), global residual on the interpolation, parameter count."""

from __future__ import annotations

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.vdsr import VDSR, ZOO, vdsr
from srkit.frameworks.base import interpolate


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_shape_gradients_and_scale_override(scale: int) -> None:
    torch.manual_seed(0)
    m = vdsr(scale=2, n_feats=8, n_layers=4)
    x = torch.rand(2, 1, 7, 9)
    x0 = x.clone()
    y = m(x, scale=scale)
    assert y.shape == (2, 1, 7 * scale, 9 * scale)
    assert torch.equal(x, x0)
    y.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
    assert len(m.body) == 2


def test_global_residual_on_the_interpolation() -> None:
    m = VDSR(scale=3, n_feats=8, n_layers=3, interpolation="matlab")
    with torch.no_grad():
        m.tail.weight.zero_()
        m.tail.bias.zero_()
    x = torch.rand(1, 1, 6, 6)
    torch.testing.assert_close(m(x), interpolate(x, 3, "matlab"))
    torch.testing.assert_close(m(x, scale=2), interpolate(x, 2, "matlab"))


def test_errors_and_rebuild() -> None:
    with pytest.raises(SrkitError, match="n_layers"):
        VDSR(n_layers=1)
    with pytest.raises(SrkitError, match="interpolation"):
        VDSR(interpolation="area")
    m = VDSR(scale=2, n_feats=8, n_layers=3).eval()
    rebuilt = type(m)(**m.hparams).eval()
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 1, 8, 8)
    assert torch.equal(rebuilt(x), m(x))


def test_parameter_count() -> None:
    (builder, card), *_ = ZOO
    count = sum(p.numel() for p in builder(scale=2).parameters())
    assert count == card.params[2] == 665_921  # (9 + 64 * 9 * 18 + 64 * 9) * 64 weights-and-biases of 20 layers
    assert abs(count / card.published_params[2] - 1) < 0.01
