"""LapSRN and MS-LapSRN: pyramid outputs, shared weights across levels and scales, the papers' counts."""

from __future__ import annotations

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.lapsrn import ZOO, LapSRN, MSLapSRN, lapsrn, ms_lapsrn


def _n_params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("scale", [2, 4, 8])
@pytest.mark.parametrize("kind", ["lapsrn", "ms_lapsrn"])
def test_pyramid_outputs_and_gradients(kind: str, scale: int) -> None:
    torch.manual_seed(0)
    m = lapsrn(scale=scale, n_feats=8, depth=1) if kind == "lapsrn" else ms_lapsrn(scale=scale, n_feats=8, depth=1)
    x = torch.rand(2, 1, 5, 6)
    x0 = x.clone()
    outs = m.forward_all(x)
    assert [o.shape[-2:] for o in outs] == [(5 * 2**k, 6 * 2**k) for k in range(1, len(outs) + 1)]
    assert outs[-1].shape == (2, 1, 5 * scale, 6 * scale)
    assert torch.equal(x, x0)
    sum(o.square().mean() for o in outs).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in m.parameters())


@pytest.mark.parametrize("skip", ["ss", "ds", "ns"])
def test_ms_lapsrn_one_network_for_every_scale(skip: str) -> None:
    torch.manual_seed(0)
    m = MSLapSRN(scale=2, n_feats=8, depth=2, n_recursions=2, skip=skip).eval()
    x = torch.rand(1, 1, 4, 4)
    with torch.no_grad():
        x8 = m.forward_all(x, scale=8)
        x2 = m(x)
    assert x8[-1].shape == (1, 1, 32, 32)
    torch.testing.assert_close(x8[0], x2)  # the same weights give the same x2 level
    assert _n_params(MSLapSRN(n_feats=8, n_recursions=1)) == _n_params(MSLapSRN(n_feats=8, n_recursions=5))


def test_image_branch_starts_bilinear() -> None:
    m = MSLapSRN(scale=2, n_feats=4, depth=1, n_recursions=1)
    with torch.no_grad():
        m.residual.weight.zero_()
        m.residual.bias.zero_()
        x = torch.full((1, 1, 4, 4), 0.5)
        torch.testing.assert_close(m(x)[..., 1:-1, 1:-1], torch.full((1, 1, 6, 6), 0.5))


def test_errors_and_rebuild() -> None:
    for bad in (3, 6, 1):
        with pytest.raises(SrkitError, match="power of two"):
            LapSRN(scale=bad)
    with pytest.raises(SrkitError, match="up_kernel_size"):
        LapSRN(scale=2, up_kernel_size=5)
    with pytest.raises(SrkitError, match="skip"):
        MSLapSRN(skip="dense")
    for m in (LapSRN(scale=4, n_feats=8, depth=1).eval(), MSLapSRN(scale=4, n_feats=8, depth=1).eval()):
        rebuilt = type(m)(**m.hparams).eval()
        rebuilt.load_state_dict(m.state_dict(), strict=True)
        x = torch.rand(1, 1, 5, 5)
        with torch.no_grad():
            assert torch.equal(rebuilt(x), m(x))


def test_parameter_counts_are_the_papers() -> None:
    for builder, card in ZOO:
        for scale in card.scales:
            m = builder(scale=scale)
            assert _n_params(m) == card.params[scale]
            if scale in card.published_params:
                assert abs(_n_params(m) / card.published_params[scale] - 1) < 0.01
    # LapSRN x4: 812,768 convolution weights (the CVPR paper's 812K); 4x4 feature upsamplers would give 871K
    assert sum(p.numel() for p in lapsrn(scale=4).parameters() if p.ndim == 4) == 812_768
    assert _n_params(lapsrn(scale=4, up_kernel_size=4)) == 871_586
