"""The benchmark degradations BI, BD and DN (EVALUATION.md, "Other degradations")."""

from __future__ import annotations

import math
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from srkit import SrkitError, imresize, read_image
from srkit.degradations import (
    PROTOCOLS,
    bicubic_degradation,
    blur_degradation,
    degrade,
    gaussian_kernel,
    image_seed,
    noise_degradation,
)


def _random(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _matlab_nearest_rows(out_length: int, s: int) -> list[int]:
    """0-based input rows that MATLAB ``imresize(.., 1/s, 'nearest')`` keeps.

    Output pixel x (1-based) maps to u = x / scale + 0.5 * (1 - 1 / scale) with scale = 1/s, i.e.
    u = s * x + 0.5 * (1 - s); the box kernel (-0.5 <= t < 0.5) selects the 1-based input i = floor(u + 0.5).
      s = 2: u = 2x - 0.5 -> i = 2x     -> 0-based 1, 3, 5, ...
      s = 3: u = 3x - 1   -> i = 3x - 1 -> 0-based 1, 4, 7, ...
      s = 4: u = 4x - 1.5 -> i = 4x - 1 -> 0-based 2, 6, 10, ...
    """
    return [math.floor(s * x + 0.5 * (1 - s) + 0.5) - 1 for x in range(1, out_length + 1)]


def _reference_blur(hr: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """imfilter(hr, kernel, 'replicate') on uint8, written as a plain sum of shifted copies (odd kernel)."""
    r = kernel.shape[0] // 2
    img = hr.astype(np.float64)
    pad = [(r, r), (r, r)] + [(0, 0)] * (img.ndim - 2)
    padded = np.pad(img, pad, mode="edge")
    h, w = hr.shape[:2]
    out = np.zeros_like(img)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += kernel[i, j] * padded[i : i + h, j : j + w]
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


# --- BI --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("shape", [(24, 36, 3), (24, 36)])
def test_bi_is_matlab_bicubic(scale: int, shape: tuple[int, ...]) -> None:
    hr = _random(shape)
    lr = degrade(hr, scale, "BI")
    assert lr.dtype == np.uint8
    assert lr.shape == (24 // scale, 36 // scale, *shape[2:])
    np.testing.assert_array_equal(lr, imresize(hr, 1 / scale))
    np.testing.assert_array_equal(lr, bicubic_degradation(hr, scale))


@pytest.mark.shared_data
def test_bi_reproduces_the_matlab_lr_file(shared_data: Path) -> None:
    """The oracle: SelfExSR's LR made by MATLAB (Set5 ``head`` x3; measured 99.1% exact, 0.01% off by > 1)."""
    folder = shared_data / "bench" / "Set5_matlab_pairs" / "image_SRF_3"
    hr = read_image(folder / "img_004_SRF_3_HR.png")
    matlab = read_image(folder / "img_004_SRF_3_LR.png")
    diff = np.abs(degrade(hr, 3, "BI").astype(np.int16) - matlab)
    assert np.mean(diff == 0) > 0.985
    assert np.mean(diff > 1) < 0.001


def test_default_protocol_is_bi_and_case_is_ignored() -> None:
    hr = _random((12, 12, 3))
    np.testing.assert_array_equal(degrade(hr, 2), degrade(hr, 2, "bi"))
    np.testing.assert_array_equal(degrade(hr, 2), bicubic_degradation(hr, 2))


def test_input_is_not_modified() -> None:
    hr = _random((12, 12, 3))
    before = hr.copy()
    for protocol in PROTOCOLS:
        degrade(hr, 3, protocol, seed=1)
    np.testing.assert_array_equal(hr, before)


def test_numpy_integer_scale_is_accepted() -> None:
    hr = _random((12, 12, 3))
    np.testing.assert_array_equal(degrade(hr, np.int64(3)), degrade(hr, 3))


# --- BD --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bd_constant_image_stays_constant(scale: int) -> None:
    hr = np.full((24, 24, 3), 173, dtype=np.uint8)
    lr = degrade(hr, scale, "BD")
    assert lr.shape == (24 // scale, 24 // scale, 3)
    assert lr.dtype == np.uint8
    assert np.all(lr == 173)  # normalised kernel, replicate border: no darkening at the edges


@pytest.mark.parametrize(("scale", "first_rows"), [(2, [1, 3, 5]), (3, [1, 4, 7]), (4, [2, 6, 10])])
def test_matlab_nearest_rows_formula(scale: int, first_rows: list[int]) -> None:
    assert _matlab_nearest_rows(3, scale) == first_rows


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bd_keeps_the_matlab_nearest_pixel(scale: int) -> None:
    """A delta blurred by the 7x7 kernel peaks where it was: the LR pixel of its cell gets the kernel's centre value
    only when the delta sits on the row/column that MATLAB's nearest sampling keeps."""
    peak = int(np.floor(255 * gaussian_kernel(7, 1.6)[3, 3] + 0.5))
    kept = _matlab_nearest_rows(1, scale)[0]
    cell = 2  # a cell away from the border
    for offset in range(scale):
        hr = np.zeros((6 * scale, 6 * scale), dtype=np.uint8)
        hr[cell * scale + offset, cell * scale + offset] = 255
        lr = degrade(hr, scale, "BD")
        assert lr.shape == (6, 6)
        if offset == kept:
            assert lr[cell, cell] == peak
            assert lr.max() == peak
            assert np.count_nonzero(lr == peak) == 1
        else:
            assert lr[cell, cell] < peak
            assert lr.max() < peak


@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("shape", [(24, 36, 3), (24, 36)])
def test_bd_equals_replicate_blur_then_nearest(scale: int, shape: tuple[int, ...]) -> None:
    hr = _random(shape, seed=scale)
    blurred = _reference_blur(hr, gaussian_kernel(7, 1.6))
    rows = _matlab_nearest_rows(24 // scale, scale)
    cols = _matlab_nearest_rows(36 // scale, scale)
    expected = blurred[np.ix_(rows, cols)]
    np.testing.assert_array_equal(degrade(hr, scale, "BD"), expected)
    np.testing.assert_array_equal(blur_degradation(hr, scale), expected)


def test_gaussian_kernel_closed_form() -> None:
    k = gaussian_kernel(7, 1.6)
    assert k.shape == (7, 7)
    assert k.dtype == np.float64
    assert k.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_array_equal(k, k.T)
    np.testing.assert_array_equal(k, k[::-1, :])
    np.testing.assert_array_equal(k, k[:, ::-1])
    x = np.arange(7) - 3.0
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.6**2))
    np.testing.assert_allclose(k, g / g.sum(), rtol=1e-12, atol=0)
    assert k[3, 3] == pytest.approx(0.0655556305, abs=1e-9)  # fspecial('gaussian', 7, 1.6) centre


def test_gaussian_kernel_even_size_is_centred() -> None:
    k = gaussian_kernel(4, 1.0)
    np.testing.assert_allclose(k, k[::-1, ::-1], rtol=0, atol=1e-15)
    assert k.sum() == pytest.approx(1.0)
    assert np.all(k[1:3, 1:3] == k.max())


@pytest.mark.parametrize(("size", "sigma"), [(0, 1.6), (7, 0.0), (7, -1.0)])
def test_gaussian_kernel_errors(size: int, sigma: float) -> None:
    with pytest.raises(SrkitError, match=r"a Gaussian kernel needs size >= 1 and sigma > 0"):
        gaussian_kernel(size, sigma)


# --- DN --------------------------------------------------------------------------------------------------------------


def test_dn_same_seed_is_byte_identical() -> None:
    hr = _random((24, 24, 3))
    a = degrade(hr, 2, "DN", seed=11)
    b = degrade(hr, 2, "DN", seed=11)
    assert a.tobytes() == b.tobytes()
    assert noise_degradation(hr, 2, seed=11).tobytes() == a.tobytes()


def test_dn_different_seed_differs() -> None:
    hr = _random((24, 24, 3))
    a, b = degrade(hr, 2, "DN", seed=1), degrade(hr, 2, "DN", seed=2)
    assert np.mean(a != b) > 0.9  # nearly every pixel gets different noise


def test_dn_noise_level_on_flat_grey() -> None:
    hr = np.full((96, 96, 3), 128, dtype=np.uint8)  # 128 +- 4 sigma stays inside [0, 255]: no clipping to speak of
    lr = degrade(hr, 2, "DN", seed=0)
    assert lr.shape == (48, 48, 3)
    residual = lr.astype(np.float64) - 128.0
    # 6912 samples: the standard error of the std is about 0.26, of the mean about 0.36
    assert abs(residual.std() - 30.0) < 1.0
    assert abs(residual.mean()) < 1.5
    assert np.array_equal(residual, np.round(residual))  # rounded to integers (uint8)


def test_dn_custom_sigma() -> None:
    hr = np.full((64, 64), 128, dtype=np.uint8)
    lr = noise_degradation(hr, 2, sigma=5.0, seed=3)
    assert abs((lr.astype(np.float64) - 128).std() - 5.0) < 0.5


def test_image_seed_is_stable() -> None:
    assert image_seed(0, "baby") == 2272035134
    assert image_seed(7, "butterfly") == 3305251569
    assert image_seed(0, "baby") == zlib.crc32(b"baby")
    assert image_seed(0, "baby") != image_seed(1, "baby")
    assert image_seed(0, "baby") != image_seed(0, "bird")
    assert 0 <= image_seed(10**12, "x") < 2**32


# --- errors ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "hr",
    [
        np.zeros((8, 8, 3), dtype=np.float32),
        np.zeros((8, 8, 3), dtype=np.uint16),
        np.zeros((1, 8, 8, 3), dtype=np.uint8),
        torch.zeros(8, 8, 3, dtype=torch.uint8),
    ],
    ids=["float32", "uint16", "4d", "tensor"],
)
def test_non_uint8_numpy_image(protocol: str, hr: object) -> None:
    with pytest.raises(SrkitError, match=r"expected a uint8 numpy image \(H, W\) or \(H, W, C\), got "):
        degrade(hr, 2, protocol)  # type: ignore[arg-type]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("scale", [0, -2, 1.5, 2.0, True, "2"])
def test_bad_scale(protocol: str, scale: object) -> None:
    with pytest.raises(SrkitError, match=r"the scale must be an integer >= 1, got "):
        degrade(np.zeros((8, 8, 3), dtype=np.uint8), scale, protocol)  # type: ignore[arg-type]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_size_not_a_multiple_of_the_scale(protocol: str) -> None:
    with pytest.raises(SrkitError, match=r"HR size 10x12 is not a multiple of the scale 4 \(mod-crop it first\)"):
        degrade(np.zeros((10, 12, 3), dtype=np.uint8), 4, protocol)


def test_unknown_protocol() -> None:
    with pytest.raises(SrkitError, match=r"unknown degradation 'JPEG'; choose one of BI, BD, DN"):
        degrade(np.zeros((8, 8, 3), dtype=np.uint8), 2, "JPEG")
