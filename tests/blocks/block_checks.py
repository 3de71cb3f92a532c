"""The per-block check shared by the block test files (the registry-wide contract is test_contract.py)."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable

import torch
from torch import nn


def check_contract(
    m: nn.Module,
    x: torch.Tensor,
    wrap: Callable[[nn.Module], nn.Module] = lambda m: m,
    used: Callable[[str], bool] = lambda name: True,
) -> None:
    """Shape and dtype kept, finite, input untouched, gradients reach every parameter that takes part (``used``)
    and no other, rebuild from hparams + strict state-dict round trip, float64 works, traced == eager."""
    before = x.clone()
    y = wrap(m)(x)
    assert y.shape == x.shape and y.dtype == x.dtype and torch.isfinite(y).all()
    assert torch.equal(x, before)
    (y * torch.randn_like(y)).sum().backward()
    for name, p in m.named_parameters():
        assert (p.grad is not None and p.grad.abs().sum() > 0) if used(name) else p.grad is None, name
    rebuilt = type(m)(**m.hparams)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in m.state_dict().items()}
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(wrap(rebuilt)(x), y)
        y64 = wrap(copy.deepcopy(m).double())(x.double())
        assert y64.dtype == torch.float64
        torch.testing.assert_close(y64.float(), y, rtol=1e-4, atol=1e-5)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "`torch.jit.trace", DeprecationWarning)
            traced = torch.jit.trace(wrap(m), (x,))
        torch.testing.assert_close(traced(x), y)
