"""ZSSR: output kept in the caller's dtype and layout, seeds, sons made by the kernel, the learning-rate policy,
self-ensemble, back-projection, the estimated kernel, gradual scales, the time limit, and ``srkit zssr``."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from srkit import SrkitError
from srkit.cli.main import main as _main
from srkit.degradations import div2krk_kernel, kernel_downscale, sample_div2krk_kernel
from srkit.functional.resize import imresize
from srkit.inference import native_bf16
from srkit.unsupervised import ZSSRConfig, kernelgan, zssr
from srkit.unsupervised.zssr import (
    ZSSRNet,
    _Run,
    aligned_kernel,
    back_projection,
    downscale,
    lr_should_drop,
    self_ensemble,
)

pytestmark = pytest.mark.usefixtures("one_thread")

# a handful of steps, short policy clocks and 2 back-projections keep every run here well under a second
TINY = ZSSRConfig(max_iters=4, test_every=2, check_every=2, min_iters=0, crop_size=16, back_projection=2)


def replace_cfg(**changes: Any) -> ZSSRConfig:
    return ZSSRConfig(**{**TINY.__dict__, **changes})


def _image(shape: tuple[int, ...] = (24, 24, 3), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (shape[0] // 3, shape[1] // 3, *shape[2:]), dtype=np.uint8)
    reps = (3, 3, 1) if len(shape) == 3 else (3, 3)
    return np.kron(base, np.ones(reps, dtype=np.uint8))


def _tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None]


def test_shape_dtype_and_layout_are_kept() -> None:
    gray = zssr(_image((24, 24)), 2, config=TINY, progress=False)
    assert gray.image.shape == (48, 48) and gray.image.dtype == np.uint8
    rgb = zssr(_image((21, 24, 3)).astype(np.float32) / 255, 2, config=TINY, progress=False)
    assert rgb.image.shape == (42, 48, 3) and rgb.image.dtype == np.float32
    assert rgb.info["scales"] == [(2.0, 2.0)] and rgb.info["transforms"] == tuple(range(8))
    odd = zssr(_image((24, 24)), 2.5, config=TINY, progress=False)  # fractional scales: ceil(24 * 2.5)
    assert odd.image.shape == (60, 60)


def test_the_same_seed_gives_the_same_image() -> None:
    img = _image()
    a, b = (zssr(img, 2, config=TINY, seed=3, progress=False).image for _ in range(2))
    c = zssr(img, 2, config=TINY, seed=4, progress=False).image
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_network_is_the_papers() -> None:
    net = ZSSRNet()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 8 and all(c.bias is None and c.kernel_size == (3, 3) for c in convs)
    assert [c.out_channels for c in convs] == [64] * 7 + [3]
    x = torch.rand(1, 3, 10, 10)
    with torch.no_grad():
        for c in convs:
            c.weight.zero_()
    assert torch.equal(net(x), x)  # the residual over the interpolated input


def test_bicubic_sons_are_matlab_imresize_of_their_fathers() -> None:
    cfg = replace_cfg(crop_size=16, batch_size=3, min_father_scale=0.7)  # fathers of 24 .. 17 pixels
    run = _Run(_tensor(_image()), 2.0, None, cfg, 0, "cpu")
    lr_in, father = run.sample_pairs()
    assert father.shape == (3, 3, 16, 16) and lr_in.shape == father.shape
    son = imresize(father, 0.5)
    assert torch.allclose(run.son(father), son)
    assert torch.allclose(lr_in, imresize(son, 2.0))
    # the fathers: the input downscaled by 1, 0.95, .., 0.7
    assert [f.shape[-1] for f in run.fathers] == [24, 23, 22, 21, 20, 18, 17]  # ceil(24 * u)
    assert abs(float(run.father_probs.sum()) - 1) < 1e-12
    assert run.father_probs[0] == run.father_probs.max()  # the larger, the likelier


def test_kernel_sons_follow_srkits_kernel_convention() -> None:
    x = torch.rand(1, 3, 12, 12, dtype=torch.float64)
    box2 = downscale(x, 2, aligned_kernel(np.ones((2, 2)), 2).double())
    assert torch.allclose(box2, torch.nn.functional.avg_pool2d(x, 2))  # the mean of each 2x2 block
    box3 = downscale(x, 3, aligned_kernel(np.ones((3, 3)), 3).double())
    assert torch.allclose(box3, torch.nn.functional.avg_pool2d(x, 3))
    for scale in (2, 4):  # a DIV2KRK kernel: the same numbers as the blind benchmark's LR images
        k = div2krk_kernel(sample_div2krk_kernel(torch.Generator().manual_seed(scale), scale=scale))
        img = np.random.default_rng(scale).random((20, 18, 3))
        ours = downscale(torch.from_numpy(img).permute(2, 0, 1)[None], scale, aligned_kernel(k, scale).double())
        assert np.allclose(ours[0].permute(1, 2, 0).numpy(), kernel_downscale(img, k, scale), atol=1e-6)


def test_a_given_kernel_makes_the_training_sons() -> None:
    k = div2krk_kernel(sample_div2krk_kernel(torch.Generator().manual_seed(0), scale=2))
    run = _Run(_tensor(_image()), 2.0, k, TINY, 0, "cpu")
    assert run.transforms == (0,)  # a skewed kernel keeps no rotation or flip (the official code keeps none)
    _, father = run.sample_pairs()
    son = kernel_downscale(father[0].permute(1, 2, 0).double().numpy(), k, 2)
    assert np.allclose(run.son(father)[0].permute(1, 2, 0).numpy(), son, atol=1e-6)
    out = zssr(_image(), 2, kernel=k, config=TINY, progress=False)
    assert out.info["back_projection"] == [2] and np.array_equal(out.info["kernel"], k / k.sum())


def test_noise_is_added_to_sons_only_when_asked() -> None:
    x = _tensor(_image())
    father = x[..., :16, :16]
    quiet = _Run(x, 2.0, None, TINY, 0, "cpu").son(father)
    noisy = _Run(x, 2.0, None, replace_cfg(noise_std=0.05), 0, "cpu").son(father)
    assert 0.02 < float((noisy - quiet).std()) < 0.06


def test_lr_policy_divides_on_a_flat_curve_and_keeps_a_falling_one() -> None:
    steps = [0, 50, 100, 150, 200]
    rng = np.random.default_rng(0)
    assert lr_should_drop(steps, 0.01 + 1e-4 * rng.standard_normal(5))
    assert lr_should_drop(steps, [0.01] * 5)
    assert lr_should_drop(steps, [0.01, 0.011, 0.012, 0.013, 0.014])  # rising
    assert not lr_should_drop(steps, [0.02, 0.018, 0.0161, 0.0139, 0.012])


def test_a_flat_error_curve_divides_the_rate_until_training_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    def flat(self: _Run) -> None:
        assert self.stage.test_steps is not None and self.stage.test_errors is not None
        self.stage.test_steps.append(self.stage.iters)
        self.stage.test_errors.append(0.01)

    monkeypatch.setattr(_Run, "_reconstruction_test", flat)
    cfg = replace_cfg(max_iters=100, test_every=1, check_every=2, min_iters=0, slope_points=3)
    out = zssr(_image(), 2, config=cfg, progress=False)
    stage = out.info["stages"][0]
    assert stage["lr_changes"] == [3, 5, 7] and stage["ended"] == "learning rate"  # 1e-3 -> 1e-6 < 9e-6
    assert out.log.steps == 8 and out.log.stopped == "converged"


def test_self_ensemble_of_the_identity_is_the_identity() -> None:
    x = torch.rand(1, 3, 5, 7)
    assert torch.equal(self_ensemble(lambda t: t, x, tuple(range(8))), x)
    assert torch.equal(self_ensemble(lambda t: t, x, (0, 2, 4, 6), refine=lambda t: t), x)
    # the median of 8 is the mean of the middle two, as numpy's
    outs = iter([torch.full((1, 1, 2, 2), float(v)) for v in (0, 1, 2, 3, 4, 5, 6, 70)])
    median = self_ensemble(lambda t: next(outs), torch.zeros(1, 1, 2, 2), tuple(range(8)))
    assert torch.equal(median, torch.full((1, 1, 2, 2), 3.5))


@pytest.mark.parametrize("kernel", [None, "box"])
def test_back_projection_reduces_the_lr_inconsistency(kernel: str | None) -> None:
    k = None if kernel is None else aligned_kernel(np.ones((2, 2)), 2)
    gen = torch.Generator().manual_seed(0)
    hr = torch.rand(1, 3, 16, 16, generator=gen)
    lr = downscale(hr, 2, k)
    sr = (imresize(lr, 2.0) + 0.1 * torch.rand(1, 3, 16, 16, generator=gen)).clamp(0, 1)

    def gap(y: torch.Tensor) -> float:
        return float((downscale(y, 2, k) - lr).abs().mean())

    before, one, ten = gap(sr), gap(back_projection(sr, lr, 2, 1, k)), gap(back_projection(sr, lr, 2, 10, k))
    assert ten < one < before and ten < 0.3 * before


def test_estimate_asks_kernelgan(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    found = np.outer([1, 2, 1], [1, 2, 1]).astype(float)

    def estimate_kernel(image: np.ndarray, scale: int, **options: Any) -> Any:
        calls.append((image.shape, scale, options))
        return types.SimpleNamespace(kernel=found)

    monkeypatch.setattr(kernelgan, "estimate_kernel", estimate_kernel)
    out = zssr(_image(), 2, kernel="estimate", config=TINY, seed=5, progress=False)
    assert calls == [((24, 24, 3), 2, {"seed": 5, "progress": False, "device": "cpu"})]
    assert np.allclose(out.info["kernel"], found / 16) and out.info["transforms"] == tuple(range(8))
    with pytest.raises(SrkitError, match="whole number"):
        zssr(_image(), 2.5, kernel="estimate", config=TINY, progress=False)
    assert len(calls) == 1


def test_gradual_scales_and_the_time_limit() -> None:
    x4 = zssr(_image(), 4, config=TINY, progress=False)
    assert x4.image.shape == (96, 96, 3) and x4.info["scales"] == [(2.0, 2.0), (4.0, 4.0)]
    assert x4.log.steps == 8 and [st["steps"] for st in x4.info["stages"]] == [4, 4]
    official = ZSSRConfig.gradual_x2()
    g = zssr(_image(), 2, config=replace_cfg(gradual=official.gradual, max_iters=2), progress=False)
    assert g.image.shape == (48, 48, 3) and g.info["scales"][:2] == [(1.0, 1.5), (1.5, 1.0)]
    assert len(g.info["scales"]) == 6 and official.back_projection == (6, 6, 8, 10, 10, 12)
    timed = zssr(_image(), 4, config=replace_cfg(max_iters=10_000), max_time=0.2, progress=False)
    assert timed.log.stopped == "time" and timed.image.shape == (96, 96, 3)
    assert timed.info["stages"][-1]["ended"] == "time"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 1.2}, "at least 1.5"),
        ({"scale": 2.5, "kernel": np.ones((3, 3))}, "whole number"),
        ({"kernel": "gaussian"}, "'bicubic', 'estimate' or a 2-D array"),
        ({"kernel": -np.ones((3, 3))}, "negative"),
        ({"kernel": np.ones((3, 3, 3))}, "2-D"),
        ({"fast": True, "config": TINY}, "not both"),
        ({"image": np.zeros((24, 24, 4), np.uint8)}, "alpha"),
        ({"image": np.zeros((5, 24), np.uint8)}, "too small"),
        ({"steps": 0}, "steps"),
    ],
)
def test_refusals(kwargs: dict[str, Any], message: str) -> None:
    args = {"image": _image(), "scale": 2, "config": TINY, "progress": False, **kwargs}
    image, scale = args.pop("image"), args.pop("scale")
    with pytest.raises(SrkitError, match=message):
        zssr(image, scale, **args)


def test_fast_preset() -> None:
    """The paper's schedule and policy clock on 64 x 64 crops, with bf16 autocast only where it is native."""
    fast, paper = ZSSRConfig.fast(), ZSSRConfig.paper()
    assert (fast.crop_size, fast.channels_last, fast.test_crop, fast.bf16) == (64, True, 128, native_bf16())
    clock = ("max_iters", "min_iters", "check_every", "test_every", "slope_points", "learning_rate", "batch_size")
    assert [getattr(fast, k) for k in clock] == [getattr(paper, k) for k in clock]
    assert ZSSRConfig.fast(bf16=False).bf16 is False and ZSSRConfig.fast(bf16=True).bf16 is True
    assert ZSSRConfig.fast(device="cuda").bf16 is torch.cuda.is_bf16_supported()
    out = zssr(_image(), 2, fast=True, steps=2, progress=False)
    assert out.image.shape == (48, 48, 3) and out.info["config"].crop_size == 64


