"""Face hallucination with facial priors (issue 13): srkit's FSRNet against the same-size generic model and bicubic
on held-out Helen faces, the landmark error of their outputs, picture grids, and ``srkit face`` on real photos.

* **Faces**: Helen_train_128's validation split (87 faces of every 10th photo; ``srkit.face.data.face_split``),
  never trained on. LR = MATLAB bicubic downscale (16x16 at x8, 32x32 at x4). PSNR/SSIM on the BT.601 Y channel,
  shave = scale (EVALUATION.md's metric); landmark NME (``srkit.metrics.nme``: mean point error / outer-eye-corner
  distance) of the 68 points ``srkit.face.landmarks`` estimates on each output; the HR row is that estimator's own
  error on the true faces.
* **Models**: the shipped ``srkit_face_x8``/``_x4`` (FSRNet) and ``srkit_face_generic_x8``/``_x4`` (no priors,
  same parameter count, same recipe and budget), as their cards say.
* **Photos**: ``srkit face`` (``srkit.face.photo.upscale_with_faces``) on BSD200 photos with several small faces:
  wall time on this CPU and the faces found and restored, plus crops before/after.

Run::

    python benchmarks/face_table.py [--faces ../shared/data/face/Helen_train_128] [--write-docs docs/face.md]
        [--json face.json]

It writes docs/img/face_grid_x8.png, face_grid_x4.png and face_photo.png, and with ``--write-docs`` the blocks
``<!-- face-table -->`` and ``<!-- face-photo -->`` of docs/face.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import srkit
from _docs import add_output_options, cpu_model, replace_block
from srkit._core.fileio import atomic_path
from srkit.data.io import read_image
from srkit.face.api import FACE_MODELS, GENERIC_MODELS
from srkit.face.evaluate import bicubic, evaluate_faces, face_model_method
from srkit.face.photo import upscale_with_faces

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
IMG = ROOT / "docs" / "img"
GRID_FACES = (3, 17, 40, 71)  # validation faces shown in the grids (indexes in the split's order)
PHOTOS = (("BSD200/245051.png", 8, 1.0), ("BSD200/376001.png", 4, 0.5))  # file, scale, pre-shrink
# FSRNet's paper, Helen x8 (PSNR only; ../shared/docs/PUBLISHED.md [FSRN-q]: Torch bicubic LR, RGB unknown)
PUBLISHED = (("Bicubic", "23.69"), ("SRResNet", "25.30"), ("FSRNet", "25.87"))


def _grid(kept: dict[str, list[np.ndarray]], scale: int, path: Path) -> None:
    columns = ["LR", "bicubic", "generic", "FSRNet", "HR"]
    rows = []
    for i in range(len(kept["HR"])):
        tiles = []
        for c in columns:
            im = kept[c][i]
            tiles.append(np.kron(im, np.ones((scale, scale, 1), np.uint8)) if c == "LR" else im)
        rows.append(np.concatenate(tiles, axis=1))
    with atomic_path(path, overwrite=True) as tmp:
        Image.fromarray(np.concatenate(rows, axis=0)).save(tmp, format="PNG")


def faces_table(faces: Path) -> tuple[list[str], dict[str, list[dict[str, object]]]]:
    lines, numbers = [], {}
    for scale in (8, 4):
        methods = {
            "bicubic": bicubic,
            "generic": face_model_method(generic=True),
            "FSRNet": face_model_method(),
            "generic + mirror": face_model_method(generic=True, mirror=True),
            "FSRNet + mirror": face_model_method(mirror=True),
        }
        start = time.perf_counter()
        rows, kept = evaluate_faces(faces, scale, methods, keep=GRID_FACES)
        print(f"x{scale}: scored {rows[0].faces} faces in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        _grid(kept, scale, IMG / f"face_grid_x{scale}.png")
        numbers[f"x{scale}"] = [asdict(r) for r in rows]
        by = {r.method: r for r in rows}
        lines += [
            f"**x{scale}** ({128 // scale}x{128 // scale} -> 128x128, {rows[0].faces} held-out Helen faces)",
            "",
            "| method | model | PSNR (Y) | SSIM (Y) | landmark NME |",
            "|---|---|---|---|---|",
            f"| HR faces (the landmark estimator's own error) | - | - | - | {by['HR'].nme:.4f} |",
        ]
        names = {"bicubic": "-", "generic": GENERIC_MODELS[scale], "FSRNet": FACE_MODELS[scale]}
        for r in rows[1:]:
            model = names[r.method.split(" + ")[0]]
            lines.append(f"| {r.method} | {model} | {r.psnr:.2f} | {r.ssim:.4f} | {r.nme:.4f} |")
        gain = by["FSRNet"].psnr - by["generic"].psnr
        over = by["FSRNet"].psnr - by["bicubic"].psnr
        lines += [
            "",
            f"FSRNet - generic: {gain:+.2f} dB, NME {by['FSRNet'].nme - by['generic'].nme:+.4f}; "
            f"FSRNet - bicubic: {over:+.2f} dB; generic - bicubic: "
            f"{by['generic'].psnr - by['bicubic'].psnr:+.2f} dB. With the mirror self-ensemble (`--mirror`: each "
            f"face also restored mirrored, the two averaged): FSRNet - generic "
            f"{by['FSRNet + mirror'].psnr - by['generic + mirror'].psnr:+.2f} dB, FSRNet - bicubic "
            f"{by['FSRNet + mirror'].psnr - by['bicubic'].psnr:+.2f} dB.",
            "",
        ]
    lines += [
        "Published, Helen x8 (FSRNet's paper, PSNR only; its own split and Torch's bicubic LR, so only the gaps "
        "compare): " + ", ".join(f"{m} {v}" for m, v in PUBLISHED) + " dB (FSRNet - SRResNet +0.57 dB).",
    ]
    return lines, numbers


def photos_table() -> tuple[list[str], list[dict[str, object]]]:
    lines = [
        "| photo | input | scale | faces found | restored (aligned crop side, px) | srkit face | srkit upscale |",
        "|---|---|---|---|---|---|---|",
    ]
    numbers, crops = [], []
    for name, scale, shrink in PHOTOS:
        photo = read_image(SHARED / "train" / name, gray_to_rgb=True)
        if shrink != 1.0:
            photo = srkit.imresize(photo, shrink)
        upscale_with_faces(photo[:32, :32], scale)  # load the models before timing
        start = time.perf_counter()
        out, faces = upscale_with_faces(photo, scale)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        plain = np.asarray(srkit.upscale(photo, scale))
        plain_seconds = time.perf_counter() - start
        restored = [f for f in faces if f.restored]
        sides = ", ".join(f"{f.side:.0f}" for f in restored) or "none"
        h, w = photo.shape[:2]
        what = f"{name}" + (f" at {shrink:g}x" if shrink != 1.0 else "")
        lines.append(
            f"| {what} | {w}x{h} | x{scale} | {len(faces)} | {len(restored)} ({sides}) | {seconds:.1f} s "
            f"| {plain_seconds:.1f} s |"
        )
        numbers.append(
            {
                "photo": what,
                "scale": scale,
                "faces": len(faces),
                "restored": len(restored),
                "seconds": seconds,
                "upscale_seconds": plain_seconds,
            }
        )
        for f in restored:
            x, y, fw, fh = f.box
            cx, cy, r = int((x + fw / 2) * scale), int((y + fh / 2) * scale), int(max(fw, fh) * scale)
            y0, x0 = max(cy - r, 0), max(cx - r, 0)
            pair = [im[y0 : y0 + 2 * r, x0 : x0 + 2 * r] for im in (plain, out)]
            side = 192
            crops.append(np.concatenate([np.asarray(Image.fromarray(p).resize((side, side))) for p in pair], 1))
    if crops:
        with atomic_path(IMG / "face_photo.png", overwrite=True) as tmp:
            Image.fromarray(np.concatenate(crops, axis=0)).save(tmp, format="PNG")
    return lines, numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=Path, default=SHARED / "face" / "Helen_train_128")
    add_output_options(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    face_lines, face_numbers = faces_table(args.faces)
    photo_lines, photo_numbers = photos_table()
    note = (
        f"Measured with `python benchmarks/face_table.py --write-docs docs/face.md` on {cpu_model()}, "
        f"{args.threads} torch threads, fp32."
    )
    print("\n".join([*face_lines, "", *photo_lines, "", note]))
    if args.write_docs:
        replace_block(
            args.write_docs, "<!-- face-table:start -->", "<!-- face-table:end -->", "\n".join([*face_lines, "", note])
        )
        replace_block(
            args.write_docs, "<!-- face-photo:start -->", "<!-- face-photo:end -->", "\n".join([*photo_lines, "", note])
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"faces": face_numbers, "photos": photo_numbers}, indent=1))


if __name__ == "__main__":
    main()
