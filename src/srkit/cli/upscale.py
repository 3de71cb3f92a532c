"""``srkit upscale INPUT... [-o OUT] [--scale S] [--model NAME|FILE]``: upscale image files, folders and globs."""

from __future__ import annotations

import argparse
import glob
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import srkit
from srkit._core.progress import Progress
from srkit.archs.shipped import SUITS
from srkit.data.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES
from srkit.inference.batch import Job, Outcome, Settings, available_cores, run_local, run_ray
from srkit.inference.upscale import MAX_SCALE, Upscaler, default_output, describe

_FORMATS = {"png": ".png", "jpg": ".jpg", "jpeg": ".jpg", "webp": ".webp", "tif": ".tif", "tiff": ".tif", "bmp": ".bmp"}


def _tile(value: str) -> int | str | None:
    if value == "auto":
        return "auto"
    if value in ("0", "none", "off"):
        return None  # as srkit.upscale(tile=0); the smallest size is the Upscaler's check (4 overlaps)
    size = int(value) if value.isdigit() else -1
    if size < 1:
        raise argparse.ArgumentTypeError(f"--tile takes auto, none (or 0) or a size in LR pixels, not {value!r}")
    return size


def _scale(value: str) -> float:
    try:
        s = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--scale takes a number greater than 1, not {value!r}") from None
    if not s >= 1 or s > MAX_SCALE:
        raise argparse.ArgumentTypeError(
            f"--scale must be greater than 1 (or 1 for a same-size model) and at most {MAX_SCALE}, got {value}"
        )
    return int(s) if s.is_integer() else s


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "upscale",
        help="upscale images (files, folders, globs) with srkit's own model or any checkpoint",
        description="Upscale images with srkit's default model (quality tier; --model srkit_fast for the fast tier, "
        "srkit_real or srkit_real_gan for real photos with blur, noise and JPEG artefacts) or any checkpoint "
        "srkit.load_model reads. PNG, JPEG, WebP, TIFF, BMP; alpha, grayscale and 16-bit "
        "kept; EXIF orientation applied; ICC profile and EXIF kept where the format allows. Outputs are written "
        "atomically; PNG and TIFF outputs are streamed, so huge images need little memory.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders (their images) or glob patterns")
    p.add_argument(
        "-o",
        "--output",
        help="output file (one input) or folder (created if missing); default: beside each input, as NAME_xS.EXT",
    )
    p.add_argument(
        "--scale",
        type=_scale,
        default=4,
        help=f"output/input size ratio, any number > 1 and <= {MAX_SCALE} (default 4); 1 with a same-size model "
        "(e.g. a vdsr_camera checkpoint trained on real camera pairs, on an LR image already at the HR size)",
    )
    p.add_argument(
        "--model",
        default="srkit",
        help="a shipped model or a checkpoint file. Which shipped model suits which photo: "
        + "; ".join(f"{name}: {use}" for name, use in SUITS.items() if not name.startswith("srkit_hsi"))
        + " (srkit_hsi_* are hyperspectral networks: srkit hsi)",
    )
    p.add_argument(
        "--noise",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="for a model that takes a noise-level map (srkit_prior): the input's noise standard deviation, 0-255 "
        "scale (default 0: clean)",
    )
    p.add_argument(
        "--tile",
        type=_tile,
        default="auto",
        help="LR tile size: 'auto' (default, from free memory), 'none' or 0 (the whole image at once), or N pixels, "
        "at least 4x the overlap (184 for srkit, 80 for srkit_fast with the default overlap)",
    )
    p.add_argument("--overlap", type=int, help="LR pixels shared by tiles (default: covers the receptive field)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or mps (default cpu)")
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "fp16"),
        default="auto",
        help="auto (default): bf16 for srkit's models on CPUs with native bf16 (about 2x faster; Set5/Set14 means "
        "within 0.003 dB of fp32, single images within 0.01 dB, measured), else fp32",
    )
    p.add_argument("--tta", action="store_true", help="self-ensemble over 8 flips/rotations (8x slower)")
    p.add_argument("--format", choices=sorted(_FORMATS), help="output format (default: the input's)")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave existing output files as they are and upscale the rest: resumes a folder job that was stopped "
        "(outputs are written atomically, so an existing file is always whole)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default="auto",
        help="processes for many files (this one and N-1 workers), each with its own model and cores/N threads: "
        "a number, or 'auto' "
        "(default: all cores when there are at least 4 files per core on the CPU, else 1: one process using all "
        "cores, which suits few or large images)",
    )
    p.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="run on a Ray cluster (pip install 'srkit[ray]'): ADDRESS as ray.init takes it ('auto' for the cluster "
        "this machine belongs to, ray://HOST:10001 for a remote one); without ADDRESS, a local Ray instance. "
        "Workers receive and return file bytes: no shared file system needed",
    )
    p.add_argument(
        "--ray-workers",
        type=int,
        default=2,
        metavar="N",
        help="Ray actors, one model each (default 2); with --device cuda each takes one GPU",
    )
    p.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help=f"refuse inputs with more pixels (decompression bombs; default {DEFAULT_MAX_PIXELS})",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress (default: a bar on a terminal, a plain line every 30 s in logs)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(run=run)


