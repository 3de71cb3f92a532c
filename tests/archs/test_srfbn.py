"""SRFBN (Li et al. 2019): one output per feedback step, the bilinear skip, no state between calls, counts."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.archs.srfbn import SRFBN, ZOO, srfbn

TINY: dict[str, Any] = {"n_feats": 8, "n_groups": 2, "n_steps": 3}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card_and_paper(scale: int) -> None:
    card = ZOO[0][1]
    with torch.device("meta"):
        model = srfbn(scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale] == {2: 2_140_510, 3: 2_832_734, 4: 3_631_454}[scale]
    published = card.published_params.get(scale)
    if published:
        assert abs(count - published) <= 0.01 * published


@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_every_step_gives_an_image(scale: int) -> None:
    torch.manual_seed(0)
    model = SRFBN(scale=scale, **TINY)
    x = torch.rand(2, 3, 5, 4)
    before = x.clone()
    outs = model.forward_all(x)
    assert len(outs) == 3 and all(o.shape == (2, 3, 5 * scale, 4 * scale) for o in outs)
    assert torch.equal(x, before)
    sum(o.mean() for o in outs).backward()  # one loss per step, as in the paper
    assert all(p.grad is not None for p in model.parameters())


def test_forward_is_the_last_step_and_steps_differ() -> None:
    torch.manual_seed(0)
    model = SRFBN(scale=2, **TINY).eval()
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        outs = model.forward_all(x)
        torch.testing.assert_close(model(x), outs[-1])
        assert not torch.allclose(outs[0], outs[-1])  # the feedback changes the estimate
        torch.testing.assert_close(model(x), model(x))  # no hidden state survives a call


def test_skip_is_bilinear_interpolation() -> None:
    """With the reconstruction convolution zeroed, every step's output is the bilinear upsampling of the input."""
    torch.manual_seed(0)
    model = SRFBN(scale=3, **TINY).eval()
    torch.nn.init.zeros_(model.conv_out.weight)
    torch.nn.init.zeros_(model.conv_out.bias)
    x = torch.rand(1, 3, 4, 5)
    expected = F.interpolate(x, scale_factor=3, mode="bilinear", align_corners=False)
    with torch.no_grad():
        for out in model.forward_all(x):
            torch.testing.assert_close(out, expected)


def test_structure_is_the_papers() -> None:
    with torch.device("meta"):
        model = srfbn(scale=4)
    assert model.conv_in[0].out_channels == 256 and model.feat_in[0].out_channels == 64
    assert len(model.block.ups) == 6 and model.n_steps == 4
    deconv = model.out[0]
    assert isinstance(deconv, torch.nn.ConvTranspose2d)
    assert (deconv.kernel_size, deconv.stride, deconv.padding) == ((8, 8), (4, 4), (2, 2))


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="scales"):
        SRFBN(scale=5, **TINY)
    with pytest.raises(SrkitError, match="n_steps"):
        SRFBN(scale=2, n_feats=8, n_groups=2, n_steps=0)
