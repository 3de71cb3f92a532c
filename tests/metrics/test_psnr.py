"""PSNR, and the input checks that every metric shares (srkit/metrics/_prepare.py)."""

from __future__ import annotations

import doctest
import importlib
import math
from typing import Any

import numpy as np
import pytest
import torch

import srkit.metrics
from srkit._core.errors import SrkitError
from srkit.functional.color import rgb_to_y
from srkit.metrics import MSSSIM, PSNR, SSIM, ms_ssim, psnr, ssim

MSE_1_DB = 48.130803608679106  # 10 log10(255^2 / 1)
METRICS = [psnr, ssim, ms_ssim]


def chw(image: np.ndarray) -> torch.Tensor:
    """numpy (H, W, C) -> torch (C, H, W)."""
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(image, -1, 0)))


def expected_db(mse: float) -> float:
    return 10 * math.log10(255.0**2 / mse)


# ------------------------------------------------------------------------------------------- hand-computed


@pytest.mark.parametrize("test_y_channel", [True, False])
def test_one_level_everywhere_is_mse_1(rng: np.random.Generator, test_y_channel: bool) -> None:
    gray = rng.integers(0, 255, (12, 10), dtype=np.uint8)  # gray images: Y mode uses them as they are
    assert psnr(gray + 1, gray, test_y_channel=test_y_channel) == pytest.approx(MSE_1_DB, abs=1e-12)
    rgb = rng.integers(1, 256, (12, 10, 3), dtype=np.uint8)
    assert psnr(rgb, rgb - 1, test_y_channel=False) == pytest.approx(MSE_1_DB, abs=1e-12)
    value = psnr(chw(rgb)[None], chw(rgb - 1)[None], test_y_channel=False)
    assert value.tolist() == pytest.approx([MSE_1_DB], abs=1e-12)


def test_identical_images_give_inf(make_pair: Any) -> None:
    _, hr = make_pair(16, 16)
    assert psnr(hr, hr) == math.inf
    assert psnr(hr, hr, test_y_channel=False) == math.inf
    batch = chw(hr)[None].repeat(2, 1, 1, 1)
    assert torch.isinf(psnr(batch, batch.clone())).all()


def test_known_mse_and_a_crop_that_removes_the_difference() -> None:
    hr = np.zeros((16, 16), dtype=np.uint8)
    sr = hr.copy()
    sr[:2], sr[-2:], sr[:, :2], sr[:, -2:] = 10, 10, 10, 10  # a 2-pixel frame, 112 pixels differ by 10
    assert psnr(sr, hr) == pytest.approx(expected_db(100 * 112 / 256), abs=1e-12)
    assert psnr(sr, hr, crop_border=2) == math.inf
    sr[5:9, 5:9] = 3  # 16 interior pixels differ by 3
    assert psnr(sr, hr, crop_border=2) == pytest.approx(expected_db(9 * 16 / 144), abs=1e-12)
    assert psnr(torch.from_numpy(sr)[None], torch.from_numpy(hr)[None], crop_border=2).item() == pytest.approx(
        expected_db(9 * 16 / 144), abs=1e-12
    )


@pytest.mark.parametrize("crop", [1, 3])
def test_crop_border_equals_cropping_by_hand(make_pair: Any, crop: int) -> None:
    sr, hr = make_pair(20, 18)
    by_hand = psnr(sr[crop:-crop, crop:-crop], hr[crop:-crop, crop:-crop])
    assert psnr(sr, hr, crop_border=crop) == by_hand
    assert psnr(chw(sr), chw(hr), crop_border=crop).item() == pytest.approx(by_hand, abs=1e-10)


def test_y_mode_measures_matlab_y_in_float(make_pair: Any) -> None:
    sr, hr = make_pair(16, 20)
    y_sr, y_hr = rgb_to_y(sr), rgb_to_y(hr)  # float Y on 0-255
    assert psnr(sr, hr) == pytest.approx(expected_db(float(np.mean((y_sr - y_hr) ** 2))), abs=1e-10)
    assert psnr(sr, hr) == pytest.approx(psnr(y_sr / 255, y_hr / 255), abs=1e-10)
    all_channels = expected_db(float(np.mean((sr.astype(float) - hr) ** 2)))
    assert psnr(sr, hr, test_y_channel=False) == pytest.approx(all_channels, abs=1e-12)


