"""The unknown-degradation comparison of issue 11: the two-step GAN and CinCGAN against bicubic and srkit's
bicubic-trained default model, on the paired test pairs of an unpaired set (``srkit unpairedset ... --test``).

Methods: ``bicubic``; ``srkit`` (the shipped default model, trained on bicubic LR); ``two_step`` (the Low-to-High
network of a ``two_step`` run: its ``model.safetensors``); ``cincgan`` (``SR(G1(x))`` of a ``cincgan`` run,
:func:`srkit.unsupervised.load_cincgan`). A run that is missing is skipped with a note. PSNR / SSIM on Y with
``scale`` pixels shaved (EVALUATION.md), through srkit's one image path (what ``srkit bench`` measures), fp32,
whole images.

``--write-docs MD`` replaces the block between ``<!-- unknown-domain:start -->`` and ``<!-- unknown-domain:end -->``
of MD (atomically; docs/unsupervised/degradation_learning.md has it) with a table (method, PSNR, SSIM, the gain over
srkit's default model, ms per image) and a line saying how it was made and which runs it measured (each run's last
logged step, from its ``log.csv``, and its planned steps, from its ``config.yaml``).

Run (after ``srkit train configs/unsupervised/two_step.yaml`` and ``.../cincgan.yaml``)::

    python benchmarks/unknown_domain.py --data ../unknown_domain/test --two-step runs/two_step \\
        --cincgan runs/cincgan [--scale 4] [--markdown unknown_domain.md] [--json unknown_domain.json] \\
        [--write-docs docs/unsupervised/degradation_learning.md]
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
import yaml

import srkit
from _docs import cpu_model, replace_block
from srkit.data.paths import resolve_data_path
from srkit.unsupervised import load_cincgan

START, END = "<!-- unknown-domain:start -->", "<!-- unknown-domain:end -->"
NA = "\N{EN DASH}"
BASELINE = "srkit"
LABELS = {
    "bicubic": "bicubic",
    "srkit": "srkit default model (bicubic-trained)",
    "two_step": "two-step GAN (Bulat et al.)",
    "cincgan": "CinCGAN (Yuan et al.)",
}


def run_note(name: str, path: str) -> str:
    """Which run ``name`` is: its folder, its last logged step (``log.csv``) and its planned steps
    (``config.yaml``), as far as the folder has them."""
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    done: str | None = None
    total: object = None
    if (folder / "log.csv").is_file():
        with open(folder / "log.csv", encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        done = rows[-1].get("step") if rows else None
    if (folder / "config.yaml").is_file():
        config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
        total = config.get("steps") if isinstance(config, dict) else None
    if done is None and total is None:
        return f"{name}: `{path}`"
    return f"{name}: `{path}`, last logged step {done or NA} of {total or NA}"


def methods(args: argparse.Namespace) -> tuple[list[srkit.SRMethod], list[str]]:
    """The methods to measure, and a note on each run (measured or skipped)."""
    found: list[srkit.SRMethod] = [srkit.get_method("bicubic"), srkit.ModelMethod(srkit.load_model("srkit"))]
    notes = []
    for name, path in (("two_step", args.two_step), ("cincgan", args.cincgan)):
        if not path:
            continue
        if not Path(path).exists():
            print(f"note: no {name} run at {path}; skipped", file=sys.stderr)
            notes.append(f"{name}: no run at `{path}` (skipped)")
            continue
        if name == "two_step":
            model, _ = srkit.load_run(path)
            found.append(srkit.ModelMethod(model, name="two_step"))
        else:
            found.append(srkit.ModelMethod(load_cincgan(path), name="cincgan"))
        notes.append(run_note(name, path))
    return found, notes


def docs_table(results: Sequence[srkit.SetResult]) -> str:
    """The Markdown table of ``results``: one row per method and scale; the gain is the PSNR over srkit's default
    model's at the same scale."""
    base = {r.scale: r.psnr for r in results if r.method == BASELINE}
    lines = [
        "| method | scale | PSNR (dB) | SSIM | gain over srkit's default (dB) | ms/image |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        gain = NA
        if r.scale in base and r.method != BASELINE:
            gain = f"{round(r.psnr - base[r.scale], 2) + 0.0:+.2f}"  # + 0.0: no "-0.00"
        label = LABELS.get(r.method, r.method)
        cells = [label, f"x{r.scale}", f"{r.psnr:.2f}", f"{r.ssim:.4f}", gain, f"{1000 * r.seconds_per_image:.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def produced_by(argv: Sequence[str], results: Sequence[srkit.SetResult], notes: Sequence[str], protocol: str) -> str:
    cmd = " ".join(["python", "benchmarks/unknown_domain.py", *(shlex.quote(a) for a in argv)])
    pairs = len(results[0].images) if results else 0
    runs = "; ".join(notes) if notes else "none asked for"
    return (
        f"Produced by `{cmd}`: {pairs} test pairs; {protocol}; fp32, whole images, {torch.get_num_threads()} torch "
        f"thread(s) on {cpu_model()} ({os.cpu_count()} logical CPUs), torch {torch.__version__}. Runs: {runs}."
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="the test pairs: OUT/test of srkit unpairedset")
    p.add_argument("--two-step", default="runs/two_step", help="the two_step run folder")
    p.add_argument("--cincgan", default="runs/cincgan", help="the cincgan run folder")
    p.add_argument("--scale", type=int, nargs="+", default=[4])
    p.add_argument("--threads", type=int, default=1, help="torch threads (one is faster on a busy 2-core CPU)")
    p.add_argument("--markdown", metavar="FILE")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--write-docs", metavar="MD", help=f"replace the {START} ... {END} block of this file")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    test = srkit.BenchmarkSet(resolve_data_path(args.data, key="--data").path, name="unknown")
    protocol = srkit.Protocol(lr_note="unknown degradation (srkit.degradations.unknown), LR files")
    found, notes = methods(args)
    results = [r for m in found for r in srkit.evaluate(m, [test], args.scale, protocol, progress=False)]
    print(srkit.format_table(results, protocol))
    srkit.write_reports(results, protocol, per_image=True, markdown_path=args.markdown, json_path=args.json)
    if args.write_docs:
        block = docs_table(results) + "\n\n" + produced_by(argv, results, notes, protocol.describe())
        replace_block(args.write_docs, START, END, block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
