"""MATLAB ``rgb2ycbcr`` / ``ycbcr2rgb`` (BT.601 studio range): srkit/functional/color.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.functional.color import gray_to_rgb, rgb_to_y, rgb_to_ycbcr, ycbcr_to_rgb
from srkit.functional.image import to_uint8


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240612)


def chw(image: np.ndarray) -> torch.Tensor:
    """numpy (..., H, W, 3) -> torch (..., 3, H, W)."""
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(image, -1, -3)))


def hwc(tensor: torch.Tensor) -> np.ndarray:
    return np.moveaxis(tensor.numpy(), -3, -1)


# ------------------------------------------------------------------------------------------ known values


def test_y_of_white_and_black() -> None:
    # 16 + 65.481 + 128.553 + 24.966 = 235; black is the offset 16
    white, black = np.full((2, 3, 3), 255, np.uint8), np.zeros((2, 3, 3), np.uint8)
    np.testing.assert_allclose(rgb_to_y(white), 235.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rgb_to_y(black), 16.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rgb_to_y(white.astype(np.float64) / 255) * 255, 235.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(rgb_to_y(black.astype(np.float64)) * 255, 16.0, rtol=0, atol=1e-12)
    torch.testing.assert_close(
        rgb_to_y(torch.ones(3, 2, 2, dtype=torch.float64)) * 255, torch.full((2, 2), 235.0, dtype=torch.float64)
    )
    torch.testing.assert_close(
        rgb_to_y(torch.zeros(3, 2, 2, dtype=torch.float64)) * 255, torch.full((2, 2), 16.0, dtype=torch.float64)
    )
    assert rgb_to_y(white, round_uint8=True).tolist() == [[235] * 3] * 2
    assert rgb_to_y(black, round_uint8=True).dtype == np.uint8


@pytest.mark.parametrize(
    ("rgb", "exact", "matlab"),
    [
        # Y = 16 + 65.481, Cb = 128 - 37.797, Cr = 128 + 112: MATLAB rgb2ycbcr(uint8([255 0 0])) = [81 90 240]
        ([255, 0, 0], [81.481, 90.203, 240.0], [81, 90, 240]),
        ([0, 255, 0], [144.553, 53.797, 34.214], [145, 54, 34]),
        ([0, 0, 255], [40.966, 240.0, 109.786], [41, 240, 110]),
        ([255, 255, 255], [235.0, 128.0, 128.0], [235, 128, 128]),
        ([0, 0, 0], [16.0, 128.0, 128.0], [16, 128, 128]),
    ],
)
def test_matlab_values(rgb: list[int], exact: list[float], matlab: list[int]) -> None:
    pixel = np.array([[rgb]], dtype=np.uint8)
    np.testing.assert_allclose(rgb_to_ycbcr(pixel)[0, 0], exact, rtol=0, atol=1e-9)
    rounded = rgb_to_ycbcr(pixel, round_uint8=True)
    assert rounded.dtype == np.uint8 and rounded[0, 0].tolist() == matlab
    trounded = rgb_to_ycbcr(chw(pixel), round_uint8=True)
    assert trounded.dtype == torch.uint8 and trounded[:, 0, 0].tolist() == matlab
    np.testing.assert_allclose(rgb_to_ycbcr(pixel / 255.0)[0, 0] * 255, exact, rtol=0, atol=1e-9)
    np.testing.assert_allclose(rgb_to_y(pixel)[0, 0], exact[0], rtol=0, atol=1e-9)


def test_y_is_the_first_channel_of_ycbcr(rng: np.random.Generator) -> None:
    image = rng.random((5, 7, 3))
    np.testing.assert_allclose(rgb_to_y(image), rgb_to_ycbcr(image)[..., 0], rtol=0, atol=1e-14)
    r, g, b = np.moveaxis(image, -1, 0)
    np.testing.assert_allclose(rgb_to_y(image), (16 + 65.481 * r + 128.553 * g + 24.966 * b) / 255, atol=1e-14)


def test_uint8_rounding_is_half_up(rng: np.random.Generator) -> None:
    image = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    exact = rgb_to_ycbcr(image)
    np.testing.assert_array_equal(rgb_to_ycbcr(image, round_uint8=True), np.floor(exact + 0.5).astype(np.uint8))
    np.testing.assert_array_equal(rgb_to_y(image, round_uint8=True), np.floor(exact[..., 0] + 0.5))


# ------------------------------------------------------------------------------------------- round trips


def test_round_trip_float(rng: np.random.Generator) -> None:
    image = rng.random((2, 9, 8, 3))
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(image)), image, rtol=0, atol=1e-10)
    tensor = chw(image)
    torch.testing.assert_close(ycbcr_to_rgb(rgb_to_ycbcr(tensor)), tensor, rtol=0, atol=1e-10)


def test_round_trip_uint8_through_float_ycbcr_is_exact(rng: np.random.Generator) -> None:
    """uint8 RGB -> float YCbCr (unrounded) -> RGB -> uint8 gives the image back, for a random sample of
    colours and the corners of the RGB cube."""
    sample = rng.integers(0, 256, (100_000, 3), dtype=np.uint8)
    corners = np.array([[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)], dtype=np.uint8)
    image = np.concatenate([sample, corners])[None]  # (1, N, 3)
    ycbcr = rgb_to_ycbcr(image)  # 0-255 scale, float
    np.testing.assert_array_equal(to_uint8(ycbcr_to_rgb(ycbcr / 255.0)), image)
    tensor = chw(image)
    assert torch.equal(to_uint8(ycbcr_to_rgb(rgb_to_ycbcr(tensor) / 255.0)), tensor)


def test_round_trip_through_uint8_ycbcr_is_within_two_levels(rng: np.random.Generator) -> None:
    """uint8 YCbCr has only 220 x 225 x 225 codes, so uint8 -> uint8 -> uint8 cannot be exact (nor is it in
    MATLAB); the inverse matrix amplifies the two 0.5 rounding errors to at most 0.5 * (1.164 + 2.017) + 0.5."""
    image = rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)
    back = ycbcr_to_rgb(rgb_to_ycbcr(image, round_uint8=True))
    assert back.dtype == np.uint8
    assert np.abs(back.astype(np.int16) - image).max() <= 2
    tback = ycbcr_to_rgb(rgb_to_ycbcr(chw(image), round_uint8=True))
    assert tback.dtype == torch.uint8
    np.testing.assert_array_equal(hwc(tback), back)


# ------------------------------------------------------------------------------------------ numpy / torch


@pytest.mark.parametrize("round_uint8", [False, True])
def test_numpy_and_torch_agree(rng: np.random.Generator, round_uint8: bool) -> None:
    u8 = rng.integers(0, 256, (2, 6, 5, 3), dtype=np.uint8)
    f64 = rng.random((2, 6, 5, 3))
    for image in (u8, f64):
        ycbcr = rgb_to_ycbcr(image, round_uint8=round_uint8)
        tycbcr = rgb_to_ycbcr(chw(image), round_uint8=round_uint8)
        np.testing.assert_allclose(hwc(tycbcr), ycbcr, rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            rgb_to_y(chw(image), round_uint8=round_uint8).numpy(),
            rgb_to_y(image, round_uint8=round_uint8),
            rtol=0,
            atol=1e-12,
        )
    back = ycbcr_to_rgb(rgb_to_ycbcr(f64))
    np.testing.assert_allclose(hwc(ycbcr_to_rgb(chw(rgb_to_ycbcr(f64)))), back, rtol=0, atol=1e-12)
    y8 = rgb_to_ycbcr(u8, round_uint8=True)
    np.testing.assert_array_equal(hwc(ycbcr_to_rgb(chw(y8))), ycbcr_to_rgb(y8))


def test_shapes_and_dtypes() -> None:
    batch = torch.rand(4, 3, 6, 5)
    assert rgb_to_ycbcr(batch).shape == (4, 3, 6, 5)
    assert rgb_to_y(batch).shape == (4, 6, 5)
    assert rgb_to_y(np.zeros((6, 5, 3))).shape == (6, 5)
    assert rgb_to_y(batch).dtype == torch.float32
    assert rgb_to_y(batch.half()).dtype == torch.float16
    assert ycbcr_to_rgb(batch.double()).dtype == torch.float64


def test_input_is_not_modified(rng: np.random.Generator) -> None:
    image = rng.random((4, 4, 3))
    before = image.copy()
    ycbcr_to_rgb(rgb_to_ycbcr(image))
    rgb_to_y(image)
    np.testing.assert_array_equal(image, before)
    tensor = torch.rand(3, 4, 4)
    tbefore = tensor.clone()
    ycbcr_to_rgb(rgb_to_ycbcr(tensor))
    assert torch.equal(tensor, tbefore)


# --------------------------------------------------------------------------------------------- gray


def test_gray_to_rgb(rng: np.random.Generator) -> None:
    gray = rng.integers(0, 256, (5, 4), dtype=np.uint8)
    for image in (gray, gray[..., None]):
        rgb = gray_to_rgb(image)
        assert rgb.shape == (5, 4, 3) and rgb.dtype == np.uint8
        assert all(np.array_equal(rgb[..., c], gray) for c in range(3))
    tensor = torch.from_numpy(gray)[None]
    for t, shape in ((tensor, (3, 5, 4)), (tensor[None].repeat(2, 1, 1, 1), (2, 3, 5, 4))):
        out = gray_to_rgb(t)
        assert out.shape == shape and (out == t).all()
    out = gray_to_rgb(tensor)
    out[0] = 0  # a real copy: writing one channel changes neither the input nor the other channels
    assert torch.equal(tensor[0], torch.from_numpy(gray)) and torch.equal(out[1], tensor[0])
    # coefficients of Y sum to 219: a gray level g has Y = 16 + 219 g / 255
    np.testing.assert_allclose(
        rgb_to_y(gray_to_rgb(gray)), 16 + 219 * gray.astype(np.float64) / 255, rtol=0, atol=1e-12
    )


# -------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("fn", [rgb_to_ycbcr, rgb_to_y, ycbcr_to_rgb])
@pytest.mark.parametrize(
    ("image", "match"),
    [
        pytest.param(np.zeros((4, 4, 4)), r"\(\.\.\., 3\), got \(4, 4, 4\)", id="numpy-4-channels"),
        pytest.param(np.zeros((4, 4, 1)), r"\(\.\.\., 3\)", id="numpy-1-channel"),
        pytest.param(np.zeros((4, 4)), r"\(\.\.\., 3\)", id="numpy-2d"),
        pytest.param(torch.zeros(4, 4, 4), r"\(\.\.\., 3, H, W\), got \(4, 4, 4\)", id="torch-4-channels"),
        pytest.param(torch.zeros(2, 1, 4, 4), r"\(\.\.\., 3, H, W\)", id="torch-1-channel"),
        pytest.param(torch.zeros(4, 3), r"\(\.\.\., 3, H, W\)", id="torch-2d"),
        pytest.param(torch.zeros(4, 4, 3), r"\(\.\.\., 3, H, W\)", id="torch-channels-last"),
    ],
)
def test_wrong_channel_counts(fn: object, image: np.ndarray | torch.Tensor, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        fn(image)  # type: ignore[operator]


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(np.zeros((4, 4, 2)), id="numpy-2-channels"),
        pytest.param(np.zeros((4, 4, 3)), id="numpy-3-channels"),
        pytest.param(np.zeros(4), id="numpy-1d"),
        pytest.param(torch.zeros(3, 4, 4), id="torch-3-channels"),
        pytest.param(torch.zeros(4, 4), id="torch-2d"),
    ],
)
def test_gray_to_rgb_wrong_shapes(image: np.ndarray | torch.Tensor) -> None:
    with pytest.raises(SrkitError, match="grayscale"):
        gray_to_rgb(image)


@pytest.mark.parametrize("fn", [rgb_to_ycbcr, rgb_to_y, ycbcr_to_rgb])
@pytest.mark.parametrize(
    "image",
    [
        pytest.param(np.zeros((2, 2, 3), np.int32), id="numpy-int32"),
        pytest.param(np.zeros((2, 2, 3), bool), id="numpy-bool"),
        pytest.param(torch.zeros(3, 2, 2, dtype=torch.int32), id="torch-int32"),
    ],
)
def test_unsupported_dtypes(fn: object, image: np.ndarray | torch.Tensor) -> None:
    with pytest.raises(SrkitError, match="dtype"):
        fn(image)  # type: ignore[operator]
