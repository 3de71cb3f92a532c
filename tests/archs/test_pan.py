"""PAN (Zhao et al. 2020): official key layout, the bilinear skip, detection (x2/x3 ambiguity), parameter counts."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.archs.pan import PAN, ZOO, detect, pan

TINY: dict[str, Any] = {"n_feats": 8, "n_up_feats": 6, "n_blocks": 2}


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card_and_paper(scale: int) -> None:
    card = ZOO[0][1]
    with torch.device("meta"):
        model = pan(scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale] == {2: 261_403, 3: 261_403, 4: 272_419}[scale]
    assert abs(count - card.published_params[scale]) <= 0.01 * card.published_params[scale]


@pytest.mark.parametrize("scale", [2, 3, 4, 5])
def test_shape_gradients_and_input_untouched(scale: int) -> None:
    torch.manual_seed(0)
    model = PAN(scale=scale, **TINY)
    x = torch.rand(2, 3, 5, 6)
    before = x.clone()
    y = model(x)
    assert y.shape == (2, 3, 5 * scale, 6 * scale)
    assert torch.equal(x, before)
    y.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_x4_upsamples_in_two_stages() -> None:
    x4 = set(PAN(scale=4, **TINY).state_dict())
    x2 = set(PAN(scale=2, **TINY).state_dict())
    assert x4 - x2 == {f"{m}.{p}" for m in ("upconv2", "att2.conv", "HRconv2") for p in ("weight", "bias")}
    assert x2 == set(PAN(scale=3, **TINY).state_dict())


def test_official_key_layout() -> None:
    shapes = {k: tuple(v.shape) for k, v in pan(scale=4).state_dict().items()}
    assert len(shapes) == 146  # as PANx4_DF2K.pth
    assert shapes["SCPA_trunk.15.conv1_a.weight"] == (20, 40, 1, 1)
    assert shapes["SCPA_trunk.0.PAConv.k3.weight"] == (20, 20, 3, 3)
    assert shapes["upconv1.weight"] == (24, 40, 3, 3) and shapes["upconv2.weight"] == (24, 24, 3, 3)
    assert shapes["att1.conv.weight"] == (24, 24, 1, 1) and shapes["conv_last.weight"] == (3, 24, 3, 3)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_output_is_a_residual_over_bilinear_upsampling(scale: int) -> None:
    torch.manual_seed(0)
    model = PAN(scale=scale, **TINY).eval()
    torch.nn.init.zeros_(model.conv_last.weight)
    torch.nn.init.zeros_(model.conv_last.bias)
    x = torch.rand(1, 3, 6, 7)
    expected = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)


def test_detect_tells_x4_but_not_x2_from_x3() -> None:
    assert detect(PAN(scale=4, **TINY).state_dict()) == PAN(scale=4, **TINY).hparams
    found = {s: detect(PAN(scale=s, **TINY).state_dict()) for s in (2, 3)}
    assert found[2] == found[3] == {**PAN(scale=2, **TINY).hparams, "scale": None}
    assert detect({f"module.{k}": v for k, v in PAN(scale=4, **TINY).state_dict().items()}) is not None
    assert detect({"conv.weight": torch.zeros(1)}) is None


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="scale"):
        PAN(scale=1, **TINY)
    with pytest.raises(SrkitError, match="in_channels"):
        PAN(scale=2, in_channels=1, out_channels=3, **TINY)
