"""KernelGAN: the generator is its kernel, the constraints, the kernel after training, x4, seeds, the CLI; and (slow)
a short run finds a blur closer to the true one than bicubic."""

from __future__ import annotations

import doctest
import importlib
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from srkit import SrkitError
from srkit.cli.main import main as _main
from srkit.degradations import aligned_centre, anisotropic_gaussian_kernel, kernel_centre, kernel_downscale
from srkit.unsupervised import KernelGANConfig, KernelResult, estimate_kernel
from srkit.unsupervised._kernelgan_crops import CropSampler, crop_probabilities, gradient_map
from srkit.unsupervised.kernelgan import (
    DeepLinearGenerator,
    PatchDiscriminator,
    boundary_mask,
    kernel_constraints,
    kernel_x4_from_x2,
    zero_negligible,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "srkit" / "assets" / "examples"


@pytest.fixture(autouse=True)
def _one_thread() -> object:
    """Tiny convolutions: threads only add waiting (and this CPU is shared)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _image(size: int = 48, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.random((size // 4, size // 4, 3))
    return np.kron(base, np.ones((4, 4, 1))).clip(0, 1)  # blocks: edges for the gradient map


def _random_generator() -> DeepLinearGenerator:
    g = DeepLinearGenerator().double()
    for conv in g.layers:
        torch.nn.init.normal_(conv.weight, 0.0, 0.2)  # larger than the official init, so the kernel is not tiny
    return g


# --- the generator is its kernel ---------------------------------------------------------------------------------


def test_the_extracted_kernel_is_the_generators_action() -> None:
    torch.manual_seed(0)
    g = _random_generator()
    x = torch.rand(2, 3, 41, 38, dtype=torch.float64)
    with torch.no_grad():
        out, k = g(x), g.kernel()
    assert k.shape == (13, 13) and out.shape == (2, 3, 15, 13)
    # correlating with the kernel (no padding) and keeping every 2nd pixel is the layers' output ...
    direct = F.conv2d(x.reshape(6, 1, 41, 38), k[None, None])[..., ::2, ::2].reshape(out.shape)
    torch.testing.assert_close(out, direct, rtol=1e-10, atol=1e-10 * out.abs().max().item())
    # ... and so is srkit's kernel_downscale (correlate, keep pixels 0, 2, ...), 6 pixels = 3 LR pixels inside
    ref = kernel_downscale(x[0].permute(1, 2, 0).numpy(), k.numpy(), 2)
    np.testing.assert_allclose(out[0].permute(1, 2, 0).numpy(), ref[3:18, 3:16], rtol=1e-10, atol=1e-9)


def test_the_collapsed_forward_has_the_layers_gradients() -> None:
    torch.manual_seed(1)
    g = _random_generator()
    x = torch.rand(1, 3, 30, 30, dtype=torch.float64)
    target = torch.rand(1, 3, 9, 9, dtype=torch.float64)
    grads = []
    for out in (g(x), g.downscale(x)):
        g.zero_grad()
        ((out - target) ** 2).mean().backward()
        grads.append([p.grad.clone() for p in g.parameters()])
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-12)


def test_the_networks_have_the_papers_shapes() -> None:
    g = DeepLinearGenerator()
    assert [c.kernel_size[0] for c in g.layers] == [7, 5, 3, 1, 1, 1]
    assert [c.out_channels for c in g.layers] == [64] * 5 + [1]
    assert all(c.bias is None for c in g.layers) and g.layers[-1].stride == (2, 2)
    assert g(torch.rand(1, 3, 64, 64)).shape == (1, 3, 26, 26)  # the official code's 64 -> 26
    d = PatchDiscriminator()
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.kernel_size[0] for c in convs] == [7, 1, 1, 1, 1, 1, 1]
    assert all(hasattr(c, "parametrizations") for c in convs)  # spectral norm on every convolution
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules()) == 5
    out = d(torch.rand(1, 3, 26, 26))
    assert out.shape == (1, 1, 20, 20) and out.min() >= 0 and out.max() <= 1


# --- constraints ---------------------------------------------------------------------------------------------------


def test_the_constraints_vanish_on_an_ideal_kernel() -> None:
    v = torch.tensor([0, 0, 0, 0, 1, 3, 6, 6, 3, 1, 0, 0, 0], dtype=torch.float64)
    k = torch.outer(v, v) / v.sum() ** 2  # sums to 1, centre of mass (6.5, 6.5), nothing on the border frame
    mask = boundary_mask(13).double()
    terms = kernel_constraints(k, mask)
    for name in ("sum_to_one", "centre", "boundaries"):
        assert terms[name].item() == pytest.approx(0.0, abs=1e-12), name
    bad = kernel_constraints(torch.roll(k, 1, 0) * 2, mask)
    assert bad["sum_to_one"].item() == pytest.approx(1.0)
    assert bad["centre"].item() == pytest.approx(0.5)  # one row off: (1 ** 2 + 0 ** 2) / 2
    corner = k.clone()
    corner[0, 0] = 0.01
    assert kernel_constraints(corner, mask)["boundaries"].item() == pytest.approx(0.01 * mask[0, 0].item() / 169)
    # sparsity: mean |k| ** 0.2, lower for the concentrated kernel of the same mass
    spread = torch.full((13, 13), 1 / 169, dtype=torch.float64)
    assert kernel_constraints(k, mask)["sparse"] < kernel_constraints(spread, mask)["sparse"]


def test_the_boundary_mask_is_the_official_one() -> None:
    m = boundary_mask(13).double()
    z = np.arange(-6, 7)
    g = np.outer(np.exp(-(z**2) / 338), np.exp(-(z**2) / 338))
    expected = 30 * (1 - g / g.max())
    expected[2:-2, 2:-2] = 0
    np.testing.assert_allclose(m.numpy(), expected, rtol=1e-6)


# --- the kernel after training ------------------------------------------------------------------------------------


def test_the_final_kernel_is_nonnegative_sums_to_one_and_is_centred() -> None:
    raw = np.random.default_rng(0).normal(0, 1e-3, (13, 13))
    raw[4:9, 5:10] += 0.05
    k = zero_negligible(raw)
    assert k.min() >= 0 and k.sum() == pytest.approx(1) and k[4:9, 5:10].sum() > 0.95 and (k == 0).sum() > 100
    result = estimate_kernel(_image(), steps=3, progress=False)
    assert isinstance(result, KernelResult) and result.scale == 2 and result.kernel is result.kernel_x2
    k2 = result.kernel
    assert k2.dtype == np.float64 and k2.ndim == 2 and k2.shape[0] == k2.shape[1] and k2.shape[0] % 2 == 1
    assert k2.min() >= 0 and k2.sum() == pytest.approx(1, abs=1e-12)
    assert kernel_centre(k2) == pytest.approx(aligned_centre(k2.shape, 2), abs=1e-8)
    assert result.raw_kernel.shape == (13, 13)
    assert (result.log.steps, result.log.stopped) == (3, "steps") and len(result.log.losses) == 3


def test_x4_is_the_x2_kernel_composed_with_itself() -> None:
    v = np.array([0, 0, 0, 0, 1, 3, 6, 6, 3, 1, 0, 0, 0], dtype=np.float64)
    k2 = np.outer(v, v) / v.sum() ** 2  # aligned for x2, narrow enough that the official crop loses nothing
    k4 = kernel_x4_from_x2(k2)
    assert k4.sum() == pytest.approx(1) and k4.min() >= 0
    assert kernel_centre(k4) == pytest.approx(aligned_centre(k4.shape, 4), abs=1e-8)
    x = np.random.default_rng(0).random((64, 64))
    twice = kernel_downscale(kernel_downscale(x, k2, 2), k2, 2)
    once = kernel_downscale(x, k4, 4)
    np.testing.assert_allclose(once[5:11, 5:11], twice[5:11, 5:11], atol=1e-12)  # away from the borders


def test_scale_4_returns_the_composed_kernel() -> None:
    result = estimate_kernel(_image(), 4, steps=2, progress=False)
    assert result.scale == 4 and result.kernel.shape[0] > result.kernel_x2.shape[0]
    assert result.kernel.sum() == pytest.approx(1) and result.kernel.min() >= 0
    np.testing.assert_array_equal(result.kernel, kernel_x4_from_x2(result.kernel_x2))
    assert kernel_centre(result.kernel) == pytest.approx(aligned_centre(result.kernel.shape, 4), abs=1e-8)


# --- seeds, settings, errors -------------------------------------------------------------------------------------


def test_a_seed_repeats_the_run() -> None:
    image = _image(seed=3)
    a, b = (estimate_kernel(image, steps=3, seed=5, progress=False) for _ in range(2))
    np.testing.assert_array_equal(a.raw_kernel, b.raw_kernel)
    assert a.log.losses == b.log.losses
    c = estimate_kernel(image, steps=3, seed=6, progress=False)
    assert not np.array_equal(a.raw_kernel, c.raw_kernel)


def test_the_layered_generator_trains_the_same() -> None:
    image = _image(seed=4)
    fast = estimate_kernel(image, steps=3, progress=False)
    slow = estimate_kernel(image, steps=3, progress=False, config=KernelGANConfig(fast_generator=False))
    np.testing.assert_allclose(fast.raw_kernel, slow.raw_kernel, rtol=1e-3, atol=1e-9)
    np.testing.assert_allclose(fast.log.losses, slow.log.losses, rtol=1e-4)


def test_gray_and_uint8_images_and_max_time_and_threads() -> None:
    gray = (_image()[..., 0] * 255).astype(np.uint8)
    torch.set_num_threads(2)
    result = estimate_kernel(gray, steps=1000, max_time=0.05, progress=False)
    assert result.log.stopped == "time" and result.log.steps < 1000
    assert torch.get_num_threads() == 2  # KernelGAN's one thread is given back


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: estimate_kernel(_image(), 3), "x2 and x4"),
        (lambda: estimate_kernel(_image(), True), "x2 and x4"),
        (lambda: estimate_kernel(np.zeros((20, 40, 3)), steps=1), "too small"),
        (lambda: estimate_kernel(np.zeros((40, 40, 4)), steps=1), "alpha"),
        (lambda: estimate_kernel(_image(), steps=0), "steps"),
        (lambda: KernelGANConfig(crop_size=30), "crop_size"),
        (lambda: KernelGANConfig(threads=0), "threads"),
    ],
)
def test_bad_input_is_refused_in_one_line(call: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match) as err:
        call()  # type: ignore[operator]
    assert "\n" not in str(err.value)


def test_crops_follow_the_gradients() -> None:
    rgb = np.zeros((96, 96, 3))
    rgb[:, 60:] = 1.0  # one vertical edge at column 60
    assert gradient_map(rgb)[:, :50].max() == 0
    p = crop_probabilities(gradient_map(rgb), 26).reshape(96, 96)
    assert p.sum() == pytest.approx(1) and p[:, :40].sum() == 0 and p[:, 50:70].sum() > 0.99
    crops = CropSampler(rgb, g_crop=64, d_crop=26, steps=20, seed=0)
    for i in range(20):
        (gt, gl), (dt, dl) = crops.g_box(i), crops.d_box(i)
        assert gt % 2 == gl % 2 == dt % 2 == dl % 2 == 0
        assert 0 <= gl <= 32 and 0 <= dt <= 70 and 34 <= dl <= 60  # the D crop holds the edge
    flat = crop_probabilities(np.zeros((40, 40)), 26)
    np.testing.assert_allclose(flat, 1 / 1600)  # nothing to prefer: uniform


@pytest.mark.parametrize("module", ["srkit.unsupervised.kernelgan"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), extraglobs={"np": np})
    assert result.attempted > 0 and result.failed == 0


# --- command line --------------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def _photo(path: Path) -> Path:
    Image.fromarray((_image() * 255).astype(np.uint8)).save(path)
    return path


def test_cli_writes_the_kernel_and_its_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photo(tmp_path / "photo.png")
    assert main(["kernel", str(src), "--steps", "2", "--no-progress", "--seed", "1"]) == 0
    k = np.load(tmp_path / "photo_kernel_x2.npy")
    assert k.ndim == 2 and k.dtype == np.float32 and k.sum() == pytest.approx(1, abs=1e-5) and k.min() >= 0
    assert Image.open(tmp_path / "photo_kernel_x2.png").mode == "L"
    assert "photo_kernel_x2.npy" in capsys.readouterr().out
    out = tmp_path / "k4.npy"
    assert main(["kernel", str(src), "--scale", "4", "-o", str(out), "--steps", "1", "--no-progress"]) == 0
    assert np.load(out).shape[0] > k.shape[0] and (tmp_path / "k4.png").exists()
    # an existing output needs --overwrite
    assert main(["kernel", str(src), "-o", str(out), "--steps", "1", "--no-progress"]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["kernel", str(src), "-o", str(out), "--steps", "1", "--no-progress", "--overwrite"]) == 0


@pytest.mark.parametrize(
    ("args", "code", "match"),
    [
        (["missing.png"], 1, "image not found"),
        (["photo.png", "--scale", "3"], 2, "x2 and x4"),
        (["photo.png", "--steps", "0"], 2, "--steps"),
        (["photo.png", "-o", "k.txt"], 1, ".npy"),
        (["photo.png", "-o", "photo.npy"], 1, "replace the input"),  # its picture would be photo.png
        (["photo.txt"], 1, "cannot read image"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, match: str
) -> None:
    _photo(tmp_path / "photo.png")
    (tmp_path / "photo.txt").write_text("not an image")
    argv = ["kernel", *(str(tmp_path / a) if a.endswith((".png", ".npy", ".txt")) else a for a in args)]
    assert main([*argv, "--no-progress"]) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("srkit: error:") and match in err and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "photo.txt"]  # nothing written


# --- does it find the kernel? (slow) ------------------------------------------------------------------------------


def _aligned(kernel: np.ndarray, size: int = 31) -> np.ndarray:
    """``kernel`` on a ``size`` canvas with its centre of mass moved to the middle (linear interpolation, signs kept),
    so that kernels of any size and alignment compare."""
    k = np.zeros((size, size))
    h, w = kernel.shape
    k[(size - h) // 2 : (size - h) // 2 + h, (size - w) // 2 : (size - w) // 2 + w] = kernel / kernel.sum()
    for axis in (0, 1):
        d = size // 2 - float((k.sum(axis=1 - axis) * np.arange(size)).sum())
        n, f = math.floor(d), d - math.floor(d)
        k = (1 - f) * np.roll(k, n, axis) + f * np.roll(k, n + 1, axis)
    return k


@pytest.mark.slow
def test_a_short_run_finds_an_anisotropic_blur_better_than_bicubic() -> None:
    hr = np.asarray(Image.open(EXAMPLES / "zoneplate.png").convert("RGB"), dtype=np.float64) / 255
    true = anisotropic_gaussian_kernel(13, 2.0, 0.8, math.pi / 4, dtype=torch.float64).numpy()  # "/" on screen
    lr = kernel_downscale(hr, true, 2).clip(0, 1)
    w = np.array([-0.01171875, -0.03515625, 0.11328125, 0.43359375])
    w = np.concatenate([w, w[::-1]])
    bicubic = np.outer(w, w)  # MATLAB's x2 bicubic (antialiased) kernel
    est = estimate_kernel(lr, steps=800, progress=False).kernel  # past the paper's first learning-rate decay

    def error(k: np.ndarray) -> tuple[float, float]:
        a, b = _aligned(k), _aligned(true)
        return float(np.linalg.norm(a - b)), float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    (l2_est, corr_est), (l2_bic, corr_bic) = error(est), error(bicubic)
    assert l2_est < 0.75 * l2_bic and corr_est > corr_bic, (l2_est, corr_est, l2_bic, corr_bic)