def test_y_mode_uses_a_single_channel_image_as_it_is(make_pair: Any) -> None:
    sr, hr = make_pair(16, 16, channels=1)
    direct = expected_db(float(np.mean((sr.astype(float) - hr) ** 2)))
    assert psnr(sr, hr) == pytest.approx(direct, abs=1e-12)
    assert psnr(sr[..., 0], hr[..., 0]) == pytest.approx(direct, abs=1e-12)
    assert psnr(chw(sr), chw(hr)).item() == pytest.approx(direct, abs=1e-12)
    # The gray image copied to RGB goes through BT.601: Y = 16 + 219/255 g, so errors shrink by 219/255.
    rgb = psnr(np.repeat(sr, 3, axis=-1), np.repeat(hr, 3, axis=-1))
    assert rgb - direct == pytest.approx(20 * math.log10(255 / 219), abs=1e-9)


def test_y_round_rounds_y_like_matlab_uint8(make_pair: Any) -> None:
    sr, hr = make_pair(16, 16)
    rounded = psnr(rgb_to_y(sr, round_uint8=True), rgb_to_y(hr, round_uint8=True))
    assert psnr(sr, hr, y_round=True) == pytest.approx(rounded, abs=1e-12)
    assert psnr(sr / 255.0, hr / 255.0, y_round=True) == pytest.approx(rounded, abs=1e-12)
    assert psnr(chw(sr), chw(hr), y_round=True).item() == pytest.approx(rounded, abs=1e-12)
    assert abs(psnr(sr, hr, y_round=True) - psnr(sr, hr)) > 1e-4


# ------------------------------------------------------------------------------------ numpy, torch, dtypes


@pytest.mark.parametrize(("test_y_channel", "y_round", "crop"), [(True, False, 0), (True, True, 3), (False, False, 2)])
def test_numpy_and_torch_agree(make_pair: Any, test_y_channel: bool, y_round: bool, crop: int) -> None:
    sr, hr = make_pair(24, 20)
    opts = {"test_y_channel": test_y_channel, "y_round": y_round, "crop_border": crop}
    value = psnr(sr, hr, **opts)
    assert isinstance(value, float)
    assert psnr(chw(sr), chw(hr), **opts).item() == pytest.approx(value, abs=1e-6)
    assert psnr(chw(sr) / 255.0, chw(hr) / 255.0, **opts).item() == pytest.approx(value, abs=1e-6)


def test_batched_values_are_the_unbatched_ones(make_pair: Any) -> None:
    pairs = [make_pair(16, 16) for _ in range(3)]
    sr = torch.stack([chw(s) for s, _ in pairs])
    hr = torch.stack([chw(h) for _, h in pairs])
    values = psnr(sr, hr, crop_border=2)
    assert values.shape == (3,)
    assert values.dtype == torch.float64
    for i in range(3):
        single = psnr(sr[i], hr[i], crop_border=2)
        assert single.shape == ()
        assert single.dtype == torch.float64
        assert single.item() == values[i].item()


def test_uint8_and_float_inputs_agree(make_pair: Any) -> None:
    sr, hr = make_pair(16, 16)
    value = psnr(sr, hr)
    assert psnr(sr / 255.0, hr / 255.0) == pytest.approx(value, abs=1e-9)
    assert psnr(sr, hr / 255.0) == pytest.approx(value, abs=1e-9)  # sr and hr may differ in dtype
    assert psnr((sr / 255.0).astype(np.float32), (hr / 255.0).astype(np.float32)) == pytest.approx(value, abs=1e-4)
    as_float = psnr(chw(sr).float() / 255, chw(hr).float() / 255)
    assert as_float.item() == pytest.approx(value, abs=1e-4)


def test_inputs_are_not_modified(make_pair: Any) -> None:
    sr, hr = make_pair(16, 16)
    sr_t, hr_t = chw(sr) / 255.0, chw(hr) / 255.0
    copies = [a.copy() for a in (sr, hr)] + [t.clone() for t in (sr_t, hr_t)]
    psnr(sr, hr, crop_border=1, y_round=True)
    psnr(sr_t, hr_t, crop_border=1)
    assert all(np.array_equal(a, b) for a, b in zip((sr, hr), copies[:2], strict=True))
    assert all(torch.equal(a, b) for a, b in zip((sr_t, hr_t), copies[2:], strict=True))


