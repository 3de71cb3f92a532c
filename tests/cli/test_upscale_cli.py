"""``srkit upscale``: inputs (files, folders, globs), outputs, formats, metadata, errors, summary and exit codes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

import srkit
from srkit.cli.main import main as _main


def main(argv: list[str]) -> int:
    """The exit code, also for argparse's exits (SystemExit)."""
    try:
        return _main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def _photo(path: Path, size: tuple[int, int] = (20, 16), mode: str = "RGB", **save: object) -> Path:
    rng = np.random.default_rng(len(str(path)))
    base = rng.integers(0, 256, (size[1] // 4 + 1, size[0] // 4 + 1, 4), dtype=np.uint8)
    pixels = np.kron(base, np.ones((4, 4, 1), dtype=np.uint8))[: size[1], : size[0]]
    Image.fromarray(pixels, "RGBA").convert(mode).save(path, **save)
    return path


def test_one_file_default_output_beside_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photo(tmp_path / "photo.png")
    assert main(["upscale", str(src), "--model", "srkit_fast", "--no-progress"]) == 0
    out = tmp_path / "photo_x4.png"
    assert Image.open(out).size == (80, 64)
    text = capsys.readouterr().out
    assert "upscaled 1 image x4 with srkit_fast" in text and "MP in" in text


def test_folder_and_glob_into_an_output_folder(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    _photo(inputs / "a.png")
    _photo(inputs / "b.jpg", mode="RGB")
    _photo(tmp_path / "c.webp")
    out = tmp_path / "out"
    code = main(
        ["upscale", str(inputs), str(tmp_path / "*.webp"), "-o", str(out), "--scale", "2", "--model", "srkit_fast"]
    )
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.jpg", "c.webp"]
    assert Image.open(out / "b.jpg").size == (40, 32)


@pytest.mark.parametrize(("mode", "suffix"), [("L", ".png"), ("LA", ".png"), ("RGBA", ".png"), ("RGBA", ".webp")])
def test_modes_are_kept(tmp_path: Path, mode: str, suffix: str) -> None:
    src = _photo(tmp_path / f"x{suffix}", mode=mode)
    dst = tmp_path / f"y{suffix}"
    assert main(["upscale", str(src), "-o", str(dst), "--scale", "3", "--model", "srkit_fast"]) == 0
    img = Image.open(dst)
    assert img.mode == mode and img.size == (60, 48)


def test_sixteen_bit_png_stays_sixteen_bit(tmp_path: Path) -> None:
    import png

    rng = np.random.default_rng(0)
    rows = (np.kron(rng.integers(0, 65536, (5, 6, 3)), np.ones((4, 4, 1))).astype(np.uint16))[:18, :22]
    src = tmp_path / "deep.png"
    png.from_array(rows.reshape(18, -1), "RGB;16").save(str(src))
    dst = tmp_path / "deep_x2.png"
    assert main(["upscale", str(src), "--scale", "2", "--model", "srkit_fast"]) == 0
    reader = png.Reader(filename=str(dst))
    width, height, _, info = reader.read()
    assert (width, height, info["bitdepth"], info["planes"]) == (44, 36, 16, 3)


def test_icc_profile_and_exif_orientation(tmp_path: Path) -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    src = _photo(tmp_path / "cam.jpg", size=(24, 16), icc_profile=icc, exif=exif.tobytes())
    dst = tmp_path / "big.jpg"
    assert main(["upscale", str(src), "-o", str(dst), "--scale", "2", "--model", "srkit_fast"]) == 0
    img = Image.open(dst)
    assert img.size == (32, 48)  # displayed orientation: portrait
    assert img.info.get("icc_profile") == icc
    assert img.getexif().get(0x0112, 1) == 1


def test_arbitrary_scale_and_format(tmp_path: Path) -> None:
    src = _photo(tmp_path / "p.png", size=(21, 30))
    assert main(["upscale", str(src), "--scale", "2.5", "--format", "tif", "--model", "srkit_fast"]) == 0
    assert Image.open(tmp_path / "p_x2.5.tif").size == (52, 75)


def test_existing_output_needs_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photo(tmp_path / "p.png")
    (tmp_path / "p_x4.png").write_bytes(b"keep me")
    assert main(["upscale", str(src), "--model", "srkit_fast"]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "p_x4.png").read_bytes() == b"keep me"
    assert main(["upscale", str(src), "--model", "srkit_fast", "--overwrite"]) == 0
    assert Image.open(tmp_path / "p_x4.png").size == (80, 64)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.png"], "input not found"),
        (["*.nothing"], "no image matches"),
        (["{src}", "--scale", "1"], "greater than 1"),
        (["{src}", "--tile", "big"], "--tile"),
        (["{src}", "--model", "no_such_model"], "no_such_model"),
        (["{src}", "--device", "cuda"], "cuda"),
        (["{src}", "-o", "{src}"], "replace an input"),
    ],
)
def test_user_mistakes_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    import torch

    if "cuda" in args and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    src = _photo(tmp_path / "p.png")
    argv = ["upscale", *(a.replace("{src}", str(src)) for a in args)]
    code = main([a if a != "missing.png" else str(tmp_path / a) for a in argv])
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_corrupt_input_is_reported_and_the_rest_done(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _photo(tmp_path / "good.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "*.png"), "-o", str(out), "--model", "srkit_fast", "--scale", "2"]) == 1
    captured = capsys.readouterr()
    assert "bad.png" in captured.err and "1 failed" in captured.out
    assert [p.name for p in out.iterdir()] == ["good.png"]


def test_decompression_bomb_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photo(tmp_path / "p.png", size=(40, 40))
    assert main(["upscale", str(src), "--max-pixels", "1000", "--model", "srkit_fast"]) == 1
    assert "too large" in capsys.readouterr().err
    assert not (tmp_path / "p_x4.png").exists()


def test_tiled_output_equals_untiled_within_one_level(tmp_path: Path) -> None:
    src = _photo(tmp_path / "p.png", size=(190, 150))
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["upscale", str(src), "-o", str(a), "--tile", "none", "--scale", "2", "--model", "srkit_fast"]) == 0
    assert main(["upscale", str(src), "-o", str(b), "--tile", "80", "--scale", "2", "--model", "srkit_fast"]) == 0
    diff = np.abs(np.asarray(Image.open(a)).astype(int) - np.asarray(Image.open(b)).astype(int))
    assert diff.max() <= 1


def test_a_folder_or_file_named_like_a_shipped_model_does_not_shadow_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "srkit").mkdir()  # what `git clone ... srkit` leaves
    (tmp_path / "srkit_fast").write_bytes(b"not a checkpoint")
    _photo(tmp_path / "x.png")
    assert main(["upscale", "x.png", "--no-progress"]) == 0  # the default model, srkit
    assert "with srkit (" in capsys.readouterr().out
    assert main(["upscale", "x.png", "--model", "srkit_fast", "--scale", "2", "--no-progress"]) == 0
    assert "with srkit_fast (" in capsys.readouterr().out
    assert Image.open(tmp_path / "x_x2.png").size == (40, 32)
    assert main(["upscale", "x.png", "--model", "./srkit", "--overwrite"]) == 1  # a path: the folder
    assert "is a folder, not a checkpoint" in capsys.readouterr().err
    assert main(["upscale", "x.png", "--model", "./srkit_fast", "--overwrite"]) == 1  # a path: the file
    assert "srkit_fast" in capsys.readouterr().err


@pytest.mark.parametrize("errno_", [30, 13])  # EROFS, EACCES
def test_an_output_folder_that_cannot_be_created_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], errno_: int
) -> None:
    import os

    src = _photo(tmp_path / "p.png")

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno_, os.strerror(errno_), str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["upscale", str(src), "-o", str(tmp_path / "ro" / "out"), "--model", "srkit_fast"]) == 1
    err = capsys.readouterr().err
    assert "cannot create the output folder" in err and os.strerror(errno_) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_output_folder_in_a_read_only_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    src = _photo(tmp_path / "p.png")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["upscale", str(src), "-o", str(locked / "out"), "--model", "srkit_fast"]) == 1
    finally:
        locked.chmod(0o755)
    err = capsys.readouterr().err
    assert "cannot create the output folder" in err and len(err.strip().splitlines()) == 1


