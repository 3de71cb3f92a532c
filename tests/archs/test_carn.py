"""CARN and CARN-M (Ahn et al. 2018): multi-scale calls, frozen mean shifts, official keys, detection, counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.carn import CARN, ZOO, arch_name, carn, carn_m, carn_m_single, carn_single, convert_official, detect
from srkit.blocks.common import RGB_MEAN

TINY: dict[str, Any] = {"n_feats": 8, "n_groups": 2, "n_blocks": 2}
CARDS = {card.name: card for _, card in ZOO}
EXPECTED = {
    "carn": {2: 1_591_939, 3: 1_591_939, 4: 1_591_939},
    "carn_m": {2: 414_787, 3: 414_787, 4: 414_787},
    "carn_single": {2: 964_163, 3: 1_148_803, 4: 1_111_875},
    "carn_m_single": {2: 257_027, 3: 303_427, 4: 294_147},
}


@pytest.mark.parametrize("builder", [carn, carn_m, carn_single, carn_m_single], ids=lambda b: b.__name__)
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card_and_paper(builder: Any, scale: int) -> None:
    card = CARDS[builder.__name__]
    with torch.device("meta"):
        model = builder(scale=scale)
    count = sum(p.numel() for p in model.parameters())
    assert count == card.params[scale] == EXPECTED[card.name][scale]
    published = card.published_params.get(scale)
    if published:
        assert abs(count - published) <= 0.01 * published


@pytest.mark.parametrize("efficient", [False, True])
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_multi_scale_model_serves_every_scale(efficient: bool, scale: int) -> None:
    torch.manual_seed(0)
    model = CARN(scale=2, efficient=efficient, groups=2 if efficient else 1, multi_scale=True, **TINY)
    x = torch.rand(2, 3, 5, 6)
    before = x.clone()
    assert model(x, scale).shape == (2, 3, 5 * scale, 6 * scale)
    assert torch.equal(x, before)


def test_scale_none_uses_the_built_scale_and_single_scale_refuses_others() -> None:
    torch.manual_seed(0)
    model = CARN(scale=3, multi_scale=True, **TINY).eval()
    x = torch.rand(1, 3, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(x, 3))
    with pytest.raises(SrkitError, match="serves scales"):
        model(x, 8)
    single = CARN(scale=8, **TINY)
    assert single(x).shape[-1] == 32
    with pytest.raises(SrkitError, match="serves scales"):
        single(x, 2)


def test_only_the_called_upsampler_trains() -> None:
    model = CARN(scale=2, efficient=True, groups=2, multi_scale=True, **TINY)
    model(torch.rand(1, 3, 4, 4), 3).mean().backward()
    for name, p in model.named_parameters():
        per_scale = re.match(r"upsample\.up(\d)\.", name)
        assert (p.grad is not None) == (per_scale is None or per_scale.group(1) == "3"), name


def test_mean_shift_is_a_frozen_identity_convolution() -> None:
    model = CARN(scale=2, **TINY)
    state = model.state_dict()
    assert torch.equal(state["sub_mean.weight"], torch.eye(3).view(3, 3, 1, 1))
    torch.testing.assert_close(state["sub_mean.bias"], -torch.tensor(RGB_MEAN))
    torch.testing.assert_close(state["add_mean.bias"], torch.tensor(RGB_MEAN))
    assert not any("_mean" in n for n, _ in model.named_parameters())  # buffers: not trained, not counted
    official = {k.replace("_mean.", "_mean.shifter."): v for k, v in state.items()}  # CARN-pytorch's keys
    assert convert_official(official).keys() == state.keys()
    x = torch.rand(1, 3, 2, 2)
    torch.testing.assert_close(model.sub_mean(x), x - torch.tensor(RGB_MEAN).view(1, 3, 1, 1))


def test_carn_m_key_layout_is_the_official_one() -> None:
    shapes = {k: tuple(v.shape) for k, v in carn_m(scale=2).state_dict().items()}
    assert len(shapes) == 58  # as carn_m.pth
    assert shapes["b3.b1.body.0.weight"] == (64, 16, 3, 3) and shapes["b3.b1.body.4.weight"] == (64, 64, 1, 1)
    assert shapes["b2.c3.body.0.weight"] == (64, 256, 1, 1) and shapes["c2.body.0.weight"] == (64, 192, 1, 1)
    assert shapes["upsample.up3.body.0.weight"] == (576, 16, 3, 3)
    assert shapes["upsample.up4.body.3.weight"] == (256, 16, 3, 3)
    assert "b1.b2.body.0.weight" not in shapes  # one shared unit per block
    carn_keys = set(carn(scale=2).state_dict())
    assert {"b1.b2.body.2.weight", "b1.b3.body.0.weight"} <= carn_keys


@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale": 2, "efficient": True, "groups": 2, "multi_scale": True},
        {"scale": 2, "efficient": False, "groups": 1, "multi_scale": True},
        {"scale": 2, "efficient": False, "groups": 2, "multi_scale": False},
        {"scale": 3, "efficient": True, "groups": 4, "multi_scale": False},
        {"scale": 4, "efficient": False, "groups": 1, "multi_scale": False},
        {"scale": 8, "efficient": True, "groups": 2, "multi_scale": False},
    ],
)
def test_detect_reads_the_hyper_parameters(kwargs: dict[str, Any]) -> None:
    model = CARN(**kwargs, **TINY)
    found = detect(convert_official({f"module.{k}": v for k, v in model.state_dict().items()}))
    assert found == model.hparams
    CARN(**found).load_state_dict(model.state_dict(), strict=True)


def test_detect_refuses_other_layouts_and_names_the_variant() -> None:
    assert detect({"entry.weight": torch.zeros(8, 3, 3, 3)}) is None
    names = {
        arch_name(detect(b(scale=2, **TINY).state_dict()) or {}) for b in (carn, carn_m, carn_single, carn_m_single)
    }
    assert names == {"carn", "carn_m", "carn_single", "carn_m_single"}


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="scales"):
        CARN(scale=8, multi_scale=True, **TINY)
    with pytest.raises(SrkitError, match="scales"):
        CARN(scale=5, **TINY)
    with pytest.raises(SrkitError, match="divisible"):
        CARN(scale=2, groups=3, **TINY)
