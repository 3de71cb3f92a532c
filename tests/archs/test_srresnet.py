"""SRResNet (Ledig et al. 2017): shapes, layout, batch norm behaviour, parameter counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.archs.srresnet import ZOO, SRResNet, srresnet

TINY = {"n_feats": 8, "n_blocks": 2}


@pytest.fixture(scope="module")
def full_counts() -> dict[int, int]:
    """The full default model's parameter count at every scale (built on the meta device)."""
    builder, card = ZOO[0]
    counts = {}
    for s in card.scales:
        with torch.device("meta"):
            counts[s] = sum(p.numel() for p in builder(scale=s).parameters())
    return counts


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card(full_counts: dict[int, int], scale: int) -> None:
    card = ZOO[0][1]
    assert full_counts[scale] == card.params[scale]
    assert not card.published_params  # the paper states no exact count
    assert 1_500_000 <= card.params[4] <= 1_600_000  # "about 1.5M" at x4


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_shapes(scale: int) -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 6, 8)
    before = x.clone()
    assert SRResNet(scale=scale, **TINY)(x).shape == (2, 3, 6 * scale, 8 * scale)
    assert torch.equal(x, before)


def test_layout() -> None:
    model = SRResNet(scale=4, **TINY)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes["head.0.weight"] == (8, 3, 9, 9) and shapes["head.1.weight"] == (8,)  # per-channel PReLU
    assert shapes["body.0.body.0.weight"] == (8, 8, 3, 3) and "body.0.body.0.bias" not in shapes  # conv before BN
    assert shapes["body.0.body.1.running_mean"] == (8,)
    assert shapes["body.2.weight"] == (8, 8, 3, 3) and shapes["body.3.weight"] == (8,)  # conv + BN after the blocks
    assert shapes["upsample.0.weight"] == (32, 8, 3, 3) and shapes["upsample.3.weight"] == (32, 8, 3, 3)
    assert shapes["upsample.2.weight"] == (8,)  # PReLU after the shuffle
    assert shapes["tail.weight"] == (3, 8, 9, 9)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 2 * 2 + 1


def test_eval_mode_is_per_sample() -> None:
    torch.manual_seed(0)
    model = SRResNet(scale=2, **TINY)
    model(torch.rand(4, 3, 6, 6))  # update the running statistics once
    model.eval()
    x = torch.rand(3, 3, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x)[1:2], model(x[1:2]))


def test_builder_and_errors() -> None:
    with torch.device("meta"):
        assert srresnet().hparams == {"scale": 4, "in_channels": 3, "out_channels": 3, "n_feats": 64, "n_blocks": 16}
    with pytest.raises(SrkitError):
        SRResNet(scale=0)


def test_card() -> None:
    card = ZOO[0][1]
    assert card.name == "srresnet" and card.arch == "SRResNet" and card.receptive_field == 40