def test_a_tile_too_small_for_its_overlap_is_refused_with_the_cost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _photo(tmp_path / "p.png")
    assert main(["upscale", str(src), "--tile", "64"]) == 1  # srkit: overlap 46, 144 tiles of a 256x256 input
    err = capsys.readouterr().err
    assert "tile 64 is too small for 'srkit'" in err and "about 13x over" in err and "at least 184" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "p_x4.png").exists()
    assert main(["upscale", str(src), "--tile", "64", "--model", "srkit_fast"]) == 1
    assert "at least 80" in capsys.readouterr().err
    assert main(["upscale", str(src), "--tile", "64", "--overlap", "16", "--model", "srkit_fast"]) == 0


@pytest.mark.parametrize("none", ["0", "none"])
def test_tile_zero_means_none_as_in_the_api(tmp_path: Path, none: str) -> None:
    src = _photo(tmp_path / "p.png", size=(40, 30))
    out = tmp_path / f"{none}.png"
    assert main(["upscale", str(src), "-o", str(out), "--tile", none, "--scale", "2", "--model", "srkit_fast"]) == 0
    import srkit

    want = srkit.upscale(np.asarray(Image.open(src)), 2, "srkit_fast", tile=0)
    np.testing.assert_array_equal(np.asarray(Image.open(out)), want)