def _jobs(value: str) -> int | str:
    if value == "auto":
        return value
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"--jobs takes a number of processes >= 1 or 'auto', not {value!r}")
    return int(value)


def pick_processes(jobs: int | str, files: int, device: str) -> int:
    """``--jobs``: a number as given (at most one per file); ``auto``: one per core when there are at least 4 files
    per core on the CPU (worth a process's start-up, about 2 s), else 1."""
    if jobs != "auto":
        return max(1, min(int(jobs), files))
    cores = available_cores()
    return cores if device == "cpu" and cores > 1 and files >= 4 * cores else 1


def expand_inputs(patterns: list[str]) -> list[Path]:
    """Files as given, folders as their images (sorted), globs as their matching image files; duplicates once.

    Raises:
        srkit.SrkitError: an input that is neither a file, a folder nor a glob matching an image.
    """
    found: list[Path] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(srkit.list_images(path))
        elif glob.has_magic(pattern):
            hits = sorted(Path(h) for h in glob.glob(pattern, recursive=True))
            images = [h for h in hits if h.is_file() and h.suffix.lower() in IMAGE_SUFFIXES]
            if not images:
                raise srkit.SrkitError(f"no image matches {pattern!r}")
            found.extend(images)
        else:
            raise srkit.SrkitError(f"input not found: {pattern}")
    unique: dict[Path, None] = {}
    for f in found:
        unique.setdefault(f.resolve(), None)
    return list(unique)


def plan_outputs(inputs: list[Path], output: str | None, scale: float, fmt: str | None) -> list[Path]:
    """Where each input's result goes; refuses name clashes and writing over an input."""
    suffix = _FORMATS[fmt] if fmt else None
    single_file = output is not None and len(inputs) == 1 and Path(output).suffix.lower() in IMAGE_SUFFIXES
    if output is not None and not single_file and Path(output).suffix.lower() in IMAGE_SUFFIXES:
        raise srkit.SrkitError(f"{len(inputs)} inputs need an output folder, not the file name {output}")
    targets: list[Path] = []
    for src in inputs:
        if single_file:
            assert output is not None
            targets.append(Path(output))
        elif output is not None:
            targets.append(Path(output) / src.with_suffix(suffix or src.suffix).name)
        else:
            targets.append(default_output(src, scale, suffix))
    seen: dict[Path, Path] = {}
    for src, dst in zip(inputs, targets, strict=True):
        if dst.resolve() in seen:
            raise srkit.SrkitError(f"{seen[dst.resolve()]} and {src} would both be written to {dst}")
        if dst.resolve() in set(inputs):
            raise srkit.SrkitError(f"the output {dst} would replace an input; choose another -o")
        seen[dst.resolve()] = src
    return targets


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        model=args.model,
        scale=args.scale,
        device=args.device,
        precision=args.precision,
        tile=args.tile,
        overlap=args.overlap,
        tta=args.tta,
        noise_level=args.noise,
        overwrite=args.overwrite,
        max_pixels=args.max_pixels,
        quality=args.quality,
    )


