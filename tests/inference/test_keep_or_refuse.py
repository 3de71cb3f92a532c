"""``srkit.upscale`` either keeps what it is given (dtype, mode, frames) or refuses it with one clear line: it never
changes an image silently, never replaces its input, and names the file in its errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

import srkit
from srkit.archs import build_model
from srkit.cli.main import main
from srkit.inference.upscale import MAX_SCALE, Upscaler


@pytest.fixture(scope="module")
def net() -> Upscaler:
    torch.manual_seed(0)
    return Upscaler(build_model("srkit_net", scale=4, n_feats=8, n_blocks=1).eval())


def _smooth(h: int, w: int, c: int, seed: int = 0) -> np.ndarray:
    """Float64 pixels in [0, 1], blocky but natural-ish."""
    base = np.random.default_rng(seed).random((h // 4 + 2, w // 4 + 2, c))
    return np.kron(base, np.ones((4, 4, 1)))[:h, :w]


# --- scale --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [64.5, 100])
def test_scale_is_capped_as_in_the_cli(net: Upscaler, scale: float) -> None:
    assert MAX_SCALE == 64
    with pytest.raises(srkit.SrkitError, match="at most 64"):
        srkit.upscale(np.zeros((4, 4, 3), np.uint8), scale, net)


def test_the_cli_uses_the_same_cap(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    src = tmp_path / "p.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(src)
    with pytest.raises(SystemExit):
        main(["upscale", str(src), "--scale", "65"])
    assert f"at most {MAX_SCALE}" in capsys.readouterr().err


# --- dtypes and values --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("scale", [2, 2.5])
def test_float_dtypes_are_kept(net: Upscaler, dtype: type, scale: float) -> None:
    pixels = _smooth(10, 12, 3).astype(dtype)
    out = srkit.upscale(pixels, scale, net)
    assert out.dtype == dtype and out.shape == (round(10 * scale), round(12 * scale), 3)
    ref = srkit.upscale(pixels.astype(np.float32), scale, net)
    np.testing.assert_allclose(out.astype(np.float32), ref, atol=1e-3 if dtype == np.float16 else 0)


def test_float64_tensors_are_kept(net: Upscaler) -> None:
    t = torch.from_numpy(_smooth(10, 12, 3)).permute(2, 0, 1)
    assert srkit.upscale(t, 2, net).dtype == torch.float64


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused(net: Upscaler, bad: float) -> None:
    pixels = _smooth(8, 8, 3).astype(np.float32)
    pixels[3, 4, 1] = bad
    with pytest.raises(srkit.SrkitError, match="NaN or infinite"):
        srkit.upscale(pixels, 2, net)
    with pytest.raises(srkit.SrkitError, match="NaN or infinite"):
        srkit.upscale(torch.from_numpy(pixels).permute(2, 0, 1), 2, net)


@pytest.mark.parametrize(("lo", "hi"), [(-0.2, 1.0), (0.0, 255.0)])
def test_floats_outside_zero_one_are_refused_not_clipped(net: Upscaler, lo: float, hi: float) -> None:
    pixels = (lo + (hi - lo) * _smooth(8, 8, 3)).astype(np.float32)
    pixels[0, 0] = (lo, hi, 0.5)
    with pytest.raises(srkit.SrkitError, match=r"must be in \[0, 1\].*clip"):
        srkit.upscale(pixels, 2, net)


# --- PIL modes ----------------------------------------------------------------------------------------------------


def test_pil_mode_f_stays_float(net: Upscaler) -> None:
    pixels = _smooth(10, 12, 1)[..., 0].astype(np.float32)
    out = srkit.upscale(Image.fromarray(pixels, "F"), 2, net)
    assert out.mode == "F" and out.size == (24, 20)
    np.testing.assert_allclose(np.asarray(out), srkit.upscale(pixels, 2, net), atol=0)


def test_pil_mode_f_outside_zero_one_is_refused(net: Upscaler) -> None:
    with pytest.raises(srkit.SrkitError, match=r"only \[0, 1\]"):
        srkit.upscale(Image.fromarray(np.full((8, 8), 7.5, np.float32), "F"), 2, net)


@pytest.mark.parametrize("mode", ["I", "I;16"])
def test_pil_integer_modes_are_kept(net: Upscaler, mode: str) -> None:
    levels = (_smooth(10, 12, 1)[..., 0] * 65535).astype(np.uint16)
    img = Image.fromarray(levels.astype(np.int32)) if mode == "I" else Image.fromarray(levels)
    assert img.mode == mode
    out = srkit.upscale(img, 2, net)
    assert out.mode == mode and out.size == (24, 20)
    np.testing.assert_array_equal(np.asarray(out), srkit.upscale(levels, 2, net))


def test_pil_mode_i_beyond_sixteen_bits_is_refused(net: Upscaler) -> None:
    with pytest.raises(srkit.SrkitError, match="do not fit 16 bits"):
        srkit.upscale(Image.fromarray(np.full((8, 8), 100_000, np.int32)), 2, net)


# --- files: frames, float TIFF, too small, the input itself ------------------------------------------------------


def _frames(path: Path, n: int, **save: object) -> Path:
    frames = [Image.fromarray((_smooth(16, 16, 3, seed=i) * 255).astype(np.uint8)) for i in range(n)]
    frames[0].save(path, save_all=True, append_images=frames[1:], **save)
    return path


@pytest.mark.parametrize(("name", "save"), [("a.gif", {"duration": 50}), ("a.webp", {"duration": 50}), ("a.tif", {})])
def test_several_frames_are_refused_with_their_number(tmp_path: Path, net: Upscaler, name: str, save: dict) -> None:
    path = _frames(tmp_path / name, 3, **save)
    with pytest.raises(srkit.SrkitError, match=rf"{name} has 3 frames"):
        srkit.upscale(path, 2, net)


def test_an_animated_png_is_refused(tmp_path: Path, net: Upscaler) -> None:
    path = _frames(tmp_path / "a.png", 2)
    with pytest.raises(srkit.SrkitError, match="has 2 frames"):
        srkit.upscale(path, 2, net)


def test_single_frame_files_and_tiff_previews_are_read(tmp_path: Path, net: Upscaler) -> None:
    gif = _frames(tmp_path / "one.gif", 1)
    assert srkit.upscale(gif, 2, net).size == (32, 32)
    tif = tmp_path / "preview.tif"
    with tifffile.TiffWriter(tif) as w:  # a full image and a reduced-resolution preview (NewSubfileType 1)
        w.write((_smooth(16, 16, 3) * 255).astype(np.uint8), photometric="rgb")
        w.write((_smooth(4, 4, 3) * 255).astype(np.uint8), photometric="rgb", subfiletype=1)
    assert srkit.upscale(tif, 2, net).size == (32, 32)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_a_float32_tiff_stays_float32(tmp_path: Path, net: Upscaler, channels: int) -> None:
    pixels = _smooth(10, 12, channels).astype(np.float32)
    src = tmp_path / "f.tif"
    tifffile.imwrite(src, pixels if channels > 1 else pixels[..., 0], photometric="rgb" if channels > 2 else None)
    want = srkit.upscale(pixels, 2, net)
    got = srkit.upscale(src, 2, net)  # no PIL mode for float colour: numpy; one channel: mode F
    got = np.asarray(got)[..., None] if channels == 1 else got
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    dst = srkit.upscale(src, 2, net, output=tmp_path / "f_x2.tif")
    back = tifffile.imread(dst)
    assert back.dtype == np.float32 and back.shape == (20, 24, channels)[: 3 if channels > 1 else 2]
    np.testing.assert_array_equal(back.reshape(want.shape), want)
    with pytest.raises(srkit.SrkitError, match=r"holds 8- or 16-bit integers, not float32.*\.tif"):
        srkit.upscale(src, 2, net, output=tmp_path / "f_x2.png")


def test_a_float_tiff_through_the_cli(tmp_path: Path) -> None:
    src = tmp_path / "f.tif"
    tifffile.imwrite(src, _smooth(10, 12, 4).astype(np.float32), photometric="rgb", extrasamples=["unassalpha"])
    assert main(["upscale", str(src), "--scale", "2", "--model", "srkit_fast", "--no-progress"]) == 0
    out = tifffile.imread(tmp_path / "f_x2.tif")
    assert out.dtype == np.float32 and out.shape == (20, 24, 4)


def test_a_one_pixel_image_error_names_the_file(
    tmp_path: Path, net: Upscaler, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1)).save(tiny)
    with pytest.raises(srkit.SrkitError, match=r"tiny\.png is 1x1 pixels: too small"):
        srkit.upscale(tiny, 2, net)
    with pytest.raises(srkit.SrkitError, match=r"tiny\.png is 1x1 pixels"):
        srkit.upscale(tiny, 2, net, output=tmp_path / "out.png")
    Image.new("RGB", (8, 8)).save(tmp_path / "ok.png")
    assert main(["upscale", str(tmp_path / "*.png"), "-o", str(tmp_path / "out"), "--model", "srkit_fast"]) == 1
    assert "tiny.png is 1x1 pixels" in capsys.readouterr().err


def test_the_output_is_never_the_input(tmp_path: Path, net: Upscaler) -> None:
    src = tmp_path / "a.png"
    Image.fromarray((_smooth(8, 8, 3) * 255).astype(np.uint8)).save(src)
    before = src.read_bytes()
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.png").symlink_to(src)
    os.link(src, tmp_path / "hard.png")
    spellings = [src, str(src), tmp_path / "sub" / ".." / "a.png", tmp_path / "link.png", tmp_path / "hard.png"]
    for target in spellings:
        for overwrite in (True, False):
            with pytest.raises(srkit.SrkitError) as info:
                srkit.upscale(src, 2, net, output=target, overwrite=overwrite)
            message = str(info.value)
            assert "is the input" in message and "overwrite" not in message, message
    with pytest.raises(srkit.SrkitError, match="is the input"):
        srkit.upscale(tmp_path / "link.png", 2, net, output=src, overwrite=True)
    assert src.read_bytes() == before


def test_an_existing_other_output_suggests_overwrite(tmp_path: Path, net: Upscaler) -> None:
    src = tmp_path / "a.png"
    Image.fromarray((_smooth(8, 8, 3) * 255).astype(np.uint8)).save(src)
    (tmp_path / "b.png").write_bytes(b"old")
    with pytest.raises(srkit.SrkitError, match="overwrite"):
        srkit.upscale(src, 2, net, output=tmp_path / "b.png")
    assert srkit.upscale(src, 2, net, output=tmp_path / "b.png", overwrite=True) == tmp_path / "b.png"


def test_a_srkit_folder_in_the_current_folder_does_not_shadow_the_shipped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "srkit").mkdir()
    (tmp_path / "srkit_fast").write_bytes(b"junk")
    assert srkit.load_model("srkit").card.name == "srkit"
    assert srkit.upscale(np.zeros((8, 8, 3), np.uint8), 2, "srkit_fast").shape == (16, 16, 3)
    with pytest.raises(srkit.SrkitError, match="folder"):
        srkit.load_model("./srkit")


# --- tiles --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "least"), [("srkit", 184), ("srkit_fast", 80)])
def test_tiles_under_four_overlaps_are_refused(name: str, least: int) -> None:
    with pytest.raises(srkit.SrkitError, match=rf"too small for '{name}'.*at least {least} \(4x the overlap\)"):
        Upscaler(name, tile=least - 1)
    assert Upscaler(name, tile=least).tile == least
    assert Upscaler(name, tile=64, overlap=16).tile == 64  # a smaller overlap allows smaller tiles


def test_tile_zero_means_no_tiling_in_the_api(net: Upscaler) -> None:
    pixels = (_smooth(30, 20, 3) * 255).astype(np.uint8)
    assert Upscaler(net.net, tile=0).tile is None
    np.testing.assert_array_equal(
        srkit.upscale(pixels, 2, net.net, tile=0), srkit.upscale(pixels, 2, net.net, tile=None)
    )
    with pytest.raises(srkit.SrkitError, match="tile must be a positive int"):
        Upscaler(net.net, tile=-1)
