"""Wavelet-domain blocks (srkit/blocks/wavelet.py): DWSR's WaveletSR and the MWCNN-style WaveletBody."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.wavelet import WaveletBody, WaveletSR
from srkit.functional.wavelet import haar_dwt, haar_idwt


def _assert_grads_reach_every_parameter(module: nn.Module, loss: torch.Tensor) -> None:
    loss.backward()
    dead = [n for n, p in module.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not dead, f"no gradient reaches {dead}"


def _assert_rebuilds(module: nn.Module, x: torch.Tensor) -> None:
    clone = type(module)(**cast(dict[str, Any], module.hparams))
    shapes = {k: v.shape for k, v in module.state_dict().items()}
    assert {k: v.shape for k, v in clone.state_dict().items()} == shapes
    clone.load_state_dict(module.state_dict(), strict=True)
    assert torch.equal(clone(x), module(x))


def _zero_last_conv(module: WaveletSR | WaveletBody) -> None:
    last = module.body[-1]
    assert isinstance(last, nn.Conv2d) and last.bias is not None
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)


def _small_sr() -> WaveletSR:
    torch.manual_seed(0)
    return WaveletSR(in_channels=3, n_feats=8, n_layers=3)


def _small_body() -> WaveletBody:
    torch.manual_seed(0)
    return WaveletBody(n_feats=4, n_layers=2)


def test_wavelet_sr_shape_and_wavelet_residual() -> None:
    m = _small_sr()
    x = torch.rand(2, 3, 12, 16)
    y = m(x)
    assert y.shape == x.shape and y.dtype == x.dtype
    coeffs = haar_dwt(x)
    assert torch.allclose(y, haar_idwt(coeffs + m.body(coeffs)), atol=1e-6)
    assert m.body[0].in_channels == 12 and m.body[-1].out_channels == 12  # 4 sub-bands per image channel


def test_wavelet_sr_with_zero_last_conv_is_identity() -> None:
    m = _small_sr()
    _zero_last_conv(m)
    x = torch.rand(2, 3, 16, 16)
    assert (m(x) - x).abs().max().item() < 1e-6


def test_wavelet_sr_defaults_are_dwsr() -> None:
    m = WaveletSR()
    convs = [layer for layer in m.body if isinstance(layer, nn.Conv2d)]
    assert len(convs) == 10
    assert convs[0].in_channels == 4 and convs[0].out_channels == 64 and convs[-1].out_channels == 4


def test_wavelet_body_keeps_shape_and_zero_last_conv_is_identity() -> None:
    m = _small_body()
    x = torch.rand(2, 4, 8, 12)
    assert m(x).shape == x.shape
    assert m.body[0].in_channels == 16  # n_feats -> 4 n_feats at half size
    _zero_last_conv(m)
    assert torch.equal(m(x), x)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.trace is deprecated in recent torch
@pytest.mark.parametrize("make", [_small_sr, _small_body])
def test_gradients_input_rebuild_and_trace(make: Callable[[], nn.Module]) -> None:
    m = make()
    channels = 3 if isinstance(m, WaveletSR) else 4
    x = torch.rand(2, channels, 8, 8)
    saved = x.clone()
    y = m(x)
    assert torch.equal(x, saved)
    _assert_grads_reach_every_parameter(m, y.square().mean())
    _assert_rebuilds(m, x)
    traced = torch.jit.trace(m, x, check_trace=False)
    assert torch.equal(traced(x), m(x))
    other = torch.rand(1, channels, 12, 10)  # the trace is not tied to the size it saw
    assert torch.allclose(traced(other), m(other), atol=1e-6)


def test_odd_size_is_refused() -> None:
    with pytest.raises(SrkitError, match="9x8"):
        _small_sr()(torch.rand(1, 3, 9, 8))
    with pytest.raises(SrkitError, match="8x7"):
        _small_body()(torch.rand(1, 4, 8, 7))


def test_bad_arguments() -> None:
    with pytest.raises(SrkitError, match="n_layers"):
        WaveletSR(n_layers=0)
    with pytest.raises(SrkitError, match="activation"):
        WaveletBody(n_feats=4, act="tanh")
