"""Pair alignment by phase correlation: shifts, sub-pixel precision, unrelated images, the pair check."""

from __future__ import annotations

import numpy as np
import pytest

from srkit import SrkitError, imresize, read_image
from srkit.functional.align import pair_problem, pair_shift


def _scene(h: int = 96, w: int = 120, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.random((h // 6 + 2, w // 6 + 2, 3))
    return (imresize(coarse, 6.0)[:h, :w].clip(0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (3, -2), (-5, 7)])
def test_integer_shifts_are_found(dy: int, dx: int) -> None:
    img = _scene()
    s = pair_shift(img, np.roll(img, (dy, dx), axis=(0, 1)))
    assert abs(s.dy - dy) < 0.25 and abs(s.dx - dx) < 0.25
    assert s.peak > 0.3


def test_subpixel_shift_is_measured_to_a_fraction_of_a_pixel() -> None:
    big = _scene(192, 240)
    a, b = imresize(big, 0.5), imresize(np.roll(big, 1, axis=1), 0.5)  # half a pixel to the right
    assert abs(pair_shift(a, b).dx - 0.5) < 0.2


def test_unrelated_images_do_not_match() -> None:
    for seed in range(1, 6):
        assert "does not show" in str(pair_problem(_scene(seed=seed), _scene(seed=seed + 10)))


def test_pair_problem_names_the_fault() -> None:
    hr = _scene(96, 120)
    lr = imresize(hr, 1 / 2)
    assert pair_problem(hr, lr, 2) is None
    assert pair_problem(hr, hr) is None
    moved = pair_problem(hr, np.roll(hr, 4, axis=0))
    assert moved is not None and moved.startswith("misaligned by 4.0 HR pixels")
    assert "does not show the HR image's scene" in str(pair_problem(hr, _scene(seed=7)))
    assert "sizes differ" in str(pair_problem(hr, lr[:, :-1], 2))
    assert pair_problem(hr[:60, :60], hr[:15, :15][::-1], 4) is None  # LR under 16 px: not measured


def test_errors() -> None:
    with pytest.raises(SrkitError, match="different sizes"):
        pair_shift(np.zeros((32, 32)), np.zeros((32, 30)))
    with pytest.raises(SrkitError, match="too small to align"):
        pair_shift(np.zeros((8, 8)), np.zeros((8, 8)))


def test_city100_pairs_line_up(shared_data) -> None:  # type: ignore[no-untyped-def]
    root = shared_data / "real" / "City100_iPhoneX_40"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    for n in (1, 20, 40):
        hr, lr = read_image(root / f"{n:03d}_HR.png"), read_image(root / f"{n:03d}_LR.png")
        assert pair_problem(hr, lr) is None
        assert pair_problem(hr, np.roll(lr, 3, axis=1)) is not None
