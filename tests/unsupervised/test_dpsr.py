"""DPSR: the HQS schedule, the LR kernel conversion, the FFT data step, the run and its refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import srkit
from srkit import SrkitError
from srkit.degradations.div2krk import div2krk_kernel, kernel_downscale, sample_div2krk_kernel
from srkit.functional.resize import imresize
from srkit.unsupervised.dpsr import (
    CONVERTED_FLOOR,
    DEFAULT_PRIOR,
    _convolve,
    _data_step,
    _otf,
    dpsr,
    hqs_schedule,
    lr_kernel,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def test_schedule_is_the_official_one() -> None:
    rhos, sigmas = hqs_schedule(0.0, 15)
    np.testing.assert_allclose(sigmas * 255, np.logspace(np.log10(49), np.log10(2.55), 15))
    np.testing.assert_allclose(rhos, (0.255 / 255) ** 2 / sigmas**2 / 3)
    assert hqs_schedule(10.0, 15)[0][0] == pytest.approx((10 / 255) ** 2 / (49 / 255) ** 2 / 3)
    assert hqs_schedule(1.0, 15, floor=2.55)[0][0] == pytest.approx((2.55 / 255) ** 2 / (49 / 255) ** 2 / 3)


def test_lr_kernel_maps_bicubic_onto_the_classical_degradation() -> None:
    """On an image the fit never saw, (x |bicubic) (*) k_lr is much closer to (x (*) k_hr) |s than plain bicubic."""
    k_hr = div2krk_kernel(sample_div2krk_kernel(torch.Generator().manual_seed(3), scale=2))
    k_lr = lr_kernel(k_hr, 2)
    assert k_lr.sum() == pytest.approx(1.0) and k_lr.shape[0] % 2 == 1
    rng = np.random.default_rng(11)
    hr = imresize(rng.random((40, 40)), 4)  # smooth-ish, 160 x 160
    classical = kernel_downscale(hr, k_hr, 2)
    bicubic = imresize(hr, 0.5)
    modelled = _convolve(torch.from_numpy(bicubic)[None, None].float(), k_lr)[0, 0].numpy()
    inner = (slice(8, -8), slice(8, -8))
    err_model = np.abs(modelled - classical)[inner].mean()
    err_bicubic = np.abs(bicubic - classical)[inner].mean()
    assert err_model < 0.25 * err_bicubic


def test_data_step_deconvolves_a_periodic_blur() -> None:
    k = np.outer([0.2, 0.6, 0.2], [0.1, 0.7, 0.2])  # no zero in its spectrum: invertible
    z_true = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    otf = _otf(k, (16, 16))
    y = torch.fft.ifft2(torch.fft.fft2(z_true.double()) * otf).real  # circular convolution
    z = _data_step(torch.fft.fft2(y), otf, torch.zeros_like(z_true), rho=1e-6)
    assert (z - z_true).abs().max() < 1e-2


def test_a_run_with_a_tiny_prior(monkeypatch: pytest.MonkeyPatch) -> None:
    torch.manual_seed(0)
    prior = srkit.build_model("srkit_prior", scale=2, n_feats=8, n_blocks=1)
    image = (np.random.default_rng(0).random((14, 12, 3)) * 255).astype(np.uint8)
    out = dpsr(image, 2, kernel=np.ones((3, 3)), prior=prior, iterations=3, progress=False)
    assert out.image.shape == (28, 24, 3) and out.image.dtype == np.uint8
    assert out.log.steps == 3 and len(out.info["sigmas"]) == 3  # type: ignore[arg-type]
    assert out.info["noise_assumed"] == CONVERTED_FLOOR  # a converted kernel: its fit error counts as noise
    gray = dpsr(image[..., 0], 2, kernel=np.ones((3, 3)), domain="lr", prior=prior, iterations=1, progress=False)
    assert gray.image.shape == (28, 24) and gray.info["noise_assumed"] == 0.255  # DPSR's own kernel: its floor
    floored = dpsr(image, 2, kernel=np.ones((3, 3)), noise_floor=1.0, prior=prior, iterations=1, progress=False)
    assert floored.info["noise_assumed"] == 1.0  # the benchmark's floor study sets it
    with pytest.raises(SrkitError, match="noise_floor is a standard deviation"):
        dpsr(image, 2, kernel=np.ones((3, 3)), noise_floor=0.0, prior=prior, progress=False)

    calls: list[int] = []

    class Estimated:
        kernel = np.ones((5, 5)) / 25

    def fake_estimate(img: np.ndarray, scale: int, **kwargs: object) -> Estimated:
        calls.append(scale)
        return Estimated()

    import srkit.unsupervised.kernelgan as kernelgan

    monkeypatch.setattr(kernelgan, "estimate_kernel", fake_estimate)
    est = dpsr(image, 2, kernel="estimate", prior=prior, iterations=1, progress=False)
    assert calls == [2] and "kernel_estimated" in est.info


def test_bad_input_is_refused() -> None:
    prior = srkit.build_model("srkit_prior", scale=2, n_feats=8, n_blocks=1)
    image = np.zeros((12, 12, 3), np.uint8)
    with pytest.raises(SrkitError, match="negative values"):
        dpsr(image, 2, kernel=-np.ones((3, 3)), prior=prior, progress=False)
    with pytest.raises(SrkitError, match="serves x2, x3, x4, not x5"):
        dpsr(image, 5, kernel=np.ones((3, 3)), prior=prior, progress=False)
    with pytest.raises(SrkitError, match="noise is a standard deviation"):
        dpsr(image, 2, kernel=np.ones((3, 3)), noise=-3, prior=prior, progress=False)
    with pytest.raises(SrkitError, match="takes a noise-level map"):
        dpsr(image, 2, kernel=np.ones((3, 3)), prior=srkit.build_model("espcn", scale=2), progress=False)
    assert DEFAULT_PRIOR == "srkit_prior"


def test_fft_and_spatial_convolution_agree_for_an_asymmetric_kernel() -> None:
    k = np.array([[0.0, 0.1, 0.0], [0.05, 0.5, 0.3], [0.0, 0.0, 0.05]])
    x = torch.rand(1, 3, 20, 20, generator=torch.Generator().manual_seed(2))
    fft = torch.fft.ifft2(torch.fft.fft2(x.double()) * _otf(k, (20, 20))).real.float()
    spatial = _convolve(x, k)
    torch.testing.assert_close(fft[..., 2:-2, 2:-2], spatial[..., 2:-2, 2:-2], atol=1e-5, rtol=0)
