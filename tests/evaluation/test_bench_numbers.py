"""The evaluation runner reproduces the published bicubic rows (EVALUATION.md) and scores images as specified."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import srkit
from srkit import BenchmarkPair, BenchmarkSet, Protocol, SetResult, SrkitError, evaluate, get_method
from srkit.evaluation import score

# Published "Bicubic" rows (first table of EVALUATION.md): (set, scale) -> (PSNR, SSIM)
PUBLISHED = {
    ("Set5", 2): (33.66, 0.9299),
    ("Set5", 3): (30.39, 0.8682),
    ("Set5", 4): (28.42, 0.8104),
    ("Set14", 2): (30.24, 0.8688),
    ("Set14", 3): (27.55, 0.7742),
    ("Set14", 4): (26.00, 0.7027),
}


@pytest.fixture(scope="module")
def bicubic_results(shared_data: Path) -> dict[tuple[str, int], SetResult]:
    """Bicubic on Set5 and Set14 at x2, x3, x4, computed once for the module (the slowest part of this file)."""
    bench = shared_data / "bench"
    sets = [BenchmarkSet(bench / "Set5"), BenchmarkSet(bench / "Set14")]
    results = evaluate(get_method("bicubic"), sets, [2, 3, 4], progress=False)
    return {(r.dataset, r.scale): r for r in results}


@pytest.mark.shared_data
def test_results_cover_every_set_and_scale(bicubic_results: dict[tuple[str, int], SetResult]) -> None:
    assert list(bicubic_results) == list(PUBLISHED)  # one result per (set, scale), in the order given
    assert [len(r.images) for r in bicubic_results.values()] == [5, 5, 5, 14, 14, 14]
    assert all(r.method == "bicubic" for r in bicubic_results.values())


@pytest.mark.shared_data
@pytest.mark.parametrize("key", list(PUBLISHED), ids=[f"{s}-x{n}" for s, n in PUBLISHED])
def test_published_bicubic_rows(bicubic_results: dict[tuple[str, int], SetResult], key: tuple[str, int]) -> None:
    psnr, ssim = PUBLISHED[key]
    result = bicubic_results[key]
    assert result.psnr == pytest.approx(psnr, abs=0.02)
    assert result.ssim == pytest.approx(ssim, abs=0.002)


@pytest.mark.shared_data
def test_y_round_gives_the_second_table(shared_data: Path) -> None:
    sets = [BenchmarkSet(shared_data / "bench" / "Set5")]
    (result,) = evaluate(get_method("bicubic"), sets, [4], Protocol(y_round=True), progress=False)
    assert result.psnr == pytest.approx(28.42, abs=0.01)
    assert result.ssim == pytest.approx(0.8101, abs=0.001)


@pytest.mark.shared_data
def test_matlab_lr_files_agree_with_lr_made_on_the_fly(
    shared_data: Path, bicubic_results: dict[tuple[str, int], SetResult]
) -> None:
    pairs = BenchmarkSet(shared_data / "bench" / "Set5_matlab_pairs" / "image_SRF_4")
    assert pairs.reads_lr_files
    (from_files,) = evaluate(get_method("bicubic"), [pairs], [4], progress=False)
    on_the_fly = bicubic_results[("Set5", 4)]
    assert len(from_files.images) == 5
    assert from_files.psnr == pytest.approx(on_the_fly.psnr, abs=0.02)
    assert from_files.ssim == pytest.approx(on_the_fly.ssim, abs=0.002)


# --- without the shared data: the bundled examples -------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_results() -> dict[str, SetResult]:
    sets = [BenchmarkSet(srkit.example_folder())]
    return {m: evaluate(get_method(m), sets, [2], progress=False)[0] for m in ("bicubic", "nearest")}


def test_bicubic_beats_nearest_on_examples(example_results: dict[str, SetResult]) -> None:
    bicubic, nearest = example_results["bicubic"], example_results["nearest"]
    assert bicubic.psnr > nearest.psnr + 0.5
    assert bicubic.ssim > nearest.ssim
    assert [i.name for i in bicubic.images] == ["drawing", "texture", "zoneplate"]
    assert (bicubic.dataset, bicubic.scale, bicubic.method, nearest.method) == ("examples", 2, "bicubic", "nearest")


def test_example_numbers_are_finite_and_plausible(example_results: dict[str, SetResult]) -> None:
    for result in example_results.values():
        values = [result.psnr, result.ssim, result.seconds_per_image]
        values += [v for i in result.images for v in (i.psnr, i.ssim, i.seconds)]
        assert all(math.isfinite(v) for v in values)
        assert all(10 < i.psnr < 80 and 0 < i.ssim <= 1 and i.seconds >= 0 for i in result.images)


def test_set_means_are_means_of_image_values(example_results: dict[str, SetResult]) -> None:
    for result in example_results.values():
        assert result.psnr == pytest.approx(np.mean([i.psnr for i in result.images]), abs=1e-12)
        assert result.ssim == pytest.approx(np.mean([i.ssim for i in result.images]), abs=1e-12)
        assert result.seconds_per_image == pytest.approx(np.mean([i.seconds for i in result.images]), abs=1e-12)


# --- score -----------------------------------------------------------------------------------------------------------


def _pair(gray: bool) -> BenchmarkPair:
    rng = np.random.default_rng(0)
    plane = rng.integers(1, 255, (16, 16), dtype=np.uint8)
    hr = np.repeat(plane[..., None], 3, axis=-1) if gray else rng.integers(1, 255, (16, 16, 3), dtype=np.uint8)
    return BenchmarkPair("p", hr, hr[::2, ::2], gray)


def test_score_of_the_hr_itself_is_perfect() -> None:
    pair = _pair(gray=False)
    p, s = score(pair.hr.copy(), pair, 2, Protocol())
    assert p == math.inf
    assert s == pytest.approx(1.0)


def test_gray_source_is_scored_on_the_channel_mean() -> None:
    """Set14 ``bridge``: the SR channels' rounded mean is compared with the gray value, not BT.601 Y."""
    pair = _pair(gray=True)
    sr = pair.hr.astype(np.int16) + np.array([-1, 0, 1], dtype=np.int16)  # mean = the gray value, Y is not
    sr = sr.astype(np.uint8)
    gray_psnr, _ = score(sr, pair, 2, Protocol())
    colour_psnr, _ = score(sr, BenchmarkPair("p", pair.hr, pair.lr, gray=False), 2, Protocol())
    assert gray_psnr == math.inf
    assert math.isfinite(colour_psnr)


def test_score_rejects_a_wrong_output() -> None:
    pair = _pair(gray=False)
    with pytest.raises(SrkitError, match=r"p: the method returned uint8 \(8, 8, 3\), expected uint8 \(16, 16, 3\)"):
        score(pair.lr, pair, 2, Protocol())
    with pytest.raises(SrkitError, match=r"p: the method returned float32"):
        score(pair.hr.astype(np.float32), pair, 2, Protocol())


class _Broken:
    name = "broken"

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        return lr  # forgets to upscale


def test_evaluate_reports_a_method_with_a_wrong_output() -> None:
    sets = [BenchmarkSet(srkit.example_folder())]
    with pytest.raises(SrkitError, match=r"drawing: the method returned uint8 \(60, 60, 3\)"):
        evaluate(_Broken(), sets, [4], progress=False)
