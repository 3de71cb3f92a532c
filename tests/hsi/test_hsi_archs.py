"""The cube models' contract (the zoo contract of tests/archs covers image models): any band count, the card's
kind, reach and parameter counts, the hparams round trip, and the float32 path under bf16 weights."""

from __future__ import annotations

import pytest
import torch

from srkit import build_model, card_of
from srkit.archs.hsi import HSI3DNet, HSIFusionNet, detail_injection, detail_regression

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("bands", [1, 5, 31])
def test_any_band_count(bands: int) -> None:
    sr = build_model("hsi3d", scale=2, n_feats=4, n_blocks=1)
    assert sr(torch.rand(2, bands, 6, 7)).shape == (2, bands, 12, 14)
    fusion = build_model("hsi_fusion", scale=4, n_feats=4, n_blocks=1, stages=1)
    r = torch.softmax(torch.rand(3, bands), dim=1)
    assert fusion(torch.rand(1, bands, 4, 4), torch.rand(1, 3, 16, 16), r).shape == (1, bands, 16, 16)


def test_cards_say_cube() -> None:
    assert card_of(build_model("hsi3d", scale=4)).kind == "cube"
    assert card_of(build_model("hsi_fusion", scale=8)).kind == "cube_fusion"
    assert sum(p.numel() for p in HSI3DNet(scale=4).parameters()) == card_of(build_model("hsi3d", scale=4)).params[4]


def test_hparams_round_trip_and_bf16_keeps_float32_io() -> None:
    sr = HSI3DNet(scale=2, n_feats=6, n_blocks=2)
    again = HSI3DNet(**sr.hparams)
    assert again.hparams == sr.hparams
    out = sr.to(torch.bfloat16)(torch.rand(1, 3, 5, 5))
    assert out.dtype == torch.float32


def test_reach_of_hsi3d_is_within_its_card() -> None:
    net = HSI3DNet(scale=2, n_feats=4).eval()
    reach = card_of(build_model("hsi3d", scale=2)).receptive_field
    x = torch.rand(1, 2, 30, 30)
    y = x.clone()
    y[:, :, 15, 15] += 1.0
    with torch.no_grad():
        diff = (net(x) - net(y)).abs().sum(dim=1)[0]
    rows, cols = torch.nonzero(diff > 1e-6, as_tuple=True)
    assert cols.min() >= 2 * (15 - reach - 2) and cols.max() <= 2 * (15 + reach + 2) + 1
    # outputs 2*15 +/- 2*(reach + 2): the network's reach plus the bicubic base's
    assert rows.min() >= 2 * (15 - reach - 2) and rows.max() <= 2 * (15 + reach + 2) + 1


def test_detail_injection_of_a_linear_scene_is_exact() -> None:
    """A cube whose bands are linear mixtures of the guide's channels is recovered exactly by the regression."""
    guide = torch.rand(1, 3, 32, 32)
    mix = torch.rand(5, 3)
    cube = torch.einsum("bc,nchw->nbhw", mix, guide)
    from srkit.degradations.wald import spatial_down

    lr = spatial_down(cube, 4)
    out = detail_injection(lr, guide, detail_regression(lr, guide))
    torch.testing.assert_close(out, cube, atol=2e-3, rtol=0)
    assert isinstance(HSIFusionNet(), torch.nn.Module)
