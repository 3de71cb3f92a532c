"""Image reading and writing: round trips, mode conversions, one-line errors naming the file, atomic writes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from srkit import SrkitError, list_images, read_image, write_image


def _random(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _file_pattern(path: Path) -> str:
    return re.escape(str(path))


# --- round trips and conversions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif"])
def test_rgb_round_trip_is_lossless(tmp_path: Path, suffix: str) -> None:
    image = _random((13, 17, 3))
    path = tmp_path / f"rgb{suffix}"
    write_image(path, image)
    out = read_image(path)
    assert out.dtype == np.uint8
    assert out.shape == (13, 17, 3)
    np.testing.assert_array_equal(out, image)


def test_gray_stays_two_dimensional(tmp_path: Path) -> None:
    image = _random((9, 11))
    write_image(tmp_path / "g.png", image)
    out = read_image(tmp_path / "g.png")
    assert out.shape == (9, 11)
    np.testing.assert_array_equal(out, image)


def test_gray_to_rgb_repeats_the_channel(tmp_path: Path) -> None:
    image = _random((9, 11))
    write_image(tmp_path / "g.png", image)
    out = read_image(tmp_path / "g.png", gray_to_rgb=True)
    assert out.shape == (9, 11, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[..., c], image)


def test_gray_to_rgb_leaves_colour_alone(tmp_path: Path) -> None:
    image = _random((5, 6, 3))
    write_image(tmp_path / "c.png", image)
    np.testing.assert_array_equal(read_image(tmp_path / "c.png", gray_to_rgb=True), image)


def test_16_bit_png_is_scaled_to_uint8(tmp_path: Path) -> None:
    values = np.array([[0, 257, 32768, 65535], [128, 385, 1000, 65280]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")  # really a 16-bit file
    out = read_image(tmp_path / "deep.png")
    assert out.dtype == np.uint8
    assert out.shape == (2, 4)
    expected = np.floor(values.astype(np.float64) * 255 / 65535 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(out, expected)
    assert out[0].tolist() == [0, 1, 128, 255]


def test_rgba_drops_alpha_without_compositing(tmp_path: Path) -> None:
    rgba = _random((6, 7, 4))
    rgba[..., 3] = np.arange(7, dtype=np.uint8)[None, :] * 40  # transparent to opaque
    write_image(tmp_path / "a.png", rgba)
    assert Image.open(tmp_path / "a.png").mode == "RGBA"
    out = read_image(tmp_path / "a.png")
    assert out.shape == (6, 7, 3)
    np.testing.assert_array_equal(out, rgba[..., :3])


def test_palette_image_becomes_rgb(tmp_path: Path) -> None:
    palette_colours = np.array([[255, 0, 0], [0, 128, 0], [10, 20, 30]], dtype=np.uint8)
    index = np.array([[0, 1, 2, 1], [2, 2, 0, 0], [1, 0, 2, 1]], dtype=np.uint8)
    im = Image.fromarray(index, mode="P")
    im.putpalette(palette_colours.ravel().tolist() + [0] * (768 - 9))
    im.save(tmp_path / "p.png")
    assert Image.open(tmp_path / "p.png").mode == "P"
    out = read_image(tmp_path / "p.png")
    assert out.shape == (3, 4, 3)
    np.testing.assert_array_equal(out, palette_colours[index])


# --- reading errors: one SrkitError naming the file ------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.png"
    with pytest.raises(SrkitError, match=r"image not found: .*" + _file_pattern(path)):
        read_image(path)


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "dir.png"
    folder.mkdir()
    with pytest.raises(SrkitError, match=r"not a file: .*" + _file_pattern(folder)):
        read_image(folder)


def test_text_file_renamed_png(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("this is not an image\n")
    with pytest.raises(SrkitError, match=r"cannot read image .*" + _file_pattern(path)):
        read_image(path)


def test_truncated_png(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    write_image(path, _random((64, 64, 3)))  # random data: the PNG barely compresses
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SrkitError, match=r"cannot read image .*" + _file_pattern(path)):
        read_image(path)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(SrkitError, match=_file_pattern(path)):
        read_image(path)


def test_image_over_max_pixels(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    write_image(path, _random((10, 12)))
    with pytest.raises(SrkitError, match=r"image too large: .*big\.png has 12x10 pixels, the limit is 100"):
        read_image(path, max_pixels=100)
    assert read_image(path, max_pixels=120).shape == (10, 12)  # exactly at the limit is allowed


def test_max_pixels_can_raise_pillows_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pillow's default limit scaled down so that the test stays tiny; the real case is a 10000x10000 image.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    path = tmp_path / "wide.png"
    Image.fromarray(np.zeros((20, 20), dtype=np.uint8)).save(path)
    assert read_image(path, max_pixels=10_000).shape == (20, 20)


# --- writing ---------------------------------------------------------------------------------------------------------


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    write_image(tmp_path / "ok.png", _random((4, 4, 3)))
    assert _leftovers(tmp_path, {"ok.png"}) == []


def test_write_overwrites_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    write_image(path, np.zeros((4, 4), dtype=np.uint8))
    write_image(path, np.full((4, 4), 7, dtype=np.uint8))
    np.testing.assert_array_equal(read_image(path), np.full((4, 4), 7, dtype=np.uint8))


def test_write_refuses_overwrite_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    write_image(path, np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(SrkitError, match=r"output file exists.*x\.png"):
        write_image(path, np.ones((4, 4), dtype=np.uint8), overwrite=False)
    np.testing.assert_array_equal(read_image(path), np.zeros((4, 4), dtype=np.uint8))


@pytest.mark.parametrize(
    ("image", "match"),
    [
        (np.zeros((4, 4, 3), dtype=np.float32), r"expects uint8 .* got float32 \(4, 4, 3\)"),
        (np.zeros((4, 4, 2), dtype=np.uint8), r"expects uint8 .* got uint8 \(4, 4, 2\)"),
        (np.zeros((2, 4, 4, 3), dtype=np.uint8), r"expects uint8 .* got uint8 \(2, 4, 4, 3\)"),
    ],
)
def test_bad_array_fails_and_keeps_the_existing_file(tmp_path: Path, image: np.ndarray, match: str) -> None:
    path = tmp_path / "keep.png"
    original = _random((5, 5, 3))
    write_image(path, original)
    before = path.read_bytes()
    with pytest.raises(SrkitError, match=match):
        write_image(path, image)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path, {"keep.png"}) == []


def test_failure_while_encoding_leaves_target_and_folder_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keep.png"
    original = _random((8, 8, 3))
    write_image(path, original)
    before = path.read_bytes()

    def disk_full(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
        Path(str(fp)).write_bytes(b"\x89PNG half")  # a partial file, then the failure
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(SrkitError, match="No space left"):
        write_image(path, _random((8, 8, 3), seed=1))
    assert path.read_bytes() == before
    assert _leftovers(tmp_path, {"keep.png"}) == []


def test_rgba_to_jpeg_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"photo\.jpg"):
        write_image(tmp_path / "photo.jpg", _random((8, 8, 4)))


def test_unsupported_suffix(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"unsupported image format '\.gif' for .*out\.gif"):
        write_image(tmp_path / "out.gif", _random((4, 4, 3)))
    assert list(tmp_path.iterdir()) == []


def test_write_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"output folder does not exist: .*missing"):
        write_image(tmp_path / "missing" / "x.png", _random((4, 4, 3)))


# --- list_images -----------------------------------------------------------------------------------------------------


def test_list_images_sorted_and_filtered(tmp_path: Path) -> None:
    for name in ("b.png", "a.JPG", "c.bmp"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub.png").mkdir()  # a folder with an image suffix is not an image
    assert [p.name for p in list_images(tmp_path)] == ["a.JPG", "b.png", "c.bmp"]


def test_list_images_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"folder not found: .*gone"):
        list_images(tmp_path / "gone")


def test_list_images_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(b"")
    with pytest.raises(SrkitError, match=r"not a folder: .*x\.png"):
        list_images(path)


def test_list_images_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match=r"no images in " + _file_pattern(tmp_path)):
        list_images(tmp_path)


def test_list_images_only_text(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(SrkitError, match=r"no images in " + _file_pattern(tmp_path)):
        list_images(tmp_path)
