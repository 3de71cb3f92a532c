"""``srkit upscale INPUT... [-o OUT] [--scale S] [--model NAME|FILE]``: upscale image files, folders and globs."""

from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path
from typing import Any

import srkit
from srkit._core.progress import Progress
from srkit.archs.shipped import SUITS
from srkit.data.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES
from srkit.inference.api import upscale_file
from srkit.inference.upscale import MAX_SCALE, default_output, describe

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


def run(args: argparse.Namespace) -> int:
    inputs = expand_inputs(args.inputs)
    targets = plan_outputs(inputs, args.output, args.scale, args.format)
    if not args.overwrite:
        existing = [t for t in targets if t.exists()]
        if existing:
            more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
            raise srkit.SrkitError(f"{existing[0]}{more} exist(s); pass --overwrite to replace")
    if args.output is not None and not (len(inputs) == 1 and targets[0] == Path(args.output)):
        try:
            Path(args.output).mkdir(parents=True, exist_ok=True)
        except OSError as err:  # read-only file system, no permission, a file in the way
            raise srkit.SrkitError(f"cannot create the output folder {args.output}: {err.strerror or err}") from None
    up = srkit.Upscaler(
        args.model,
        device=args.device,
        precision=args.precision,
        tile=args.tile,
        overlap=args.overlap,
        tta=args.tta,
        noise_level=args.noise,
    )
    if args.noise and not up.card.noise_map:
        raise srkit.SrkitError(f"--noise is for models that take a noise-level map (srkit_prior), not {args.model}")
    show = False if (args.no_progress or args.quiet) else None  # None: a bar on a terminal, plain lines in logs
    start, mp_in, mp_out, failed = time.perf_counter(), 0.0, 0.0, 0
    for src, dst in zip(inputs, targets, strict=True):
        bar = Progress(desc=src.name, unit="tile", show=show, leave=False)

        def on_tile(done: int, total: int, bar: Progress = bar) -> None:
            if bar.total != total:
                bar.set_total(total)
            bar.moveto(done)

        try:
            (h, w), (oh, ow) = upscale_file(
                src,
                dst,
                args.scale,
                up,
                overwrite=args.overwrite,
                max_pixels=args.max_pixels,
                quality=args.quality,
                on_tile=on_tile,
            )
        except srkit.SrkitError as err:
            failed += 1
            print(f"srkit: error: {err}", file=sys.stderr)
            continue
        finally:
            bar.close()
        mp_in, mp_out = mp_in + h * w / 1e6, mp_out + oh * ow / 1e6
        if not args.quiet:
            print(f"{src} -> {dst} ({w}x{h} -> {ow}x{oh})")
    done = len(inputs) - failed
    if not args.quiet:
        seconds = time.perf_counter() - start
        print(
            f"upscaled {done} image{'s' if done != 1 else ''} x{args.scale:g} with {describe(up.net)} "
            f"({mp_in:.2f} MP in, {mp_out:.2f} MP out) in {seconds:.1f} s" + (f"; {failed} failed" if failed else "")
        )
    return 1 if failed else 0
