"""MDSR (Lim et al. 2017): one model for three scales, key layout, official-key conversion, parameter count."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.mdsr import MDSR, ZOO, convert_official, detect, mdsr

TINY: dict[str, Any] = {"n_feats": 8, "n_blocks": 2}


@pytest.fixture(scope="module")
def full_count() -> int:
    """The full default model, built once on the meta device (one model serves every scale)."""
    with torch.device("meta"):
        model = mdsr(scale=2)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card_and_paper(full_count: int, scale: int) -> None:
    card = ZOO[0][1]
    assert full_count == card.params[scale] == 7_953_987
    assert abs(full_count - card.published_params[scale]) <= 0.01 * card.published_params[scale]


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_forward_at_every_scale(scale: int) -> None:
    torch.manual_seed(0)
    model = MDSR(scale=2, **TINY)
    x = torch.rand(2, 3, 6, 8)
    before = x.clone()
    assert model(x, scale).shape == (2, 3, 6 * scale, 8 * scale)
    assert torch.equal(x, before)


def test_scale_none_uses_the_built_scale() -> None:
    torch.manual_seed(0)
    model = MDSR(scale=3, **TINY).eval()
    x = torch.rand(1, 3, 5, 5)
    with torch.no_grad():
        torch.testing.assert_close(model(x), model(x, 3))


def test_only_the_called_scale_trains_its_head_and_upsampler() -> None:
    model = MDSR(scale=2, **TINY)
    model(torch.rand(1, 3, 6, 6), 3).mean().backward()
    for name, p in model.named_parameters():
        per_scale = re.search(r"\.x(\d)\.", name)
        assert (p.grad is not None) == (per_scale is None or per_scale.group(1) == "3"), name


def test_unknown_scale_raises() -> None:
    model = MDSR(scale=2, **TINY)
    with pytest.raises(SrkitError, match="scales"):
        model(torch.rand(1, 3, 4, 4), 8)
    with pytest.raises(SrkitError, match="scales"):
        MDSR(scale=8, **TINY)


def test_key_layout() -> None:
    shapes = {k: tuple(v.shape) for k, v in MDSR(scale=2, **TINY).state_dict().items()}
    assert shapes["head.0.weight"] == (8, 3, 3, 3)
    assert shapes["pre_process.heads.x3.1.body.2.weight"] == (8, 8, 5, 5)  # two 5x5 ResBlocks per scale
    assert shapes["body.1.body.0.weight"] == (8, 8, 3, 3) and shapes["body.2.weight"] == (8, 8, 3, 3)
    assert shapes["upsample.x3.0.weight"] == (72, 8, 3, 3)
    assert shapes["upsample.x4.2.weight"] == (32, 8, 3, 3)
    assert shapes["tail.0.weight"] == (3, 8, 3, 3) and shapes["sub_mean.weight"] == (3, 3, 1, 1)
    assert not any(k.startswith("pre_process.heads.x2.2") for k in shapes)


def _to_official(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    index = {"2": "0", "3": "1", "4": "2"}
    renamed = {}
    for k, v in state.items():
        k = re.sub(r"^pre_process\.heads\.x(\d)\.", lambda m: f"pre_process.{index[m.group(1)]}.", k)
        k = re.sub(r"^upsample\.x(\d)\.", lambda m: f"upsample.{index[m.group(1)]}.", k)
        renamed[k] = v
    return renamed


def test_official_keys_convert_and_load_strictly() -> None:
    torch.manual_seed(0)
    model = MDSR(scale=2, pixel_range=255.0, **TINY).eval()
    official = _to_official(model.state_dict())
    assert "pre_process.1.0.body.0.weight" in official and "upsample.2.2.weight" in official
    rebuilt = MDSR(scale=2, pixel_range=255.0, **TINY).eval()
    rebuilt.load_state_dict(convert_official(official), strict=True)
    x = torch.rand(1, 3, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x, 4), model(x, 4))
    with pytest.raises(SrkitError, match="scale index"):
        convert_official({"upsample.3.0.weight": torch.zeros(1)})


def test_detect() -> None:
    model = MDSR(scale=4, n_feats=8, n_blocks=3, pixel_range=255.0)
    found = detect(model.state_dict())
    assert found is not None
    assert found["scales"] == (2, 3, 4) and found["n_blocks"] == 3 and found["pixel_range"] == 255.0
    MDSR(**found).load_state_dict(model.state_dict(), strict=True)
    from srkit.archs.edsr import EDSR

    assert detect(EDSR(scale=2, **TINY).state_dict()) is None


def test_card() -> None:
    card = ZOO[0][1]
    assert card.name == "mdsr" and card.arch == "MDSR" and card.scales == (2, 3, 4)
    assert card.receptive_field == 172
