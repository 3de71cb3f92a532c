"""Wald's degradations and the spectral metrics, against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from cubes_fixture import scene

from srkit import SrkitError
from srkit.degradations.wald import psf_kernel, spatial_down, spectral_down, wald_sigma
from srkit.metrics.spectral import ergas, psnr_bands, rmse, sam, spectral_scores, ssim_bands


@pytest.mark.parametrize("ratio", [2, 4, 8])
def test_psf_has_fwhm_of_the_ratio_and_block_centre(ratio: int) -> None:
    k = psf_kernel(ratio)
    assert k.sum().item() == pytest.approx(1.0)
    assert (k.shape[0] - ratio) % 2 == 0  # centred on the middle of a ratio x ratio block
    assert wald_sigma(ratio) * 2 * math.sqrt(2 * math.log(2)) == pytest.approx(ratio)
    torch.testing.assert_close(k, k.flip(0).flip(1))


def test_spatial_down_keeps_constants_and_averages() -> None:
    x = torch.full((1, 3, 16, 16), 0.25)
    torch.testing.assert_close(spatial_down(x, 4), torch.full((1, 3, 4, 4), 0.25))
    ramp = torch.arange(16.0).repeat(16, 1)[None, None]  # a linear ramp: the block centres (mirrored borders: almost)
    down = spatial_down(ramp, 4)[0, 0]
    torch.testing.assert_close(down[1:3, 1:3], torch.tensor([[5.5, 9.5], [5.5, 9.5]]), atol=1e-3, rtol=0)
    with pytest.raises(SrkitError, match="multiple of the ratio"):
        spatial_down(torch.zeros(1, 1, 10, 12), 4)


def test_spectral_down_is_the_response_product() -> None:
    x = torch.rand(2, 5, 3, 3)
    r = torch.rand(2, 5)
    torch.testing.assert_close(spectral_down(x, r), torch.einsum("cb,nbhw->nchw", r, x))
    with pytest.raises(SrkitError, match="bands"):
        spectral_down(x, torch.rand(2, 4))


def test_metrics_known_values() -> None:
    ref = scene(bands=6, size=16).data.astype(np.float64)
    assert psnr_bands(ref, ref) == 100.0 and sam(ref, ref) == 0.0 and ergas(ref, ref, 4) == 0.0
    assert ssim_bands(ref, ref) == pytest.approx(1.0)
    assert sam(ref * 3.0, ref) == pytest.approx(0.0, abs=1e-5)  # SAM ignores brightness
    off = ref + 0.01
    peak = ref.max()
    assert psnr_bands(off, ref) == pytest.approx(10 * math.log10(peak**2 / 1e-4))
    assert rmse(off, ref) == pytest.approx(0.01 * 255 / peak)
    expected = 100 / 4 * math.sqrt(np.mean(1e-4 / ref.mean(axis=(1, 2)) ** 2))
    assert ergas(off, ref, 4) == pytest.approx(expected)
    scores = spectral_scores(off, ref, 4, crop_border=2)
    assert set(scores) == {"psnr", "ssim", "sam", "ergas", "rmse"}
    with pytest.raises(SrkitError, match="one shape"):
        psnr_bands(ref[:, :8], ref)


@pytest.mark.parametrize(
    "module", ["srkit.data.cube", "srkit.degradations.wald", "srkit.hsi.response", "srkit.hsi.api"]
)
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    from srkit.data.cube import Cube
    from srkit.hsi.response import cie_xyz

    extra = {"np": np, "torch": torch, "Cube": Cube, "cie_xyz": cie_xyz}
    result = doctest.testmod(importlib.import_module(module), extraglobs=extra)
    assert result.attempted > 0 and result.failed == 0
