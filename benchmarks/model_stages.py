"""What each training stage of srkit's own models bought (issue 17): the table in docs/models.md.

Each stage is a weights file srkit shipped at some commit (read from git history, so the table needs no training to
regenerate) or, with ``--run LABEL=FOLDER``, a training run's EMA weights not shipped yet. Every stage is scored in
this one run, through srkit's one image path (``srkit.ModelMethod``: fp32, whole images, what ``srkit bench --model``
runs), under EVALUATION.md's protocol (MATLAB bicubic LR, Y channel, shave = scale), at x2, x3 and x4 on:

* the held-out validation split: the 16 BSD200 training images whose names end in 0, which stage 2 on left out of
  training (stage 1 trained on them: its column is optimistic);
* City100 HR: the 40 long-focal photos (420x300 city scenes) of ../shared/data/real/City100_iPhoneX_40, which no
  stage ever trained on, with LR made by MATLAB bicubic like the others (a validation set: choices are made here);
* Set5 and Set14 (test sets: no choice was made on them).

Steps and wall time are the totals over the stage and those before it, from the weights' training records. Speed:
the stages of one model upscale Set14 ``lenna``'s 256x256 corner x4 at ``--precision auto`` (what ``srkit upscale``
runs) in turn, ``--repeats`` rounds with the order reversed every other round; the median per stage.

Run: python benchmarks/model_stages.py [--models srkit srkit_fast] [--run LABEL=RUN_FOLDER ...]
     [--repeats 15] [--write-docs docs/models.md] [--json FILE] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

import srkit
from _docs import add_output_options, cpu_model, replace_block  # benchmarks/_docs.py
from srkit.engine import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SRKIT_SHARED_DATA") or ROOT.parent / "shared" / "data")
HELD_OUT = ("BSD200 held out", DATA / "train" / "BSD200", ["*0.png"])
CITY = ("City100 HR", DATA / "real" / "City100_iPhoneX_40")
TEST_SETS = ("Set5", "Set14")
SCALES = (2, 3, 4)
FILES = {
    "srkit": "src/srkit/assets/weights/srkit_net.safetensors",
    "srkit_fast": "src/srkit/assets/weights/srkit_fast.safetensors",
}
START, END = "<!-- model-stages:start -->", "<!-- model-stages:end -->"


@dataclass(frozen=True)
class Stage:
    """One row: ``rev`` is the commit whose shipped file holds the stage's weights (None: the working tree's)."""

    model: str
    label: str
    change: str
    rev: str | None


STAGES = (
    Stage(
        "srkit",
        "1",
        "from scratch: `configs/srkit/quality.yaml`, batch 16 of 48x48, cosine from 6e-4 (14000 steps, then the "
        "schedule extended to 20000)",
        "5fd6a2b",
    ),
    Stage(
        "srkit",
        "2",
        "+ `configs/srkit/quality_stage2.yaml`: 8000 steps from stage 1, batch 32 of 48x48, a fresh cosine from 4e-4, "
        "channels_last, 16 BSD200 images held out",
        "a277693",
    ),
    Stage(
        "srkit_fast",
        "1",
        "from scratch: `configs/srkit/fast.yaml`, batch 32 of 48x48, cosine from 2e-3, 6000 steps",
        "5fd6a2b",
    ),
    Stage(
        "srkit_fast",
        "2",
        "+ `configs/srkit/fast_stage2.yaml`: 6000 steps from stage 1, batch 64 of 48x48, a fresh cosine from 1e-3, "
        "channels_last, 16 BSD200 images held out",
        "a277693",
    ),
)


def _weights(stage: Stage, tmp: Path) -> Path:
    """The stage's weights file: the working tree's, or the one shipped at ``stage.rev`` (``git show``)."""
    if stage.rev is None:
        return ROOT / FILES[stage.model]
    out = tmp / f"{stage.model}_{stage.label}.safetensors"
    blob = subprocess.run(
        ["git", "show", f"{stage.rev}:{FILES[stage.model]}"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    out.write_bytes(blob)
    return out


def _minutes(text: str) -> float:
    return float(text.split()[0]) if text else 0.0


def _totals(model: nn.Module) -> tuple[int, float]:
    """Steps and minutes of training over every stage, from the weights' record (``earlier`` holds those before)."""
    record = srkit.card_of(model).training
    steps, minutes = int(record.get("steps", 0)), _minutes(record.get("wall_time", ""))
    earlier = record.get("earlier_steps")
    if earlier:
        steps += int(earlier)
        minutes += _minutes(record.get("earlier_wall_time", ""))
    return steps, minutes


def _run_totals(folder: Path, init_model: nn.Module | None) -> tuple[int, float]:
    """Steps and minutes of a run (its last checkpoint's step and training seconds, resumes included), plus those
    of the weights it started from."""
    state = load_checkpoint(folder / "latest.pt")
    steps, minutes = int(state["step"]), float(state.get("seconds", 0.0)) / 60
    if init_model is not None:
        before = _totals(init_model)
        steps, minutes = steps + before[0], minutes + before[1]
    return steps, minutes


