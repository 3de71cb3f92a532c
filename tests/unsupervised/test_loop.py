"""The per-image optimisation loop: budget, time limit, convergence, NaN, seeds."""

from __future__ import annotations

import math
import time

import pytest
import torch

from srkit import SrkitError
from srkit.unsupervised import Budget, optimise, seeded


def test_runs_the_budget_and_records_losses() -> None:
    log = optimise(lambda i: float(10 - i), Budget(steps=4, progress=False), desc="t")
    assert (log.steps, log.stopped, log.losses) == (4, "steps", [10.0, 9.0, 8.0, 7.0])


def test_stops_on_time_and_on_convergence() -> None:
    def slow(i: int) -> float:
        time.sleep(0.02)
        return 1.0

    log = optimise(slow, Budget(steps=1000, max_time=0.1, progress=False), desc="t")
    assert log.stopped == "time" and 2 <= log.steps < 50 and log.seconds >= 0.1
    log = optimise(lambda i: 1.0, Budget(steps=100, progress=False), desc="t", converged=lambda i, ls: i == 2)
    assert (log.steps, log.stopped) == (3, "converged")


def test_a_nan_loss_is_an_error() -> None:
    with pytest.raises(SrkitError, match="t: the loss became nan at step 2"):
        optimise(lambda i: math.nan if i == 1 else 1.0, Budget(steps=5, progress=False), desc="t")


@pytest.mark.parametrize(("kwargs", "match"), [({"steps": 0}, "steps"), ({"steps": 2, "max_time": -1}, "max_time")])
def test_bad_budgets(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(SrkitError, match=match):
        Budget(**kwargs)  # type: ignore[arg-type]


def test_seeded_repeats_and_leaves_the_callers_stream_alone() -> None:
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    with seeded(7):
        a = torch.rand(3)
    with seeded(7):
        b = torch.rand(3)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(1), expected_next)


def test_images_in_and_out_keep_dtype_and_layout() -> None:
    import numpy as np

    from srkit.unsupervised import as_rgb_tensor

    for image in (
        np.full((6, 7, 3), 200, np.uint8),
        np.full((6, 7), 40000, np.uint16),
        np.full((6, 7, 1), 0.25, np.float64),
    ):
        x, back = as_rgb_tensor(image)
        assert x.shape == (1, 3, 6, 7) and x.dtype == torch.float32
        out = back(x)
        assert out.dtype == image.dtype and out.shape == image.shape
        np.testing.assert_allclose(out.astype(float), image.astype(float), atol=1)
    for bad, match in (
        (np.zeros((6, 7, 4), np.uint8), "alpha"),
        (np.full((6, 7), 2.0), r"in \[0, 1\]"),
        (np.zeros((2, 7), np.uint8), "too small"),
        (np.zeros((6, 7), np.int32), "uint8, uint16 or float"),
    ):
        with pytest.raises(SrkitError, match=match):
            as_rgb_tensor(bad, name="x.png")
