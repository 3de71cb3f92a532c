"""Small synthetic video clips made with PyAV for the video tests: moving gradients with a sine-tone audio track."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def make_clip(
    path: Path, *, frames: int = 30, width: int = 64, height: int = 48, fps: int = 25, audio: bool = True
) -> Path:
    """An H.264 clip of ``frames`` frames (and, with ``audio``, an AAC tone of the same length) at ``path``."""
    import av

    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("aac", rate=44100) if audio else None
        if sound is not None:
            sound.layout = "mono"
        yy, xx = np.mgrid[0:height, 0:width]
        for i in range(frames):
            img = np.stack([(xx + 3 * i) % 256, (yy + 2 * i) % 256, ((xx + yy + i) // 2) % 256], -1).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            samples = int(frames / fps * 44100)
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / 44100)).astype(np.float32)
            for s in range(0, samples, 1024):
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(tone[s : s + 1024][None]), format="flt", layout="mono"
                )
                frame.sample_rate, frame.pts = 44100, s
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


def audio_packets(path: Path) -> list[bytes]:
    """The audio stream's packets, as bytes."""
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return []
        return [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]


def frame_times(path: Path) -> list[float]:
    """Each video frame's presentation time in seconds."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [float(f.pts * stream.time_base) for f in container.decode(stream)]
