"""MemNet: memory blocks and their gates, multi-supervision (``forward_all``), the paper's parameter count."""

from __future__ import annotations

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.memnet import ZOO, MemNet, MemoryBlock, memnet


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("bn", [True, False])
def test_forward_all_and_gradients(bn: bool) -> None:
    torch.manual_seed(0)
    m = memnet(scale=3, n_feats=8, n_blocks=3, n_recursions=2, bn=bn)
    x = torch.rand(2, 1, 5, 6)
    x0 = x.clone()
    outs = m.forward_all(x)
    assert len(outs) == 4 and all(o.shape == (2, 1, 15, 18) for o in outs)
    assert torch.equal(x, x0)
    torch.testing.assert_close(outs[-1], sum(w * o for w, o in zip(m.ensemble.detach(), outs[:-1], strict=True)))
    sum(o.square().mean() for o in outs).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())
    assert m(x, scale=2).shape == (2, 1, 10, 12)


def test_gate_reads_long_and_short_term_memory() -> None:
    m = MemNet(n_feats=8, n_blocks=3, n_recursions=2, bn=False)
    # block m concatenates B_0 ... B_{m-1} and R short-term states: (R + m) * n_feats channels
    assert [b.gate[-1].in_channels for b in m.blocks] == [24, 32, 40]
    block = MemoryBlock(n_feats=4, n_recursions=2, n_memories=2, bn=False)
    x = torch.rand(1, 4, 5, 5)
    assert block(x, [x, x]).shape == x.shape


def test_errors_and_rebuild() -> None:
    with pytest.raises(SrkitError, match="n_blocks"):
        MemNet(n_blocks=0)
    m = MemNet(scale=2, n_feats=8, n_blocks=2, n_recursions=2).eval()
    rebuilt = type(m)(**m.hparams).eval()
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 1, 6, 6)
    assert torch.equal(rebuilt(x), m(x))


def test_parameter_count_is_the_papers() -> None:
    (builder, card), *_ = ZOO
    m = builder(scale=2)
    assert _n_params(m) == card.params[2]
    # the paper's 677K (M6R6) counts convolution weights only
    assert sum(p.numel() for p in m.parameters() if p.ndim == 4) == 676_992
    assert abs(_n_params(memnet(bn=False)) / 677_000 - 1) < 0.01
