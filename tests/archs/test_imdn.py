"""IMDN (Hui et al. 2019): official key layout, detection from a state dict, shapes, parameter counts."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.imdn import IMDN, ZOO, detect, imdn

TINY: dict[str, Any] = {"n_feats": 16, "n_blocks": 2, "reduction": 4}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card_and_paper(scale: int) -> None:
    card = ZOO[0][1]
    with torch.device("meta"):
        model = imdn(scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale] == {2: 694_404, 3: 703_059, 4: 715_176}[scale]
    assert abs(count - card.published_params[scale]) <= 0.01 * card.published_params[scale]


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_shape_gradients_and_input_untouched(scale: int) -> None:
    torch.manual_seed(0)
    model = IMDN(scale=scale, **TINY)
    x = torch.rand(2, 3, 7, 5)
    before = x.clone()
    y = model(x)
    assert y.shape == (2, 3, 7 * scale, 5 * scale)
    assert torch.equal(x, before)
    y.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_official_key_layout() -> None:
    shapes = {k: tuple(v.shape) for k, v in imdn(scale=2).state_dict().items()}
    assert shapes["fea_conv.weight"] == (64, 3, 3, 3)
    assert [k for k in shapes if k.endswith(".c1.weight")] == [f"IMDB{i}.c1.weight" for i in range(1, 7)]
    assert shapes["IMDB6.c4.weight"] == (16, 48, 3, 3) and shapes["IMDB6.c5.weight"] == (64, 64, 1, 1)
    assert shapes["IMDB1.cca.conv_du.0.weight"] == (4, 64, 1, 1)
    assert shapes["c.0.weight"] == (64, 384, 1, 1)
    assert shapes["LR_conv.weight"] == (64, 64, 3, 3)
    assert shapes["upsampler.0.weight"] == (12, 64, 3, 3)
    assert len(shapes) == 6 * 14 + 8  # as the official IMDN_x2.pth (92 tensors)


def test_global_skip_and_upsampler() -> None:
    """With the body's last convolution zeroed, the output is the pixel shuffle of the upsampler applied to f0."""
    torch.manual_seed(0)
    model = IMDN(scale=2, **TINY).eval()
    torch.nn.init.zeros_(model.LR_conv.weight)
    torch.nn.init.zeros_(model.LR_conv.bias)
    x = torch.rand(1, 3, 6, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model.upsampler(model.fea_conv(x)))


def test_attention_is_global() -> None:
    """The contrast-aware attention pools over the whole image, hence the card's tiling=False."""
    assert ZOO[0][1].tiling is False
    torch.manual_seed(0)
    model = IMDN(scale=2, **TINY).eval()
    x = torch.rand(1, 3, 40, 40)
    far = x.clone()
    far[..., -1, -1] += 1.0
    with torch.no_grad():
        assert not torch.equal(model(x)[..., :2, :2], model(far)[..., :2, :2])


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
@pytest.mark.parametrize("prefix", ["", "module."])
def test_detect_reads_the_hyper_parameters(scale: int, prefix: str) -> None:
    model = IMDN(scale=scale, n_feats=16, n_blocks=3, reduction=4)
    state = {prefix + k: v for k, v in model.state_dict().items()}
    found = detect(state)
    assert found is not None and found["scale"] == scale
    rebuilt = IMDN(**found)  # the activation slope is not in the weights: the paper's default
    assert rebuilt.hparams == model.hparams
    rebuilt.load_state_dict(model.state_dict(), strict=True)


def test_detect_refuses_other_layouts() -> None:
    assert detect({"conv.weight": torch.zeros(1, 1, 3, 3)}) is None
    state = IMDN(scale=2, **TINY).state_dict()
    state["upsampler.0.weight"] = torch.zeros(10, 16, 3, 3)  # 10 = 3 s^2 has no integer s
    assert detect(state) is None


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="scale"):
        IMDN(scale=0, **TINY)
    with pytest.raises(SrkitError, match="n_blocks"):
        IMDN(scale=2, n_feats=16, n_blocks=0)
