"""Deep Image Prior: the official Lanczos downsampler, the skip network, the fit (shapes, dtypes, seeds, loss,
early stop, time limit, refusals) and ``srkit dip`` end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from srkit import SrkitError
from srkit.cli.main import main as _main
from srkit.unsupervised import DIPConfig, dip
from srkit.unsupervised.dip import SkipNet, lanczos2_downsample, lanczos2_kernel

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = DIPConfig(levels=2, n_feats=8, skip_channels=2, input_channels=4)


def _official_kernel(factor: int) -> np.ndarray:
    """``get_kernel(factor, 'lanczos', 0.5, 4 * factor + 1, support=2)`` of the official ``models/downsampler.py``,
    written out as its loops are (1-based indices, the centre between two taps)."""
    width, support = 4 * factor + 1, 2
    center = (width + 1) / 2
    kernel = np.zeros((width - 1, width - 1))
    for i in range(1, width):
        for j in range(1, width):
            value = 1.0
            for d in (abs(i + 0.5 - center) / factor, abs(j + 0.5 - center) / factor):
                value *= support * np.sin(np.pi * d) * np.sin(np.pi * d / support) / (np.pi * np.pi * d * d)
            kernel[i - 1, j - 1] = value
    return kernel / kernel.sum()


def _lr(h: int = 16, w: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h // 4, w // 4, 3), dtype=np.uint8)
    return np.kron(base, np.ones((4, 4, 1), dtype=np.uint8))


@pytest.mark.parametrize("scale", [1, 2, 3, 4, 8])
def test_the_kernel_is_the_official_lanczos2(scale: int) -> None:
    k = lanczos2_kernel(scale)
    assert k.shape == (4 * scale, 4 * scale) and k.dtype == torch.float64
    np.testing.assert_allclose(k.numpy(), _official_kernel(scale), rtol=0, atol=1e-15)


def test_kernel_values_of_a_known_case() -> None:
    k2 = lanczos2_kernel(2).numpy()  # taps at 1.75, 1.25, 0.75, 0.25 LR pixels from the centre
    assert k2[3, 3] == pytest.approx(0.188619331825927, abs=1e-14)
    assert k2[0, 0] == pytest.approx(7.85586554876833e-05, abs=1e-16)
    assert k2[3, 0] == pytest.approx(-0.00384937411889648, abs=1e-16)
    assert lanczos2_kernel(4)[7, 7].item() == pytest.approx(0.0574614189918424, abs=1e-15)
    assert float(lanczos2_kernel(8).sum()) == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("scale", [2, 4, 8])
def test_the_downsampler_maps_hr_to_lr_as_the_official_module(scale: int) -> None:
    x = torch.rand(1, 3, 5 * scale, 3 * scale, dtype=torch.float64)
    y = lanczos2_downsample(x, scale)
    assert y.shape == (1, 3, 5, 3)
    # the official Downsampler(preserve_size=True): ReplicationPad2d((4s - s) / 2), then a dense conv, stride s
    weight = torch.zeros(3, 3, 4 * scale, 4 * scale, dtype=torch.float64)
    for c in range(3):
        weight[c, c] = torch.from_numpy(_official_kernel(scale))
    reference = F.conv2d(F.pad(x, (3 * scale // 2,) * 4, mode="replicate"), weight, stride=scale)
    torch.testing.assert_close(y, reference, rtol=0, atol=1e-13)
    flat = torch.full((1, 3, 4 * scale, 4 * scale), 0.3, dtype=torch.float64)
    torch.testing.assert_close(lanczos2_downsample(flat, scale), torch.full((1, 3, 4, 4), 0.3, dtype=torch.float64))


def test_the_downsampler_refuses_odd_scales_and_ragged_sizes() -> None:
    with pytest.raises(SrkitError, match="even scale"):
        lanczos2_downsample(torch.rand(1, 3, 9, 9), 3)
    with pytest.raises(SrkitError, match="multiples of 4"):
        lanczos2_downsample(torch.rand(1, 3, 10, 12), 4)


def test_the_skip_network_has_the_official_size_and_keeps_any_size() -> None:
    net = SkipNet()

    # official skip(32, 3, [128] * 5, [128] * 5, [4] * 5): level 0 reads 32 channels, levels 1-4 read 128
    def level(cin: int) -> int:
        skip = cin * 4 + 4 + 8
        down = (9 * cin * 128 + 128) + 256 + (9 * 128 * 128 + 128) + 256
        merge = 2 * 132 + (9 * 132 * 128 + 128) + 256 + (128 * 128 + 128) + 256
        return skip + down + merge

    assert sum(p.numel() for p in net.parameters()) == level(32) + 4 * level(128) + (128 * 3 + 3) == 2_217_831
    small = SkipNet(levels=2, n_feats=8)
    for h, w in [(5, 5), (9, 10), (13, 7)]:
        out = small(torch.rand(1, 32, h, w))
        assert out.shape == (1, 3, h, w) and out.min() > 0 and out.max() < 1


def test_dip_returns_the_input_layout_at_the_scale() -> None:
    out = dip(_lr(), 4, steps=2, progress=False, config=TINY)
    assert out.image.shape == (64, 64, 3) and out.image.dtype == np.uint8
    assert out.log.steps == 2 and len(out.log.losses) == 2 and out.log.stopped == "steps"
    assert out.info["scale"] == 4 and out.info["reg_noise_std"] == pytest.approx(1 / 30)
    assert out.info["lr"] == 0.01 and out.info["fit_psnr"] > 0 and "early_stop" not in out.info
    gray = dip(_lr()[..., 0].astype(np.uint16) * 257, 2, steps=1, progress=False, config=TINY)
    assert gray.image.shape == (32, 32) and gray.image.dtype == np.uint16
    assert dip(_lr(8, 8), 8, steps=1, progress=False, config=TINY).info["reg_noise_std"] == pytest.approx(1 / 20)


def test_the_same_seed_gives_the_same_image() -> None:
    a = dip(_lr(), 2, steps=3, seed=5, progress=False, config=TINY)
    b = dip(_lr(), 2, steps=3, seed=5, progress=False, config=TINY)
    c = dip(_lr(), 2, steps=3, seed=6, progress=False, config=TINY)
    assert np.array_equal(a.image, b.image) and a.log.losses == b.log.losses
    assert not np.array_equal(a.image, c.image)


def test_the_loss_decreases() -> None:
    losses = dip(_lr(), 4, steps=40, progress=False, config=DIPConfig(levels=3, n_feats=16)).log.losses
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])


def test_early_stop_keeps_the_output_at_the_lowest_variance() -> None:
    config = DIPConfig(levels=2, n_feats=8, es_patience=3, es_burn_in=2, lr=0.2)
    out = dip(_lr(), 2, steps=200, progress=False, early_stop=True, config=config)
    stop = out.info["early_stop"]
    assert out.log.stopped == "converged" and stop["stopped"]
    assert 3 <= stop["picked_step"] <= out.log.steps - 3 and out.image.shape == (32, 32, 3)


def test_max_time_ends_the_run() -> None:
    out = dip(_lr(), 2, steps=100_000, max_time=0.3, progress=False, config=TINY)
    assert out.log.stopped == "time" and out.log.steps < 100_000 and out.image.shape == (32, 32, 3)


@pytest.mark.parametrize(
    ("image", "scale", "kwargs", "match"),
    [
        (_lr(), 3, {}, "DIP supports scales 2, 4, 8, got 3"),
        (_lr(8, 8), 4, {}, r"8x8 pixels: too small \(at least 9x9\)"),
        (np.zeros((16, 16, 4), np.uint8), 4, {}, "alpha"),
        (_lr(), 4, {"steps": 0}, "steps must be an integer >= 1"),
        (_lr(), 4, {"device": "tpu"}, "device"),
    ],
)
def test_refusals(image: np.ndarray, scale: int, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        dip(image, scale, progress=False, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"levels": 0}, "levels"),
        ({"lr": 0.0}, "lr"),
        ({"es_alpha": 1.0}, "es_alpha"),
        ({"upsample": "cubic"}, "upsample"),
    ],
)
def test_bad_configs(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        DIPConfig(**kwargs)  # type: ignore[arg-type]


# --- srkit dip -----------------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def test_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "photo.png"
    Image.fromarray(_lr(12, 12)).save(src)
    assert main(["dip", str(src), "--steps", "2", "--seed", "1", "--no-progress"]) == 0
    out = tmp_path / "photo_dip_x4.png"
    assert Image.open(out).size == (48, 48)
    assert "2 steps" in capsys.readouterr().out
    assert main(["dip", str(src), "--steps", "1", "--no-progress"]) == 1  # exists
    assert "--overwrite" in capsys.readouterr().err
    gray = tmp_path / "gray.png"
    Image.fromarray(_lr(20, 20)[..., 0]).save(gray)
    dst = tmp_path / "big.tif"
    assert main(["dip", str(gray), "--scale", "2", "-o", str(dst), "--max-time", "0.01", "--no-progress"]) == 0
    assert Image.open(dst).mode == "L" and Image.open(dst).size == (40, 40)
    assert "time limit" in capsys.readouterr().out


def test_cli_refusals_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "photo.png"
    Image.fromarray(_lr(12, 12)).save(src)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    Image.fromarray(np.zeros((12, 12, 4), np.uint8)).save(tmp_path / "alpha.png")
    cases = [
        (["dip", str(src), "--scale", "3"], 2, "invalid choice: 3"),
        (["dip", str(src), "--steps", "0"], 2, "integer >= 1"),
        (["dip", str(src), "--max-time", "-1"], 2, "seconds > 0"),
        (["dip", str(tmp_path / "missing.png")], 1, "image not found"),
        (["dip", str(tmp_path / "bad.png")], 1, "cannot read image"),
        (["dip", str(tmp_path / "alpha.png")], 1, "alpha"),
        (["dip", str(src), "--scale", "2"], 1, "photo.png: image is 12x12 pixels: too small (at least 17x17)"),
        (["dip", str(src), "-o", str(src)], 1, "would replace the input"),
        (["dip", str(src), "-o", str(tmp_path / "x.gif")], 1, "unsupported output format"),
    ]
    for argv, code, message in cases:
        assert main([*argv, "--no-progress"]) == code, argv
        err = capsys.readouterr().err
        assert err.startswith("srkit: error:") and message in err and err.count("\n") == 1, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alpha.png", "bad.png", "photo.png"]
