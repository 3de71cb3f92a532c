"""The orthonormal Haar transform (srkit/functional/wavelet.py): exact inverse, energy, band layout, gradients,
module == function, input checks. (Named test_haar_wavelet.py: tests/blocks/test_wavelet.py has the blocks.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from srkit._core.errors import SrkitError
from srkit.functional.wavelet import BANDS, HaarDWT, HaarIDWT, haar_dwt, haar_idwt


def _reference_dwt(x: torch.Tensor) -> torch.Tensor:
    """An independent reference: four fixed 2x2 filters, stride 2, one channel at a time (band-major)."""
    lo = torch.tensor([1.0, 1.0], dtype=x.dtype) / 2**0.5
    hi = torch.tensor([1.0, -1.0], dtype=x.dtype) / 2**0.5
    # filter (height, width): LL, LH, HL, HH
    filters = torch.stack([torch.outer(lo, lo), torch.outer(lo, hi), torch.outer(hi, lo), torch.outer(hi, hi)])
    c = x.shape[1]
    per_channel = [F.conv2d(x[:, i : i + 1], filters[:, None], stride=2) for i in range(c)]  # (B, 4, h, w) each
    return torch.cat([torch.stack([pc[:, k] for pc in per_channel], dim=1) for k in range(4)], dim=1)


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float32, 1e-6), (torch.float64, 1e-12)])
def test_inverse_is_exact(dtype: torch.dtype, tol: float) -> None:
    x = torch.rand(2, 3, 16, 12, generator=torch.Generator().manual_seed(0), dtype=dtype)
    y = haar_idwt(haar_dwt(x))
    assert y.dtype == dtype
    assert (y - x).abs().max().item() < tol
    coeffs = torch.randn(2, 8, 5, 7, dtype=dtype)
    assert (haar_dwt(haar_idwt(coeffs)) - coeffs).abs().max().item() < tol * 10


def test_shape_dtype_device() -> None:
    x = torch.rand(2, 3, 8, 10, dtype=torch.float64)
    coeffs = haar_dwt(x)
    assert coeffs.shape == (2, 12, 4, 5)
    assert coeffs.dtype == x.dtype and coeffs.device == x.device
    assert haar_idwt(coeffs).shape == x.shape


def test_orthonormal_preserves_energy() -> None:
    x = torch.randn(2, 4, 16, 16, dtype=torch.float64)
    assert torch.allclose(haar_dwt(x).square().sum(), x.square().sum(), rtol=1e-12)
    c = torch.randn(2, 8, 4, 4, dtype=torch.float64)
    assert torch.allclose(haar_idwt(c).square().sum(), c.square().sum(), rtol=1e-12)


def test_constant_image_has_only_ll_energy() -> None:
    x = torch.full((2, 3, 8, 8), 0.7, dtype=torch.float64)
    coeffs = haar_dwt(x)
    assert torch.allclose(coeffs[:, :3], torch.full_like(coeffs[:, :3], 1.4))  # LL = 2 * value
    assert coeffs[:, 3:].abs().max().item() == 0.0


def test_band_formulas_on_one_block() -> None:
    a, b, c, d = 1.0, 2.0, 4.0, 8.0
    x = torch.tensor([[[[a, b], [c, d]]]])
    ll, lh, hl, hh = haar_dwt(x).flatten().tolist()
    assert BANDS == ("LL", "LH", "HL", "HH")
    assert ll == (a + b + c + d) / 2
    assert lh == (a - b + c - d) / 2  # differences along the width
    assert hl == (a + b - c - d) / 2  # differences along the height
    assert hh == (a - b - c + d) / 2


def test_matches_reference_and_band_major_order() -> None:
    x = torch.rand(2, 3, 8, 6, dtype=torch.float64)
    coeffs = haar_dwt(x)
    assert torch.allclose(coeffs, _reference_dwt(x), atol=1e-14)
    for ch in range(3):  # channel ch's bands sit at [ch, C + ch, 2C + ch, 3C + ch]
        single = haar_dwt(x[:, ch : ch + 1])
        assert torch.equal(coeffs[:, ch::3], single)


def test_gradcheck() -> None:
    x = torch.rand(1, 2, 2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(haar_dwt, (x,))
    c = torch.rand(1, 8, 1, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(haar_idwt, (c,))


def test_modules_equal_functions_and_have_no_parameters() -> None:
    x = torch.rand(2, 2, 8, 8)
    dwt, idwt = HaarDWT(), HaarIDWT()
    assert not list(dwt.parameters()) and not list(idwt.parameters())
    assert torch.equal(dwt(x), haar_dwt(x))
    assert torch.equal(idwt(dwt(x)), haar_idwt(haar_dwt(x)))


def test_input_not_modified() -> None:
    x = torch.rand(2, 2, 8, 8)
    saved = x.clone()
    haar_idwt(haar_dwt(x))
    assert torch.equal(x, saved)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_trace_generalises_to_other_sizes() -> None:
    traced = torch.jit.trace(torch.nn.Sequential(HaarDWT(), HaarIDWT()), torch.rand(1, 2, 8, 8), check_trace=False)
    x = torch.rand(2, 3, 12, 6)
    assert torch.allclose(traced(x), x, atol=1e-6)


def test_errors() -> None:
    with pytest.raises(SrkitError, match="7x8"):
        haar_dwt(torch.rand(1, 1, 7, 8))
    with pytest.raises(SrkitError, match="8x5"):
        haar_dwt(torch.rand(1, 1, 8, 5))
    with pytest.raises(SrkitError, match=r"\(B, C, H, W\)"):
        haar_dwt(torch.rand(3, 8, 8))
    with pytest.raises(SrkitError, match="floating-point"):
        haar_dwt(torch.ones(1, 1, 4, 4, dtype=torch.uint8))
    with pytest.raises(SrkitError, match="4C channels"):
        haar_idwt(torch.rand(1, 6, 4, 4))
    with pytest.raises(SrkitError, match="even height"):
        HaarDWT()(torch.rand(1, 1, 3, 3))
