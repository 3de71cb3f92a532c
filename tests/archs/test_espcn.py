"""ESPCN: shapes, the activation options (paper: tanh inside; OpenCV: ReLU inside, tanh outside), counts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.archs.espcn import ESPCN, ZOO, espcn


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_shape_and_gradients(scale: int) -> None:
    torch.manual_seed(0)
    m = espcn(scale=scale, n_feats=8, n_mapping=4)
    x = torch.rand(2, 1, 7, 9)
    x0 = x.clone()
    y = m(x)
    assert y.shape == (2, 1, 7 * scale, 9 * scale)
    assert torch.equal(x, x0)
    y.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_forward_is_the_formula() -> None:
    torch.manual_seed(0)
    x = torch.rand(1, 1, 6, 5)
    for act, out_act in [("tanh", "none"), ("relu", "tanh")]:
        m = ESPCN(scale=2, n_feats=8, n_mapping=4, act=act, out_act=out_act).eval()
        inner = torch.tanh if act == "tanh" else torch.relu
        h = inner(F.conv2d(x, m.conv1.weight, m.conv1.bias, padding=2))
        h = inner(F.conv2d(h, m.conv2.weight, m.conv2.bias, padding=1))
        y = F.pixel_shuffle(F.conv2d(h, m.conv3.weight, m.conv3.bias, padding=1), 2)
        expected = torch.tanh(y) if out_act == "tanh" else y
        with torch.no_grad():
            torch.testing.assert_close(m(x), expected)


def test_errors_and_rebuild() -> None:
    with pytest.raises(SrkitError, match="unknown activation"):
        ESPCN(act="sigmoid")
    with pytest.raises(SrkitError, match="integer scale"):
        ESPCN(scale=0)
    m = ESPCN(scale=3, act="relu", out_act="tanh").eval()
    rebuilt = type(m)(**m.hparams).eval()
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 1, 8, 8)
    assert torch.equal(rebuilt(x), m(x))


def test_parameter_counts() -> None:
    (builder, card), *_ = ZOO
    for scale in card.scales:
        m = builder(scale=scale)
        assert sum(p.numel() for p in m.parameters()) == card.params[scale]
    # 5x5x64 + 3x3x64x32 + 3x3x32x9 weights + 105 biases at x3 (the paper's l = 3 network)
    assert card.params[3] == 5 * 5 * 64 + 9 * 64 * 32 + 9 * 32 * 9 + 64 + 32 + 9
