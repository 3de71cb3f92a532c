"""Upscaling a video file or a frame folder, frames streamed, resumable after a kill.

A video is upscaled in chunks of ``chunk`` frames. Each chunk is encoded to its own file in a parts folder beside
the output (``.NAME.parts/``), written atomically, so a killed run leaves only whole chunks; the next run with the
same input and settings (recorded in the folder's ``job.json``) keeps them and starts at the first missing chunk.
When every chunk is there, they are joined with the source's audio stream copied as it is (not re-encoded) into
the output, written atomically, and the parts folder is removed. Memory holds one frame, its upscaled copy and the
encoder's look-ahead, whatever the video's length.

The upscaler maps the stream of RGB uint8 frames to the stream of upscaled frames, in order:
:func:`frame_upscaler` applies a single-image model frame by frame (the baseline of video SR);
:func:`clip_upscaler` runs a video network (card kind ``clip``) on overlapping windows of frames, so a
bidirectional network sees the frames on both sides of each output while memory stays bounded by the window.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_write_text
from srkit.data.io import read_image, write_image
from srkit.inference.api import get_upscaler, upscale
from srkit.video.io import VideoInfo, VideoWriter, join_parts, list_frames, probe, read_frames

__all__ = [
    "StreamUpscaler",
    "VideoResult",
    "clip_upscaler",
    "frame_upscaler",
    "stream_upscaler",
    "upscale_frames",
    "upscale_video",
]

StreamUpscaler = Callable[[Iterable[np.ndarray]], Iterator[np.ndarray]]
Progress = Callable[[int, int], None] | None


def stream_upscaler(model: str | nn.Module = "srkit", scale: int = 4) -> StreamUpscaler:
    """The upscaler for ``model`` (a name, a weights file or a module): windows of frames for a video network
    (card kind ``clip``), frame by frame for an image model."""
    from srkit._core.cards import card_of
    from srkit.archs import load_model

    net = load_model(model) if not isinstance(model, nn.Module) else model
    card = card_of(net)
    if card.kind == "clip":
        if scale not in card.scales:
            raise SrkitError(f"{card.name} upscales x{', x'.join(map(str, card.scales))}, not x{scale}")
        return clip_upscaler(net)
    return frame_upscaler(net, scale)


def frame_upscaler(model: str | nn.Module = "srkit", scale: int = 4, **options: object) -> StreamUpscaler:
    """A single-image model applied to each frame (``srkit.upscale`` with the model loaded once)."""
    up = get_upscaler(model, **options)  # type: ignore[arg-type]

    def run(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for frame in frames:
            out: np.ndarray = upscale(frame, scale, up)
            yield out

    return run


def clip_upscaler(model: nn.Module, *, window: int = 15, overlap: int = 3) -> StreamUpscaler:
    """A video network run on windows of ``window`` frames that overlap by ``overlap`` frames on each side (their
    outputs are dropped: each kept output saw at least ``overlap`` frames on both sides, but at the clip's ends)."""
    if window <= 2 * overlap:
        raise SrkitError(f"a window of {window} frames cannot keep an overlap of {overlap} on each side")
    model = model.eval()

    def run_window(frames: list[np.ndarray]) -> list[np.ndarray]:
        x = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float()[None] / 255.0
        with torch.inference_mode():
            y = model(x)[0].clamp(0.0, 1.0)
        out = (y * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        return list(out)

    def run(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        it = iter(frames)
        buffer: collections.deque[np.ndarray] = collections.deque()
        emitted = 0  # frames output so far
        head = 0  # index of buffer[0]
        while True:
            buffer.extend(itertools.islice(it, window - len(buffer)))
            if not buffer:
                return
            done = len(buffer) < window  # the stream ended inside this window
            outs = run_window(list(buffer))
            stop = len(buffer) if done else len(buffer) - overlap
            for k in range(emitted - head, stop):
                yield outs[k]
            emitted = head + stop
            if done:
                return
            drop = max(0, stop - overlap)  # keep `overlap` frames of context before the next outputs
            for _ in range(drop):
                buffer.popleft()
            head += drop

    return run


@dataclass(frozen=True)
class VideoResult:
    """What :func:`upscale_video` did: frames, of them newly upscaled (the rest kept from an earlier run), chunks,
    seconds, and whether the audio was copied."""

    frames: int
    upscaled: int
    chunks: int
    seconds: float
    audio: bool


def _job(src: Path, info: VideoInfo, settings: dict[str, object]) -> dict[str, object]:
    stat = src.stat()
    return {
        "source": str(src.resolve()),
        "size": stat.st_size,
        "mtime": stat.st_mtime_ns,
        "frames": info.frames,
        **{k: str(v) for k, v in settings.items()},
    }


def upscale_video(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    upscaler: StreamUpscaler,
    *,
    scale: int,
    settings: dict[str, object] | None = None,
    codec: str = "h264",
    crf: int = 18,
    chunk: int = 100,
    overwrite: bool = False,
    progress: Progress = None,
) -> VideoResult:
    """Upscale the video ``src`` into ``dst`` (module docstring).

    Args:
        src, dst: input and output video files.
        upscaler: frames -> upscaled frames (``scale`` times larger), in order.
        scale: the factor (checked against the first frame's result).
        settings: what identifies the upscaler (model name, scale, ...), recorded to decide whether an earlier
            run's chunks may be kept.
        codec, crf: the output's encoding (``h264``/``h265``, quality).
        chunk: frames per part.
        overwrite: replace an existing ``dst``.
        progress: called with (frames done, frames) after each frame.

    Raises:
        SrkitError: an unreadable input, no frames, odd sizes, an existing output without ``overwrite``.
    """
    s, d = Path(src), Path(dst)
    if d.exists() and not overwrite:
        raise SrkitError(f"{d} exists (replace it with --overwrite)")
    if s.resolve() == d.resolve():
        raise SrkitError(f"{d} is the input itself; choose another output")
    info = probe(s)
    if info.width % 2 or info.height % 2:
        raise SrkitError(f"{s}: odd frame size {info.width}x{info.height}; H.264/H.265 need even sizes (crop a pixel)")
    if chunk < 1:
        raise SrkitError(f"chunk is a number of frames >= 1, got {chunk}")
    parts_dir = d.with_name(f".{d.name}.parts")
    job = _job(s, info, {**(settings or {}), "scale": scale, "codec": codec, "crf": crf, "chunk": chunk})
    manifest = parts_dir / "job.json"
    if parts_dir.is_dir() and (not manifest.is_file() or json.loads(manifest.read_text()) != job):
        shutil.rmtree(parts_dir)  # another job's parts: start again
    parts_dir.mkdir(exist_ok=True)
    atomic_write_text(manifest, json.dumps(job, indent=1))
    n_chunks = (info.frames + chunk - 1) // chunk
    parts = [parts_dir / f"part_{k:05d}{d.suffix}" for k in range(n_chunks)]
    first_missing = next((k for k, p in enumerate(parts) if not p.is_file()), n_chunks)
    start_time, upscaled = time.perf_counter(), 0
    if first_missing < n_chunks:
        upscaled = _encode(s, info, parts, first_missing, chunk, upscaler, scale, codec, crf, progress)
    elif progress is not None:
        progress(info.frames, info.frames)
    join_parts([p for p in parts if p.is_file()], d, audio_from=s if info.audio else None)
    shutil.rmtree(parts_dir, ignore_errors=True)
    return VideoResult(info.frames, upscaled, n_chunks, time.perf_counter() - start_time, info.audio)


def _encode(
    src: Path,
    info: VideoInfo,
    parts: list[Path],
    first: int,
    chunk: int,
    upscaler: StreamUpscaler,
    scale: int,
    codec: str,
    crf: int,
    progress: Progress,
) -> int:
    """Encode the parts from ``first`` on; returns the frames upscaled."""
    writer: VideoWriter | None = None
    done = 0
    index = first * chunk
    size = (info.width * scale, info.height * scale)
    stamps: collections.deque[int | None] = collections.deque()

    def frames() -> Iterator[np.ndarray]:
        for frame, pts in read_frames(src, start=index):
            stamps.append(pts)
            yield frame

    try:
        for out in upscaler(frames()):
            pts = stamps.popleft()
            k = index // chunk
            if writer is None:
                writer = VideoWriter(
                    parts[k],
                    width=size[0],
                    height=size[1],
                    fps=info.fps,
                    time_base=info.time_base,
                    codec=codec,
                    crf=crf,
                )
            if (out.shape[1], out.shape[0]) != size:
                raise SrkitError(f"the frame upscaler gave {out.shape[1]}x{out.shape[0]}, not {size[0]}x{size[1]}")
            writer.write(out, pts if pts is not None else index)
            index += 1
            done += 1
            if index % chunk == 0:
                writer.close()
                writer = None
            if progress is not None:
                progress(index, info.frames)
        if writer is not None:
            writer.close()
            writer = None
    finally:
        if writer is not None:
            writer.close(ok=False)
    return done


def upscale_frames(
    folder: str | os.PathLike[str],
    out_folder: str | os.PathLike[str],
    upscaler: StreamUpscaler,
    *,
    overwrite: bool = False,
    progress: Progress = None,
) -> VideoResult:
    """Upscale a frame folder into ``out_folder`` (same names; frames already written are kept: resumable)."""
    files = list_frames(folder)
    out = Path(out_folder)
    if out.resolve() == Path(folder).resolve():
        raise SrkitError(f"{out} is the input folder; choose another output folder")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    todo = [p for p in files if overwrite or not (out / p.name).exists()]
    images = (read_image(p, gray_to_rgb=True) for p in todo)
    for i, (path, image) in enumerate(zip(todo, upscaler(images), strict=True)):
        write_image(out / path.name, image, overwrite=True)
        if progress is not None:
            progress(len(files) - len(todo) + i + 1, len(files))
    return VideoResult(len(files), len(todo), 1, time.perf_counter() - start, False)


def describe(info: VideoInfo) -> str:
    """``1280x720, 300 frames at 30 fps (10.0 s), audio`` for summaries."""
    fps = float(info.fps)
    audio = ", audio" if info.audio else ", no audio"
    return f"{info.width}x{info.height}, {info.frames} frames at {fps:g} fps ({info.seconds:.1f} s){audio}"
