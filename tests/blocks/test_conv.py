"""Tests of srkit.blocks.conv: dilated convolutions, CARN's blocks, IMDN's block."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from block_checks import check_contract
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.conv import (
    IMDB,
    CascadingBlock,
    CCALayer,
    DilatedConvBlock,
    EResidualBlock,
    ResidualBlock,
    channel_contrast,
)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: DilatedConvBlock(n_feats=8),
        lambda: ResidualBlock(n_feats=8),
        lambda: EResidualBlock(n_feats=8, groups=4),
        lambda: CascadingBlock(n_feats=8),
        lambda: CascadingBlock(n_feats=8, efficient=False, shared=False),
        lambda: CascadingBlock(n_feats=8, efficient=True, shared=False, groups=2, n_blocks=2),
        lambda: IMDB(n_feats=16, reduction=4),
        lambda: CCALayer(n_feats=8, reduction=2),
    ],
)
def test_body_contract(make: Callable[[], nn.Module]) -> None:
    m = make()
    check_contract(m, torch.randn(2, m.hparams["n_feats"], 12, 10))


def _shapes(m: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in m.state_dict().items()}


def test_carn_m_block_official_keys() -> None:
    expected = {
        "b1.body.0": (64, 16, 3, 3),
        "b1.body.2": (64, 16, 3, 3),
        "b1.body.4": (64, 64, 1, 1),
        "c1.body.0": (64, 128, 1, 1),
        "c2.body.0": (64, 192, 1, 1),
        "c3.body.0": (64, 256, 1, 1),
    }
    want = {f"{k}.weight": v for k, v in expected.items()} | {f"{k}.bias": (64,) for k in expected}
    m = CascadingBlock(n_feats=64, efficient=True, shared=True, groups=4)
    assert _shapes(m) == want


def test_carn_block_official_keys() -> None:
    m = CascadingBlock(n_feats=64, efficient=False, shared=False)
    expected = {f"b{i}.body.{j}": (64, 64, 3, 3) for i in (1, 2, 3) for j in (0, 2)}
    expected |= {f"c{i}.body.0": (64, 64 * (i + 1), 1, 1) for i in (1, 2, 3)}
    want = {f"{k}.weight": v for k, v in expected.items()} | {f"{k}.bias": (64,) for k in expected}
    assert _shapes(m) == want


def _n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_carn_m_parameter_count_by_hand() -> None:
    n, g = 64, 4
    eres = 2 * (n * (n // g) * 9 + n) + (n * n + n)  # two group convs + one 1x1
    fusions = sum((i + 1) * n * n + n for i in (1, 2, 3))  # c1..c3: (i+1) n -> n, 1x1
    shared = CascadingBlock(n_feats=n, shared=True, groups=g)
    assert _n_params(shared) == eres + fusions == 59776
    assert _n_params(shared) < _n_params(CascadingBlock(n_feats=n, shared=False, groups=g))
    assert _n_params(CascadingBlock(n_feats=n, shared=False, groups=g)) == 3 * eres + fusions


def test_eresidual_uses_group_convolutions() -> None:
    m = EResidualBlock(n_feats=16, groups=4)
    assert m.body[0].groups == 4 and m.body[2].groups == 4 and m.body[4].groups == 1
    assert m.body[4].kernel_size == (1, 1)
    with pytest.raises(SrkitError, match="divisible"):
        EResidualBlock(n_feats=10, groups=4)


def test_cascading_shared_block_reuses_one_unit() -> None:
    """CARN-M's forward, written out by hand: the same b1 three times, each fusion reading all before it."""
    m, x = CascadingBlock(n_feats=8, shared=True, groups=2), torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        c, o = x, x
        for fusion in (m.c1, m.c2, m.c3):
            c = torch.cat([c, m.b1(o)], dim=1)
            o = F.relu(fusion.body[0](c))
        torch.testing.assert_close(m(x), o)
    assert not hasattr(m, "b2")


def _imdb_reference(m: IMDB, x: torch.Tensor) -> torch.Tensor:
    """IMDN's block with functional ops: split 25 %, LeakyReLU(0.05), CCA with the population std."""
    d, r = m.distilled, m.remaining
    act = lambda t: F.leaky_relu(t, 0.05)  # noqa: E731
    o1 = act(F.conv2d(x, m.c1.weight, m.c1.bias, padding=1))
    o2 = act(F.conv2d(o1[:, d:], m.c2.weight, m.c2.bias, padding=1))
    o3 = act(F.conv2d(o2[:, d:], m.c3.weight, m.c3.bias, padding=1))
    o4 = F.conv2d(o3[:, d:], m.c4.weight, m.c4.bias, padding=1)
    assert o1.shape[1] - d == r
    cat = torch.cat([o1[:, :d], o2[:, :d], o3[:, :d], o4], dim=1)
    stat = cat.std(dim=(2, 3), unbiased=False, keepdim=True) + cat.mean(dim=(2, 3), keepdim=True)
    du = m.cca.conv_du
    att = torch.sigmoid(F.conv2d(F.relu(F.conv2d(stat, du[0].weight, du[0].bias)), du[2].weight, du[2].bias))
    return F.conv2d(cat * att, m.c5.weight, m.c5.bias) + x


def test_imdb_official_keys_and_reference() -> None:
    m = IMDB(n_feats=64)
    want = {
        "c1.weight": (64, 64, 3, 3),
        "c2.weight": (64, 48, 3, 3),
        "c3.weight": (64, 48, 3, 3),
        "c4.weight": (16, 48, 3, 3),
        "c5.weight": (64, 64, 1, 1),
        "cca.conv_du.0.weight": (4, 64, 1, 1),
        "cca.conv_du.2.weight": (64, 4, 1, 1),
    }
    want |= {k.replace("weight", "bias"): (v[0],) for k, v in want.items()}
    assert _shapes(m) == want
    x = torch.randn(2, 64, 8, 8)
    with torch.no_grad():
        y = m(x)
        assert y.shape == x.shape
        torch.testing.assert_close(y, _imdb_reference(m, x))


def test_channel_contrast() -> None:
    x = torch.randn(2, 3, 5, 4)
    expected = x.std(dim=(2, 3), unbiased=False, keepdim=True) + x.mean(dim=(2, 3), keepdim=True)
    torch.testing.assert_close(channel_contrast(x), expected)
    flat = torch.ones(1, 2, 3, 3, requires_grad=True)  # zero variance: finite gradient, unlike sqrt(var)
    channel_contrast(flat).sum().backward()
    assert flat.grad is not None and torch.isfinite(flat.grad).all()
    with pytest.raises(SrkitError):
        IMDB(n_feats=2, distillation_rate=0.25)


def test_dilated_receptive_field() -> None:
    """An impulse spreads beyond 3x3, as far as the dilations reach (radius 1+2+4+2+1 = 10) and no further."""
    m = DilatedConvBlock(n_feats=4)
    size, c = 31, 15
    impulse = torch.zeros(1, 4, size, size)
    impulse[0, :, c, c] = 1.0
    with torch.no_grad():
        diff = (m(impulse) - m(torch.zeros_like(impulse)) - impulse).abs().sum(dim=1)[0]
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    dist = torch.maximum((rows - c).abs(), (cols - c).abs())
    assert diff[dist > 10].max() == 0
    assert diff[(dist > 5) & (dist <= 10)].max() > 0
    assert [layer.dilation for layer in m.body if isinstance(layer, nn.Conv2d)] == [(d, d) for d in (1, 2, 4, 2, 1)]
    with pytest.raises(SrkitError):
        DilatedConvBlock(dilations=(1, 0))
