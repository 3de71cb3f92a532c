"""mod-crop, border shave and dtype conversions: srkit/functional/image.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from srkit._core.errors import SrkitError
from srkit.functional.image import image_size, modcrop, shave, to_float, to_uint8


def numbered(*shape: int) -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


# ----------------------------------------------------------------------------------------------- modcrop


@pytest.mark.parametrize(("h", "w", "scale"), [(10, 11, 4), (10, 11, 2), (9, 9, 3), (7, 5, 1), (12, 12, 12)])
def test_modcrop_numpy(h: int, w: int, scale: int) -> None:
    for image in (numbered(h, w), numbered(h, w, 3)):
        out = modcrop(image, scale)
        assert out.shape[:2] == (h - h % scale, w - w % scale)
        assert out.shape[2:] == image.shape[2:]
        np.testing.assert_array_equal(out, image[: out.shape[0], : out.shape[1]])  # bottom/right removed
        assert np.shares_memory(out, image)  # a view, as documented


@pytest.mark.parametrize("shape", [(10, 11), (3, 10, 11), (2, 3, 10, 11)])
def test_modcrop_torch(shape: tuple[int, ...]) -> None:
    tensor = torch.from_numpy(numbered(*shape))
    out = modcrop(tensor, 4)
    assert out.shape == (*shape[:-2], 8, 8)
    assert torch.equal(out, tensor[..., :8, :8])


def test_modcrop_accepts_numpy_integers() -> None:
    assert modcrop(numbered(10, 11), np.int64(3)).shape == (9, 9)


@pytest.mark.parametrize(
    ("image", "scale", "match"),
    [
        pytest.param(numbered(10, 10), 0, "integer scale >= 1", id="scale-0"),
        pytest.param(numbered(10, 10), -2, "integer scale >= 1", id="scale-negative"),
        pytest.param(numbered(10, 10), 2.0, "integer scale >= 1", id="scale-float"),
        pytest.param(numbered(10, 10), 1.5, "integer scale >= 1", id="scale-fraction"),
        pytest.param(numbered(10, 10), True, "integer scale >= 1", id="scale-bool"),
        pytest.param(numbered(10, 10), "2", "integer scale >= 1", id="scale-str"),
        pytest.param(numbered(3, 10), 4, "smaller than the scale", id="too-short"),
        pytest.param(numbered(10, 3, 3), 4, "smaller than the scale", id="too-narrow"),
        pytest.param(torch.zeros(1, 3, 3), 4, "smaller than the scale", id="torch-too-small"),
        pytest.param(numbered(10), 2, r"\(H, W\) or \(H, W, C\)", id="numpy-1d"),
        pytest.param(numbered(2, 4, 4, 3), 2, r"\(H, W\) or \(H, W, C\)", id="numpy-4d"),
        pytest.param(torch.zeros(10), 2, r"\(\.\.\., H, W\)", id="torch-1d"),
    ],
)
def test_modcrop_errors(image: np.ndarray | torch.Tensor, scale: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        modcrop(image, scale)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------- shave


@pytest.mark.parametrize("border", [1, 2, 4])
def test_shave_numpy_and_torch(border: int) -> None:
    image = numbered(10, 12, 3)
    out = shave(image, border)
    assert out.shape == (10 - 2 * border, 12 - 2 * border, 3)
    np.testing.assert_array_equal(out, image[border:-border, border:-border])
    tensor = torch.from_numpy(numbered(2, 3, 10, 12))
    tout = shave(tensor, border)
    assert tout.shape == (2, 3, 10 - 2 * border, 12 - 2 * border)
    assert torch.equal(tout, tensor[..., border:-border, border:-border])


def test_shave_zero_returns_everything() -> None:
    image = numbered(5, 6)
    out = shave(image, 0)
    assert out.shape == (5, 6)
    np.testing.assert_array_equal(out, image)


@pytest.mark.parametrize(
    ("image", "border", "match"),
    [
        pytest.param(numbered(10, 11), 5, "leaves nothing", id="half-the-height"),
        pytest.param(numbered(11, 10), 6, "leaves nothing", id="more-than-half"),
        pytest.param(torch.zeros(3, 4, 9), 2, "leaves nothing", id="torch"),
        pytest.param(numbered(10, 10), -1, "integer >= 0", id="negative"),
        pytest.param(numbered(10, 10), 1.0, "integer >= 0", id="float"),
        pytest.param(numbered(10, 10), True, "integer >= 0", id="bool"),
        pytest.param(numbered(10), 1, r"\(H, W\)", id="numpy-1d"),
    ],
)
def test_shave_errors(image: np.ndarray | torch.Tensor, border: object, match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        shave(image, border)  # type: ignore[arg-type]


def test_image_size() -> None:
    assert image_size(np.zeros((4, 5))) == (4, 5)
    assert image_size(np.zeros((4, 5, 3))) == (4, 5)
    assert image_size(torch.zeros(2, 3, 4, 5)) == (4, 5)


# ----------------------------------------------------------------------------------------- conversions


def test_to_uint8_rounds_half_away_from_zero_and_clamps() -> None:
    # (k + 0.5) / 255 * 255 is exactly k + 0.5 in float64 for these k: half up, not to even (np.round: 0, 2, 2)
    values = np.array([0.5, 1.5, 2.5, 254.5, 0.49, 1.51, 127.0]) / 255
    expected = [1, 2, 3, 255, 0, 2, 127]
    assert to_uint8(values).tolist() == expected
    assert to_uint8(torch.from_numpy(values)).tolist() == expected
    outside = np.array([-0.1, -1e9, 1.2, 1e9, 1.0, 0.0])
    assert to_uint8(outside).tolist() == [0, 0, 255, 255, 255, 0]
    assert to_uint8(torch.from_numpy(outside)).tolist() == [0, 0, 255, 255, 255, 0]


def test_to_uint8_dtypes_and_layout() -> None:
    image = np.random.default_rng(0).random((4, 5, 3)).astype(np.float32)
    out = to_uint8(image)
    assert out.dtype == np.uint8 and out.shape == image.shape
    tout = to_uint8(torch.from_numpy(image).half())
    assert tout.dtype == torch.uint8
    u8 = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(to_uint8(u8), u8)  # already uint8: unchanged


def test_to_float_is_the_inverse_of_to_uint8_on_uint8() -> None:
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    f = to_float(levels)
    assert f.dtype == np.float32 and f.min() == 0.0 and f.max() == 1.0
    np.testing.assert_array_equal(to_uint8(f), levels)
    t = torch.from_numpy(levels)
    tf = to_float(t)
    assert tf.dtype == torch.float32
    assert torch.equal(to_uint8(tf), t)


def test_to_float_other_dtypes() -> None:
    assert to_float(np.array([0, 65535], dtype=np.uint16)).tolist() == [0.0, 1.0]
    out = to_float(np.array([0.25, 2.0]))  # float: value unchanged, float32
    assert out.dtype == np.float32 and out.tolist() == [0.25, 2.0]
    assert to_float(torch.tensor([0.5], dtype=torch.float64)).dtype == torch.float32


@pytest.mark.parametrize("fn", [to_float, to_uint8])
@pytest.mark.parametrize(
    "image",
    [
        pytest.param(np.zeros((2, 2), np.int32), id="numpy-int32"),
        pytest.param(np.zeros((2, 2), bool), id="numpy-bool"),
        pytest.param(torch.zeros(2, 2, dtype=torch.int32), id="torch-int32"),
        pytest.param(torch.zeros(2, 2, dtype=torch.bool), id="torch-bool"),
    ],
)
def test_conversion_errors(fn: object, image: np.ndarray | torch.Tensor) -> None:
    with pytest.raises(SrkitError, match="dtype"):
        fn(image)  # type: ignore[operator]
