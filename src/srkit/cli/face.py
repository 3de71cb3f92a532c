"""``srkit face IMG [-o OUT] [--scale 4|8] [--aligned]``: upscale a photo with its faces restored by srkit's face
model (FSRNet with facial priors), or restore one aligned face crop."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from srkit._core.errors import SrkitError
from srkit.cli._per_image import image_target, write_like
from srkit.data.imagefile import read_picture
from srkit.face.api import FACE_SCALES, FACE_SIZE, hallucinate
from srkit.face.photo import MAX_ENLARGE, upscale_with_faces


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "face",
        help="upscale a photo x4 or x8 with its small faces restored by the face model (FSRNet)",
        description="Finds frontal faces (OpenCV's bundled Haar detector: pip install 'srkit[face]'), aligns each "
        "with its 68 estimated landmarks, restores it with srkit's face model (FSRNet with landmark and parsing "
        "priors, trained on Helen faces) and pastes it back with a feathered mask; the rest of the photo is "
        "upscaled with srkit's default model. The face model restores small faces: aligned crops up to "
        f"{MAX_ENLARGE:g}x its input of 16 px (x8) or 32 px (x4), i.e. faces up to about 18 or 37 px wide; "
        "larger faces are left to the default model. No face found: the photo is still upscaled, and the "
        "summary says so. --aligned restores one face crop already framed like the training faces. 8-bit "
        "images; the whole output is held in memory and written atomically.",
    )
    p.add_argument("input", metavar="IMG", help="the photo (or, with --aligned, the aligned face crop)")
    p.add_argument("--scale", type=int, choices=FACE_SCALES, default=8, help="4 or 8 (default 8)")
    p.add_argument("-o", "--output", help="output file (default: beside the input, as NAME_face_xS.EXT)")
    p.add_argument(
        "--aligned",
        action="store_true",
        help="the input is one aligned face (16x16 at x8, 32x32 at x4; other sizes are resized to that first)",
    )
    p.add_argument(
        "--mirror",
        action="store_true",
        help="restore each face also mirrored and average the two (self-ensemble: +0.1 dB on held-out faces, "
        "twice the face model's time)",
    )
    p.add_argument("--model", help="face model weights (default: srkit's shipped FSRNet for the scale)")
    p.add_argument("--upscaler", default="srkit", help="model for the rest of the photo (default srkit)")
    p.add_argument("--no-progress", action="store_true", help="no progress lines")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.set_defaults(run=run)


def _rgb8(pixels: np.ndarray, src: Path) -> np.ndarray:
    if pixels.dtype != np.uint8:
        raise SrkitError(f"{src}: srkit face takes 8-bit images, this one is {pixels.dtype}; convert it first")
    if pixels.shape[2] in (1, 2):  # gray (+ alpha): the face model sees colour
        pixels = np.concatenate([np.repeat(pixels[:, :, :1], 3, axis=2), pixels[:, :, 1:]], axis=2)
    return pixels


def run(args: argparse.Namespace) -> int:
    src = Path(args.input)
    picture = read_picture(src)
    dst = image_target(src, args.output, f"face_x{args.scale}", picture, overwrite=args.overwrite)
    pixels = _rgb8(picture.pixels, src)
    start = time.perf_counter()
    show = (lambda text: print(f"{src}: {text}", file=sys.stderr)) if not args.no_progress else None
    h, w = pixels.shape[:2]
    try:
        if args.aligned:
            face = hallucinate(pixels[:, :, :3], args.scale, model=args.model, mirror=args.mirror)
            size = (h * args.scale, w * args.scale)
            resized = Image.fromarray(face).resize((size[1], size[0]), Image.Resampling.BICUBIC)
            out = face if face.shape[:2] == size else np.asarray(resized)
            summary = f"restored the aligned face ({w}x{h} as {FACE_SIZE // args.scale}x{FACE_SIZE // args.scale})"
        else:
            out, faces = upscale_with_faces(pixels, args.scale, model=args.model, upscaler=args.upscaler, on_step=show)
            restored = [f for f in faces if f.restored]
            if not faces:
                summary = f"no face found: upscaled with {args.upscaler} alone"
            else:
                sizes = ", ".join(f"{f.side:.0f}" for f in restored) or "none"
                summary = f"{len(faces)} face(s) found, {len(restored)} restored (aligned crops of {sizes} px)"
                large = sum(f.side > MAX_ENLARGE * FACE_SIZE / args.scale for f in faces)
                if large:
                    summary += f"; {large} too large for the face model, left to {args.upscaler}"
                if len(faces) - len(restored) - large:
                    summary += f"; {len(faces) - len(restored) - large} not shaped like a face, left alone"
    except SrkitError as err:
        raise SrkitError(f"{src}: {err}") from None
    if picture.channels in (1, 2):  # back to gray, as the input was
        gray = out[:, :, :3].mean(axis=2, keepdims=True).round().astype(np.uint8)
        out = np.concatenate([gray, out[:, :, 3:]], axis=2)
    write_like(dst, np.ascontiguousarray(out), picture, overwrite=args.overwrite)
    oh, ow = out.shape[:2]
    print(f"{src} -> {dst} ({w}x{h} -> {ow}x{oh}): {summary}; {time.perf_counter() - start:.1f} s")
    return 0
