"""Fixed synthetic real-world test sets (REAL_ESRGAN, BSRGAN through ``degrade``) and per-sample mixtures."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from srkit import SrkitError
from srkit.degradations import (
    PROTOCOLS,
    MixedDegradation,
    bicubic_degradation,
    degrade,
    degrade_batch,
    real_esrgan,
    real_world_degradation,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def _image(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A smooth image (noise would hide what the degradations do)."""
    rng = np.random.default_rng(seed)
    base = rng.random((shape[0] // 8 + 2, shape[1] // 8 + 2, *shape[2:]))
    up = np.kron(base, np.ones((8, 8) + (1,) * (len(shape) - 2)))[: shape[0], : shape[1]]
    return (up * 255).astype(np.uint8)


@pytest.mark.parametrize("name", ["REAL_ESRGAN", "BSRGAN", "bsrgan"])
def test_seeded_lr_is_reproducible_and_seed_dependent(name: str) -> None:
    hr = _image((64, 48, 3))
    a = degrade(hr, 4, name, seed=5)
    assert a.shape == (16, 12, 3) and a.dtype == np.uint8
    assert np.array_equal(a, degrade(hr, 4, name, seed=5))
    assert not np.array_equal(a, degrade(hr, 4, name, seed=6))
    assert not np.array_equal(a, bicubic_degradation(hr, 4))


def test_the_test_set_is_the_training_pipeline_with_a_seeded_generator() -> None:
    hr = _image((32, 32, 3))
    x = torch.from_numpy(hr).permute(2, 0, 1)[None].float() / 255.0
    lr = degrade_batch(x, real_esrgan(), torch.Generator().manual_seed(3), 2)
    expected = np.floor(lr[0].permute(1, 2, 0).numpy() * 255.0 + 0.5).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(real_world_degradation(hr, 2, "real_esrgan", seed=3), expected)


def test_gray_images_are_degraded_as_rgb_and_come_back_gray() -> None:
    hr = _image((32, 32))
    lr = degrade(hr, 2, "BSRGAN", seed=1)
    rgb = degrade(np.repeat(hr[..., None], 3, axis=2), 2, "BSRGAN", seed=1)
    assert lr.shape == (16, 16)
    np.testing.assert_array_equal(lr, np.floor(rgb.astype(np.float64).mean(axis=2) + 0.5).astype(np.uint8))


def test_real_world_names_are_protocols() -> None:
    assert {"REAL_ESRGAN", "BSRGAN"} <= set(PROTOCOLS)
    with pytest.raises(SrkitError, match=r"unknown real-world degradation 'DN'; choose one of REAL_ESRGAN, BSRGAN"):
        real_world_degradation(_image((8, 8, 3)), 2, "DN")
    with pytest.raises(SrkitError, match=r"needs an RGB or gray image, got 4 channels"):
        degrade(np.zeros((8, 8, 4), dtype=np.uint8), 2, "BSRGAN")


def test_mixture_draws_each_protocol_about_as_often_as_asked() -> None:
    mix = MixedDegradation({"BI": 0.25, "bsrgan": 0.75})
    hr = _image((16, 16, 3))
    bicubic = bicubic_degradation(hr, 2)
    picks = [np.array_equal(mix(hr, 2, torch.Generator().manual_seed(i)), bicubic) for i in range(200)]
    assert 0.15 < np.mean(picks) < 0.35
    again = [np.array_equal(mix(hr, 2, torch.Generator().manual_seed(i)), bicubic) for i in range(200)]
    assert picks == again  # the sample's generator decides everything
    assert pickle.loads(pickle.dumps(mix)).protocols == ("BI", "BSRGAN")  # data-loader workers
    assert repr(mix) == "MixedDegradation({'BI': 0.25, 'BSRGAN': 0.75})"


@pytest.mark.parametrize(
    ("probs", "message"),
    [
        ({}, "needs at least one"),
        ({"BI": 0.5, "JPEG": 0.5}, "unknown degradation 'JPEG'"),
        ({"BI": 0.5, "BD": 0.6}, "add up to 1"),
        ({"BI": 1.5, "BD": -0.5}, "must be >= 0"),
    ],
)
def test_mixture_errors(probs: dict[str, float], message: str) -> None:
    with pytest.raises(SrkitError, match=message):
        MixedDegradation(probs)
