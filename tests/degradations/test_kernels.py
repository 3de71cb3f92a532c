"""Blur kernels and blurring (srkit.degradations.kernels)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from srkit import SrkitError
from srkit.degradations.kernels import (
    KERNEL_KINDS,
    Blur,
    BlurParams,
    anisotropic_gaussian_kernel,
    apply_blur,
    blur,
    generalized_gaussian_kernel,
    isotropic_gaussian_kernel,
    motion_kernel,
    plateau_kernel,
    sample_mixed_kernel,
    sample_motion_kernel,
    sample_sinc_kernel,
    shifted_gaussian_kernel,
    sinc_kernel,
)

F64 = torch.float64
KERNELS = {
    "iso": lambda: isotropic_gaussian_kernel(9, 1.5, dtype=F64),
    "aniso": lambda: anisotropic_gaussian_kernel(11, 2.5, 0.7, 0.6, dtype=F64),
    "generalized": lambda: generalized_gaussian_kernel(11, 2.0, 1.0, 0.3, 0.7, dtype=F64),
    "plateau": lambda: plateau_kernel(13, 2.0, 1.2, -1.0, 1.5, dtype=F64),
    "motion": lambda: motion_kernel(15, 9.3, 0.4, dtype=F64),
    "sinc": lambda: sinc_kernel(13, 1.1, dtype=F64),
}


pytestmark = pytest.mark.usefixtures("one_thread")


def _moments(k: torch.Tensor) -> torch.Tensor:
    """Covariance of a kernel seen as a distribution, in (x right, y up) coordinates."""
    r = (k.shape[0] - 1) / 2
    ax = torch.arange(k.shape[0], dtype=F64) - r
    x, y = ax[None, :].expand_as(k), -ax[:, None].expand_as(k)
    cxx, cyy, cxy = (k * x * x).sum(), (k * y * y).sum(), (k * x * y).sum()
    return torch.stack([torch.stack([cxx, cxy]), torch.stack([cxy, cyy])])


# --- kernels --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KERNELS))
def test_kernels_are_normalised_odd_and_point_symmetric(name: str) -> None:
    k = KERNELS[name]()
    assert k.dtype == F64
    assert k.ndim == 2 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    assert float(k.sum()) == pytest.approx(1.0, abs=1e-12)
    torch.testing.assert_close(k, k.flip(0, 1), atol=1e-12, rtol=0)  # all of these are point-symmetric
    if name != "sinc":
        assert float(k.min()) >= 0


def test_default_dtype_is_float32() -> None:
    assert isotropic_gaussian_kernel(5, 1.0).dtype == torch.float32


def test_isotropic_kernel_has_every_symmetry_and_matches_the_benchmark_formula() -> None:
    k = isotropic_gaussian_kernel(7, 1.6, dtype=F64)
    torch.testing.assert_close(k, k.T, atol=0, rtol=0)
    torch.testing.assert_close(k, k.flip(0), atol=0, rtol=0)
    torch.testing.assert_close(k, k.flip(1), atol=0, rtol=0)
    ax = np.arange(7) - 3.0
    ref = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * 1.6**2))
    np.testing.assert_allclose(k.numpy(), ref / ref.sum(), rtol=1e-12)


def test_anisotropic_rotation_by_90_degrees_swaps_the_sigmas() -> None:
    a = anisotropic_gaussian_kernel(15, 3.0, 1.0, math.pi / 2, dtype=F64)
    torch.testing.assert_close(a, anisotropic_gaussian_kernel(15, 1.0, 3.0, 0.0, dtype=F64), atol=1e-12, rtol=0)
    torch.testing.assert_close(a, anisotropic_gaussian_kernel(15, 3.0, 1.0, 0.0, dtype=F64).T, atol=1e-12, rtol=0)


def test_anisotropic_covariance_is_the_rotated_diagonal() -> None:
    sx, sy, theta = 2.0, 0.8, math.pi / 6  # a large kernel, so truncation is negligible
    cov = _moments(anisotropic_gaussian_kernel(41, sx, sy, theta, dtype=F64))
    c, s = math.cos(theta), math.sin(theta)
    rot = torch.tensor([[c, -s], [s, c]], dtype=F64)
    expected = rot @ torch.diag(torch.tensor([sx**2, sy**2], dtype=F64)) @ rot.T
    torch.testing.assert_close(cov, expected, atol=1e-6, rtol=0)
    assert float(cov[0, 1]) > 0  # counter-clockwise on screen: the long axis points up and to the right


def test_generalized_gaussian_with_beta_one_is_the_gaussian_and_beta_shapes_the_top() -> None:
    g = anisotropic_gaussian_kernel(11, 2.0, 1.0, 0.4, dtype=F64)
    torch.testing.assert_close(generalized_gaussian_kernel(11, 2.0, 1.0, 0.4, 1.0, dtype=F64), g)
    flat = generalized_gaussian_kernel(11, 2.0, 2.0, 0.0, 3.0, dtype=F64)
    peaked = generalized_gaussian_kernel(11, 2.0, 2.0, 0.0, 0.5, dtype=F64)
    assert flat[5, 6] / flat[5, 5] > g[5, 6] / g[5, 5] > peaked[5, 6] / peaked[5, 5]
    plateau = plateau_kernel(11, 2.0, 2.0, 0.0, 2.0, dtype=F64)
    assert float(plateau[5, 6] / plateau[5, 5]) == pytest.approx(1 / (1 + 0.25**2))


def test_sinc_kernel_has_negative_lobes_and_a_lower_cutoff_blurs_more() -> None:
    k = sinc_kernel(21, math.pi / 3, dtype=F64)
    assert float(k.min()) < 0
    assert float(sinc_kernel(21, math.pi / 5, dtype=F64)[10, 10]) < float(k[10, 10])
    torch.testing.assert_close(k, k.T, atol=1e-14, rtol=0)


def test_motion_kernel_direction() -> None:
    horizontal = motion_kernel(11, 7.0, 0.0, dtype=F64)
    assert float(horizontal[5].sum()) == pytest.approx(1.0)  # all the weight on the middle row
    nonzero = (horizontal[5] > 1e-12).nonzero().flatten().tolist()
    assert nonzero == list(range(2, 9))  # 7 pixels, centred
    vertical = motion_kernel(11, 7.0, math.pi / 2, dtype=F64)
    torch.testing.assert_close(vertical, horizontal.T, atol=1e-12, rtol=0)
    diagonal = motion_kernel(11, 7.0, math.pi / 4, dtype=F64)
    assert float(diagonal[4, 6]) > 0.05 and float(diagonal[4, 4]) == 0  # up-right / down-left, not up-left
    torch.testing.assert_close(motion_kernel(11, 7.0, math.pi / 4 + math.pi, dtype=F64), diagonal)


def test_motion_kernel_length_is_anti_aliased() -> None:
    """Weights are the segment's length inside each pixel: uniform for odd integer lengths, partial ends else."""
    for length in (3, 5, 9):
        k = motion_kernel(11, float(length), 0.0, dtype=F64)
        assert float(_moments(k)[0, 0]) == pytest.approx((length**2 - 1) / 12)  # discrete uniform
    k = motion_kernel(11, 7.4, 0.0, dtype=F64)[5] * 7.4
    torch.testing.assert_close(k[1:10], torch.tensor([0.2, 1, 1, 1, 1, 1, 1, 1, 0.2], dtype=F64))
    variances = [float(_moments(motion_kernel(13, 4.0 + i / 10, 0.7, dtype=F64)).trace()) for i in range(30)]
    assert all(b > a for a, b in itertools.pairwise(variances))  # grows smoothly with the length
    assert max(b - a for a, b in itertools.pairwise(variances)) < 0.2


