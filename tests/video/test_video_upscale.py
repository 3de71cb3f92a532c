"""srkit video: every frame upscaled, the audio copied, resumable after a kill (whole chunks kept), frame folders,
and one line (no output file) for a bad input."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest
from clips_fixture import audio_packets, frame_times, make_clip

from srkit import SrkitError
from srkit.cli.main import main
from srkit.video.io import probe, read_frames
from srkit.video.upscale import clip_upscaler, upscale_frames, upscale_video

pytest.importorskip("av")


def nearest_frame(frame: np.ndarray) -> np.ndarray:
    return np.repeat(np.repeat(frame, 2, axis=0), 2, axis=1)


def nearest(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    return (nearest_frame(f) for f in frames)


def test_upscale_keeps_frames_times_and_audio(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=23)
    out = tmp_path / "out.mp4"
    result = upscale_video(clip, out, nearest, scale=2, chunk=10)
    assert (result.frames, result.upscaled, result.chunks, result.audio) == (23, 23, 3, True)
    info = probe(out)
    assert (info.width, info.height, info.frames) == (128, 96, 23)
    assert frame_times(out) == pytest.approx(frame_times(clip), abs=1e-3)
    assert audio_packets(out) == audio_packets(clip)
    first = next(read_frames(out))[0].astype(float)
    assert np.abs(first - nearest_frame(next(read_frames(clip))[0])).mean() < 3  # H.264 at crf 18
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.mp4", "out.mp4"]  # parts folder removed


def test_resumes_after_a_kill(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=25, audio=False)
    out = tmp_path / "out.mp4"
    seen = 0

    def dies(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        nonlocal seen
        for frame in frames:
            seen += 1
            if seen == 17:
                raise KeyboardInterrupt
            yield nearest_frame(frame)

    with pytest.raises(KeyboardInterrupt):
        upscale_video(clip, out, dies, scale=2, chunk=5, settings={"model": "nearest"})
    assert not out.exists()
    parts = sorted(p.name for p in (tmp_path / ".out.mp4.parts").iterdir())
    assert parts == ["job.json", "part_00000.mp4", "part_00001.mp4", "part_00002.mp4"]
    result = upscale_video(clip, out, nearest, scale=2, chunk=5, settings={"model": "nearest"})
    assert (result.frames, result.upscaled) == (25, 10)
    assert probe(out).frames == 25 and frame_times(out) == pytest.approx(frame_times(clip), abs=1e-3)
    # other settings: the old parts are not reused
    again = upscale_video(clip, tmp_path / "o2.mp4", nearest, scale=2, chunk=5, settings={"model": "other"})
    assert again.upscaled == 25


@pytest.mark.parametrize(("frames", "window", "overlap"), [(1, 5, 1), (4, 5, 1), (23, 5, 1), (23, 9, 3), (9, 9, 3)])
def test_clip_upscaler_windows_give_every_frame_once(frames: int, window: int, overlap: int) -> None:
    import torch

    seen: list[int] = []

    class Tagged(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append(x.shape[1])
            return x.repeat_interleave(2, dim=-1).repeat_interleave(2, dim=-2)

    clip = [np.full((4, 6, 3), i, np.uint8) for i in range(frames)]
    out = list(clip_upscaler(Tagged(), window=window, overlap=overlap)(iter(clip)))
    assert [int(o[0, 0, 0]) for o in out] == list(range(frames)) and out[0].shape == (8, 12, 3)
    assert max(seen) <= window


def test_frame_folder(tmp_path: Path) -> None:
    from PIL import Image

    src = tmp_path / "frames"
    src.mkdir()
    for i in range(1, 4):
        Image.fromarray(np.full((6, 8, 3), 40 * i, np.uint8)).save(src / f"Frame {i:03d}.png")
    result = upscale_frames(src, tmp_path / "out", nearest)
    assert result.upscaled == 3 and sorted(p.name for p in (tmp_path / "out").iterdir())[0] == "Frame 001.png"
    assert upscale_frames(src, tmp_path / "out", nearest).upscaled == 0  # kept: resumable


def test_cli_bad_inputs_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = make_clip(tmp_path / "odd.mp4", frames=3, width=64, height=48)
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 100)
    cases = [
        ([str(tmp_path / "bad.mp4")], "not a readable video"),
        ([str(tmp_path / "missing.mp4")], "not found"),
        ([], "give a video file or --frames DIR"),
        ([str(odd), "-o", str(odd)], "exists"),
    ]
    for args, message in cases:
        assert main(["video", *args, "--model", "srkit_fast", "--scale", "2", "--no-progress"]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.mp4", "odd.mp4"]


def test_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=6)
    assert main(["video", str(clip), "--model", "srkit_fast", "--scale", "2", "--no-progress"]) == 0
    assert "audio copied" in capsys.readouterr().out
    assert probe(tmp_path / "c_x2.mp4").frames == 6


def test_zero_frames_refused(tmp_path: Path) -> None:
    import av

    path = tmp_path / "zero.mkv"
    out = av.open(str(path), "w")
    stream = out.add_stream("mpeg4", rate=25)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    out.start_encoding()
    out.close()
    with pytest.raises(SrkitError, match="no frames"):
        upscale_video(path, tmp_path / "o.mp4", nearest, scale=2)


def test_odd_frame_size_refused(tmp_path: Path) -> None:
    import av

    path = tmp_path / "odd.mkv"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 33, 20, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((20, 33, 3), np.uint8), format="rgb24")
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    with pytest.raises(SrkitError, match="odd frame size"):
        upscale_video(path, tmp_path / "o.mp4", nearest, scale=2)
