"""Facial priors from 68 landmarks: mirroring renumbers the points, heatmaps peak at the landmark and read back to
it, parsing maps cover the components they name."""

from __future__ import annotations

import numpy as np
import torch

from srkit.face.api import mean_shape
from srkit.face.priors import (
    FLIP_68,
    PARSING,
    flip_landmarks,
    from_half,
    heatmaps,
    landmarks_from_heatmaps,
    parsing_maps,
    to_half,
)


def test_flip_order_is_an_involution_that_swaps_left_and_right() -> None:
    order = list(FLIP_68)
    assert sorted(order) == list(range(68))
    assert [order[i] for i in order] == list(range(68))
    assert order[36] == 45 and order[0] == 16 and order[30] == 30 and order[48] == 54


def test_mirrored_mean_face_is_the_mean_face_again() -> None:
    # the mean face is nearly symmetric: mirroring and renumbering maps it onto itself within about a pixel
    pts = mean_shape()
    error = np.abs(flip_landmarks(pts, 128) - pts)
    assert error.max() < 3.0 and error.mean() < 1.0


def test_heatmaps_peak_at_the_landmarks_and_read_back_to_them() -> None:
    pts = torch.tensor([[[10.3, 20.6], [40.0, 5.25], [31.7, 50.5]]])
    maps = heatmaps(pts, (64, 64), sigma=1.5)
    assert maps.shape == (1, 3, 64, 64) and float(maps.max()) <= 1.0
    assert torch.allclose(landmarks_from_heatmaps(maps), pts, atol=0.3)


def test_half_size_coordinates_round_trip() -> None:
    pts = np.array([[0.0, 0.0], [127.0, 63.5]])
    assert np.allclose(from_half(to_half(pts)), pts)
    assert np.allclose(to_half(np.array([[0.5, 2.5]])), [[0.0, 1.0]])  # HR pixels 0,1 -> half pixel 0


def test_parsing_maps_cover_the_components_they_name() -> None:
    pts = to_half(mean_shape())
    maps = parsing_maps(pts, (64, 64))
    assert maps.shape == (len(PARSING), 64, 64) and set(np.unique(maps)) <= {0.0, 1.0}
    for name in PARSING:
        assert maps[PARSING.index(name)].sum() > 0, name
    face = maps[PARSING.index("face")]
    # eyes, nose and mouth lie inside the face region; the left eye (the face's own) is on the picture's right
    for part in ("left_eye", "right_eye", "nose", "mouth"):
        assert (face * maps[PARSING.index(part)]).sum() == maps[PARSING.index(part)].sum(), part
    cols = np.arange(64)
    centre = lambda m: (m.sum(axis=0) * cols).sum() / m.sum()  # noqa: E731
    assert centre(maps[PARSING.index("left_eye")]) > 32 > centre(maps[PARSING.index("right_eye")])


def test_parsing_of_a_mirrored_face_is_the_mirrored_parsing() -> None:
    pts = mean_shape()
    mirrored = parsing_maps(to_half(flip_landmarks(pts, 128)), (64, 64))
    swap = [PARSING.index(n.replace("left", "x").replace("right", "left").replace("x", "right")) for n in PARSING]
    expected = parsing_maps(to_half(pts), (64, 64))[swap][:, :, ::-1]
    assert np.mean(mirrored != expected) < 0.01  # polygon rasterisation differs by a few edge pixels
