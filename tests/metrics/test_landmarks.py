"""Landmark NME: zero for the truth, invariant to the face's scale, one error for mismatched shapes."""

from __future__ import annotations

import numpy as np
import pytest

from srkit.metrics import nme


def test_nme_is_the_mean_error_over_the_outer_eye_corner_distance() -> None:
    rng = np.random.default_rng(0)
    truth = rng.random((3, 68, 2)) * 100
    assert np.allclose(nme(truth, truth), 0)
    moved = truth + np.array([3.0, 4.0])  # every point 5 px off
    iod = np.linalg.norm(truth[:, 36] - truth[:, 45], axis=1)
    assert np.allclose(nme(moved, truth), 5 / iod)
    assert np.allclose(nme(2 * moved, 2 * truth), nme(moved, truth))  # the same error on a face twice the size
    assert nme(moved[0], truth[0]).shape == (1,)
    with pytest.raises(ValueError, match="68, 2"):
        nme(truth[:, :5], truth[:, :5])
