"""DWSR (Guo et al. 2017): wavelet residual over an interpolated Y image, any size, parameter count."""

from __future__ import annotations

import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.archs.dwsr import DWSR, ZOO, dwsr
from srkit.functional.resize import imresize


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_full_parameter_count_matches_card(scale: int) -> None:
    card = ZOO[0][1]
    with torch.device("meta"):
        model = dwsr(scale=scale)
    assert sum(p.numel() for p in model.parameters()) == card.params[scale] == 300_100
    assert card.in_channels == card.out_channels == 1


@pytest.mark.parametrize(("scale", "size"), [(2, (6, 8)), (3, (5, 7)), (3, (4, 4)), (4, (3, 5))])
def test_any_size_gives_scale_times_the_size(scale: int, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    model = DWSR(scale=scale, n_feats=8, n_layers=3)
    x = torch.rand(2, 1, *size)
    before = x.clone()
    y = model(x)
    assert y.shape == (2, 1, size[0] * scale, size[1] * scale)
    assert torch.equal(x, before)
    y.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize("interpolation", ["matlab", "bicubic"])
def test_zero_residual_gives_the_interpolated_image(interpolation: str) -> None:
    """The last layer predicts the sub-band residuals: zeroed, DWSR is its interpolation (the transform is exact)."""
    torch.manual_seed(0)
    model = DWSR(scale=3, n_feats=8, n_layers=3, interpolation=interpolation).eval()
    last = model.body.body[-1]
    assert isinstance(last, torch.nn.Conv2d)
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)
    x = torch.rand(1, 1, 5, 6, dtype=torch.float64)
    model = model.double()
    if interpolation == "matlab":
        expected = imresize(x, 3)
    else:
        expected = torch.nn.functional.interpolate(x, scale_factor=3, mode="bicubic", align_corners=False)
    with torch.no_grad():
        torch.testing.assert_close(model(x), expected)


def test_invalid_arguments_raise() -> None:
    with pytest.raises(SrkitError, match="scale"):
        DWSR(scale=1)
    with pytest.raises(SrkitError, match="interpolation"):
        DWSR(scale=2, interpolation="lanczos")