def test_speed_options_keep_the_result() -> None:
    img = _image((24, 24, 3)).astype(np.float32) / 255
    plain = zssr(img, 2, config=TINY, progress=False).image
    cl = zssr(img, 2, config=replace_cfg(channels_last=True), progress=False).image
    assert np.abs(plain - cl).max() < 1e-4  # channels-last inference: the same numbers, in another layout
    run = _Run(_tensor(_image((30, 24, 3))), 2.0, None, replace_cfg(test_crop=16), 0, "cpu")
    assert run.test_input.shape == (1, 3, 16, 16)  # the reconstruction error on the central 16 x 16


# --- srkit zssr -----------------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    try:
        return _main(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def test_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "photo.png"
    Image.fromarray(_image()).save(src)
    argv = ["zssr", str(src), "--scale", "2", "--steps", "2", "--no-progress"]
    assert main(argv) == 0
    out = tmp_path / "photo_zssr_x2.png"
    assert Image.open(out).size == (48, 48)
    assert "photo_zssr_x2.png (24x24 -> 48x48): 2 steps (x2, kernel bicubic)" in capsys.readouterr().out
    assert main(argv) == 1 and "--overwrite" in capsys.readouterr().err  # the output exists
    kernel = tmp_path / "k.npy"
    np.save(kernel, np.ones((2, 2)))
    gray = tmp_path / "g.png"
    Image.fromarray(_image((24, 24))).save(gray)
    argv = ["zssr", str(gray), "--kernel", str(kernel), "-o", str(tmp_path / "g2.tif"), "--steps", "1", "--fast"]
    assert main([*argv, "--no-progress"]) == 0
    assert Image.open(tmp_path / "g2.tif").mode == "L" and Image.open(tmp_path / "g2.tif").size == (48, 48)


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--scale", "1.2"], 2, "--scale takes a number >= 1.5"),
        (["--scale", "2.5", "--kernel", "K3"], 1, "whole number"),
        (["--kernel", "BAD"], 1, "a kernel is a 2-D array"),
        (["--kernel", "NEG"], 1, "negative"),
        (["--kernel", "missing.npy"], 1, "kernel file not found"),
        (["-o", "IN"], 1, "would replace the input"),
        (["--steps", "0"], 2, "integer >= 1"),
        (["--max-time", "-1"], 2, "seconds > 0"),
    ],
)
def test_cli_refusals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], code: int, message: str
) -> None:
    src = tmp_path / "in.png"
    Image.fromarray(_image()).save(src)
    np.save(tmp_path / "bad.npy", np.ones((3, 3, 3)))
    np.save(tmp_path / "neg.npy", -np.ones((3, 3)))
    np.save(tmp_path / "k3.npy", np.ones((3, 3)))
    names = {"BAD": "bad.npy", "NEG": "neg.npy", "K3": "k3.npy", "IN": "in.png"}
    extra = [str(tmp_path / names[e]) if e in names else e for e in extra]
    assert main(["zssr", str(src), "--steps", "1", "--no-progress", *extra]) == code
    err = capsys.readouterr().err
    assert err.startswith("srkit: error:") and message in err and err.count("\n") == 1
    assert not (tmp_path / "in_zssr_x2.png").exists()


def test_cli_refuses_unreadable_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert main(["zssr", str(bad), "--no-progress"]) == 1
    assert "cannot read image" in capsys.readouterr().err
    rgba = tmp_path / "a.png"
    Image.fromarray(np.zeros((24, 24, 4), np.uint8)).save(rgba)
    assert main(["zssr", str(rgba), "--steps", "1", "--no-progress"]) == 1
    assert "alpha" in capsys.readouterr().err
