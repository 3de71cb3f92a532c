"""SSIM and MS-SSIM against an independent, direct implementation of the authors' MATLAB code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d

from srkit._core.errors import SrkitError
from srkit.functional.color import rgb_to_y
from srkit.metrics import MSSSIM, SSIM, ms_ssim, ssim

C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def chw(image: np.ndarray) -> torch.Tensor:
    """numpy (H, W, C) -> torch (C, H, W)."""
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(image, -1, 0)))


# ----------------------------------------------------- reference: ssim_index.m / msssim.m, written directly


def ref_maps(img1: np.ndarray, img2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SSIM and contrast-structure maps of two 2-D float64 images on 0-255, as ``ssim_index.m``."""
    x = np.arange(11) - 5.0
    window = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.5**2))  # fspecial('gaussian', 11, 1.5)
    window /= window.sum()

    def filter2(a: np.ndarray) -> np.ndarray:  # MATLAB filter2 correlates: convolve with the flipped window
        return convolve2d(a, window[::-1, ::-1], mode="valid")

    mu1, mu2 = filter2(img1), filter2(img2)
    mu1_sq, mu2_sq, mu1_mu2 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    sigma1_sq = filter2(img1 * img1) - mu1_sq
    sigma2_sq = filter2(img2 * img2) - mu2_sq
    sigma12 = filter2(img1 * img2) - mu1_mu2
    ssim_map = ((2 * mu1_mu2 + C1) * (2 * sigma12 + C2)) / ((mu1_sq + mu2_sq + C1) * (sigma1_sq + sigma2_sq + C2))
    cs_map = (2 * sigma12 + C2) / (sigma1_sq + sigma2_sq + C2)
    return ssim_map, cs_map


def ref_ssim(img1: np.ndarray, img2: np.ndarray) -> float:
    return float(ref_maps(img1, img2)[0].mean())


def ref_ms_ssim(img1: np.ndarray, img2: np.ndarray) -> float:
    value = 1.0
    for level, weight in enumerate(WEIGHTS):
        ssim_map, cs_map = ref_maps(img1, img2)
        term = ssim_map.mean() if level == len(WEIGHTS) - 1 else cs_map.mean()
        value *= max(term, 0.0) ** weight
        # 2x2 mean then every other pixel: 2x2 average pooling that drops an odd last row/column
        img1 = convolve2d(img1, np.full((2, 2), 0.25), mode="valid")[::2, ::2]
        img2 = convolve2d(img2, np.full((2, 2), 0.25), mode="valid")[::2, ::2]
    return value


def per_channel(reference: Any, sr: np.ndarray, hr: np.ndarray) -> float:
    return float(np.mean([reference(sr[..., c] * 1.0, hr[..., c] * 1.0) for c in range(sr.shape[-1])]))


# ------------------------------------------------------------------------------------------ against reference


@pytest.mark.parametrize(("h", "w", "kind"), [(32, 32, "noise"), (40, 33, "structured"), (11, 11, "structured")])
def test_ssim_matches_ssim_index_m(make_pair: Any, h: int, w: int, kind: str) -> None:
    sr, hr = make_pair(h, w, kind=kind)
    y_ref = ref_ssim(rgb_to_y(sr), rgb_to_y(hr))
    assert ssim(sr, hr) == pytest.approx(y_ref, abs=1e-10)
    assert ssim(chw(sr), chw(hr)).item() == pytest.approx(y_ref, abs=1e-10)
    rgb_ref = per_channel(ref_ssim, sr, hr)
    assert ssim(sr, hr, test_y_channel=False) == pytest.approx(rgb_ref, abs=1e-10)
    assert ssim(chw(sr), chw(hr), test_y_channel=False).item() == pytest.approx(rgb_ref, abs=1e-10)
    assert 0 < y_ref < 1


def test_ssim_of_a_gray_image_matches_the_reference_on_its_values(make_pair: Any) -> None:
    sr, hr = make_pair(30, 26, channels=1)
    expected = ref_ssim(sr[..., 0] * 1.0, hr[..., 0] * 1.0)
    assert ssim(sr[..., 0], hr[..., 0]) == pytest.approx(expected, abs=1e-10)
    assert ssim(sr, hr) == pytest.approx(expected, abs=1e-10)
    assert ssim(chw(sr), chw(hr)).item() == pytest.approx(expected, abs=1e-10)


