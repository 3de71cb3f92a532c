"""The upscaler: channels (L, LA, RGB, RGBA), bit depths, scales, tiling, self-ensemble, precision, the kinds the
Python API takes and gives back, and the shipped models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import srkit
from srkit.archs import build_model
from srkit.inference.tiling import MIN_TILE_OVERLAPS, default_overlap
from srkit.inference.upscale import ImagePipeline, Upscaler, quantize


@pytest.fixture(scope="module")
def fast() -> Upscaler:
    torch.manual_seed(0)
    return Upscaler(build_model("srkit_fast", scale=4).eval())


@pytest.fixture(scope="module")
def net() -> Upscaler:
    torch.manual_seed(0)
    return Upscaler(build_model("srkit_net", scale=4, n_feats=8, n_blocks=1).eval())


def _image(h: int, w: int, c: int, dtype: type = np.uint8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.random((h // 4 + 2, w // 4 + 2, c))
    smooth = np.kron(base, np.ones((4, 4, 1)))[:h, :w]  # blocky but natural-ish content
    top = {np.uint8: 255, np.uint16: 65535}.get(dtype, 1)
    return (smooth * top).astype(dtype)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_channels_and_dtypes_kept(fast: Upscaler, channels: int, dtype: type) -> None:
    out = fast.upscale_array(_image(20, 23, channels, dtype), 3)
    assert out.shape == (60, 69, channels) and out.dtype == dtype


def test_gray_equals_rgb_with_equal_channels(net: Upscaler) -> None:
    gray = 0.3 + 0.4 * _image(24, 20, 1, np.float32)  # mid-grey: no clamping at either end
    rgb = np.repeat(gray, 3, axis=2)
    a = net.upscale_array(gray, 2)[..., 0]
    b = net.upscale_array(rgb, 2)
    np.testing.assert_allclose(a, np.clip(b, 0, 1).mean(axis=2), atol=1e-5)


def test_alpha_is_upscaled_separately(net: Upscaler) -> None:
    rgba = _image(24, 20, 4)
    rgb_only = net.upscale_array(rgba[..., :3], 2)
    out = net.upscale_array(rgba, 2)
    np.testing.assert_array_equal(out[..., :3], rgb_only)  # the colour does not see the alpha
    alpha = torch.from_numpy(rgba[..., 3].astype(np.float32) / 255)[None, None]
    ref = torch.nn.functional.interpolate(alpha, scale_factor=2.0, mode="bicubic", align_corners=False).clamp(0, 1)
    np.testing.assert_array_equal(out[..., 3], quantize(ref, np.dtype(np.uint8))[..., 0])


def test_y_model_keeps_chroma_of_bicubic(fast: Upscaler) -> None:
    """A Y-channel model upscales chroma with bicubic: a flat colour stays that colour."""
    flat = np.full((16, 16, 3), (200, 40, 90), dtype=np.uint8)
    out = fast.upscale_array(flat, 2).astype(int)
    assert out.shape == (32, 32, 3)
    assert np.abs(out - np.array([200, 40, 90])).max() <= 40  # untrained luma; chroma must not drift wildly
    assert out.std(axis=(0, 1)).max() < 30


@pytest.mark.parametrize("scale", [1.5, 2.5, 3, 4.7, 6])
def test_arbitrary_scale_sizes(fast: Upscaler, scale: float) -> None:
    out = fast.upscale_array(_image(21, 30, 3), scale)
    assert out.shape == (round(21 * scale), round(30 * scale), 3)


def test_plan_picks_the_nearest_scale_at_or_above(fast: Upscaler) -> None:
    assert fast.plan(10, 10, 2)[0] == 2
    assert fast.plan(10, 10, 2.5)[0] == 3
    assert fast.plan(10, 10, 3.2)[0] == 4
    assert fast.plan(10, 10, 7) == (4, (70, 70))


@pytest.mark.parametrize("scale", [1, 0.5, -2, float("nan"), True])
def test_bad_scale(fast: Upscaler, scale: float) -> None:
    with pytest.raises(srkit.SrkitError, match="scale"):
        fast.upscale_array(_image(8, 8, 3), scale)


@pytest.mark.parametrize("model", ["srkit_fast", "srkit_net"])
@pytest.mark.parametrize("tta", [False, True])
def test_tiled_equals_untiled_within_one_level(model: str, tta: bool) -> None:
    torch.manual_seed(0)
    m = build_model(model, scale=4, **({"n_feats": 8, "n_blocks": 2} if model == "srkit_net" else {})).eval()
    tile = MIN_TILE_OVERLAPS * default_overlap(m.card.receptive_field)  # the smallest tile the upscaler accepts
    img = _image(2 * tile + 13, tile + 17, 4, seed=1)  # 3 x 2 tiles
    whole = Upscaler(m, tile=None, tta=tta).upscale_array(img, 3).astype(int)
    tiled = Upscaler(m, tile=tile, tta=tta).upscale_array(img, 3).astype(int)
    assert np.abs(whole - tiled).max() <= 1


def test_tta_is_the_mean_over_flips_and_rotations(net: Upscaler) -> None:
    img = torch.rand(1, 3, 12, 10)
    pipe = ImagePipeline(net.net, scale=2, channels=3, tta=True)
    ref = torch.zeros(1, 3, 24, 20)
    with torch.no_grad():
        for flip in (False, True):
            for k in range(4):
                t = torch.rot90(img.flip(-1) if flip else img, k, (-2, -1))
                y = torch.rot90(net.net(t, 2), -k, (-2, -1))
                ref += y.flip(-1) if flip else y
        torch.testing.assert_close(pipe(img), ref / 8, atol=1e-5, rtol=0)


def test_stream_bands_concatenate_to_the_array(net: Upscaler) -> None:
    img = _image(400, 40, 3)
    up = Upscaler(net.net, tile=184)
    bands: list[np.ndarray] = []
    size = up.stream(img, 2, bands.append)
    assert len(bands) > 1 and size == (800, 80)
    np.testing.assert_array_equal(np.concatenate(bands), up.upscale_array(img, 2))


def test_precision_checks(net: Upscaler) -> None:
    with pytest.raises(srkit.SrkitError, match="fp16"):
        Upscaler(net.net, precision="fp16")
    with pytest.raises(srkit.SrkitError, match="precision"):
        Upscaler(net.net, precision="fp8")
    bf16 = Upscaler(build_model("srkit_net", scale=4, n_feats=8, n_blocks=1).eval(), precision="bf16")
    assert bf16.upscale_array(_image(16, 16, 3), 2).shape == (32, 32, 3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_device_is_a_clear_error() -> None:
    with pytest.raises(srkit.SrkitError, match="no CUDA"):
        srkit.inference.resolve_device("cuda")
    with pytest.raises(srkit.SrkitError, match="unknown device"):
        srkit.inference.resolve_device("gpu7")


def test_too_small_image(fast: Upscaler) -> None:
    with pytest.raises(srkit.SrkitError, match="too small"):
        fast.upscale_array(np.zeros((1, 5, 3), np.uint8), 2)


# --- the Python API: same kind out as in ---------------------------------------------------------------------


def test_api_numpy_kinds(net: Upscaler) -> None:
    gray = _image(10, 12, 1)[..., 0]
    out = srkit.upscale(gray, 2, net)
    assert out.shape == (20, 24) and out.dtype == np.uint8
    f = _image(10, 12, 3, np.float32)
    assert srkit.upscale(f, 2, net).dtype == np.float32


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_api_pil_modes(net: Upscaler, mode: str) -> None:
    img = Image.fromarray(_image(10, 12, 3)).convert(mode)
    out = srkit.upscale(img, 3, net)
    assert isinstance(out, Image.Image) and out.mode == mode and out.size == (36, 30)


def test_api_tensor_kinds(net: Upscaler) -> None:
    t = torch.rand(2, 3, 10, 12)
    out = srkit.upscale(t, 2, net)
    assert out.shape == (2, 3, 20, 24) and out.dtype == torch.float32
    assert srkit.upscale(t[0], 2, net).shape == (3, 20, 24)
    u8 = (t[0] * 255).to(torch.uint8)
    assert srkit.upscale(u8, 2, net).dtype == torch.uint8


def test_api_rejects_other_things(net: Upscaler) -> None:
    with pytest.raises(srkit.SrkitError, match="cannot upscale"):
        srkit.upscale([1, 2, 3], 2, net)  # type: ignore[arg-type]
    with pytest.raises(srkit.SrkitError, match="channels"):
        srkit.upscale(np.zeros((4, 4, 5), np.uint8), 2, net)


def test_api_path_in_pil_out_and_output_file(tmp_path: object, net: Upscaler) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    src = folder / "in.png"
    Image.fromarray(_image(12, 10, 3)).save(src)
    out = srkit.upscale(src, 2, net)
    assert isinstance(out, Image.Image) and out.size == (20, 24)
    dst = srkit.upscale(src, 2, net, output=folder / "out.png")
    assert dst == folder / "out.png"
    np.testing.assert_array_equal(np.asarray(Image.open(dst)), np.asarray(out))
    with pytest.raises(srkit.SrkitError, match="exists"):
        srkit.upscale(src, 2, net, output=folder / "out.png")


# --- shipped models -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "flat"),  # how far a flat grey may move: the GAN adds texture, the real-photo models a little tone
    [("srkit", 2), ("srkit_fast", 2), ("srkit_real", 4), ("srkit_real_gan", 12)],
)
def test_shipped_models_load_with_their_training_card(name: str, flat: int) -> None:
    model = srkit.load_model(name)
    card = model.card
    assert card.name == name and card.arch in ("SrkitNet", "SrkitFast")
    for key in ("recipe", "data", "steps", "wall_time", "hardware"):
        assert card.training.get(key), f"{name}: card.training lacks {key}"
    assert any(k.startswith("Set5 x4") for k in card.training)
    out = srkit.upscale(np.zeros((16, 16, 3), np.uint8) + 128, 4, name)
    assert out.shape == (64, 64, 3) and np.abs(out.astype(int) - 128).max() <= flat  # flat stays about flat
    assert np.abs(out.astype(int) - 128).mean() <= flat / 4


@pytest.mark.parametrize("name", ["srkit_real", "srkit_real_gan"])
def test_real_photo_models_tile_and_stream_like_the_others(name: str) -> None:
    img = _image(200, 90, 3, seed=2)
    whole = Upscaler(name, tile=None).upscale_array(img, 4).astype(int)
    tiled = Upscaler(name, tile=184)  # the smallest tile srkit's quality network accepts: 2 x 1 tiles here
    assert np.abs(tiled.upscale_array(img, 4).astype(int) - whole).max() <= 1
    bands: list[np.ndarray] = []
    assert tiled.stream(img, 4, bands.append) == (800, 360) and len(bands) > 1
    np.testing.assert_array_equal(np.concatenate(bands), tiled.upscale_array(img, 4))


def test_unknown_model_name_is_a_clear_error() -> None:
    with pytest.raises(srkit.SrkitError):
        Upscaler("no_such_model")


def test_auto_tiles_never_fall_under_four_overlaps() -> None:
    """Streaming a very wide image caps the band's memory, but not below the smallest sensible tile."""
    up = Upscaler("srkit")
    least = 4 * (2 * up.card.receptive_field + 8)  # MIN_TILE_OVERLAPS x the default overlap
    assert up.tile_for(40_000, 3, 4, streaming=True) == least  # the 1 GiB band would allow only 64
    assert up.tile_for(1_000, 3, 4, streaming=True) > least