def test_gradient_flows_to_a_float_sr() -> None:
    sr = torch.full((1, 3, 8, 8), 0.5, requires_grad=True)
    hr = torch.full((1, 3, 8, 8), 0.25)
    psnr(sr, hr).sum().backward()
    assert sr.grad is not None
    assert torch.isfinite(sr.grad).all()
    assert (sr.grad < 0).all()  # moving sr towards hr raises PSNR


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_keeps_the_device(make_pair: Any) -> None:
    sr, hr = make_pair(16, 16)
    value = psnr(chw(sr).cuda(), chw(hr).cuda())
    assert value.device.type == "cuda"
    assert value.item() == pytest.approx(psnr(sr, hr), abs=1e-6)


# ------------------------------------------------------------------------------------------------ module


def test_module_equals_function(make_pair: Any) -> None:
    sr, hr = chw(make_pair(16, 16)[0])[None], chw(make_pair(16, 16)[1])[None]
    module = PSNR(crop_border=2, y_round=True)
    assert torch.equal(module(sr, hr), psnr(sr, hr, crop_border=2, y_round=True))
    assert "crop_border=2" in repr(module)
    with pytest.raises(SrkitError, match="PSNR takes torch tensors"):
        module(sr.numpy(), hr.numpy())
    with pytest.raises(SrkitError, match="crop_border must be an integer >= 0"):
        PSNR(crop_border=-1)


def test_public_api() -> None:
    assert set(srkit.metrics.__all__) == {"PSNR", "SSIM", "MSSSIM", "psnr", "ssim", "ms_ssim", "niqe", "nme"}


@pytest.mark.parametrize("module", ["srkit.metrics.psnr", "srkit.metrics.ssim"])
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), extraglobs={"np": np, "torch": torch})
    assert result.attempted > 0
    assert result.failed == 0


# ------------------------------------------------------------------- input checks shared by every metric


@pytest.mark.parametrize("metric", METRICS)
def test_errors_name_the_problem(metric: Any) -> None:
    img = np.zeros((16, 16, 3), dtype=np.uint8)
    ten = torch.zeros(3, 16, 16)
    cases: list[tuple[tuple[Any, Any], dict[str, Any], str]] = [
        ((img, img[:15]), {}, r"same shape, got sr \(16, 16, 3\) and hr \(15, 16, 3\)"),
        ((ten, ten[:, :, :15]), {}, r"same shape, got sr \(3, 16, 16\) and hr \(3, 16, 15\)"),
        ((img, ten), {}, "same kind, got sr as numpy and hr as torch"),
        (([[1]], img), {}, "sr must be a numpy array or a torch tensor, got list"),
        ((img[0, 0], img[0, 0]), {}, r"sr must have shape \(H, W\) or \(H, W, C\)"),
        ((img[None], img[None]), {}, r"sr must have shape \(H, W\) or \(H, W, C\) for numpy input"),
        ((ten[0], ten[0]), {}, r"sr must have shape \(C, H, W\) or \(B, C, H, W\) for torch input"),
        ((img[:0], img[:0]), {}, "sr is empty"),
        ((img.astype(np.int32), img), {}, "sr must be uint8 .* or floating point .*, got dtype int32"),
        ((img, img.astype(np.uint16)), {}, "hr must be uint8 .* got dtype uint16"),
        ((img.astype(bool), img.astype(bool)), {}, "got dtype bool"),
        ((ten.long(), ten.long()), {}, "got dtype torch.int64"),
        ((img, img), {"crop_border": -1}, r"crop_border must be an integer >= 0, got -1"),
        ((img, img), {"crop_border": 1.5}, r"crop_border must be an integer >= 0, got 1.5"),
        ((img, img), {"crop_border": True}, r"crop_border must be an integer >= 0, got True"),
        ((img, img), {"crop_border": 8}, "crop_border=8 leaves nothing of a 16x16 image"),
        ((ten, ten), {"crop_border": 9}, "crop_border=9 leaves nothing of a 16x16 image"),
        ((img, img), {"test_y_channel": False, "y_round": True}, "y_round=True .* needs test_y_channel=True"),
        ((img[..., :2], img[..., :2]), {}, "test_y_channel=True needs 1 or 3 channels, got 2"),
        ((ten[:2], ten[:2]), {}, "test_y_channel=True needs 1 or 3 channels, got 2"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(SrkitError, match=message):
            metric(*args, **kwargs)


def test_numpy_integer_crop_border_is_accepted() -> None:
    img = np.zeros((8, 8), dtype=np.uint8)
    assert psnr(img, img, crop_border=np.int64(2)) == math.inf


def test_modules_check_options_at_construction() -> None:
    for module in (PSNR, SSIM, MSSSIM):
        with pytest.raises(SrkitError, match="needs test_y_channel=True"):
            module(test_y_channel=False, y_round=True)