@pytest.mark.parametrize(("h", "w", "kind"), [(176, 176, "noise"), (181, 203, "structured")])
def test_ms_ssim_matches_a_direct_implementation(make_pair: Any, h: int, w: int, kind: str) -> None:
    sr, hr = make_pair(h, w, kind=kind)
    expected = ref_ms_ssim(rgb_to_y(sr), rgb_to_y(hr))
    assert ms_ssim(sr, hr) == pytest.approx(expected, abs=1e-10)
    assert ms_ssim(chw(sr), chw(hr)).item() == pytest.approx(expected, abs=1e-10)
    assert 0 < expected < 1


def test_ms_ssim_over_channels_is_the_mean_of_the_channels(make_pair: Any) -> None:
    sr, hr = make_pair(180, 177)
    expected = per_channel(ref_ms_ssim, sr, hr)
    assert ms_ssim(sr, hr, test_y_channel=False) == pytest.approx(expected, abs=1e-10)
    assert ms_ssim(chw(sr), chw(hr), test_y_channel=False).item() == pytest.approx(expected, abs=1e-10)


# ------------------------------------------------------------------------------------------- hand-computed


@pytest.mark.parametrize(("a", "b"), [(110, 100), (0, 255), (37, 200)])
def test_constant_images_leave_only_the_luminance_term(a: int, b: int) -> None:
    luminance = (2 * a * b + C1) / (a * a + b * b + C1)
    sr, hr = np.full((13, 12), a, dtype=np.uint8), np.full((13, 12), b, dtype=np.uint8)
    assert ssim(sr, hr) == pytest.approx(luminance, abs=1e-12)
    assert ssim(torch.from_numpy(sr)[None], torch.from_numpy(hr)[None]).item() == pytest.approx(luminance, abs=1e-12)
    big_sr, big_hr = np.full((180, 176), a, dtype=np.uint8), np.full((180, 176), b, dtype=np.uint8)
    # every scale's contrast-structure term is 1; only the last scale's luminance is left, to its weight
    assert ms_ssim(big_sr, big_hr) == pytest.approx(luminance**0.1333, abs=1e-12)
    torch_value = ms_ssim(torch.from_numpy(big_sr)[None], torch.from_numpy(big_hr)[None]).item()
    assert torch_value == pytest.approx(luminance**0.1333, abs=1e-12)


def test_identical_images_give_one(make_pair: Any) -> None:
    _, hr = make_pair(176, 180)
    assert ssim(hr, hr) == pytest.approx(1.0, abs=1e-12)
    assert ms_ssim(hr, hr) == pytest.approx(1.0, abs=1e-12)
    batch = chw(hr)[None] / 255.0
    assert ssim(batch, batch.clone(), test_y_channel=False).tolist() == pytest.approx([1.0], abs=1e-12)
    assert ms_ssim(batch, batch.clone(), test_y_channel=False).tolist() == pytest.approx([1.0], abs=1e-12)


def test_ms_ssim_clamps_a_negative_term_to_zero(make_pair: Any) -> None:
    _, hr = make_pair(176, 176, channels=1, kind="noise")
    inverted = 255 - hr  # anti-correlated: the mean contrast-structure term is negative at scale 1
    assert ref_maps(inverted[..., 0] * 1.0, hr[..., 0] * 1.0)[1].mean() < 0
    assert ms_ssim(inverted, hr) == 0.0
    assert ms_ssim(chw(inverted), chw(hr)).item() == 0.0
    assert ssim(inverted, hr) < 0  # plain SSIM is not clamped


# ------------------------------------------------------------------------------------ numpy, torch, dtypes


@pytest.mark.parametrize("metric", [ssim, ms_ssim])
@pytest.mark.parametrize(("test_y_channel", "y_round", "crop"), [(True, False, 0), (True, True, 3), (False, False, 2)])
def test_numpy_and_torch_agree(make_pair: Any, metric: Any, test_y_channel: bool, y_round: bool, crop: int) -> None:
    sr, hr = make_pair(190, 186)
    opts = {"test_y_channel": test_y_channel, "y_round": y_round, "crop_border": crop}
    value = metric(sr, hr, **opts)
    assert isinstance(value, float)
    assert metric(chw(sr), chw(hr), **opts).item() == pytest.approx(value, abs=1e-6)
    assert metric(chw(sr) / 255.0, chw(hr) / 255.0, **opts).item() == pytest.approx(value, abs=1e-6)
    assert metric(sr / 255.0, hr / 255.0, **opts) == pytest.approx(value, abs=1e-9)  # uint8 vs float


