"""``srkit video IN -o OUT --scale 4 [--model NAME]``: upscale a video file (audio kept) or a frame folder."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from srkit._core.errors import SrkitError
from srkit._core.progress import Progress
from srkit.video.io import CODECS, probe
from srkit.video.upscale import describe, stream_upscaler, upscale_frames, upscale_video


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "video",
        help="upscale a video file (audio copied) or a frame folder",
        description="Upscales every frame of a video (any container FFmpeg reads: pip install 'srkit[video]') and "
        "encodes it as H.264 or H.265, keeping the frame rate, the timestamps and the audio stream (copied, not "
        "re-encoded). Frames are streamed (memory does not grow with the video's length) and encoded in chunks "
        "written atomically: after a kill, the same command continues at the first missing chunk. --frames DIR "
        "upscales a folder of frames instead (Vid4's 'Frame 001.png' ...; frames already written are kept). "
        "A video network (--model) sees windows of neighbouring frames; a single-image model upscales the frames one "
        "by one (the baseline of video SR).",
    )
    p.add_argument("input", metavar="IN", nargs="?", help="the video file")
    p.add_argument("--frames", metavar="DIR", help="a folder of frames instead of a video file")
    p.add_argument("-o", "--output", help="output video (default: IN_xS.mp4) or, with --frames, output folder")
    p.add_argument("--scale", type=int, default=4, help="upscaling factor (default 4)")
    p.add_argument(
        "--model",
        default="srkit",
        help="a video network (windows of frames; a weights file of basicvsr_lite, basicvsr_uni or vespcn) or a "
        "single-image model applied to each frame (default srkit)",
    )
    p.add_argument("--codec", choices=sorted(CODECS), default="h264", help="output codec (default h264)")
    p.add_argument("--crf", type=int, default=18, help="quality, 0-51, lower is better (default 18)")
    p.add_argument("--chunk", type=int, default=100, help="frames per resumable chunk (default 100)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if (args.input is None) == (args.frames is None):
        raise SrkitError("give a video file or --frames DIR (one of them)")
    if args.scale < 2:
        raise SrkitError(f"--scale is an integer >= 2, got {args.scale}")
    upscaler = stream_upscaler(args.model, args.scale)
    start = time.perf_counter()
    if args.frames:
        out = Path(args.output or f"{Path(args.frames).name.rstrip('/')}_x{args.scale}")
        with Progress(0, "frames", "frame", show=False if args.no_progress else None) as bar:
            result = upscale_frames(args.frames, out, upscaler, overwrite=args.overwrite, progress=_moveto(bar))
        print(f"{args.frames} -> {out}: {result.frames} frames ({result.upscaled} upscaled) in {result.seconds:.1f} s")
        return 0
    src = Path(args.input)
    dst = Path(args.output) if args.output else src.with_name(f"{src.stem}_x{args.scale}.mp4")
    info = probe(src)
    with Progress(info.frames, "video", "frame", show=False if args.no_progress else None) as bar:
        result = upscale_video(
            src,
            dst,
            upscaler,
            scale=args.scale,
            settings={"model": args.model},
            codec=args.codec,
            crf=args.crf,
            chunk=args.chunk,
            overwrite=args.overwrite,
            progress=_moveto(bar),
        )
    kept = result.frames - result.upscaled
    resumed = f", {kept} kept from an interrupted run" if kept else ""
    audio = "audio copied" if result.audio else "no audio"
    fps = result.upscaled / max(time.perf_counter() - start, 1e-9)
    print(
        f"{src} -> {dst} ({describe(info)}; x{args.scale} with {args.model}): {audio}{resumed}; "
        f"{result.seconds:.1f} s ({fps:.2f} frames/s)",
        file=sys.stdout,
    )
    return 0


def _moveto(bar: Progress) -> Any:
    def update(done: int, total: int) -> None:
        bar.set_total(total)
        bar.moveto(done)

    return update
