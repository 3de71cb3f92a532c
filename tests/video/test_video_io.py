"""Video files in and out: frames streamed with their timestamps, the audio stream copied byte for byte, parts
joined, frame folders in natural order, and one line for every unreadable input."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from clips_fixture import audio_packets, frame_times, make_clip

from srkit import SrkitError
from srkit.video.io import VideoWriter, join_parts, list_frames, probe, read_frames

pytest.importorskip("av")


def test_probe_and_read(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=12)
    info = probe(clip)
    assert (info.width, info.height, info.frames, info.fps, info.audio) == (64, 48, 12, Fraction(25), True)
    frames = list(read_frames(clip, start=5))
    assert len(frames) == 7 and frames[0][0].shape == (48, 64, 3) and frames[0][0].dtype == np.uint8


def test_write_and_join_keep_timestamps_and_audio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=20)
    info = probe(clip)
    parts = [tmp_path / "p0.mp4", tmp_path / "p1.mp4"]
    frames = list(read_frames(clip))
    for part, chunk in zip(parts, (frames[:8], frames[8:]), strict=True):
        with VideoWriter(part, width=64, height=48, fps=info.fps, time_base=info.time_base) as writer:
            for frame, pts in chunk:
                writer.write(frame, pts)
    out = tmp_path / "joined.mp4"
    join_parts(parts, out, audio_from=clip)
    assert probe(out).frames == 20
    assert frame_times(out) == pytest.approx(frame_times(clip), abs=1e-3)
    assert audio_packets(out) == audio_packets(clip) and audio_packets(clip)


def test_writer_refuses_odd_sizes_and_leaves_nothing_on_error(tmp_path: Path) -> None:
    with pytest.raises(SrkitError, match="even frame sizes"):
        VideoWriter(tmp_path / "o.mp4", width=63, height=48, fps=Fraction(25))

    def killed() -> None:
        with VideoWriter(tmp_path / "o.mp4", width=64, height=48, fps=Fraction(25)) as writer:
            writer.write(np.zeros((48, 64, 3), np.uint8))
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        killed()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("content", "message"), [(None, "not found"), (b"not a video", "not a readable video")])
def test_unreadable_inputs_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "v.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SrkitError, match=message):
        probe(path)


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    import av

    path = tmp_path / "a.m4a"
    with av.open(str(path), "w", format="mp4") as out:
        sound = out.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="flt", layout="mono")
        frame.sample_rate, frame.pts = 8000, 0
        for packet in [*sound.encode(frame), *sound.encode()]:
            out.mux(packet)
    with pytest.raises(SrkitError, match="no video stream"):
        probe(path)


def test_frame_folders_in_natural_order(tmp_path: Path) -> None:
    from PIL import Image

    for i in (1, 2, 10):
        Image.new("RGB", (4, 4)).save(tmp_path / f"Frame {i:d}.png")
    assert [p.name for p in list_frames(tmp_path)] == ["Frame 1.png", "Frame 2.png", "Frame 10.png"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SrkitError, match="no image files"):
        list_frames(empty)
    with pytest.raises(SrkitError, match="not found"):
        list_frames(tmp_path / "missing")