@pytest.mark.parametrize("metric", [ssim, ms_ssim])
def test_batched_values_are_the_unbatched_ones(make_pair: Any, metric: Any) -> None:
    pairs = [make_pair(180, 178) for _ in range(2)]
    sr = torch.stack([chw(s) for s, _ in pairs])
    hr = torch.stack([chw(h) for _, h in pairs])
    values = metric(sr, hr, crop_border=1)
    assert values.shape == (2,)
    assert values.dtype == torch.float64
    for i in range(2):
        single = metric(sr[i], hr[i], crop_border=1)
        assert single.shape == ()
        assert single.item() == pytest.approx(values[i].item(), abs=1e-12)
        assert single.item() == pytest.approx(metric(pairs[i][0], pairs[i][1], crop_border=1), abs=1e-6)


@pytest.mark.parametrize("metric", [ssim, ms_ssim])
def test_y_round_rounds_y_like_matlab_uint8(make_pair: Any, metric: Any) -> None:
    sr, hr = make_pair(176, 176)
    rounded = metric(rgb_to_y(sr, round_uint8=True), rgb_to_y(hr, round_uint8=True))
    assert metric(sr, hr, y_round=True) == pytest.approx(rounded, abs=1e-12)
    assert metric(chw(sr) / 255.0, chw(hr) / 255.0, y_round=True).item() == pytest.approx(rounded, abs=1e-10)
    assert abs(metric(sr, hr, y_round=True) - metric(sr, hr)) > 1e-6


def test_crop_border_equals_cropping_by_hand(make_pair: Any) -> None:
    sr, hr = make_pair(24, 22)
    assert ssim(sr, hr, crop_border=4) == ssim(sr[4:-4, 4:-4], hr[4:-4, 4:-4])


def test_ssim_has_a_usable_gradient() -> None:
    gen = torch.Generator().manual_seed(0)
    sr = torch.rand(1, 1, 13, 14, dtype=torch.float64, generator=gen, requires_grad=True)
    hr = torch.rand(1, 1, 13, 14, dtype=torch.float64, generator=gen)
    assert torch.autograd.gradcheck(lambda s: ssim(s, hr), (sr,))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_keeps_the_device(make_pair: Any) -> None:
    sr, hr = make_pair(176, 176)
    for metric in (ssim, ms_ssim):
        value = metric(chw(sr).cuda(), chw(hr).cuda())
        assert value.device.type == "cuda"
        assert value.item() == pytest.approx(metric(sr, hr), abs=1e-6)


# ------------------------------------------------------------------------------------------ modules, errors


def test_modules_equal_functions(make_pair: Any) -> None:
    sr, hr = (chw(a)[None] for a in make_pair(180, 180))
    assert torch.equal(SSIM(crop_border=2)(sr, hr), ssim(sr, hr, crop_border=2))
    assert torch.equal(MSSSIM(test_y_channel=False)(sr, hr), ms_ssim(sr, hr, test_y_channel=False))
    with pytest.raises(SrkitError, match="MSSSIM takes torch tensors"):
        MSSSIM()(sr, hr.numpy())


def test_ssim_needs_an_11x11_image() -> None:
    img = np.zeros((30, 10), dtype=np.uint8)
    with pytest.raises(SrkitError, match=r"ssim needs an image of at least 11x11 pixels, got 30x10"):
        ssim(img, img)
    img = np.zeros((20, 20), dtype=np.uint8)
    with pytest.raises(SrkitError, match=r"at least 11x11 pixels after crop_border=5, got 10x10"):
        ssim(img, img, crop_border=5)
    assert ssim(img, img, crop_border=4) == pytest.approx(1.0)
    with pytest.raises(SrkitError, match="crop_border=10 leaves nothing of a 20x20 image"):
        ssim(torch.zeros(1, 20, 20), torch.zeros(1, 20, 20), crop_border=10)


def test_ms_ssim_needs_176x176_for_five_scales() -> None:
    img = np.zeros((175, 300), dtype=np.uint8)
    with pytest.raises(SrkitError, match=r"ms_ssim needs an image of at least 176x176 pixels, got 175x300"):
        ms_ssim(img, img)
    ten = torch.zeros(2, 1, 180, 180)
    with pytest.raises(SrkitError, match=r"at least 176x176 pixels after crop_border=3, got 174x174"):
        ms_ssim(ten, ten, crop_border=3)
    assert ms_ssim(ten, ten, crop_border=2).tolist() == pytest.approx([1.0, 1.0])
    smallest = np.zeros((176, 176), dtype=np.uint8)
    assert ms_ssim(smallest, smallest) == pytest.approx(1.0)
