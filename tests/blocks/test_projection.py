"""DBPN's projection units and LapSRN's pyramid step (srkit/blocks/projection.py)."""

from __future__ import annotations

from typing import Any, cast

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.projection import (
    DownProjection,
    LaplacianStep,
    UpProjection,
    bilinear_kernel,
    projection_conv,
    projection_deconv,
)

SCALES = (2, 3, 4, 8)


def _assert_grads_reach_every_parameter(module: nn.Module, loss: torch.Tensor) -> None:
    loss.backward()
    dead = [n for n, p in module.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not dead, f"no gradient reaches {dead}"


def _assert_rebuilds(module: nn.Module, *inputs: torch.Tensor) -> None:
    clone = type(module)(**cast(dict[str, Any], module.hparams))
    assert {k: v.shape for k, v in clone.state_dict().items()} == {k: v.shape for k, v in module.state_dict().items()}
    clone.load_state_dict(module.state_dict(), strict=True)
    out, expected = clone(*inputs), module(*inputs)
    pairs = zip(out, expected, strict=True) if isinstance(out, tuple) else [(out, expected)]
    for a, b in pairs:
        assert torch.equal(a, b)


@pytest.mark.parametrize("scale", SCALES)
def test_projection_layers_give_exact_sizes(scale: int) -> None:
    x = torch.rand(2, 4, 5, 7)
    up = projection_deconv(4, scale)(x)
    assert up.shape == (2, 4, 5 * scale, 7 * scale)
    assert projection_conv(4, scale)(up).shape == x.shape


@pytest.mark.parametrize("scale", SCALES)
def test_up_then_down_projection_sizes(scale: int) -> None:
    torch.manual_seed(scale)
    up, down = UpProjection(n_feats=4, scale=scale), DownProjection(n_feats=4, scale=scale)
    x = torch.rand(2, 4, 3, 5)
    high = up(x)
    assert high.shape == (2, 4, 3 * scale, 5 * scale)
    assert down(high).shape == x.shape
    assert down(torch.rand(1, 4, 2 * scale, 4 * scale)).shape == (1, 4, 2, 4)


def test_up_projection_computes_back_projection() -> None:
    torch.manual_seed(0)
    m = UpProjection(n_feats=4, scale=2).eval()
    low = torch.rand(2, 4, 6, 6)
    h0 = m.act_h0(m.up1(low))
    err = m.act_l0(m.down(h0)) - low  # the LR reconstruction error is projected back up
    assert torch.allclose(m(low), h0 + m.act_h1(m.up2(err)))
    # the three PReLUs have one slope each (DBPN's nn.PReLU())
    assert [p.numel() for n, p in m.named_parameters() if n.startswith("act")] == [1, 1, 1]


def test_down_projection_computes_back_projection() -> None:
    torch.manual_seed(0)
    m = DownProjection(n_feats=4, scale=2).eval()
    high = torch.rand(2, 4, 8, 8)
    l0 = m.act_l0(m.down1(high))
    err = m.act_h0(m.up(l0)) - high
    assert torch.allclose(m(high), l0 + m.act_l1(m.down2(err)))


@pytest.mark.parametrize("cls", [UpProjection, DownProjection])
def test_dense_input_reduction(cls: type[UpProjection | DownProjection]) -> None:
    torch.manual_seed(0)
    m = cls(n_feats=4, scale=2, in_channels=12)
    assert isinstance(m.reduce, nn.Sequential) and m.reduce[0].kernel_size == (1, 1)
    assert isinstance(cls(n_feats=4, scale=2, in_channels=4).reduce, nn.Identity)
    x = torch.rand(2, 12, 8, 8)
    saved = x.clone()
    y = m(x)
    assert y.shape[1] == 4
    assert torch.equal(x, saved)
    _assert_grads_reach_every_parameter(m, y.square().mean())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.trace is deprecated in recent torch
@pytest.mark.parametrize("cls", [UpProjection, DownProjection])
def test_projection_rebuild_and_trace(cls: type[UpProjection | DownProjection]) -> None:
    torch.manual_seed(0)
    m = cls(n_feats=4, scale=4, in_channels=8)
    x = torch.rand(2, 8, 8, 8)
    _assert_rebuilds(m, x)
    traced = torch.jit.trace(m, x, check_trace=False)
    assert torch.equal(traced(x), m(x))


def test_projection_errors() -> None:
    with pytest.raises(SrkitError, match="scale"):
        UpProjection(n_feats=4, scale=5)
    with pytest.raises(SrkitError, match="divisible by 4"):
        DownProjection(n_feats=4, scale=4)(torch.rand(1, 4, 10, 8))


def test_bilinear_kernel() -> None:
    taps = torch.tensor([0.25, 0.75, 0.75, 0.25])
    assert torch.equal(bilinear_kernel(4), torch.outer(taps, taps))


def _small_step() -> LaplacianStep:
    torch.manual_seed(0)
    return LaplacianStep(n_feats=8, in_channels=3, depth=2)


def test_laplacian_step_shapes_and_output() -> None:
    m = _small_step()
    feats, image = torch.rand(2, 8, 6, 5), torch.rand(2, 3, 6, 5)
    feats_up, image_up = m(feats, image)
    assert feats_up.shape == (2, 8, 12, 10) and image_up.shape == (2, 3, 12, 10)
    assert torch.allclose(feats_up, m.feature_up(m.embed(feats)))
    assert torch.allclose(image_up, m.image_up(image) + m.residual(feats_up))
    assert sum(isinstance(layer, nn.Conv2d) for layer in m.embed) == 2


def test_laplacian_image_branch_starts_bilinear() -> None:
    m = _small_step()
    value = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1)
    constant = value.expand(2, 3, 8, 8).contiguous()
    up = m.image_up(constant)
    interior = up[..., 1:-1, 1:-1]
    assert torch.allclose(interior, value.expand_as(interior), atol=1e-6)  # per channel, no channel mixing
    image = torch.rand(2, 3, 8, 8)
    bilinear = F.interpolate(image, scale_factor=2, mode="bilinear", align_corners=False)
    assert torch.allclose(m.image_up(image)[..., 1:-1, 1:-1], bilinear[..., 1:-1, 1:-1], atol=1e-6)
    # with the residual branch silenced the whole step is bilinear upsampling
    assert m.residual.bias is not None
    nn.init.zeros_(m.residual.weight)
    nn.init.zeros_(m.residual.bias)
    _, image_up = m(torch.rand(2, 8, 8, 8), constant)
    assert torch.allclose(image_up[..., 1:-1, 1:-1], interior, atol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_laplacian_step_gradients_input_rebuild_trace() -> None:
    m = _small_step()
    feats, image = torch.rand(2, 8, 6, 6), torch.rand(2, 3, 6, 6)
    saved = feats.clone(), image.clone()
    feats_up, image_up = m(feats, image)
    assert torch.equal(feats, saved[0]) and torch.equal(image, saved[1])
    _assert_grads_reach_every_parameter(m, feats_up.square().mean() + image_up.square().mean())
    _assert_rebuilds(m, feats, image)
    traced = torch.jit.trace(m, (feats, image), check_trace=False)
    for a, b in zip(traced(feats, image), m(feats, image), strict=True):
        assert torch.equal(a, b)


def test_laplacian_defaults_and_errors() -> None:
    m = LaplacianStep()
    assert m.image_up.weight.shape == (1, 1, 4, 4) and m.image_up.bias is None
    assert sum(isinstance(layer, nn.Conv2d) for layer in m.embed) == 10
    with pytest.raises(SrkitError, match="depth"):
        LaplacianStep(depth=-1)
