"""Video files and frame folders, streamed: frames in, frames out, the audio stream copied untouched (PyAV).

PyAV (``pip install 'srkit[video]'``) binds FFmpeg's libraries, with its codecs inside the wheel: any container
FFmpeg demuxes (MP4, MKV, MOV, AVI, WebM, ...) is read; H.264 (libx264) or H.265 (libx265) are written with a
quality setting (``crf``: lower is better and larger; 18 is visually lossless for H.264).

- :func:`probe`: what a video holds (size, frame rate, frame count, audio), or one line saying why it cannot be read
  (no such file, not a video, no video stream, no frames).
- :func:`read_frames`: the frames as RGB uint8 ``(H, W, 3)`` arrays with their timestamps, decoded one at a time
  (memory does not grow with the video's length), from frame ``start`` on.
- :class:`VideoWriter`: encode frames with their timestamps into a video file.
- :func:`join_parts`: join encoded parts into one file and add the source's audio packets as they are (no
  re-encoding), interleaved by time, written atomically.
- Frame folders (Vid4's ``Frame 001.png`` ...): :func:`list_frames` in natural order (``Frame 2`` before
  ``Frame 10``).

Timestamps: each output frame keeps its source frame's presentation time (the source stream's time base), so a
variable-frame-rate video stays in step with its audio.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_path
from srkit.data.io import IMAGE_SUFFIXES

__all__ = ["CODECS", "VideoInfo", "VideoWriter", "join_parts", "list_frames", "probe", "read_frames"]

CODECS = {"h264": "libx264", "h265": "libx265"}


def _av() -> Any:
    try:
        import av
    except ImportError:
        raise SrkitError("video files need PyAV: pip install 'srkit[video]'") from None
    return av


@dataclass(frozen=True)
class VideoInfo:
    """What a video file holds.

    Attributes:
        width, height: frame size.
        fps: average frame rate (a fraction, e.g. 30000/1001).
        frames: number of frames (counted by decoding when the container does not say).
        time_base: the video stream's time base (timestamps are in these units).
        audio: whether it has an audio stream (copied to the output).
        codec: the video codec's name.
    """

    width: int
    height: int
    fps: Fraction
    frames: int
    time_base: Fraction
    audio: bool
    codec: str

    @property
    def seconds(self) -> float:
        return float(self.frames / self.fps) if self.fps else 0.0


def _open(path: Path) -> Any:
    av = _av()
    if not path.is_file():
        raise SrkitError(f"video not found: {path}")
    try:
        return av.open(str(path))
    except av.error.EOFError:
        raise SrkitError(f"{path}: the video has no frames (the file ends before the first one)") from None
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as err:
        raise SrkitError(f"{path}: not a readable video ({err})") from None


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """The facts of the video at ``path`` (class :class:`VideoInfo`).

    Raises:
        SrkitError: a missing or unreadable file, no video stream, or no frame at all.
    """
    p = Path(path)
    av = _av()
    with _open(p) as container:
        if not container.streams.video:
            raise SrkitError(f"{p}: no video stream in the file")
        stream = container.streams.video[0]
        frames = int(stream.frames or 0)
        try:
            if frames == 0:  # the container does not say: count by decoding
                frames = sum(1 for _ in container.decode(stream))
        except av.error.FFmpegError as err:
            raise SrkitError(f"{p}: the video cannot be decoded ({err})") from None
        if frames == 0:
            raise SrkitError(f"{p}: the video has no frames")
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        return VideoInfo(
            width=int(stream.codec_context.width),
            height=int(stream.codec_context.height),
            fps=Fraction(rate),
            frames=frames,
            time_base=Fraction(stream.time_base or Fraction(1, 90000)),
            audio=bool(container.streams.audio),
            codec=str(stream.codec_context.name),
        )


def read_frames(path: str | os.PathLike[str], start: int = 0) -> Iterator[tuple[np.ndarray, int | None]]:
    """``(frame, pts)`` pairs from frame ``start`` on: RGB uint8 ``(H, W, 3)``, the timestamp in the stream's time
    base (None when the file has none). One frame is decoded at a time.

    Raises:
        SrkitError: the file cannot be read or decoded.
    """
    p = Path(path)
    av = _av()
    with _open(p) as container:
        if not container.streams.video:
            raise SrkitError(f"{p}: no video stream in the file")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for i, frame in enumerate(container.decode(stream)):
                if i >= start:
                    yield frame.to_ndarray(format="rgb24"), frame.pts
        except av.error.FFmpegError as err:
            raise SrkitError(f"{p}: the video cannot be decoded ({err})") from None


class VideoWriter:
    """Encode RGB uint8 frames into ``path`` (H.264 or H.265, ``crf`` quality, yuv420p), written to a temporary
    file and renamed into place when closed without an error.

    Args:
        path: the output file (its suffix picks the container: .mp4, .mkv, .mov).
        width, height: frame size (even: yuv420p halves the chroma).
        fps: frame rate.
        time_base: timestamps' unit (the source stream's, to keep its timestamps).
        codec: ``h264`` or ``h265``.
        crf: constant rate factor (quality; 0-51, lower is better).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        width: int,
        height: int,
        fps: Fraction,
        time_base: Fraction | None = None,
        codec: str = "h264",
        crf: int = 18,
    ) -> None:
        if codec not in CODECS:
            raise SrkitError(f"codec is one of {', '.join(CODECS)}, got {codec!r}")
        if width % 2 or height % 2:
            raise SrkitError(f"H.264/H.265 in yuv420p need even frame sizes, got {width}x{height}")
        if not 0 <= crf <= 51:
            raise SrkitError(f"crf is 0 to 51 (lower is better), got {crf}")
        av = _av()
        self._atomic = atomic_path(Path(path))
        self._tmp = self._atomic.__enter__()
        self.container = av.open(str(self._tmp), mode="w", format=_format(Path(path)))
        self.stream = self.container.add_stream(CODECS[codec], rate=fps)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = (
            {"crf": str(crf)} if codec == "h264" else {"crf": str(crf), "x265-params": "log-level=error"}
        )
        self.stream.time_base = time_base or Fraction(1, 1) / fps
        self.stream.codec_context.time_base = self.stream.time_base
        self._av = av
        self._count = 0
        self._step = 1.0 / (float(fps) * float(self.stream.time_base))  # one frame, in time_base units

    def write(self, frame: np.ndarray, pts: int | None = None) -> None:
        """Encode one RGB uint8 frame at ``pts`` (in ``time_base``; default: one frame after the previous)."""
        f = self._av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        f.pts = pts if pts is not None else round(self._count * self._step)
        f.time_base = self.stream.time_base
        for packet in self.stream.encode(f):
            self.container.mux(packet)
        self._count += 1

    def close(self, ok: bool = True) -> None:
        try:
            if ok:
                for packet in self.stream.encode():
                    self.container.mux(packet)
        finally:
            self.container.close()
            exc = (None, None, None) if ok else (SrkitError, SrkitError("failed"), None)
            self._atomic.__exit__(*exc)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, kind: object, value: object, tb: object) -> None:
        self.close(ok=kind is None)