def score(model: nn.Module) -> dict[str, float]:
    """``{"BSD200 held out x2": 33.1, ..., "Set14 x4": 28.1}``: PSNR on Y, fp32, whole images."""
    method = srkit.ModelMethod(model, precision="fp32", tile=None)
    name, folder, include = HELD_OUT
    sets = [srkit.BenchmarkSet(folder, name=name, include=include)]
    sets.append(srkit.BenchmarkSet(CITY[1], name=CITY[0], hr_only=True))
    sets += [srkit.BenchmarkSet(DATA / "bench" / s) for s in TEST_SETS]
    return {f"{r.dataset} x{r.scale}": r.psnr for r in srkit.evaluate(method, sets, list(SCALES), progress=False)}


def time_stages(models: list[nn.Module], repeats: int) -> list[float]:
    """Median seconds of one x4 upscale per model, the models timed in turn in each round (see the docstring)."""
    image = srkit.read_image(DATA / "bench" / "Set14" / "lenna.png")[:256, :256]
    upscalers = [srkit.Upscaler(m, tile=None) for m in models]
    for u in upscalers:
        u.upscale_array(image, 4)  # warm-up
    seconds: list[list[float]] = [[] for _ in upscalers]
    for r in range(repeats):
        for i in range(len(upscalers)) if r % 2 == 0 else reversed(range(len(upscalers))):
            began = time.perf_counter()
            upscalers[i].upscale_array(image, 4)
            seconds[i].append(time.perf_counter() - began)
    return [statistics.median(s) for s in seconds]


def markdown(rows: list[dict[str, Any]]) -> str:
    names = [HELD_OUT[0], CITY[0], *TEST_SETS]
    head = "| model | stage | change | steps | CPU time | " + " | ".join(f"{n} x2 / x3 / x4" for n in names)
    head += " | x4 upscale (ms) |"
    lines = [head, "|" + "---|" * (6 + len(names))]
    for r in rows:
        cells = [" / ".join(f"{r['psnr'][f'{n} x{s}']:.2f}" for s in SCALES) for n in names]
        lines.append(
            f"| `{r['model']}` | {r['stage']} | {r['change']} | {r['steps']} | {r['minutes']:.0f} min | "
            + " | ".join(cells)
            + (f" | {r['x4_ms']:.0f} |" if "x4_ms" in r else " | |")
        )
    lines.append("")
    lines.append(
        f"PSNR (dB) on Y, fp32, whole images, EVALUATION.md's protocol; measured on {cpu_model()} by "
        "`python benchmarks/model_stages.py --write-docs docs/models.md`. Stage 1 trained on the BSD200 held-out "
        "images; no stage saw City100. x4 upscale: Set14 lenna's 256x256 corner, --precision auto, the stages of a "
        "model timed in turn, median of the rounds."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(FILES), choices=list(FILES))
    parser.add_argument(
        "--run",
        action="append",
        default=[],
        metavar="MODEL:LABEL=FOLDER",
        help="also score a training run not shipped yet, e.g. srkit:2=runs/srkit_quality_stage2 (its init's record "
        "gives the earlier steps)",
    )
    parser.add_argument("--repeats", type=int, default=15, help="timed rounds (default 15)")
    add_output_options(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows: list[dict[str, Any]] = []
    models: list[nn.Module] = []

    def add(model: nn.Module, name: str, label: str, change: str, totals: tuple[int, float]) -> None:
        """Score one stage, keep it for timing, and print its row as soon as it is known."""
        models.append(model)
        row = {"model": name, "stage": label, "change": change, "steps": totals[0], "minutes": totals[1]}
        rows.append({**row, "psnr": score(model)})
        print(markdown(rows[-1:]).splitlines()[-3], flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        for stage in (s for s in STAGES if s.model in args.models):
            model = srkit.load_model(_weights(stage, Path(tmp)))
            add(model, stage.model, stage.label, stage.change, _totals(model))
        for spec in args.run:
            head, folder = spec.split("=", 1)
            name, label = head.split(":", 1)
            model, config = srkit.load_run(Path(folder))
            init = srkit.load_model(config.model.init) if config.model.init else None
            add(model, name, label, f"run `{folder}` (not shipped)", _run_totals(Path(folder), init))
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = [i for i, r in enumerate(rows) if r["model"] == name]
        for i, seconds in zip(mine, time_stages([models[i] for i in mine], args.repeats), strict=True):
            rows[i]["x4_ms"] = seconds * 1000
    table = markdown(rows)
    print(table)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.write_docs:
        replace_block(args.write_docs, START, END, table)


if __name__ == "__main__":
    main()
