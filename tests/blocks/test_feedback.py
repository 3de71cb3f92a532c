"""SRFBN's feedback block and its unrolled loop (srkit/blocks/feedback.py)."""

from __future__ import annotations

from typing import Any, cast

import pytest
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit.blocks.feedback import FeedbackBlock, FeedbackLoop


def _assert_grads_reach_every_parameter(module: nn.Module, loss: torch.Tensor) -> None:
    loss.backward()
    dead = [n for n, p in module.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not dead, f"no gradient reaches {dead}"


def _assert_rebuilds(module: nn.Module, x: torch.Tensor) -> None:
    clone = type(module)(**cast(dict[str, Any], module.hparams))
    assert {k: v.shape for k, v in clone.state_dict().items()} == {k: v.shape for k, v in module.state_dict().items()}
    clone.load_state_dict(module.state_dict(), strict=True)
    out, expected = clone(x), module(x)
    pairs = zip(out, expected, strict=True) if isinstance(out, list) else [(out, expected)]
    for a, b in pairs:
        assert torch.equal(a, b)


def _conv(unit: nn.Module) -> nn.Conv2d | nn.ConvTranspose2d:
    """The (de)convolution of a conv + activation unit."""
    conv = next(iter(unit.children()))
    assert isinstance(conv, nn.Conv2d | nn.ConvTranspose2d)
    return conv


def _loop(return_all: bool = True) -> FeedbackLoop:
    torch.manual_seed(0)
    return FeedbackLoop(n_feats=8, n_groups=2, scale=2, n_steps=3, return_all=return_all)


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_block_keeps_shape_at_every_scale(scale: int) -> None:
    torch.manual_seed(0)
    m = FeedbackBlock(n_feats=4, n_groups=2, scale=scale)
    x = torch.rand(2, 4, 5, 6)
    assert m(x).shape == x.shape
    assert m(x, torch.rand_like(x)).shape == x.shape
    up, down = _conv(m.ups[0]), _conv(m.downs[0])
    assert isinstance(up, nn.ConvTranspose2d) and isinstance(down, nn.Conv2d)
    assert (up.kernel_size[0], up.stride[0], up.padding) == (down.kernel_size[0], down.stride[0], down.padding)
    srfbn = {2: (6, 2, 2), 3: (7, 3, 2), 4: (8, 4, 2), 8: (12, 8, 2)}
    assert (up.kernel_size[0], up.stride[0], up.padding[0]) == srfbn[scale]


def test_block_structure_is_srfbn() -> None:
    m = FeedbackBlock()  # SRFBN: 64 features, G = 6
    assert len(m.ups) == len(m.downs) == 6
    # group g (g >= 1) fuses the g + 1 earlier LR / HR maps with a 1x1 convolution; none for the first group
    assert [_conv(f).in_channels for f in m.fuse_lr] == [64 * (g + 1) for g in range(1, 6)]
    assert [_conv(f).in_channels for f in m.fuse_hr] == [64 * (g + 1) for g in range(1, 6)]
    assert _conv(m.compress_in).in_channels == 128 and _conv(m.compress_out).in_channels == 6 * 64
    assert all(_conv(f).kernel_size == (1, 1) for f in [*m.fuse_lr, *m.fuse_hr, m.compress_in, m.compress_out])


def test_first_iteration_uses_input_as_hidden_state() -> None:
    torch.manual_seed(0)
    m = FeedbackBlock(n_feats=4, n_groups=2, scale=2)
    x = torch.rand(2, 4, 6, 6)
    assert torch.equal(m(x), m(x, x))
    assert not torch.allclose(m(x), m(x, torch.zeros_like(x)))


def test_loop_returns_one_output_per_step_from_explicit_state() -> None:
    m = _loop()
    x = torch.rand(2, 8, 6, 6)
    outputs = m(x)
    assert isinstance(outputs, list) and len(outputs) == 3
    assert all(o.shape == x.shape for o in outputs)
    # the recurrence: out_1 = block(x), out_t = block(x, out_{t-1})
    assert torch.equal(outputs[0], m.block(x))
    assert torch.equal(outputs[1], m.block(x, outputs[0]))
    assert torch.equal(outputs[2], m.block(x, outputs[1]))
    assert not torch.allclose(outputs[0], outputs[1]) and not torch.allclose(outputs[1], outputs[2])


def test_no_state_leaks_between_calls() -> None:
    m = _loop()
    x = torch.rand(2, 8, 6, 6)
    first = m(x)
    m(torch.rand(2, 8, 6, 6))  # an unrelated call in between
    second = m(x)
    assert isinstance(first, list) and isinstance(second, list)
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a, b)


def test_return_all_false_gives_the_last_step() -> None:
    m = _loop(return_all=False)
    x = torch.rand(2, 8, 6, 6)
    out = m(x)
    assert isinstance(out, torch.Tensor)
    assert torch.equal(out, m.steps(x)[-1])


def test_gradients_reach_every_parameter_and_input_untouched() -> None:
    m = _loop()
    x = torch.rand(2, 8, 6, 6)
    saved = x.clone()
    outputs = m(x)
    assert torch.equal(x, saved)
    assert isinstance(outputs, list)
    _assert_grads_reach_every_parameter(m, torch.stack([o.square().mean() for o in outputs]).sum())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.trace is deprecated in recent torch
@pytest.mark.parametrize("return_all", [False, True])
def test_rebuild_and_trace(return_all: bool) -> None:
    m = _loop(return_all)
    x = torch.rand(2, 8, 6, 6)
    _assert_rebuilds(m, x)
    traced = torch.jit.trace(m, x, strict=not return_all, check_trace=False)  # strict=False: a list output
    out, expected = traced(x), m(x)
    pairs = zip(out, expected, strict=True) if return_all else [(out, expected)]
    for a, b in pairs:
        assert torch.equal(a, b)


def test_errors() -> None:
    with pytest.raises(SrkitError, match="scale"):
        FeedbackBlock(n_feats=4, scale=5)
    with pytest.raises(SrkitError, match="n_groups"):
        FeedbackBlock(n_feats=4, n_groups=0)
    with pytest.raises(SrkitError, match="n_steps"):
        FeedbackLoop(n_feats=4, n_steps=0)
