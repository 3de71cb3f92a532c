"""``srkit train CONFIG`` and ``srkit eval CHECKPOINT``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import srkit
import srkit.face  # registers data kind faces and recipe face_prior
import srkit.hsi  # registers data kind cubes and recipe hsi
import srkit.unsupervised  # registers the unpaired recipes (two_step, cincgan)
import srkit.video.train  # registers data kind clips and recipe vsr
from srkit.data.paths import resolve_data_path


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train a model from a YAML recipe (configs/train/*.yaml)",
        description="Train a zoo model or a composed one from a YAML recipe. Checkpoints (output/latest.pt), a CSV "
        "log, final weights (model.safetensors) and a training curve (curve.png) go to the config's 'output'. A run "
        "killed at any point continues bit for bit with --resume. Relative data paths are read from the current "
        "folder, except ../shared/data/... which comes from $SRKIT_SHARED_DATA when it is set.",
    )
    p.add_argument("config", help="the YAML recipe")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set steps=2000 --set data.batch_size=8 (repeatable)",
    )
    p.add_argument("--resume", action="store_true", help="continue the run in the output folder")
    p.add_argument("--device", default="cpu", help="cpu, cuda or mps")
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="print no progress (otherwise a bar on a terminal, and a line every 30 s in logs and pipes)",
    )
    p.set_defaults(run=run_train)
    e = sub.add_parser(
        "eval",
        help="evaluate a training checkpoint or run folder on benchmark sets",
        description="Evaluate the model of a training run (a run folder, its latest.pt, or its model.safetensors "
        "with config.yaml beside it) with the standard protocol.",
    )
    e.add_argument("checkpoint", help="run folder, latest.pt, or model(_ema).safetensors")
    e.add_argument(
        "--data",
        "-d",
        nargs="+",
        required=True,
        metavar="DIR",
        help="benchmark folders of HR images (../shared/data/... from $SRKIT_SHARED_DATA when it is set)",
    )
    e.add_argument("--device", default="cpu")
    e.add_argument("--no-progress", action="store_true")
    e.set_defaults(run=run_eval)


def run_train(args: argparse.Namespace) -> int:
    config = srkit.load_config(args.config, args.overrides)
    result = srkit.train(config, resume=args.resume, device=args.device, progress=False if args.no_progress else None)
    psnr = f", validation PSNR {result.val_psnr:.2f} dB" if result.val_psnr is not None else ""
    summary = f"trained {result.steps} steps in {result.seconds:.0f} s: loss {result.loss:.4f}{psnr}"
    print(f"{summary}; files in {result.output}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    model, config = srkit.load_run(Path(args.checkpoint))
    scale = config.model.scale
    method = srkit.ModelMethod(model, name=Path(args.checkpoint).stem, device=args.device)
    sets = [srkit.BenchmarkSet(resolve_data_path(d, key="--data").path) for d in args.data]  # the training rule
    results = srkit.evaluate(method, sets, [scale], progress=False if args.no_progress else None)
    print(srkit.format_table(results, srkit.Protocol()))
    return 0
