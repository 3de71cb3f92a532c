"""Channel attention (RCAN) and pixel attention (PAN) blocks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.attention import RCAB, SCPA, ChannelAttention, PixelAttention, ResidualGroup

FACTORIES: dict[str, Callable[[], nn.Module]] = {
    "channel_attention": lambda: ChannelAttention(n_feats=16, reduction=4),
    "rcab": lambda: RCAB(n_feats=16, reduction=4, res_scale=0.5),
    "residual_group": lambda: ResidualGroup(n_feats=16, n_blocks=2, reduction=4),
    "pixel_attention": lambda: PixelAttention(n_feats=8),
    "scpa": lambda: SCPA(n_feats=8),
}


def _input(channels: int, size: int = 8) -> torch.Tensor:
    return torch.randn(2, channels, size, size)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize("name", FACTORIES)
def test_shape_gradients_and_input_untouched(name: str) -> None:
    m = FACTORIES[name]()
    x = _input(m.hparams["n_feats"], 12)
    x_copy = x.clone()
    y = m(x)
    assert y.shape == x.shape
    assert torch.equal(x, x_copy)
    (y * torch.randn_like(y)).sum().backward()
    for pname, p in m.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, pname


@pytest.mark.parametrize("name", FACTORIES)
def test_rebuild_from_hparams(name: str) -> None:
    m = FACTORIES[name]().eval()
    rebuilt = type(m)(**m.hparams).eval()
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in m.state_dict().items()}
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = _input(m.hparams["n_feats"])
    assert torch.equal(rebuilt(x), m(x))


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
@pytest.mark.parametrize("name", FACTORIES)
def test_trace_matches_eager(name: str) -> None:
    m = FACTORIES[name]().eval()
    traced = torch.jit.trace(m, _input(m.hparams["n_feats"]))
    x = _input(m.hparams["n_feats"], 16)  # another size than the one traced
    torch.testing.assert_close(traced(x), m(x))


def test_channel_attention_is_a_per_channel_gate() -> None:
    ca = ChannelAttention(n_feats=16, reduction=4)
    x = _input(16)
    gate = ca.gate(x)
    assert gate.shape == (2, 16, 1, 1)
    assert bool(((gate > 0) & (gate < 1)).all())
    y = ca(x)
    torch.testing.assert_close(y, x * gate)
    ratio = y / x  # the same number at every pixel of a channel
    torch.testing.assert_close(ratio, ratio[..., :1, :1].expand_as(ratio))
    # the gate is squeeze (global average pool) then excitation (two 1x1 convolutions with biases)
    w1, b1 = ca.conv_du[0].weight, ca.conv_du[0].bias
    w2, b2 = ca.conv_du[2].weight, ca.conv_du[2].bias
    pooled = x.mean(dim=(2, 3))
    expected = torch.sigmoid(torch.relu(pooled @ w1.flatten(1).T + b1) @ w2.flatten(1).T + b2)
    torch.testing.assert_close(gate.flatten(1), expected)


def test_channel_attention_reduction_is_checked() -> None:
    assert ChannelAttention(n_feats=64).conv_du[0].out_channels == 4  # RCAN: 64 / 16
    with pytest.raises(SrkitError, match="reduction"):
        ChannelAttention(n_feats=8, reduction=16)


def test_rcab_is_identity_when_its_last_conv_is_zero() -> None:
    rcab = RCAB(n_feats=8, reduction=2)
    assert isinstance(rcab.body[3], ChannelAttention)
    nn.init.zeros_(rcab.body[2].weight)
    nn.init.zeros_(rcab.body[2].bias)
    x = _input(8)
    assert torch.equal(rcab(x), x)


def test_rcab_res_scale_scales_the_residual() -> None:
    a = RCAB(n_feats=8, reduction=2, res_scale=1.0)
    b = RCAB(n_feats=8, reduction=2, res_scale=0.1)
    b.load_state_dict(a.state_dict())
    x = _input(8)
    torch.testing.assert_close(b(x) - x, (a(x) - x) * 0.1)


def test_residual_group_structure_and_skip() -> None:
    group = ResidualGroup(n_feats=8, n_blocks=3, reduction=2)
    assert len(group.body) == 4 and all(isinstance(b, RCAB) for b in group.body[:3])
    assert ResidualGroup().hparams["n_blocks"] == 20 and ResidualGroup().hparams["reduction"] == 16
    nn.init.zeros_(group.body[3].weight)
    nn.init.zeros_(group.body[3].bias)
    x = _input(8)
    assert torch.equal(group(x), x)
    with pytest.raises(SrkitError):
        ResidualGroup(n_feats=8, n_blocks=0)


def test_pixel_attention_gates_every_pixel() -> None:
    pa = PixelAttention(n_feats=8)
    x = _input(8)
    gate = torch.sigmoid(pa.conv(x))
    torch.testing.assert_close(pa(x), x * gate)
    assert pa.conv.kernel_size == (1, 1)
    assert gate.std(dim=(2, 3)).min() > 0  # unlike channel attention, it varies over H and W


def test_scpa_state_dict_matches_official_pan() -> None:
    shapes = {k: tuple(v.shape) for k, v in SCPA(n_feats=40).state_dict().items()}
    assert shapes == {
        "conv1_a.weight": (20, 40, 1, 1),
        "conv1_b.weight": (20, 40, 1, 1),
        "k1.0.weight": (20, 20, 3, 3),
        "PAConv.k2.weight": (20, 20, 1, 1),
        "PAConv.k2.bias": (20,),
        "PAConv.k3.weight": (20, 20, 3, 3),
        "PAConv.k4.weight": (20, 20, 3, 3),
        "conv3.weight": (40, 40, 1, 1),
    }
    assert list(shapes) == [
        "conv1_a.weight", "conv1_b.weight", "k1.0.weight", "PAConv.k2.weight", "PAConv.k2.bias",
        "PAConv.k3.weight", "PAConv.k4.weight", "conv3.weight",
    ]  # fmt: skip


def test_scpa_computes_the_two_branches() -> None:
    m = SCPA(n_feats=8)
    x = _input(8)

    def lrelu(t: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.leaky_relu(t, 0.2)

    a = lrelu(m.k1(lrelu(m.conv1_a(x))))
    b_in = lrelu(m.conv1_b(x))
    b = lrelu(m.PAConv.k4(m.PAConv.k3(b_in) * torch.sigmoid(m.PAConv.k2(b_in))))
    torch.testing.assert_close(m(x), x + m.conv3(torch.cat([a, b], dim=1)))


def test_scpa_odd_reduction_still_keeps_shape() -> None:
    m = SCPA(n_feats=12, reduction=3)
    x = _input(12)
    assert m(x).shape == x.shape
