"""Video SR (issue 15): Vid4 BI x4 with per-frame Y-PSNR/SSIM and tOF, and srkit video's memory over a clip's length.

* **Vid4** (``../shared/data/video/Vid4``, calendar and city: the clips the team has; evaluation only, never
  trained on): each frame cropped to a multiple of 4 and downscaled by MATLAB bicubic (BI); PSNR and SSIM on the
  BT.601 Y channel with 4 pixels shaved, averaged over the frames; tOF (``srkit.metrics.temporal.tof``, TecoGAN's
  Farneback flow difference; lower is steadier). Methods: bicubic, srkit's single-image models frame by frame,
  and the video networks given with ``--video NAME=WEIGHTS`` (e.g. a training run's ``model.safetensors``), run
  on windows of 15 frames overlapping by 3 (``srkit.video.clip_upscaler``, what ``srkit video`` runs).
* **Memory**: ``srkit video`` x2 with srkit_fast on synthetic 640x480 clips at 10 fps (moving gradients and an AAC
  tone) of 10 and 30 seconds, each in a fresh process: peak resident memory, time, and whether the output's audio
  packets equal the input's byte for byte.

Run::

    python benchmarks/video_table.py [--video basicvsr_lite=runs/video/basicvsr_lite_x4/model.safetensors]
        [--write-docs docs/video.md] [--json video.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch

import srkit
from _docs import add_output_options, cpu_model, replace_block
from srkit.video.evaluate import ClipMethod, bicubic_clip, evaluate_clip, format_clip_scores, frame_by_frame, load_clip
from srkit.video.upscale import clip_upscaler

ROOT = Path(__file__).resolve().parents[1]
VID4 = ROOT.parent / "shared" / "data" / "video" / "Vid4"

_PEAK = (
    "import resource, sys\nfrom srkit.cli.main import main\nrc = main(sys.argv[1:])\n"
    "print('peak_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(rc)"
)


def vid4_lines(videos: dict[str, str], clips: list[str]) -> tuple[list[str], list[dict[str, object]]]:
    methods: dict[str, ClipMethod] = {"bicubic": bicubic_clip(4)}
    for name in ("srkit_fast", "srkit"):
        methods[f"{name} (frame by frame)"] = frame_by_frame(name, 4)
    for name, weights in videos.items():
        up = clip_upscaler(srkit.load_model(weights))
        methods[name] = lambda frames, up=up: list(up(iter(frames)))  # type: ignore[misc]
    rows = [r for c in clips for r in evaluate_clip(c, load_clip(VID4 / c), methods, 4)]
    return format_clip_scores(rows).splitlines(), [asdict(r) for r in rows]


def memory_lines() -> tuple[list[str], list[dict[str, object]]]:
    sys.path.insert(0, str(ROOT / "tests" / "video"))
    from clips_fixture import audio_packets, make_clip

    lines = [
        "| Clip | Frames | Peak RSS (MiB) | Seconds | Audio packets equal |",
        "|---|---|---|---|---|",
    ]
    numbers = []
    with tempfile.TemporaryDirectory() as folder:
        for seconds in (10, 30):
            src = make_clip(Path(folder) / f"c{seconds}.mp4", frames=10 * seconds, width=640, height=480, fps=10)
            dst = Path(folder) / f"o{seconds}.mp4"
            start = time.perf_counter()
            cmd = [sys.executable, "-c", _PEAK, "video", str(src), "-o", str(dst), "--scale", "2", "--model"]
            done = subprocess.run([*cmd, "srkit_fast", "--no-progress"], capture_output=True, text=True, check=True)
            peak = int(done.stdout.split("peak_kib")[1].split()[0]) / 1024
            same = audio_packets(dst) == audio_packets(src) and bool(audio_packets(src))
            took = time.perf_counter() - start
            lines.append(f"| 640x480, {seconds} s at 10 fps | {10 * seconds} | {peak:.0f} | {took:.0f} | {same} |")
            numbers.append({"seconds": seconds, "peak_mib": peak, "wall": took, "audio_equal": same})
    return lines, numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", nargs="*", default=[], metavar="NAME=WEIGHTS", help="video networks to score")
    parser.add_argument("--clips", nargs="+", default=["calendar", "city"])
    add_output_options(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    videos = dict(v.split("=", 1) for v in args.video)
    vid4, vid4_numbers = vid4_lines(videos, args.clips)
    memory, memory_numbers = memory_lines()
    note = (
        f"Measured with `python benchmarks/video_table.py --write-docs docs/video.md` on {cpu_model()}, "
        f"{args.threads} torch threads, fp32."
    )
    print("\n".join([*vid4, "", *memory, "", note]))
    if args.write_docs:
        replace_block(
            args.write_docs, "<!-- video-vid4:start -->", "<!-- video-vid4:end -->", "\n".join([*vid4, "", note])
        )
        replace_block(
            args.write_docs, "<!-- video-memory:start -->", "<!-- video-memory:end -->", "\n".join([*memory, "", note])
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"vid4": vid4_numbers, "memory": memory_numbers}, indent=1))


if __name__ == "__main__":
    main()
