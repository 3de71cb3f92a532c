"""Recursive blocks: DRCN's shared-weight recursion and DRRN's recursive residual block."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.recursive import ConvAct, Recursive, RecursiveResidual
from srkit.blocks.residual import ResBlock

RESBLOCK = {"block": "resblock", "res_scale": 0.5}

FACTORIES: dict[str, Callable[[], nn.Module]] = {
    "conv_act": lambda: ConvAct(n_feats=8),
    "recursive": lambda: Recursive(unit=RESBLOCK, n_feats=8, n_recursions=3),
    "recursive_default": lambda: Recursive(n_feats=8, n_recursions=3),
    "recursive_residual": lambda: RecursiveResidual(n_feats=8, n_units=3),
    "recursive_residual_bn": lambda: RecursiveResidual(n_feats=8, n_units=3, bn=True),
}


def _input(channels: int = 8, size: int = 8) -> torch.Tensor:
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
    assert isinstance(y, torch.Tensor) and y.shape == x.shape
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
    x = _input()
    assert torch.equal(rebuilt(x), m(x))


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:DeprecationWarning")
@pytest.mark.parametrize("name", FACTORIES)
def test_trace_matches_eager(name: str) -> None:
    m = FACTORIES[name]().eval()
    traced = torch.jit.trace(m, _input())
    x = _input(8, 16)
    torch.testing.assert_close(traced(x), m(x))


def test_recursive_parameters_do_not_grow_with_depth() -> None:
    assert _n_params(Recursive(unit=RESBLOCK, n_feats=8, n_recursions=1)) == _n_params(
        Recursive(unit=RESBLOCK, n_feats=8, n_recursions=5)
    )
    assert _n_params(Recursive(n_feats=8, n_recursions=1)) == _n_params(Recursive(n_feats=8, n_recursions=5))
    for bn in (False, True):
        one = RecursiveResidual(n_feats=8, n_units=1, bn=bn)
        five = RecursiveResidual(n_feats=8, n_units=5, bn=bn)
        assert _n_params(one) == _n_params(five)
    # DRRN B1U9 with 128 channels: three 3x3 convolutions with bias, whatever the number of units
    assert _n_params(RecursiveResidual()) == 3 * (128 * 128 * 9 + 128)


def test_recursive_equals_the_block_applied_by_hand() -> None:
    m = Recursive(unit=RESBLOCK, n_feats=8, n_recursions=3)
    assert isinstance(m.block, ResBlock) and m.block.hparams["n_feats"] == 8 and m.block.res_scale == 0.5
    x = _input()
    torch.testing.assert_close(m(x), m.block(m.block(m.block(x))))


def test_recursive_default_block_is_drcn_conv_relu() -> None:
    m = Recursive(n_feats=8, n_recursions=2)
    assert isinstance(m.block, ConvAct)
    x = _input()
    once = torch.relu(m.block.conv(x))
    torch.testing.assert_close(m(x), torch.relu(m.block.conv(once)))
    assert Recursive().hparams == {"unit": None, "n_feats": 256, "n_recursions": 16, "return_all": False}


def test_recursive_return_all_gives_every_recursion() -> None:
    last = Recursive(unit=RESBLOCK, n_feats=8, n_recursions=4)
    every = Recursive(unit=RESBLOCK, n_feats=8, n_recursions=4, return_all=True)
    every.load_state_dict(last.state_dict(), strict=True)
    x = _input()
    outputs = every(x)
    assert isinstance(outputs, list) and len(outputs) == 4
    assert all(o.shape == x.shape for o in outputs)
    h = x
    for o in outputs:
        h = last.block(h)
        torch.testing.assert_close(o, h)
    torch.testing.assert_close(outputs[-1], last(x))
    # multi-supervision: a loss on every recursion reaches the shared weights
    sum(o.square().mean() for o in outputs).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in every.parameters())


def test_recursive_errors() -> None:
    with pytest.raises(SrkitError):
        Recursive(n_feats=8, n_recursions=0)
    with pytest.raises(SrkitError, match="unknown block"):
        Recursive(unit={"block": "no_such_block"}, n_feats=8)


def test_recursive_residual_by_hand() -> None:
    m = RecursiveResidual(n_feats=8, n_units=3)
    x = _input()
    entry = m.conv_in(torch.relu(x))
    h = entry
    for _ in range(3):
        h = entry + m.conv2(torch.relu(m.conv1(torch.relu(h))))
    torch.testing.assert_close(m(x), h)
    assert RecursiveResidual().hparams == {"n_feats": 128, "n_units": 9, "kernel_size": 3, "bn": False}


def test_recursive_residual_bn_is_pre_activation() -> None:
    m = RecursiveResidual(n_feats=8, n_units=2, bn=True)
    assert [type(b) for b in (m.bn_in, m.bn1, m.bn2)] == [nn.BatchNorm2d] * 3
    assert not any(isinstance(b, nn.BatchNorm2d) for b in RecursiveResidual(n_feats=8).modules())
    m.eval()
    x = _input()
    entry = m.conv_in(torch.relu(m.bn_in(x)))
    h = entry
    for _ in range(2):
        h = entry + m.conv2(torch.relu(m.bn2(m.conv1(torch.relu(m.bn1(h))))))
    torch.testing.assert_close(m(x), h)
    with pytest.raises(SrkitError):
        RecursiveResidual(n_feats=8, n_units=0)
