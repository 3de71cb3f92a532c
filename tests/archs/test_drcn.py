"""DRCN: shared-weight recursion, recursive supervision (``forward_all``), the learned ensemble, counts."""

from __future__ import annotations

import pytest
import torch

from srkit.archs.drcn import DRCN, ZOO, drcn


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_forward_all_and_gradients(scale: int) -> None:
    torch.manual_seed(0)
    m = drcn(scale=scale, n_feats=8, n_recursions=3)
    x = torch.rand(2, 1, 6, 7)
    x0 = x.clone()
    outs = m.forward_all(x)
    assert len(outs) == 4 and all(o.shape == (2, 1, 6 * scale, 7 * scale) for o in outs)
    assert torch.equal(x, x0)
    weights = m.ensemble.detach()
    torch.testing.assert_close(outs[-1], sum(w * o for w, o in zip(weights, outs[:-1], strict=True)))
    sum(o.square().mean() for o in outs).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


def test_recursion_shares_weights() -> None:
    few, many = DRCN(n_feats=8, n_recursions=2), DRCN(n_feats=8, n_recursions=9)
    assert _n_params(many) - _n_params(few) == 7  # only the ensemble weights grow with D
    with torch.no_grad():
        out = few(torch.rand(1, 1, 5, 5), scale=3)
    assert out.shape == (1, 1, 15, 15)


def test_rebuild_from_hparams() -> None:
    m = DRCN(scale=3, n_feats=8, n_recursions=2).eval()
    rebuilt = type(m)(**m.hparams).eval()
    rebuilt.load_state_dict(m.state_dict(), strict=True)
    x = torch.rand(1, 1, 6, 6)
    assert torch.equal(rebuilt(x), m(x))


def test_parameter_count() -> None:
    (builder, card), *_ = ZOO
    m = builder(scale=2)
    assert _n_params(m) == card.params[2] == 1_775_121
    assert abs(_n_params(m) / card.published_params[2] - 1) < 0.01