def run(args: argparse.Namespace) -> int:
    if args.overwrite and args.skip_existing:
        raise srkit.SrkitError("--overwrite and --skip-existing contradict each other: choose one")
    if args.ray_workers < 1:
        raise srkit.SrkitError(f"--ray-workers must be >= 1, got {args.ray_workers}")
    inputs = expand_inputs(args.inputs)
    targets = plan_outputs(inputs, args.output, args.scale, args.format)
    jobs = [Job(src, dst) for src, dst in zip(inputs, targets, strict=True)]
    skipped = 0
    if not args.overwrite:
        existing = [j for j in jobs if j.target.exists()]
        if existing and not args.skip_existing:
            more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
            raise srkit.SrkitError(
                f"{existing[0].target}{more} exist(s); pass --overwrite to replace, or --skip-existing to keep"
            )
        skipped = len(existing)
        jobs = [j for j in jobs if not j.target.exists()]
    if args.output is not None and not (len(inputs) == 1 and targets[0] == Path(args.output)):
        try:
            Path(args.output).mkdir(parents=True, exist_ok=True)
        except OSError as err:  # read-only file system, no permission, a file in the way
            raise srkit.SrkitError(f"cannot create the output folder {args.output}: {err.strerror or err}") from None
    settings = _settings(args)
    up = settings.upscaler()  # checks the model and settings here, once, before any worker starts
    if args.noise and not up.card.noise_map:
        raise srkit.SrkitError(f"--noise is for models that take a noise-level map (srkit_prior), not {args.model}")
    show = False if (args.no_progress or args.quiet) else None  # None: a bar on a terminal, plain lines in logs
    start = time.perf_counter()
    processes = pick_processes(args.jobs, len(jobs), args.device)
    if args.ray is not None:
        outcomes = run_ray(jobs, settings, address=args.ray or None, workers=args.ray_workers)
        where = f" on Ray ({args.ray_workers} workers)"
    else:
        outcomes = _local(jobs, settings, up, processes, show)
        where = f" in {processes} processes" if processes > 1 else ""
    done, failed, mp_in, mp_out = 0, 0, 0.0, 0.0
    files = Progress(desc="images", unit="img", total=len(jobs), show=show if len(jobs) > 1 else False)
    try:
        for outcome in outcomes:
            files.update(1)
            if not outcome.ok:
                failed += 1
                print(f"srkit: error: {outcome.error}", file=sys.stderr)
                continue
            done += 1
            (h, w), (oh, ow) = outcome.in_size, outcome.out_size
            mp_in, mp_out = mp_in + h * w / 1e6, mp_out + oh * ow / 1e6
            if not args.quiet:
                print(f"{outcome.job.source} -> {outcome.job.target} ({w}x{h} -> {ow}x{oh})")
    finally:
        files.close()
    if not args.quiet:
        seconds = time.perf_counter() - start
        print(
            f"upscaled {done} image{'s' if done != 1 else ''} x{args.scale:g} with {describe(up.net)}{where} "
            f"({mp_in:.2f} MP in, {mp_out:.2f} MP out) in {seconds:.1f} s"
            + (f"; {skipped} skipped (already there)" if skipped else "")
            + (f"; {failed} failed" if failed else "")
        )
    return 1 if failed else 0


def _local(jobs: list[Job], settings: Settings, up: Upscaler, processes: int, show: bool | None) -> Iterator[Outcome]:
    """run_local with a tile bar per image when one process does the work."""
    bars: list[Progress] = []

    def on_tile(job: Job) -> object:
        for old in bars:
            old.close()
        bars[:] = [Progress(desc=job.source.name, unit="tile", show=show, leave=False)]
        bar = bars[0]

        def report(done: int, total: int) -> None:
            if bar.total != total:
                bar.set_total(total)
            bar.moveto(done)

        return report

    try:
        yield from run_local(jobs, settings, processes=processes, upscaler=up, on_tile=on_tile)
    finally:
        for bar in bars:
            bar.close()
