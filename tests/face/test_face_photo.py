"""Faces in photos: the feathered blend mask leaves no seam, the similarity fit recovers a known transform, a photo
without faces is the plain upscale, and a pasted face changes only the region its mask covers."""

from __future__ import annotations

import numpy as np
import pytest

import srkit
from srkit.face.api import FACE_SIZE, mean_shape
from srkit.face.photo import _cv2, _invert, _paste, detect_faces, feather_mask, similarity, upscale_with_faces

pytestmark = pytest.mark.usefixtures("one_thread")


def test_feather_mask_is_one_inside_zero_at_the_border_and_smooth() -> None:
    m = feather_mask()
    assert m.shape == (FACE_SIZE, FACE_SIZE) and m.dtype == np.float32
    assert m[FACE_SIZE // 2, FACE_SIZE // 2] == 1.0 and m.min() == 0.0 and m.max() == 1.0
    border = np.concatenate([m[:8].ravel(), m[-8:].ravel(), m[:, :8].ravel(), m[:, -8:].ravel()])
    assert np.all(border == 0)  # the crop's outer 8 pixels: nothing of the face reaches its edge
    # no step anywhere: neighbouring pixels differ by at most a few percent (a seam would be a jump)
    assert np.abs(np.diff(m, axis=0)).max() < 0.1 and np.abs(np.diff(m, axis=1)).max() < 0.1
    assert np.allclose(m, m[::-1]) and np.allclose(m, m.T)


def test_similarity_recovers_a_rotation_scale_and_shift() -> None:
    angle, k, shift = 0.3, 1.7, np.array([5.0, -2.0])
    rot = k * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = mean_shape().astype(np.float64)
    fitted = similarity(src, src @ rot.T + shift)
    assert np.allclose(fitted[:, :2], rot) and np.allclose(fitted[:, 2], shift)
    assert np.allclose(_invert(fitted) @ np.append(fitted[:, 2], 1), 0, atol=1e-9)  # the origin goes back


def test_a_pasted_face_changes_only_what_its_mask_covers() -> None:
    cv2 = _cv2()
    out = np.full((300, 300, 3), 100, np.uint8)
    face = np.full((FACE_SIZE, FACE_SIZE, 3), 200, np.uint8)
    to_out = np.array([[1.5, 0.0, 40.0], [0.0, 1.5, 60.0]])  # the 128 frame lands on [40, 232) x [60, 252)
    _paste(cv2, out, face, to_out, feather_mask())
    changed = np.argwhere(np.any(out != 100, axis=2))
    # the mask's zero border (8 frame pixels = 12 output pixels) keeps the crop's edge untouched
    assert changed[:, 1].min() >= 40 + 11 and changed[:, 1].max() <= 40 + 192 - 11
    assert changed[:, 0].min() >= 60 + 11 and changed[:, 0].max() <= 60 + 192 - 11
    assert out[156, 136, 0] == 200  # the centre is the face
    steps = np.abs(np.diff(out[156, :, 0].astype(int)))
    assert steps.max() <= 12  # a 100-level change spread over the ramp: no visible seam


def test_a_photo_without_faces_is_the_plain_upscale() -> None:
    photo = np.tile(np.linspace(0, 255, 40, dtype=np.uint8)[None, :, None], (30, 1, 3))
    assert detect_faces(photo) == []
    out, faces = upscale_with_faces(photo, 4, upscaler="srkit_fast")
    assert faces == [] and np.array_equal(out, np.asarray(srkit.upscale(photo, 4, "srkit_fast")))
