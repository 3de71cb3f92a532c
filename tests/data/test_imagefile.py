"""Photo files: round trips for every format and channel count, 16 bits kept, orientation, ICC / EXIF / dpi kept,
streaming with bounded memory, atomic writes, and one-line errors naming the file."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import numpy as np
import png  # type: ignore[import-untyped]
import pytest
import tifffile
from PIL import Image, ImageCms, ImageOps

from srkit._core.errors import SrkitError
from srkit.data.imagefile import (
    Picture,
    PictureWriter,
    output_format,
    picture_from_pil,
    picture_to_pil,
    read_picture,
    write_picture,
)

ORIENTATION = 0x0112


def _random(shape: tuple[int, ...], dtype: type = np.uint8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)


def _smooth(height: int, width: int, channels: int = 3) -> np.ndarray:
    """A photo-like uint8 image (gradients plus a little noise) that lossy codecs keep close."""
    y, x = np.mgrid[0:height, 0:width]
    planes = [(x * 200 // max(width, 1) + 20), (y * 200 // max(height, 1) + 20), ((x + y) * 100 // (width + height))]
    a = np.stack((planes * 2)[:channels], axis=-1).astype(np.uint8)
    return a


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "srkit camera"  # Make
    return exif.tobytes()


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- round trips -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".tif", ".tiff", ".bmp"])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_lossless_round_trip(tmp_path: Path, suffix: str, channels: int) -> None:
    image = _random((13, 17, channels))
    path = tmp_path / f"x{suffix}"
    write_picture(path, image)
    pic = read_picture(path)
    expected = image[..., : channels - 1] if suffix == ".bmp" and channels in (2, 4) else image  # BMP drops alpha
    assert pic.pixels.dtype == np.uint8
    np.testing.assert_array_equal(pic.pixels, expected)
    assert pic.format == output_format(path)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_webp_quality_100_is_lossless(tmp_path: Path, channels: int) -> None:
    image = _random((12, 10, channels))
    write_picture(tmp_path / "x.webp", image, quality=100)
    pic = read_picture(tmp_path / "x.webp")
    gray = channels in (1, 2)
    assert pic.channels == (channels + 2 if gray else channels)  # WebP stores gray as RGB
    np.testing.assert_array_equal(pic.pixels[..., :1], image[..., :1])
    np.testing.assert_array_equal(pic.pixels[..., -1], image[..., -1])
    assert pic.format == "WEBP"


LOSSY = [(".jpg", 1, 1), (".jpg", 2, 1), (".jpeg", 3, 3), (".jpg", 4, 3), (".webp", 3, 3), (".webp", 4, 4)]


@pytest.mark.parametrize(("suffix", "channels", "out_channels"), LOSSY)
def test_lossy_round_trip_is_close(tmp_path: Path, suffix: str, channels: int, out_channels: int) -> None:
    image = _smooth(40, 48, channels)
    write_picture(tmp_path / f"x{suffix}", image, quality=95)
    pic = read_picture(tmp_path / f"x{suffix}")
    assert pic.pixels.shape == (40, 48, out_channels)
    assert np.abs(pic.pixels.astype(int) - image[..., :out_channels].astype(int)).mean() < 2.0


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_16_bit_png_and_tiff_keep_16_bits(tmp_path: Path, suffix: str, channels: int) -> None:
    image = _random((11, 9, channels), np.uint16, seed=channels)
    write_picture(tmp_path / f"x{suffix}", image)
    pic = read_picture(tmp_path / f"x{suffix}")
    assert pic.pixels.dtype == np.uint16
    assert pic.bit_depth == 16
    np.testing.assert_array_equal(pic.pixels, image)


@pytest.mark.parametrize("greyscale", [True, False])
def test_16_bit_png_from_another_encoder(tmp_path: Path, greyscale: bool) -> None:
    image = _random((7, 5, 1 if greyscale else 3), np.uint16)
    with open(tmp_path / "p.png", "wb") as f:
        png.Writer(5, 7, greyscale=greyscale, bitdepth=16).write(f, image.reshape(7, -1))
    np.testing.assert_array_equal(read_picture(tmp_path / "p.png").pixels, image)


def test_16_bit_rgb_tiff_from_tifffile(tmp_path: Path) -> None:
    image = _random((6, 8, 3), np.uint16)
    tifffile.imwrite(tmp_path / "t.tif", image, photometric="rgb")
    pic = read_picture(tmp_path / "t.tif")
    np.testing.assert_array_equal(pic.pixels, image)
    assert pic.format == "TIFF"


def test_our_png_and_tiff_are_read_by_pillow_and_tifffile(tmp_path: Path) -> None:
    image = _random((9, 14, 4))
    write_picture(tmp_path / "x.png", image)
    write_picture(tmp_path / "x.tif", image)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "x.png")), image)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "x.tif"), image)


def test_16_bit_to_8_bit_formats_rounds(tmp_path: Path) -> None:
    image = np.array([[[0], [257], [32896], [65535], [128]]], np.uint16)  # 128 / 257 = 0.498 -> 0
    write_picture(tmp_path / "x.bmp", image)
    assert read_picture(tmp_path / "x.bmp").pixels.ravel().tolist() == [0, 1, 128, 255, 0]


# --- reading conversions and metadata -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "channels", "dtype"),
    [("1", 1, np.uint8), ("L", 1, np.uint8), ("P", 3, np.uint8), ("CMYK", 3, np.uint8), ("YCbCr", 3, np.uint8),
     ("I;16", 1, np.uint16), ("LA", 2, np.uint8), ("RGBA", 4, np.uint8)],
)  # fmt: skip
def test_picture_from_pil_modes(mode: str, channels: int, dtype: type) -> None:
    pic = picture_from_pil(Image.new(mode, (5, 3)))
    assert pic.pixels.shape == (3, 5, channels)
    assert pic.pixels.dtype == dtype


def test_palette_with_transparency_becomes_rgba(tmp_path: Path) -> None:
    im = Image.new("P", (4, 4), 1)
    im.putpalette([0, 0, 0, 255, 0, 0] * 128)
    im.save(tmp_path / "p.png", transparency=1)
    pic = read_picture(tmp_path / "p.png")
    assert pic.channels == 4
    assert pic.pixels[0, 0].tolist() == [255, 0, 0, 0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_tiff_in_unit_range_stays_float(tmp_path: Path, dtype: type) -> None:
    image = np.linspace(0, 1, 12, dtype=dtype).reshape(3, 4)
    tifffile.imwrite(tmp_path / "f.tif", image)
    pic = read_picture(tmp_path / "f.tif")
    assert pic.pixels.dtype == dtype and pic.bit_depth == 8 * np.dtype(dtype).itemsize
    np.testing.assert_array_equal(pic.pixels[..., 0], image)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_pixels_round_trip_as_tiff_only(tmp_path: Path, dtype: type) -> None:
    image = np.random.default_rng(0).random((5, 7, 4)).astype(dtype)
    write_picture(tmp_path / "f.tif", image)
    back = read_picture(tmp_path / "f.tif").pixels
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, image)
    for name in ("f.png", "f.jpg", "f.webp", "f.bmp"):
        with pytest.raises(SrkitError, match=f"not {np.dtype(dtype).name} pixels; write .tif"):
            write_picture(tmp_path / name, image)
        assert not (tmp_path / name).exists()


def test_pil_mode_f_stays_float32() -> None:
    image = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    pic = picture_from_pil(Image.fromarray(image, "F"))
    assert pic.pixels.dtype == np.float32
    np.testing.assert_array_equal(pic.pixels[..., 0], image)
    assert picture_to_pil(pic.pixels).mode == "F"
    with pytest.raises(SrkitError, match="one float32 channel"):
        picture_to_pil(np.zeros((2, 3, 3), np.float32))


def test_float_tiff_outside_unit_range_is_refused(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "f.tif", np.full((3, 3, 3), 7.5, np.float32), photometric="rgb")
    with pytest.raises(SrkitError, match=r"f\.tif holds floats from 7\.5 to 7\.5"):
        read_picture(tmp_path / "f.tif")


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied_and_reset(tmp_path: Path, orientation: int) -> None:
    image = _smooth(24, 40)
    Image.fromarray(image).save(tmp_path / "o.png", exif=_exif(orientation))
    pic = read_picture(tmp_path / "o.png")
    np.testing.assert_array_equal(pic.pixels, np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png"))))
    assert pic.exif is not None
    exif = Image.Exif()
    exif.load(pic.exif)
    assert exif[ORIENTATION] == 1
    assert exif[0x010F] == "srkit camera"


def test_jpeg_orientation_6_is_rotated(tmp_path: Path) -> None:
    image = _smooth(16, 32)
    Image.fromarray(image).save(tmp_path / "o.jpg", exif=_exif(6), quality=100)
    pic = read_picture(tmp_path / "o.jpg")
    assert pic.pixels.shape == (32, 16, 3)  # turned 90 degrees clockwise
    assert np.abs(pic.pixels.astype(int) - np.rot90(image, k=-1).astype(int)).mean() < 2.0
    assert pic.exif is not None and pic.exif.startswith(b"Exif\x00\x00")
    exif = Image.Exif()
    exif.load(pic.exif)
    assert exif[ORIENTATION] == 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_tiff_orientation_is_applied(tmp_path: Path, dtype: type) -> None:
    image = _random((5, 7, 3), dtype)
    tifffile.imwrite(tmp_path / "o.tif", image, photometric="rgb", extratags=[(274, 3, 1, 6, True)])
    np.testing.assert_array_equal(read_picture(tmp_path / "o.tif").pixels, np.rot90(image, k=-1))


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_icc_profile_is_kept(tmp_path: Path, suffix: str) -> None:
    icc = _srgb_icc()
    like = Picture(_smooth(8, 8), icc_profile=icc)
    write_picture(tmp_path / f"x{suffix}", like.pixels, like=like)
    assert read_picture(tmp_path / f"x{suffix}").icc_profile == icc


def test_icc_profile_is_kept_for_16_bit_png(tmp_path: Path) -> None:
    icc = _srgb_icc()
    write_picture(tmp_path / "x.png", _random((4, 4, 3), np.uint16), like=Picture(_smooth(2, 2), icc_profile=icc))
    assert read_picture(tmp_path / "x.png").icc_profile == icc


def test_rgb_profile_is_not_put_on_gray_pixels(tmp_path: Path) -> None:
    write_picture(tmp_path / "g.png", _random((4, 4, 1)), like=Picture(_smooth(2, 2), icc_profile=_srgb_icc()))
    assert read_picture(tmp_path / "g.png").icc_profile is None


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_exif_is_kept(tmp_path: Path, suffix: str) -> None:
    like = Picture(_smooth(8, 8), exif=_exif(1))
    write_picture(tmp_path / f"x{suffix}", like.pixels, like=like)
    exif = read_picture(tmp_path / f"x{suffix}").exif
    assert exif is not None
    parsed = Image.Exif()
    parsed.load(exif)
    assert parsed[0x010F] == "srkit camera"


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".bmp"])
def test_dpi_is_kept(tmp_path: Path, suffix: str) -> None:
    like = Picture(_smooth(8, 8), dpi=(300.0, 150.0))
    write_picture(tmp_path / f"x{suffix}", like.pixels, like=like)
    dpi = read_picture(tmp_path / f"x{suffix}").dpi
    assert dpi is not None
    assert dpi == pytest.approx((300.0, 150.0), abs=0.5)


def test_picture_properties() -> None:
    pic = Picture(np.zeros((4, 6, 2), np.uint16))
    assert (pic.height, pic.width, pic.channels, pic.has_alpha, pic.bit_depth) == (4, 6, 2, True, 16)
    assert Picture(np.zeros((4, 6, 3), np.float32)).bit_depth == 32  # float TIFFs stay float
    with pytest.raises(SrkitError, match="uint8, uint16 or float"):
        Picture(np.zeros((4, 6, 3), np.int32))


def test_picture_to_pil() -> None:
    assert picture_to_pil(np.zeros((2, 3, 2), np.uint8)).mode == "LA"
    assert picture_to_pil(np.zeros((2, 3), np.uint16)).mode == "I;16"
    with pytest.raises(SrkitError, match="16-bit colour"):
        picture_to_pil(np.zeros((2, 3, 3), np.uint16))


# --- reading errors --------------------------------------------------------------------------------------------------


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    Image.new("L", (300, 200)).save(tmp_path / "bomb.png")
    with pytest.raises(SrkitError, match=r"image too large: .*bomb\.png has 300x200 pixels, the limit is 1000"):
        read_picture(tmp_path / "bomb.png", max_pixels=1000)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_corrupt_and_truncated_files(tmp_path: Path, suffix: str) -> None:
    good = tmp_path / f"good{suffix}"
    write_picture(good, _random((64, 64, 3)))
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(SrkitError, match=r"cannot read image .*" + re.escape(str(cut))):
        read_picture(cut)
    junk = tmp_path / f"junk{suffix}"
    junk.write_text("not an image")
    with pytest.raises(SrkitError, match=r"cannot read image .*" + re.escape(str(junk))):
        read_picture(junk)


def test_missing_empty_and_folder(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"image not found: .*gone\.png"):
        read_picture(tmp_path / "gone.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(SrkitError, match=r"image is empty: .*empty\.png"):
        read_picture(tmp_path / "empty.png")
    with pytest.raises(SrkitError, match=r"not a file"):
        read_picture(tmp_path)


# --- writing: formats, limits, overwrite, atomicity -------------------------------------------------------------------


def test_output_format() -> None:
    assert [output_format(f"a.{s}") for s in ("png", "JPG", "jpeg", "webp", "tif", "TIFF", "bmp")] == [
        "PNG", "JPEG", "JPEG", "WEBP", "TIFF", "TIFF", "BMP",
    ]  # fmt: skip
    with pytest.raises(SrkitError, match=r"unsupported output format '\.gif' for a\.gif"):
        output_format("a.gif")


@pytest.mark.parametrize(("suffix", "side"), [(".jpg", 65536), (".webp", 16384)])
def test_format_size_limits(tmp_path: Path, suffix: str, side: int) -> None:
    with pytest.raises(SrkitError, match=r"too large for .* write \.png or \.tif instead"):
        PictureWriter(tmp_path / f"x{suffix}", height=10, width=side, channels=3, dtype=np.uint8)
    assert _only(tmp_path) == []


def test_overwrite_is_refused_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    write_picture(path, _random((4, 4, 3)))
    before = path.read_bytes()
    with pytest.raises(SrkitError, match=re.escape(f"{path} exists (pass overwrite=True / --overwrite to replace it)")):
        write_picture(path, _random((4, 4, 3), seed=1))
    assert path.read_bytes() == before
    write_picture(path, _random((4, 4, 3), seed=1), overwrite=True)
    np.testing.assert_array_equal(read_picture(path).pixels, _random((4, 4, 3), seed=1))


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_exception_inside_writer_leaves_nothing(tmp_path: Path, suffix: str, error: type[BaseException]) -> None:
    def interrupted_write() -> None:
        with PictureWriter(tmp_path / f"x{suffix}", height=64, width=8, channels=3, dtype=np.uint8) as w:
            w.write(_random((16, 8, 3)))
            raise error("stop")

    with pytest.raises(error, match="stop"):
        interrupted_write()
    assert _only(tmp_path) == []


@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp"])
def test_missing_rows_is_an_error_and_leaves_nothing(tmp_path: Path, suffix: str) -> None:
    with (
        pytest.raises(SrkitError, match=r"got 16 of 64 rows; nothing written"),
        PictureWriter(tmp_path / f"x{suffix}", height=64, width=8, channels=3, dtype=np.uint8) as w,
    ):
        w.write(_random((16, 8, 3)))
    assert _only(tmp_path) == []


def test_bad_bands_are_refused(tmp_path: Path) -> None:
    with PictureWriter(tmp_path / "x.png", height=4, width=8, channels=3, dtype=np.uint8) as w:
        with pytest.raises(SrkitError, match="band is uint16"):
            w.write(np.zeros((2, 8, 3), np.uint16))
        with pytest.raises(SrkitError, match=r"is not \(rows, 8, 3\)"):
            w.write(np.zeros((2, 7, 3), np.uint8))
        w.write(np.zeros((4, 8, 3), np.uint8))
        with pytest.raises(SrkitError, match="run past the height 4"):
            w.write(np.zeros((1, 8, 3), np.uint8))
    assert read_picture(tmp_path / "x.png").pixels.shape == (4, 8, 3)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_streaming_bands_of_any_height_equal_the_array(tmp_path: Path, suffix: str) -> None:
    image = _random((203, 31, 4), np.uint16)
    with PictureWriter(tmp_path / f"x{suffix}", height=203, width=31, channels=4, dtype=np.uint16) as w:
        assert w.streams
        for start, stop in [(0, 1), (1, 40), (40, 41), (41, 150), (150, 203)]:
            w.write(image[start:stop])
    np.testing.assert_array_equal(read_picture(tmp_path / f"x{suffix}").pixels, image)


def test_buffered_formats_do_not_stream(tmp_path: Path) -> None:
    assert not PictureWriter(tmp_path / "x.jpg", height=2, width=2, channels=3, dtype=np.uint8).streams


@pytest.mark.parametrize(("suffix", "height", "width"), [(".png", 3000, 4000), (".tif", 3000, 2000)])
def test_streaming_large_image_keeps_memory_bounded(tmp_path: Path, suffix: str, height: int, width: int) -> None:
    band_rows = 250
    base = _smooth(band_rows, width) ^ _random((band_rows, width, 3), seed=3) % np.uint8(8)
    band = np.empty_like(base)
    tracemalloc.start()
    try:
        with PictureWriter(tmp_path / f"big{suffix}", height=height, width=width, channels=3, dtype=np.uint8) as w:
            for i in range(height // band_rows):
                np.add(base, np.uint8(i), out=band)  # the caller reuses its buffer
                w.write(band)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    image_bytes = height * width * 3
    assert peak < image_bytes / 2, f"peak {peak / 1e6:.1f} MB while writing a {image_bytes / 1e6:.1f} MB image"
    pixels = read_picture(tmp_path / f"big{suffix}").pixels
    for i in range(height // band_rows):
        np.testing.assert_array_equal(pixels[i * band_rows : (i + 1) * band_rows], base + np.uint8(i))
