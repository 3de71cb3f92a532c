"""srkit's unknown degradation: parameters drawn in the documented ranges from a generator, applied
deterministically: blur, MATLAB bicubic downscale, noise of the drawn level, JPEG."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from srkit import SrkitError
from srkit.degradations.jpeg import jpeg_compress
from srkit.degradations.kernels import blur
from srkit.degradations.unknown import UnknownParams, apply_unknown, describe_unknown, sample_unknown, unknown_kernel
from srkit.functional.image import to_uint8
from srkit.functional.resize import imresize

pytestmark = pytest.mark.usefixtures("one_thread")


def _image(h: int = 32, w: int = 40) -> np.ndarray:
    small = np.random.default_rng(0).random((1, 3, h // 4, w // 4))
    return to_uint8(imresize(torch.from_numpy(small), 4.0))[0].permute(1, 2, 0).numpy()  # smooth, like a photo


@pytest.mark.parametrize("scale", [2, 4])
def test_parameters_are_drawn_in_the_documented_ranges(scale: int) -> None:
    for seed in range(20):
        p = sample_unknown(torch.Generator().manual_seed(seed), scale=scale)
        assert 0.3 * scale <= p.sigma_major <= 0.6 * scale and 0.2 * scale <= p.sigma_minor <= 0.4 * scale
        assert 0 <= p.theta <= math.pi and 10 <= p.noise_sigma <= 15 and 60 <= p.jpeg_quality <= 80
    a = sample_unknown(torch.Generator().manual_seed(3), scale=scale)
    assert a == sample_unknown(torch.Generator().manual_seed(3), scale=scale)
    assert unknown_kernel(a).shape == (2 * math.ceil(1.8 * scale) + 1,) * 2
    assert abs(float(unknown_kernel(a).sum()) - 1) < 1e-12


def test_apply_is_deterministic_and_is_the_documented_pipeline() -> None:
    hr = _image()
    p = sample_unknown(torch.Generator().manual_seed(1), scale=4)
    lr = apply_unknown(hr, p)
    assert lr.shape == (8, 10, 3) and lr.dtype == np.uint8
    assert np.array_equal(lr, apply_unknown(hr, p))
    x = torch.from_numpy(hr).permute(2, 0, 1)[None].float() / 255
    clean = to_uint8(imresize(blur(x, unknown_kernel(p).float()), 0.25)).float() / 255
    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(p.noise_seed)) * p.noise_sigma / 255
    expected = to_uint8(jpeg_compress((clean + noise).clamp(0, 1), p.jpeg_quality))[0].permute(1, 2, 0).numpy()
    assert np.array_equal(lr, expected)
    quiet = UnknownParams(**{**p.as_dict(), "noise_sigma": 0.0, "jpeg_quality": 100})
    residual = apply_unknown(hr, p).astype(float) - apply_unknown(hr, quiet).astype(float)
    assert 6 < residual.std() < 25  # the drawn noise level (10-15), plus what JPEG makes of it


def test_grayscale_and_refusals() -> None:
    p = sample_unknown(torch.Generator().manual_seed(0), scale=2)
    assert apply_unknown(_image()[..., 0], p).shape == (16, 20, 3)
    with pytest.raises(SrkitError, match="multiple of the scale 2"):
        apply_unknown(_image()[:31], p)
    with pytest.raises(SrkitError, match="uint8 image"):
        apply_unknown(_image().astype(np.float32), p)
    with pytest.raises(SrkitError, match="scales x2 and x4"):
        sample_unknown(torch.Generator(), scale=3)
    assert set(describe_unknown()) == {"1 blur", "2 downscale", "3 noise", "4 jpeg", "parameters"}


def test_read_only_input_is_not_written_and_gives_no_warning() -> None:
    """Images read with ``np.asarray(PIL image)`` are read-only: the pipeline copies them (no torch warning)."""
    image = _image()
    image.setflags(write=False)
    p = sample_unknown(torch.Generator().manual_seed(0), scale=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = apply_unknown(image, p)
    np.testing.assert_array_equal(out, apply_unknown(_image(), p))