def _format(path: Path) -> str | None:
    return {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}.get(path.suffix.lower())


def join_parts(parts: Sequence[Path], out: Path, *, audio_from: Path | None = None) -> None:
    """Remux the video packets of ``parts`` (in order, timestamps as encoded) into ``out`` with the audio packets
    of ``audio_from`` copied as they are, interleaved by time; atomic."""
    av = _av()
    with atomic_path(out) as tmp, av.open(str(tmp), mode="w", format=_format(out)) as output:
        with av.open(str(parts[0])) as first:
            v_out = output.add_stream_from_template(first.streams.video[0])
        source = av.open(str(audio_from)) if audio_from is not None else None
        try:
            a_in = source.streams.audio[0] if source is not None and source.streams.audio else None
            a_out = output.add_stream_from_template(a_in) if a_in is not None else None
            videos = _video_packets(av, parts)
            audios = (p for p in source.demux(a_in) if p.dts is not None) if source and a_in else iter(())
            for packet, stream in _interleave(videos, audios):
                packet.stream = v_out if stream == "video" else a_out
                output.mux(packet)
        finally:
            if source is not None:
                source.close()


def _video_packets(av: Any, parts: Sequence[Path]) -> Iterator[Any]:
    for part in parts:
        with av.open(str(part)) as container:
            for packet in container.demux(container.streams.video[0]):
                if packet.dts is not None:
                    yield packet


def _interleave(videos: Iterator[Any], audios: Iterator[Any]) -> Iterator[tuple[Any, str]]:
    """Both packet streams merged by decoding time (seconds)."""

    def when(packet: Any) -> float:
        return float(packet.dts * packet.time_base)

    v, a = next(videos, None), next(audios, None)
    while v is not None or a is not None:
        if a is None or (v is not None and when(v) <= when(a)):
            yield v, "video"
            v = next(videos, None)
        else:
            yield a, "audio"
            a = next(audios, None)


def _natural(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_frames(folder: str | os.PathLike[str]) -> list[Path]:
    """The image files of a frame folder in natural order (``Frame 2.png`` before ``Frame 10.png``).

    Raises:
        SrkitError: a missing folder, or one without images.
    """
    d = Path(folder)
    if not d.is_dir():
        raise SrkitError(f"frame folder not found: {d}")
    files = sorted((p for p in d.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES), key=lambda p: _natural(p.name))
    if not files:
        raise SrkitError(f"{d}: no image files ({', '.join(IMAGE_SUFFIXES)})")
    return files
