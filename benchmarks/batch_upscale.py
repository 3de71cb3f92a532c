"""Folder upscaling throughput: images per second of ``srkit upscale DIR -o OUT`` with 1 process (all cores as
threads), 2 worker processes (``-j 2``, one thread each) and Ray with 2 workers (``--ray --ray-workers 2``, a local
Ray instance started by the command), on many small images.

The images are ``--count`` crops of ``--size`` x ``--size`` pixels cut from the training photos in
``../shared/data/train`` (else from the bundled examples), saved as PNG. Each configuration runs as a child process,
timed from start to exit (Python start-up, model loading, worker or Ray start-up included: what a user waits for);
``in-process`` is the time the command itself reports, from its first file to its summary. The outputs of every
configuration are checked to be byte-identical to the single-process run.

Run: python benchmarks/batch_upscale.py [--count 1000] [--size 64] [--model srkit_fast srkit]
         [--write-docs docs/performance.md]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

import srkit
from _docs import cpu_model, replace_block

DATA = Path(os.environ.get("SRKIT_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
RUNS = (("1 process", ["-j", "1"]), ("2 processes", ["-j", "2"]), ("Ray, 2 workers", ["--ray", "--ray-workers", "2"]))


def make_crops(folder: Path, count: int, size: int) -> str:
    train = DATA / "train"
    photos = sorted(train.rglob("*.png")) if train.is_dir() else []
    source = "training photos in ../shared/data/train" if photos else "srkit's bundled examples"
    photos = photos or sorted(srkit.example_folder().glob("*.png"))
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    made = 0
    while made < count:
        with Image.open(photos[int(rng.integers(len(photos)))]) as im:
            rgb = np.asarray(im.convert("RGB"))
        if min(rgb.shape[:2]) < size:
            continue
        y, x = int(rng.integers(rgb.shape[0] - size + 1)), int(rng.integers(rgb.shape[1] - size + 1))
        Image.fromarray(rgb[y : y + size, x : x + size]).save(folder / f"{made:05d}.png")
        made += 1
    return source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--model", nargs="+", default=["srkit_fast", "srkit"])
    parser.add_argument("--write-docs", metavar="MD")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="srkit-batch-") as tmp:
        folder = Path(tmp) / "in"
        source = make_crops(folder, args.count, args.size)
        for model in args.model:
            base_rate, reference = None, None
            for label, extra in RUNS:
                out = Path(tmp) / f"{model}-{label.replace(' ', '_').replace(',', '')}"
                command = [
                    sys.executable,
                    "-m",
                    "srkit",
                    "upscale",
                    str(folder),
                    "-o",
                    str(out),
                    "--model",
                    model,
                    "--no-progress",
                    *extra,
                ]
                start = time.perf_counter()
                result = subprocess.run(command, check=False, capture_output=True, text=True)
                wall = time.perf_counter() - start
                summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
                inner = re.search(r" in ([0-9.]+) s", summary)
                files = sorted(out.iterdir()) if out.exists() else []
                if result.returncode != 0 or len(files) != args.count:
                    raise SystemExit(f"{label} failed: {summary}")
                outputs = [f.read_bytes() for f in files]
                if reference is None:
                    reference = outputs
                elif outputs != reference:
                    raise SystemExit(f"{label}: outputs differ from the single-process run")
                rate = args.count / wall
                base_rate = base_rate or rate
                rows.append(
                    (model, label, wall, float(inner.group(1)) if inner else float("nan"), rate, rate / base_rate)
                )
                print(f"{model:12s} {label:16s} {wall:7.1f} s  {rate:7.1f} img/s  x{rate / base_rate:.2f}", flush=True)
    lines = [
        "| model | run | wall time | in-process | images/s | vs 1 process |",
        "|---|---|---:|---:|---:|---:|",
        *(f"| `{m}` | {label} | {w:.1f} s | {i:.1f} s | {r:.1f} | {x:.2f}x |" for m, label, w, i, r, x in rows),
    ]
    note = (
        f"{args.count} PNG crops of {args.size}x{args.size} from the {source}, x4, default precision; measured on "
        f"{date.today().isoformat()} on a {os.cpu_count()}-core {cpu_model()} "
        f"(`python benchmarks/batch_upscale.py --count {args.count} --size {args.size}`). Outputs byte-identical "
        "across the three runs."
    )
    table = "\n".join([*lines, "", note])
    print(table)
    if args.write_docs:
        replace_block(args.write_docs, "<!-- batch-table:start -->", "<!-- batch-table:end -->", table)


if __name__ == "__main__":
    main()