def test_progress_is_plain_lines_in_logs_and_a_bar_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import srkit._core.progress as progress

    src = _photo(tmp_path / "p.png", size=(200, 90))
    argv = ["upscale", str(src), "--scale", "2", "--model", "srkit_fast", "--tile", "80", "--overwrite"]
    monkeypatch.setitem(progress.Progress.__init__.__kwdefaults__, "interval", 0.0)  # a line per tile
    assert main(argv) == 0
    err = capsys.readouterr().err  # captured: not a terminal
    assert "\r" not in err and "tile/s" not in err and "0tile" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("p.png: ") and "/6 tiles" in line for line in lines), err  # 3 x 2 tiles
    for quiet in ("--no-progress", "-q"):
        assert main([*argv, quiet]) == 0
        assert capsys.readouterr().err == ""
    monkeypatch.setattr(progress, "is_terminal", lambda stream=None: True)
    assert main(argv) == 0
    assert "tile" in capsys.readouterr().err  # tqdm's bar


def test_the_bf16_cost_is_the_same_measured_figure_in_help_readme_and_docs(capsys: pytest.CaptureFixture[str]) -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    main(["upscale", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    figure = "within 0.003 dB of fp32, single images within 0.01 dB"
    assert figure in help_text
    for doc in ("README.md", "docs/upscaling.md", "docs/performance.md"):
        text = " ".join((root / doc).read_text(encoding="utf-8").split())
        assert figure in text, doc
        assert not re.search(r"at most 0\.0\d+ dB below fp32|<= 0\.0\d+ dB", text), doc


def test_noise_level_for_the_dpsr_prior(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = _photo(tmp_path / "noisy.png")
    clean, noisy = tmp_path / "clean.png", tmp_path / "denoised.png"
    assert main(["upscale", str(src), "-o", str(clean), "--scale", "2", "--model", "srkit_prior", "--no-progress"]) == 0
    args = ["upscale", str(src), "-o", str(noisy), "--scale", "2", "--model", "srkit_prior", "--noise", "25"]
    assert main([*args, "--no-progress"]) == 0
    a, b = np.asarray(Image.open(clean), np.float64), np.asarray(Image.open(noisy), np.float64)
    assert a.shape == b.shape == (32, 40, 3) and np.abs(a - b).mean() > 0.5  # the map changes the output
    capsys.readouterr()
    refused = ["upscale", str(src), "-o", str(tmp_path / "x.png"), "--model", "srkit_fast", "--noise", "5"]
    assert main(refused) == 1
    assert "--noise is for models that take a noise-level map (srkit_prior), not srkit_fast" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_help_says_which_model_suits_which_photo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["upscale", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for name in srkit.shipped_models():
        if name.startswith("srkit_hsi"):  # not image models: named as srkit hsi's
            assert f"{name}: " not in text and "srkit_hsi_* are hyperspectral networks: srkit hsi" in text
        else:
            assert f"{name}: " in text, name
    assert "srkit_real: real photos" in text and "srkit_real_gan: real photos" in text
