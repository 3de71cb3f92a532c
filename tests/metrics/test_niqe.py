"""NIQE: the distribution fits, the features against direct computations, the shipped model, the scores' order."""

from __future__ import annotations

import doctest
import importlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import correlate, gaussian_filter

from srkit._core.errors import SrkitError
from srkit.functional.resize import imresize
from srkit.metrics import niqe
from srkit.metrics.niqe import _mscn, _patch_features, fit_aggd, fit_niqe_model, load_niqe_model

pytestmark = pytest.mark.usefixtures("one_thread")

SET14 = ("lenna", "zebra", "comic")


def sample_aggd(rng: np.random.Generator, shape: float, left: float, right: float, n: int) -> np.ndarray:
    """AGGD samples: the left side with probability left / (left + right), |x| / scale ~ Gamma(1/shape)^(1/shape)."""
    magnitude = rng.gamma(1.0 / shape, 1.0, n) ** (1.0 / shape)
    negative = rng.random(n) < left / (left + right)
    return np.where(negative, -left * magnitude, right * magnitude)


def u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def load_uint8(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.array(im if im.mode in ("L", "RGB") else im.convert("RGB"), dtype=np.uint8)


# ----------------------------------------------------------------------------------------------- fits


@pytest.mark.parametrize("shape", [1.0, 2.0])
def test_fit_aggd_recovers_a_generalised_gaussian(shape: float) -> None:
    rng = np.random.default_rng(7)
    fit = fit_aggd(sample_aggd(rng, shape, 0.8, 0.8, 200_000)[None])
    assert fit.shape[0] == pytest.approx(shape, rel=0.05)
    assert fit.left_scale[0] == pytest.approx(0.8, rel=0.05)
    assert fit.right_scale[0] == pytest.approx(0.8, rel=0.05)
    assert abs(fit.mean[0]) < 0.01


def test_fit_aggd_recovers_an_asymmetric_sample() -> None:
    rng = np.random.default_rng(8)
    x = sample_aggd(rng, 1.5, 0.5, 1.5, 200_000)
    fit = fit_aggd(x[None])
    assert fit.shape[0] == pytest.approx(1.5, rel=0.05)
    assert fit.left_scale[0] == pytest.approx(0.5, rel=0.05)
    assert fit.right_scale[0] == pytest.approx(1.5, rel=0.05)
    true_mean = (1.5 - 0.5) * math.gamma(2 / 1.5) / math.gamma(1 / 1.5)
    assert fit.mean[0] == pytest.approx(true_mean, rel=0.05)
    assert fit.mean[0] == pytest.approx(x.mean(), rel=0.05)


def test_fit_aggd_shape_is_matlabs_nearest_grid_point() -> None:
    """Brute force ``min(abs(r_gam - rhatnorm))`` over 0.2:0.001:10, row by row, as estimateaggdparam.m."""
    grid = [k / 1000 for k in range(200, 10001)]
    r_gam = np.array([math.gamma(2 / a) ** 2 / (math.gamma(1 / a) * math.gamma(3 / a)) for a in grid])
    rng = np.random.default_rng(9)
    rows = rng.standard_t(df=rng.uniform(2.5, 30, (20, 1)), size=(20, 500)) + rng.uniform(-0.3, 0.3, (20, 1))
    fit = fit_aggd(rows)
    for row, shape in zip(rows, fit.shape, strict=True):
        left = math.sqrt(np.mean(row[row < 0] ** 2))
        right = math.sqrt(np.mean(row[row > 0] ** 2))
        g = left / right
        r = np.mean(np.abs(row)) ** 2 / np.mean(row**2)
        r_norm = r * (g**3 + 1) * (g + 1) / (g**2 + 1) ** 2
        assert shape == grid[int(np.argmin(np.abs(r_gam - r_norm)))]


def test_fit_aggd_is_undefined_without_both_signs() -> None:
    fit = fit_aggd(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 0.0, 2.0]]))
    assert np.isnan(fit.shape[:2]).all()
    assert np.isnan(fit.left_scale[:2]).all()
    assert np.isfinite([fit.shape[2], fit.mean[2], fit.left_scale[2], fit.right_scale[2]]).all()


# ----------------------------------------------------------------------------------------------- features


