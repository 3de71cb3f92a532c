"""DIV2KRK kernels: drawn from the generator only, in the paper's ranges, normalised and aligned; the x4 kernel is
two x2 steps; kernel_downscale is correlate-then-keep-every-s-th-pixel with symmetric borders."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from srkit import SrkitError, imresize
from srkit.degradations import (
    DIV2KRKParams,
    aligned_centre,
    analytic_x4_kernel,
    apply_div2krk,
    bicubic_kernel,
    centre_kernel,
    div2krk_kernel,
    kernel_centre,
    kernel_downscale,
    kernel_error,
    sample_div2krk_kernel,
)


def _draw(seed: int, scale: int = 2) -> DIV2KRKParams:
    return sample_div2krk_kernel(torch.Generator().manual_seed(seed), scale=scale)


def _reference(image: np.ndarray, kernel: np.ndarray, scale: int) -> np.ndarray:
    """The definition written out: symmetric padding, then a full correlation, then every ``scale``-th pixel."""
    a, b = kernel.shape[0] // 2, kernel.shape[1] // 2
    img = image.astype(np.float64)
    img = img[..., None] if img.ndim == 2 else img
    pad = ((a, kernel.shape[0] - 1 - a), (b, kernel.shape[1] - 1 - b), (0, 0))
    p = np.pad(img, pad, mode="symmetric")
    h, w = img.shape[:2]
    out = np.zeros_like(img)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            out += kernel[i, j] * p[i : i + h, j : j + w]
    out = out[::scale, ::scale]
    return out[..., 0] if image.ndim == 2 else out


def test_same_generator_state_same_kernel_bit_for_bit() -> None:
    for scale in (2, 4):
        a, b = _draw(7, scale), _draw(7, scale)
        assert (a.lambda1, a.lambda2, a.theta) == (b.lambda1, b.lambda2, b.theta)
        assert div2krk_kernel(a).tobytes() == div2krk_kernel(b).tobytes()
    assert div2krk_kernel(_draw(7)).tobytes() != div2krk_kernel(_draw(8)).tobytes()


def test_only_the_given_generator_is_used() -> None:
    torch.manual_seed(0)
    first = div2krk_kernel(_draw(3))
    torch.manual_seed(123)
    torch.rand(5)
    assert div2krk_kernel(_draw(3)).tobytes() == first.tobytes()


def test_parameters_stay_in_the_papers_ranges() -> None:
    draws = [_draw(seed) for seed in range(300)]
    lambdas = np.array([[p.lambda1, p.lambda2] for p in draws])
    thetas = np.array([p.theta for p in draws])
    noise = np.stack([p.noise for p in draws])
    assert lambdas.min() >= 0.6 and lambdas.max() <= 5.0
    assert lambdas.min() < 0.8 and lambdas.max() > 4.8  # the whole range is used
    assert thetas.min() >= -math.pi and thetas.max() <= math.pi
    assert thetas.min() < -3.0 and thetas.max() > 3.0
    assert noise.shape == (300, 11, 11) and np.abs(noise).max() <= 0.25 and np.abs(noise).max() > 0.249


@pytest.mark.parametrize(("scale", "side"), [(2, 11), (4, 31)])
def test_kernels_sum_to_one_are_non_negative_and_aligned(scale: int, side: int) -> None:
    for seed in range(20):
        k = div2krk_kernel(_draw(seed, scale))
        assert k.shape == (side, side) and k.dtype == np.float64
        assert k.sum() == pytest.approx(1.0, abs=1e-12)
        assert k.min() >= 0
        want = aligned_centre(k.shape, scale)
        assert want == (side // 2 + (scale - 1) / 2,) * 2
        np.testing.assert_allclose(kernel_centre(k), want, atol=1e-8)


def test_the_kernel_is_the_noisy_gaussian_of_its_parameters() -> None:
    p = _draw(5)
    clean = DIV2KRKParams(2, p.lambda1, p.lambda2, p.theta, np.zeros((11, 11)))
    k, g = div2krk_kernel(p), div2krk_kernel(clean)
    ratio = (k / g)[g > g.max() / 4]  # where the Gaussian is large, the centring shifts barely change it
    assert not np.allclose(ratio, 1, atol=0.05)  # the noise is there
    assert ratio.min() > 0.7 and ratio.max() < 1.3  # up to 25%, give or take the normalisation and centring
    # the clean kernel's elongation follows lambda and theta: its second moments are the covariance
    rows, cols = np.mgrid[0:11, 0:11].astype(float)
    cy, cx = kernel_centre(g)
    x, y = cols - cx, -(rows - cy)
    cov = np.array([[(g * x * x).sum(), (g * x * y).sum()], [(g * x * y).sum(), (g * y * y).sum()]])
    c, s = math.cos(p.theta), math.sin(p.theta)
    rot = np.array([[c, -s], [s, c]])
    want = rot @ np.diag([p.lambda1, p.lambda2]) @ rot.T
    np.testing.assert_allclose(cov, want, atol=0.6)  # truncated to 11x11, and shifted by half a pixel


def test_x4_kernel_is_two_x2_steps_with_its_x2_kernel() -> None:
    k2 = div2krk_kernel(_draw(11, 2))
    k4 = analytic_x4_kernel(k2)
    assert k4.shape == (31, 31)
    np.testing.assert_allclose(kernel_centre(k4), (16.5, 16.5), atol=1e-8)
    img = np.random.default_rng(0).random((96, 88))
    twice = kernel_downscale(kernel_downscale(img, k2, 2), k2, 2)
    once = kernel_downscale(img, k4, 4)
    np.testing.assert_allclose(once[5:-5, 5:-5], twice[5:-5, 5:-5], atol=1e-12)  # borders reflect differently


def test_x4_params_build_the_analytic_kernel_of_their_x2_kernel() -> None:
    p = _draw(4, 4)
    as_x2 = DIV2KRKParams(2, p.lambda1, p.lambda2, p.theta, p.noise)
    np.testing.assert_allclose(div2krk_kernel(p), analytic_x4_kernel(div2krk_kernel(as_x2)), atol=1e-15)


@pytest.mark.parametrize(
    ("shape", "scale"), [((20, 24, 3), 2), ((20, 24, 3), 4), ((9, 7), 2), ((3, 5, 3), 4), ((1, 1), 2)]
)
def test_kernel_downscale_is_the_definition(shape: tuple[int, ...], scale: int) -> None:
    rng = np.random.default_rng(1)
    image = rng.random(shape)
    kernel = div2krk_kernel(_draw(2, scale))
    out = kernel_downscale(image, kernel, scale)
    assert out.dtype == np.float64
    assert out.shape[:2] == (-(-shape[0] // scale), -(-shape[1] // scale))
    np.testing.assert_allclose(out, _reference(image, kernel, scale), atol=1e-12)


def test_kernel_downscale_equals_scipy_correlate_then_subsample() -> None:
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (40, 36, 3), dtype=np.uint8)
    kernel = div2krk_kernel(_draw(9, 4))
    blurred = np.stack([ndimage.correlate(image[..., c].astype(np.float64), kernel) for c in range(3)], axis=-1)
    want = np.clip(np.floor(blurred[::4, ::4] + 0.5), 0, 255).astype(np.uint8)
    got = kernel_downscale(image, kernel, 4)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, want)


def test_an_aligned_kernel_samples_the_centre_of_each_block() -> None:
    ramp = np.tile(np.arange(64, dtype=np.float64)[:, None], (1, 40))  # value = row
    for scale in (2, 4):
        k = div2krk_kernel(_draw(6, scale))
        lr = kernel_downscale(ramp, k, scale)
        m = np.arange(lr.shape[0])[:, None]
        inner = slice(4, -4)
        want = np.broadcast_to(scale * m + (scale - 1) / 2, lr.shape)
        np.testing.assert_allclose(lr[inner, inner], want[inner, inner], atol=1e-9)


def test_a_one_pixel_kernel_keeps_the_first_pixel_of_each_block() -> None:
    img = np.arange(48, dtype=np.uint8).reshape(6, 8)
    np.testing.assert_array_equal(kernel_downscale(img, np.ones((1, 1)), 2), img[::2, ::2])


def test_uint8_is_rounded_half_up_and_saturated() -> None:
    img = np.array([[100, 101], [100, 101]], np.uint8)
    assert kernel_downscale(img, np.array([[0, 0.5, 0.5]]), 2).tolist() == [[101]]  # 100.5 -> 101
    assert kernel_downscale(np.full((2, 2), 200, np.uint8), np.array([[2.0]]), 2).tolist() == [[255]]


def test_apply_div2krk_is_deterministic_and_checks_the_size() -> None:
    hr = np.random.default_rng(3).integers(0, 256, (16, 12, 3), dtype=np.uint8)
    p = _draw(1, 4)
    a, b = apply_div2krk(hr, p), apply_div2krk(hr, p)
    assert a.shape == (4, 3, 3) and a.dtype == np.uint8 and a.tobytes() == b.tobytes()
    with pytest.raises(SrkitError, match=r"HR size 15x12 is not a multiple of the scale 4"):
        apply_div2krk(hr[:15], p)


def test_centre_kernel_moves_the_centre_exactly_and_keeps_it_a_kernel() -> None:
    k = np.zeros((9, 9))
    k[1:4, 5:8] = np.arange(1, 10).reshape(3, 3)
    out = centre_kernel(k, 2)
    assert out.shape == (9, 9) and out.min() >= 0 and out.sum() == pytest.approx(1, abs=1e-12)
    np.testing.assert_allclose(kernel_centre(out), (4.5, 4.5), atol=1e-9)
    np.testing.assert_allclose(kernel_centre(centre_kernel(k, 1)), (4, 4), atol=1e-9)
    with pytest.raises(SrkitError, match=r"non-negative"):
        centre_kernel(-k, 2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 3}, r"scales \(2, 4\), got 3"),
        ({"size": 10}, r"odd integer >= 3"),
        ({"lambda_range": (5.0, 1.0)}, r"lambda_range must satisfy"),
        ({"noise_level": 1.0}, r"noise_level must be in \[0, 1\)"),
    ],
)
def test_bad_sampling_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SrkitError, match=message):
        sample_div2krk_kernel(torch.Generator().manual_seed(0), **kwargs)  # type: ignore[arg-type]


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(SrkitError, match=r"noise must be a square"):
        DIV2KRKParams(2, 1.0, 1.0, 0.0, np.zeros((10, 10)))
    with pytest.raises(SrkitError, match=r"lambda1 and lambda2 must be finite and > 0"):
        DIV2KRKParams(2, 0.0, 1.0, 0.0, np.zeros((11, 11)))
    with pytest.raises(SrkitError, match=r"non-empty 2-D array"):
        kernel_downscale(np.zeros((4, 4)), np.ones((2, 2, 2)), 2)
    with pytest.raises(SrkitError, match=r"uint8 or float image"):
        kernel_downscale(np.zeros((4, 4), np.int32), np.ones((1, 1)), 2)
    with pytest.raises(SrkitError, match=r"integer >= 1"):
        kernel_downscale(np.zeros((4, 4)), np.ones((1, 1)), 0)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_kernel_is_matlab_imresize_away_from_the_borders(scale: int) -> None:
    image = np.random.default_rng(scale).random((48, 40))
    k = bicubic_kernel(scale)
    assert k.shape == (6 * scale - 1,) * 2 and math.isclose(k.sum(), 1.0)
    assert np.allclose(kernel_centre(k), aligned_centre(k.shape, scale))
    ours, matlab = kernel_downscale(image, k, scale), imresize(image, 1 / scale)
    m = 12 // scale  # MATLAB renormalises its weights near a border, this convention reflects the image
    np.testing.assert_allclose(ours[m:-m, m:-m], matlab[m:-m, m:-m], atol=1e-12)


def test_kernel_error_is_zero_for_the_truth_whatever_its_size_and_scale() -> None:
    k = div2krk_kernel(_draw(3))
    assert kernel_error(k, k) == 0.0
    assert kernel_error(np.pad(k, 4) * 7.0, k) < 1e-12  # zero border, another sum: the same kernel


def test_kernel_error_counts_a_shift_and_a_wrong_width() -> None:
    k = div2krk_kernel(_draw(4))
    shifted = np.roll(np.pad(k, 2), 1, axis=1)
    assert kernel_error(shifted, k) > 0.1
    near, far = div2krk_kernel(_draw(5)), bicubic_kernel(2)
    assert kernel_error(k, k) < kernel_error(near, k) and kernel_error(far, k) > 0.1


def test_kernel_helpers_refuse_bad_input() -> None:
    with pytest.raises(SrkitError, match="scale"):
        bicubic_kernel(1)
    with pytest.raises(SrkitError, match="positive mass"):
        kernel_error(np.zeros((3, 3)), bicubic_kernel(2))
    with pytest.raises(SrkitError, match="2-D"):
        kernel_error(np.ones(3), bicubic_kernel(2))
