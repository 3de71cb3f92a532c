"""Evaluation on a blind set: each method is handed the pair's kernel, methods that need none ignore it, older
methods without ``kernel=`` get a clear error, and every image's wall time is kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from srkit import BenchmarkSet, ModelMethod, Protocol, SrkitError, evaluate, get_method, write_image
from srkit.data.blindset import make_blindset
from srkit.data.kernelfile import read_kernel
from srkit.functional.resize import imresize


@pytest.fixture(scope="module")
def blind(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("blindbench")
    (root / "HR").mkdir()
    for i in range(2):
        write_image(root / "HR" / f"im{i}.png", np.random.default_rng(i).integers(0, 256, (24, 28, 3), np.uint8))
    return make_blindset([root / "HR"], root / "set")


class _KernelUser:
    """Records the kernels it is given and upscales by bicubic."""

    name = "kernel_user"

    def __init__(self) -> None:
        self.kernels: list[np.ndarray | None] = []

    def upscale(self, lr: np.ndarray, scale: int, *, kernel: np.ndarray | None = None) -> np.ndarray:
        self.kernels.append(kernel)
        return imresize(lr, scale)


class _OldStyle:
    name = "old"

    def upscale(self, lr: np.ndarray, scale: int) -> np.ndarray:
        return imresize(lr, scale)


def test_each_method_gets_its_pairs_kernel(blind: Path) -> None:
    method = _KernelUser()
    results = evaluate(method, [BenchmarkSet(blind)], [2, 4], progress=False)
    assert [r.scale for r in results] == [2, 4]
    want = [read_kernel(blind / f"gt_k_x{s}" / f"im{i}.npy") for s in (2, 4) for i in range(2)]
    assert len(method.kernels) == 4
    for got, expected in zip(method.kernels, want, strict=True):
        assert got is not None
        np.testing.assert_array_equal(got, expected)
    for r in results:
        assert all(i.seconds > 0 for i in r.images)
        assert r.seconds_per_image == pytest.approx(np.mean([i.seconds for i in r.images]))
    bicubic = evaluate(get_method("bicubic"), [BenchmarkSet(blind)], [2, 4], progress=False)
    assert [r.psnr for r in results] == [r.psnr for r in bicubic]


def test_sets_without_kernels_pass_none(tmp_path: Path) -> None:
    write_image(tmp_path / "x.png", np.random.default_rng(0).integers(0, 256, (24, 24, 3), np.uint8))
    method = _KernelUser()
    evaluate(method, [BenchmarkSet(tmp_path)], [2], progress=False)
    assert method.kernels == [None]
    evaluate(_OldStyle(), [BenchmarkSet(tmp_path)], [2], progress=False)  # type: ignore[arg-type]  # older protocol


def test_a_method_without_kernel_argument_is_told_so(blind: Path) -> None:
    with pytest.raises(SrkitError, match=r"old: its upscale\(\) does not take kernel=, which this set passes"):
        evaluate(_OldStyle(), [BenchmarkSet(blind)], [2], progress=False)  # type: ignore[arg-type]


def test_interpolation_and_models_ignore_the_kernel() -> None:
    lr = np.random.default_rng(1).integers(0, 256, (8, 8, 3), np.uint8)
    k = np.full((3, 3), 1 / 9)
    bicubic = get_method("bicubic")
    np.testing.assert_array_equal(bicubic.upscale(lr, 2, kernel=k), bicubic.upscale(lr, 2))
    model = ModelMethod("srkit_fast")
    np.testing.assert_array_equal(model.upscale(lr, 2, kernel=k), model.upscale(lr, 2))


def test_protocol_line_says_where_lr_comes_from() -> None:
    assert Protocol().describe().startswith("LR: MATLAB bicubic;")
    note = Protocol(lr_note="blind from files with their kernels")
    assert note.describe().startswith("LR: blind from files with their kernels; metric on Y")
    assert note.made_lr() == "MATLAB bicubic"
