"""Video super-resolution (survey section 6.3): video files and frame folders in and out, streamed and resumable.

- :mod:`srkit.video.io`: PyAV decoding and encoding (H.264/H.265), the audio stream copied, frame folders.
- :mod:`srkit.video.upscale`: :func:`upscale_video` (chunks written atomically, resumable after a kill, then
  joined with the source's audio) and :func:`upscale_frames`, with any frame upscaler; :func:`frame_upscaler`
  applies a single-image model frame by frame.
"""

from srkit.video.io import VideoInfo, VideoWriter, list_frames, probe, read_frames
from srkit.video.upscale import VideoResult, frame_upscaler, upscale_frames, upscale_video

__all__ = [
    "VideoInfo",
    "VideoResult",
    "VideoWriter",
    "frame_upscaler",
    "list_frames",
    "probe",
    "read_frames",
    "upscale_frames",
    "upscale_video",
]
