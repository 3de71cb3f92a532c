"""JPEG compression (srkit.degradations.jpeg)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from srkit import SrkitError
from srkit.degradations.jpeg import JPEGCompression, JPEGParams, apply_jpeg, jpeg_compress, sample_jpeg

pytestmark = pytest.mark.usefixtures("one_thread")


def _image(channels: int = 3, size: int = 48) -> torch.Tensor:
    """A smooth image with some texture: gradients plus sinusoids, in [0, 1]."""
    ax = torch.linspace(0, 1, size, dtype=torch.float64)
    y, x = ax[:, None], ax[None, :]
    planes = [
        0.5 + 0.3 * torch.sin(8 * x + 3 * y) + 0.1 * x,
        0.4 + 0.3 * torch.cos(5 * y) * x,
        0.5 + 0.2 * torch.sin(12 * (x - y)),
    ]
    return torch.stack(planes[:channels]).float().clamp(0, 1)


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return 10 * math.log10(1 / float(((a.double() - b.double()) ** 2).mean()))


def test_quality_100_is_close_and_quality_10_is_far() -> None:
    x = _image()
    fine = _psnr(jpeg_compress(x, 100, subsampling="4:4:4"), x)
    default = _psnr(jpeg_compress(x, 100), x)
    mid = _psnr(jpeg_compress(x, 50), x)
    coarse = _psnr(jpeg_compress(x, 10), x)
    assert fine > 45 and default > 38
    assert coarse < 33
    assert fine > mid > coarse


def test_round_trip_is_pillow_on_uint8_rounded_half_up() -> None:
    x = torch.rand(2, 3, 16, 24, generator=torch.Generator().manual_seed(0))
    y = jpeg_compress(x, 60)
    for i in range(2):
        img = np.floor(x[i].double().numpy().transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=60, subsampling=2)
        ref = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")).transpose(2, 0, 1)
        assert torch.equal(y[i], torch.from_numpy(ref.copy()).float() / 255)


def test_output_is_on_the_255_grid_same_kind_and_without_gradient() -> None:
    x = _image().to(torch.float64).requires_grad_(True)
    y = jpeg_compress(x, 75)
    assert y.shape == x.shape and y.dtype == torch.float64 and not y.requires_grad
    torch.testing.assert_close(y * 255, torch.round(y * 255), atol=1e-9, rtol=0)
    batch = jpeg_compress(torch.stack([_image(), _image()]), 75)
    assert batch.shape == (2, 3, 48, 48) and torch.equal(batch[0], jpeg_compress(_image(), 75))


def test_gray_images_and_tiny_images() -> None:
    gray = _image(channels=1)
    assert _psnr(jpeg_compress(gray, 95), gray) > 38
    assert jpeg_compress(torch.rand(1, 3, 2, 3), 30).shape == (1, 3, 2, 3)


def test_params_sampling_and_module() -> None:
    x = _image()
    p = JPEGParams(quality=40)
    assert torch.equal(apply_jpeg(x, p), jpeg_compress(x, 40))
    assert torch.equal(JPEGCompression(quality=40)(x), apply_jpeg(x, p))
    torch.manual_seed(0)
    a = sample_jpeg(torch.Generator().manual_seed(5))
    torch.manual_seed(1)
    assert a == sample_jpeg(torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(0)
    qualities = {sample_jpeg(g, quality_range=(30, 35)).quality for _ in range(200)}
    assert qualities == set(range(30, 36))
    assert sample_jpeg(g, quality_range=(77, 77)).quality == 77


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: jpeg_compress(torch.rand(3, 8, 8), 0), "quality"),
        (lambda: jpeg_compress(torch.rand(3, 8, 8), 101), "quality"),
        (lambda: jpeg_compress(torch.rand(3, 8, 8), 50.5), "quality"),  # type: ignore[arg-type]
        (lambda: jpeg_compress(torch.rand(2, 8, 8), 50), "1 \\(gray\\) or 3"),
        (lambda: jpeg_compress(torch.rand(8, 8), 50), r"\(C, H, W\)"),
        (lambda: jpeg_compress(torch.rand(3, 8, 8), 50, subsampling="4:1:1"), "subsampling"),  # type: ignore[arg-type]
        (lambda: JPEGParams(quality=True), "quality"),
        (lambda: sample_jpeg(torch.Generator(), quality_range=(95, 30)), "quality_range"),
        (lambda: sample_jpeg(torch.Generator(), quality_range=(0, 30)), "quality_range"),
        (lambda: sample_jpeg(torch.Generator(), quality_range=(30.5, 40)), "integers"),  # type: ignore[arg-type]
    ],
)
def test_jpeg_errors(call: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        call()  # type: ignore[operator]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_jpeg_keeps_the_device() -> None:
    x = _image()
    y = jpeg_compress(x.cuda(), 50)
    assert y.is_cuda and torch.equal(y.cpu(), jpeg_compress(x, 50))