def test_mscn_matches_a_direct_replicate_filter(make_pair: Any) -> None:
    image = make_pair(40, 50, channels=1)[1][..., 0].astype(np.float64)
    x = np.arange(-3, 4)
    window = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * (7 / 6) ** 2))  # fspecial('gaussian', 7, 7/6)
    window /= window.sum()
    mu = correlate(image, window, mode="nearest")  # imfilter(.., 'replicate')
    sigma = np.sqrt(np.abs(correlate(image * image, window, mode="nearest") - mu * mu))
    mscn, got_sigma = _mscn(image)
    np.testing.assert_allclose(got_sigma, sigma, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(mscn, (image - mu) / (sigma + 1), rtol=1e-9, atol=1e-9)


def test_patch_features_follow_computefeature() -> None:
    """Feature order and neighbours: AGGD of the MSCN (shape, mean scale), then for circshift [0 1], [1 0], [1 1],
    [1 -1] of the patch (wrapping around) the AGGD of the products (shape, mean, left scale, right scale)."""
    rng = np.random.default_rng(10)
    patch = gaussian_filter(rng.normal(size=(48, 48)), 0.7)  # correlated neighbours: orientations differ
    patch[:, ::7] += 0.3  # and the directions differ too
    got = _patch_features(patch[None])[0]
    own = fit_aggd(patch.ravel()[None])
    expected = [own.shape[0], (own.left_scale[0] + own.right_scale[0]) / 2]
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        shifted = np.empty_like(patch)
        for i in range(48):
            for j in range(48):
                shifted[i, j] = patch[(i - dy) % 48, (j - dx) % 48]  # MATLAB circshift(A, [dy dx])
        expected.extend(float(v[0]) for v in fit_aggd((patch * shifted).ravel()[None]))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert len(set(np.round(got[2::4][:4], 6))) > 1  # the four orientations are not all the same


# ----------------------------------------------------------------------------------------------- model


def test_shipped_model_loads_with_the_right_shapes() -> None:
    model = load_niqe_model()
    assert model is load_niqe_model()  # read once
    assert model.mu.shape == (36,)
    assert model.cov.shape == (36, 36)
    assert (model.block, model.sharpness) == (96, 0.75)
    assert model.n_images == 340
    assert model.n_patches > 1000
    assert "T91" in model.source
    assert "scripts/niqe_model.py" in model.source
    np.testing.assert_array_equal(model.cov, model.cov.T)
    eig = np.linalg.eigvalsh(model.cov)
    assert eig.min() >= -1e-9 * eig.max()
    assert np.all(np.diag(model.cov) > 0)
    assert not model.mu.flags.writeable
    assert not model.cov.flags.writeable


def test_fit_niqe_model_and_load_a_written_model(make_pair: Any, tmp_path: Path) -> None:
    images = [make_pair(200, 300)[1] for _ in range(3)]
    model = fit_niqe_model(images, block=64, sharpness=0.5, source="test")
    assert (model.block, model.n_images, model.source) == (64, 3, "test")
    assert 3 <= model.n_patches <= 3 * 3 * 4
    # The pristine images themselves are close to their own model; noise moves them away.
    noisy = u8(images[0] + np.random.default_rng(1).normal(0, 25, images[0].shape))
    assert niqe(images[0], params=model) < niqe(noisy, params=model)
    path = tmp_path / "model.json"
    data = {
        "mu": model.mu.tolist(),
        "cov": model.cov.tolist(),
        "block": 64,
        "sharpness": 0.5,
        "images": {"count": 3},
        "patches": model.n_patches,
        "source": "test",
    }
    path.write_text(json.dumps(data))
    loaded = load_niqe_model(path)
    np.testing.assert_array_equal(loaded.cov, model.cov)
    assert niqe(images[1], params=loaded) == niqe(images[1], params=model)
    path.write_text(json.dumps({**data, "mu": [0.0] * 35}))
    with pytest.raises(SrkitError, match="mu \\(36,\\)"):
        load_niqe_model(path)
    path.write_text("{}")
    with pytest.raises(SrkitError, match="is not a NIQE model file"):
        load_niqe_model(path)
    with pytest.raises(SrkitError, match="cannot read NIQE model"):
        load_niqe_model(tmp_path / "missing.json")


# ----------------------------------------------------------------------------------------------- scores


def test_score_is_finite_deterministic_and_the_same_for_every_input_kind(make_pair: Any) -> None:
    image = make_pair(200, 220)[1]
    score = niqe(image)
    assert math.isfinite(score)
    assert score > 0
    assert niqe(image.copy()) == score
    chw = torch.from_numpy(image).permute(2, 0, 1)
    assert niqe(chw) == pytest.approx(score, rel=1e-12)  # uint8 tensor
    assert niqe(chw.double() / 255) == pytest.approx(score, rel=1e-9)
    assert niqe((chw.double() / 255)[None]) == pytest.approx(score, rel=1e-9)
    assert niqe(image.astype(np.float32) / 255) == pytest.approx(score, rel=1e-5)
    gray = image[..., 0]
    assert niqe(gray) == niqe(gray[..., None])


@pytest.mark.shared_data
@pytest.mark.parametrize("name", SET14)
def test_natural_image_beats_its_noisy_blurred_and_bicubic_versions(shared_data: Path, name: str) -> None:
    """Measured (clean / noise 25 / blur 3 / bicubic x4): lenna 4.12 / 9.52 / 9.85 / 8.93, zebra 3.43 / 8.74 /
    10.70 / 9.20, comic 3.57 / 10.17 / 10.93 / 9.29; every Set14 image keeps this order."""
    path = shared_data / "bench" / "Set14" / f"{name}.png"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    image = load_uint8(path)
    f = image.astype(np.float64)
    clean = niqe(image)
    noisy = niqe(u8(f + np.random.default_rng(0).normal(0, 25, f.shape)))
    blurred = niqe(u8(gaussian_filter(f, (3, 3, 0), mode="nearest")))
    h, w = image.shape[0] // 4 * 4, image.shape[1] // 4 * 4
    bicubic = niqe(imresize(imresize(image[:h, :w], 0.25), 4.0))
    assert clean + 3 < noisy
    assert clean + 3 < blurred
    assert clean + 3 < bicubic


# ----------------------------------------------------------------------------------------------- errors


def one_line_error(call: Callable[[], object], match: str) -> None:
    with pytest.raises(SrkitError, match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_docstring_examples() -> None:
    result = doctest.testmod(importlib.import_module("srkit.metrics.niqe"), extraglobs={"np": np, "torch": torch})
    assert result.attempted > 0
    assert result.failed == 0


def test_too_small_image_gives_the_minimum_size() -> None:
    small = np.zeros((191, 400), dtype=np.uint8)
    one_line_error(lambda: niqe(small), "at least 192x192 pixels .* got 191x400")
    one_line_error(lambda: niqe(torch.rand(3, 300, 100)), "at least 192x192 pixels .* got 300x100")


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((200, 200), dtype=np.int32), "uint8 .* or floating point .* got dtype int32"),
        (np.zeros((200, 200), dtype=bool), "got dtype bool"),
        (np.zeros((200, 200, 4), dtype=np.uint8), "shape \\(H, W\\), \\(H, W, 1\\) or \\(H, W, 3\\)"),
        (np.zeros((1, 200, 200, 3), dtype=np.uint8), "shape \\(H, W\\)"),
        (torch.rand(2, 3, 200, 200), "tensor \\(C, H, W\\) or \\(1, C, H, W\\)"),
        ([[0.0] * 200] * 200, "numpy array or a torch tensor, got list"),
        (np.full((200, 200), np.nan), "NaN or infinite"),
    ],
)
def test_bad_input_gives_a_one_line_error(image: object, match: str) -> None:
    one_line_error(lambda: niqe(image), match)  # type: ignore[arg-type]


def test_flat_image_and_wrong_block_give_one_line_errors(make_pair: Any) -> None:
    one_line_error(lambda: niqe(np.full((200, 200), 128, dtype=np.uint8)), "no patch with texture")
    image = make_pair(200, 200)[1]
    one_line_error(lambda: niqe(image, block=64), "block=64 differs from the model's block 96")
    one_line_error(lambda: niqe(image, block=95), "block must be an even integer")
    assert niqe(image, block=96) == niqe(image)
