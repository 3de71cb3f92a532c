"""SRCNN (9-1-5 and 9-5-5): shapes at every scale, interpolation inside, parameter counts against the paper."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from srkit._core.cards import ModelCard
from srkit._core.errors import SrkitError
from srkit.archs.srcnn import SRCNN, ZOO, srcnn_915, srcnn_955
from srkit.frameworks.base import interpolate


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("builder", [srcnn_915, srcnn_955])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_shape_and_gradients(builder: Callable[..., SRCNN], scale: int) -> None:
    torch.manual_seed(0)
    m = builder(scale=scale, n_feats=8, n_mapping=4)
    x = torch.rand(2, 1, 7, 9)
    x0 = x.clone()
    y = m(x)
    assert y.shape == (2, 1, 7 * scale, 9 * scale)
    assert torch.equal(x, x0)
    y.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_scale_override_and_interpolation() -> None:
    torch.manual_seed(0)
    m = SRCNN(scale=2, n_feats=8, n_mapping=4, interpolation="bicubic").eval()
    x = torch.rand(1, 1, 6, 6)
    assert m(x, scale=3).shape == (1, 1, 18, 18)
    # with a 1x1 identity network the model returns its interpolation (through the ReLUs)
    ident = SRCNN(scale=2, n_feats=1, n_mapping=1, kernel_sizes=(1, 1, 1), interpolation="matlab")
    with torch.no_grad():
        for conv in (ident.conv1, ident.conv2, ident.conv3):
            conv.weight.fill_(1.0)
            conv.bias.zero_()
        torch.testing.assert_close(ident(x), interpolate(x, 2, "matlab").clamp(min=0))  # ReLUs inside
    with pytest.raises(SrkitError, match="unknown interpolation"):
        SRCNN(interpolation="cubic")
    with pytest.raises(SrkitError, match="three kernel sizes"):
        SRCNN(kernel_sizes=(9, 5))  # type: ignore[arg-type]


def test_rebuild_from_hparams() -> None:
    m = srcnn_915(scale=3).eval()
    rebuilt = type(m)(**m.hparams).eval()
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 1, 8, 8)
    assert torch.equal(rebuilt(x), m(x))


@pytest.mark.parametrize(("builder", "card"), ZOO, ids=[c.name for _, c in ZOO])
def test_parameter_counts(builder: Callable[..., SRCNN], card: ModelCard) -> None:
    for scale in card.scales:
        m = builder(scale=scale)
        assert _n_params(m) == card.params[scale]
        if scale in card.published_params:
            assert abs(_n_params(m) / card.published_params[scale] - 1) < 0.01


@pytest.mark.parametrize(("builder", "paper"), [(srcnn_915, 8_032), (srcnn_955, 57_184)])
def test_weights_only_count_is_the_papers(builder: Callable[..., SRCNN], paper: int) -> None:
    """The paper counts filter weights without biases: 8,032 (9-1-5) and 57,184 (9-5-5)."""
    m = builder(scale=3)
    assert sum(p.numel() for n, p in m.named_parameters() if n.endswith("weight")) == paper
