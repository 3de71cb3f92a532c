"""Dense blocks: SRDenseNet's dense block, RDN's RDB, ESRGAN's RRDB."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.dense import RDB, RRDB, DenseBlock, ResidualDenseBlock

FACTORIES: dict[str, Callable[[], nn.Module]] = {
    "dense_block": lambda: DenseBlock(n_feats=8, growth=4, n_layers=3),
    "rdb": lambda: RDB(n_feats=8, growth=4, n_layers=3),
    "residual_dense_block": lambda: ResidualDenseBlock(n_feats=8, growth=4),
    "rrdb": lambda: RRDB(n_feats=8, growth=4),
}


def _input(channels: int, size: int = 8) -> torch.Tensor:
    return torch.randn(2, channels, size, size)


def _n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize("name", FACTORIES)
def test_shape_gradients_and_input_untouched(name: str) -> None:
    m = FACTORIES[name]()
    x = _input(8, 12)
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
    x = _input(8)
    assert torch.equal(rebuilt(x), m(x))


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
@pytest.mark.parametrize("name", FACTORIES)
def test_trace_matches_eager(name: str) -> None:
    m = FACTORIES[name]().eval()
    traced = torch.jit.trace(m, _input(8))
    x = _input(8, 16)
    torch.testing.assert_close(traced(x), m(x))


def test_dense_block_connectivity_and_bottleneck() -> None:
    m = DenseBlock(n_feats=8, growth=4, n_layers=3)
    assert [layer[0].in_channels for layer in m.layers] == [8, 12, 16]  # each layer sees x and all before it
    assert [layer[0].out_channels for layer in m.layers] == [4, 4, 4]
    assert (m.bottleneck.in_channels, m.bottleneck.out_channels, m.bottleneck.kernel_size) == (12, 8, (1, 1))
    assert m(_input(8)).shape[1] == 8
    assert DenseBlock().hparams == {"n_feats": 128, "growth": 16, "n_layers": 8, "kernel_size": 3, "act": "relu"}


def test_dense_block_forward_by_hand() -> None:
    m = DenseBlock(n_feats=4, growth=2, n_layers=2)
    x = _input(4)
    h1 = torch.relu(m.layers[0][0](x))
    h2 = torch.relu(m.layers[1][0](torch.cat([x, h1], 1)))
    torch.testing.assert_close(m(x), m.bottleneck(torch.cat([h1, h2], 1)))


def test_rdb_parameter_count_rdn_default() -> None:
    # RDN: G0 = 64, G = 64, C = 8. Layer c (0-based) is a 3x3 conv (64 + 64c -> 64) with bias; LFF is 1x1.
    convs = sum((64 + 64 * c) * 64 * 3 * 3 + 64 for c in range(8))
    lff = (64 + 8 * 64) * 64 + 64
    assert convs + lff == 1_364_544
    assert _n_params(RDB()) == convs + lff


def test_rdb_keys_local_fusion_and_residual() -> None:
    m = RDB(n_feats=8, growth=4, n_layers=2)
    assert list(m.state_dict()) == [
        "convs.0.conv.0.weight", "convs.0.conv.0.bias", "convs.1.conv.0.weight", "convs.1.conv.0.bias",
        "LFF.weight", "LFF.bias",
    ]  # fmt: skip
    x = _input(8)
    h1 = torch.relu(m.convs[0].conv[0](x))
    h2 = torch.relu(m.convs[1].conv[0](torch.cat([x, h1], 1)))
    torch.testing.assert_close(m(x), x + m.LFF(torch.cat([x, h1, h2], 1)))


def test_rrdb_keys_are_basicsr() -> None:
    keys = list(RRDB(n_feats=8, growth=4).state_dict())
    assert keys == [f"rdb{r}.conv{c}.{t}" for r in (1, 2, 3) for c in range(1, 6) for t in ("weight", "bias")]


def test_rrdb_parameter_count_esrgan_default() -> None:
    # nf = 64, gc = 32: conv1..conv4 give 32 channels from 64, 96, 128, 160 inputs; conv5 gives 64 from 192.
    per_rdb = sum((64 + 32 * i) * 32 * 9 + 32 for i in range(4)) + 192 * 64 * 9 + 64
    assert _n_params(RRDB()) == 3 * per_rdb == 719_424


def test_rrdb_residual_scaling() -> None:
    m = RRDB(n_feats=8, growth=4)
    x = _input(8)
    # with the last conv of each dense block zeroed, every dense block is the identity: x + 0.2 * x
    for rdb in (m.rdb1, m.rdb2, m.rdb3):
        nn.init.zeros_(rdb.conv5.weight)
        nn.init.zeros_(rdb.conv5.bias)
    torch.testing.assert_close(m(x), 1.2 * x)


def test_residual_dense_block_by_hand() -> None:
    m = ResidualDenseBlock(n_feats=4, growth=2)
    x = _input(4)

    def lrelu(t: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.leaky_relu(t, 0.2)

    x1 = lrelu(m.conv1(x))
    x2 = lrelu(m.conv2(torch.cat([x, x1], 1)))
    x3 = lrelu(m.conv3(torch.cat([x, x1, x2], 1)))
    x4 = lrelu(m.conv4(torch.cat([x, x1, x2, x3], 1)))
    x5 = m.conv5(torch.cat([x, x1, x2, x3, x4], 1))
    torch.testing.assert_close(m(x), x + 0.2 * x5)


@pytest.mark.parametrize("cls", [DenseBlock, RDB])
def test_bad_sizes_raise(cls: type[nn.Module]) -> None:
    with pytest.raises(SrkitError):
        cls(n_feats=8, growth=4, n_layers=0)
