"""ESRGAN's RRDBNet (Wang et al. 2018): shapes (x4, and Real-ESRGAN's x2/x1), BasicSR keys, detection, counts."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.archs.esrgan import ZOO, RRDBNet, detect

TINY = {"n_feats": 8, "n_blocks": 2, "growth": 4}


@pytest.fixture(scope="module")
def full_counts() -> dict[int, int]:
    """The full default model's parameter count at every scale (built on the meta device)."""
    builder, card = ZOO[0]
    counts = {}
    for s in card.scales:
        with torch.device("meta"):
            counts[s] = sum(p.numel() for p in builder(scale=s).parameters())
    return counts


@pytest.mark.parametrize("scale", [2, 4])
def test_full_parameter_count_matches_card_and_paper(full_counts: dict[int, int], scale: int) -> None:
    card = ZOO[0][1]
    assert full_counts[scale] == card.params[scale]
    published = card.published_params.get(scale)
    if published:
        assert abs(full_counts[scale] - published) <= 0.01 * published
    assert card.published_params == {4: 16_700_000}


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_shapes(scale: int) -> None:
    torch.manual_seed(0)
    x = torch.rand(2, 3, 8, 12)
    before = x.clone()
    assert RRDBNet(scale=scale, **TINY)(x).shape == (2, 3, 8 * scale, 12 * scale)
    assert torch.equal(x, before)


def test_unsupported_scales_and_sizes_raise() -> None:
    with pytest.raises(SrkitError, match="supports scales"):
        RRDBNet(scale=3, **TINY)
    with pytest.raises(SrkitError, match="multiples of 2"):
        RRDBNet(scale=2, **TINY)(torch.rand(1, 3, 7, 8))


def test_basicsr_key_layout() -> None:
    state = RRDBNet(scale=4, **TINY).state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    assert shapes["conv_first.weight"] == (8, 3, 3, 3)
    assert shapes["body.1.rdb3.conv1.weight"] == (4, 8, 3, 3)
    assert shapes["body.1.rdb3.conv5.weight"] == (8, 8 + 4 * 4, 3, 3)
    for name in ("conv_body", "conv_up1", "conv_up2", "conv_hr"):
        assert shapes[f"{name}.weight"] == (8, 8, 3, 3)
    assert shapes["conv_last.weight"] == (3, 8, 3, 3)
    assert len(state) == 2 * (1 + 2 * 3 * 5 + 5)
    assert RRDBNet(scale=2, **TINY).state_dict()["conv_first.weight"].shape == (8, 12, 3, 3)  # Real-ESRGAN x2


def _reference(state: dict[str, torch.Tensor], x: torch.Tensor, n_blocks: int) -> torch.Tensor:
    """BasicSR's RRDBNet forward (x4) written out from the state dict."""

    def conv(name: str, t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, state[f"{name}.weight"], state[f"{name}.bias"], padding=1)

    def lrelu(t: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(t, 0.2)

    f0 = conv("conv_first", x)
    f = f0
    for b in range(n_blocks):
        h = f
        for r in (1, 2, 3):
            feats = [h]
            for c in range(1, 5):
                feats.append(lrelu(conv(f"body.{b}.rdb{r}.conv{c}", torch.cat(feats, 1))))
            h = h + 0.2 * conv(f"body.{b}.rdb{r}.conv5", torch.cat(feats, 1))
        f = f + 0.2 * h
    f = conv("conv_body", f) + f0
    f = lrelu(conv("conv_up1", F.interpolate(f, scale_factor=2, mode="nearest")))
    f = lrelu(conv("conv_up2", F.interpolate(f, scale_factor=2, mode="nearest")))
    return conv("conv_last", lrelu(conv("conv_hr", f)))


def test_matches_the_basicsr_forward() -> None:
    torch.manual_seed(0)
    model = RRDBNet(scale=4, **TINY).eval()
    x = torch.rand(1, 3, 5, 6)
    with torch.no_grad():
        torch.testing.assert_close(model(x), _reference(model.state_dict(), x, 2))


@pytest.mark.parametrize("scale", [1, 2, 4])
def test_detect_reads_every_hyperparameter_and_loads_strictly(scale: int) -> None:
    model = RRDBNet(scale=scale, n_feats=8, n_blocks=3, growth=4)
    found = detect(model.state_dict())
    assert found == {"scale": scale, "in_channels": 3, "out_channels": 3, "n_feats": 8, "n_blocks": 3, "growth": 4}
    RRDBNet(**found).load_state_dict(model.state_dict(), strict=True)


def test_detect_refuses_other_layouts() -> None:
    assert detect({"model.0.weight": torch.zeros(64, 3, 3, 3)}) is None  # the original ESRGAN repository's layout
    state = RRDBNet(scale=4, **TINY).state_dict()
    state["conv_up3.weight"] = torch.zeros(8, 8, 3, 3)
    assert detect(state) is None


def test_card() -> None:
    card = ZOO[0][1]
    assert card.name == "rrdbnet" and card.arch == "RRDBNet" and card.scales == (2, 4) and card.multiple_of == 2
    assert card.params[4] == 16_697_987