def test_shifted_gaussian_kernel_moves_the_blur_centre() -> None:
    x = torch.zeros(1, 1, 15, 15, dtype=F64)
    x[0, 0, 7, 7] = 1
    y = blur(x, shifted_gaussian_kernel(25, 0.2, 1.0, dtype=F64))
    assert (y[0, 0] == y.max()).nonzero().tolist() == [[6, 6]]  # output (i, j) looks at input (i + 1, j + 1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: isotropic_gaussian_kernel(6, 1.0), "odd integer"),
        (lambda: isotropic_gaussian_kernel(0, 1.0), "odd integer"),
        (lambda: isotropic_gaussian_kernel(5, 0.0), "sigmas must be"),
        (lambda: anisotropic_gaussian_kernel(5, 1.0, -1.0), "sigmas must be"),
        (lambda: generalized_gaussian_kernel(5, 1.0, 1.0, 0.0, 0.0), "beta"),
        (lambda: sinc_kernel(5, 4.0), "cut-off"),
        (lambda: motion_kernel(5, 6.0, 0.0), "length"),
        (lambda: motion_kernel(4, 3.0, 0.0), "odd integer"),
    ],
)
def test_kernel_errors(call: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        call()  # type: ignore[operator]


# --- blurring -------------------------------------------------------------------------------------------------------


def test_blurring_a_point_gives_the_kernel() -> None:
    """A true convolution: the response to a point is the kernel itself, not its mirror image."""
    kernel = torch.rand(5, 5, dtype=F64, generator=torch.Generator().manual_seed(0))
    x = torch.zeros(2, 1, 11, 11, dtype=F64)
    x[:, :, 5, 5] = 1
    torch.testing.assert_close(blur(x, kernel)[0, 0, 3:8, 3:8], kernel)


@pytest.mark.parametrize("padding", ["reflect", "replicate"])
def test_blur_matches_padding_plus_convolution(padding: str) -> None:
    x = torch.rand(2, 3, 12, 10, dtype=F64)
    k = anisotropic_gaussian_kernel(7, 2.0, 1.0, 0.5, dtype=F64)
    ref = F.conv2d(F.pad(x, (3, 3, 3, 3), mode=padding), k.flip(0, 1).expand(3, 1, 7, 7), groups=3)
    torch.testing.assert_close(blur(x, k, padding=padding), ref)  # type: ignore[arg-type]


def test_reflect_padding_works_for_images_smaller_than_the_kernel() -> None:
    x = torch.rand(1, 1, 3, 4, dtype=F64)
    k = isotropic_gaussian_kernel(21, 3.0, dtype=F64)
    padded = np.pad(x[0, 0].numpy(), 10, mode="reflect")
    ref = F.conv2d(torch.from_numpy(padded)[None, None], k.flip(0, 1)[None, None])
    torch.testing.assert_close(blur(x, k), ref)
    one_pixel = torch.full((3, 1, 1), 0.25)
    torch.testing.assert_close(blur(one_pixel, isotropic_gaussian_kernel(7, 1.0)), one_pixel)


def test_per_image_kernels_equal_a_loop_over_images() -> None:
    x = torch.rand(3, 2, 9, 9, dtype=F64)
    kernels = torch.stack(
        [
            isotropic_gaussian_kernel(7, 1.0, dtype=F64),
            motion_kernel(7, 5.0, 1.0, dtype=F64),
            anisotropic_gaussian_kernel(7, 2.0, 0.5, 2.0, dtype=F64),
        ]
    )
    batched = blur(x, kernels)
    for i in range(3):
        torch.testing.assert_close(batched[i], blur(x[i], kernels[i]))


def test_blur_keeps_constants_shape_and_dtype_and_has_gradients() -> None:
    x = torch.full((1, 3, 8, 8), 0.3)
    y = blur(x, sinc_kernel(9, 1.0))
    assert y.shape == x.shape and y.dtype == torch.float32
    torch.testing.assert_close(y, x)
    inp = torch.rand(1, 2, 6, 6, dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: blur(t, isotropic_gaussian_kernel(3, 0.8, dtype=F64)), (inp,))


def test_apply_blur_clamps_and_module_equals_function() -> None:
    x = torch.rand(2, 3, 10, 10, generator=torch.Generator().manual_seed(1))
    params = BlurParams(sinc_kernel(11, 0.9))
    out = apply_blur(x, params)
    assert float(out.min()) >= 0 and float(out.max()) <= 1
    k = motion_kernel(7, 5.0, 0.3)
    torch.testing.assert_close(Blur(kernel=k)(x), blur(x, k))


@pytest.mark.parametrize(
    ("x", "kernel", "match"),
    [
        (torch.rand(8, 8), torch.ones(3, 3) / 9, r"\(C, H, W\) or \(B, C, H, W\)"),
        (torch.zeros(1, 3, 8, 8, dtype=torch.uint8), torch.ones(3, 3) / 9, "float tensor"),
        (torch.rand(1, 3, 8, 8), torch.ones(4, 4) / 16, "odd integer"),
        (torch.rand(1, 3, 8, 8), torch.ones(3, 5) / 15, "square"),
        (torch.rand(2, 3, 8, 8), torch.ones(3, 3, 3) / 9, "3 kernels for a batch of 2"),
    ],
)
def test_blur_errors(x: torch.Tensor, kernel: torch.Tensor, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        blur(x, kernel)


def test_blur_params_errors() -> None:
    with pytest.raises(SrkitError, match="padding"):
        blur(torch.rand(1, 1, 4, 4), torch.ones(1, 1), padding="zeros")  # type: ignore[arg-type]
    with pytest.raises(SrkitError, match="square"):
        BlurParams(torch.ones(2, 3, 3))
    with pytest.raises(SrkitError, match="odd"):
        BlurParams(torch.ones(2, 2))


# --- sampling -------------------------------------------------------------------------------------------------------


def _g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_samplers_are_deterministic_and_use_only_their_generator() -> None:
    for sampler in (sample_mixed_kernel, sample_motion_kernel, sample_sinc_kernel):
        torch.manual_seed(0)
        a = sampler(_g(5)).kernel
        torch.manual_seed(1)  # the global RNG plays no part
        b = sampler(_g(5)).kernel
        assert torch.equal(a, b)
        assert any(not torch.equal(a, sampler(_g(s)).kernel) for s in range(6, 10))


def test_mixed_kernel_draws_every_kind_within_its_ranges() -> None:
    g, sizes = _g(0), set()
    for _ in range(60):
        k = sample_mixed_kernel(g, sigma_range=(0.2, 3.0)).kernel
        sizes.add(k.shape[0])
        assert float(k.sum()) == pytest.approx(1.0, abs=1e-5)
    assert sizes <= set(range(7, 22, 2)) and len(sizes) >= 5
    iso = sample_mixed_kernel(g, kinds=("iso",), probs=(1.0,), sinc_prob=0.0).kernel
    torch.testing.assert_close(iso, iso.T)
    torch.testing.assert_close(iso, iso.flip(0))
    narrow = sample_mixed_kernel(g, kinds=("iso",), probs=(1.0,), sizes=(21,), sigma_range=(0.5, 0.5), sinc_prob=0)
    torch.testing.assert_close(narrow.kernel, isotropic_gaussian_kernel(21, 0.5))
    sinc = sample_mixed_kernel(g, sinc_prob=1.0).kernel
    assert float(sinc.min()) < 0


def test_motion_sampler_respects_the_size() -> None:
    for seed in range(10):
        k = sample_motion_kernel(_g(seed), sizes=(7,), length_range=(3.0, 30.0)).kernel
        assert k.shape == (7, 7) and float(k.sum()) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sigma_range": (3.0, 0.2)}, "sigma_range"),
        ({"sigma_range": (-1.0, 2.0)}, "sigma_range"),
        ({"sigma_range": (1.0,)}, "pair"),
        ({"kinds": ("iso", "box"), "probs": (0.5, 0.5)}, "unknown kernel kinds"),
        ({"kinds": ("iso", "aniso"), "probs": (0.5, 0.6)}, "probabilities"),
        ({"sizes": (7, 8)}, "odd integer"),
        ({"sizes": ()}, "at least one"),
        ({"sinc_prob": 1.5}, "sinc_prob"),
    ],
)
def test_sampler_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        sample_mixed_kernel(_g(0), **kwargs)  # type: ignore[arg-type]


def test_kernel_kinds_are_real_esrgans() -> None:
    assert KERNEL_KINDS == ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_blur_on_cuda_matches_cpu() -> None:
    x = torch.rand(2, 3, 16, 16)
    kernels = torch.stack([motion_kernel(9, 6.0, 0.3), isotropic_gaussian_kernel(9, 2.0)])
    torch.testing.assert_close(blur(x.cuda(), kernels).cpu(), blur(x, kernels), atol=1e-5, rtol=0)
    params = sample_mixed_kernel(_g(3))
    torch.testing.assert_close(apply_blur(x.cuda(), params).cpu(), apply_blur(x, params), atol=1e-5, rtol=0)
