"""Hyperspectral SR (issue 14): fusion of an LR cube with an HR guide, and single-image HSI SR, on held-out scenes.

* **Scenes** (``../shared/data/hsi``, ``srkit.hsi.scenes``): the networks trained on Samson and Jasper Ridge
  (fusion) and on Samson, Jasper Ridge and Houston 2018 (single-image SR); CAVE balloons is held out from both,
  Houston 2018 from the fusion network.
* **Simulation** (Wald's protocol, ``srkit.hsi.simulate``): LR cube = the HR cube blurred by a Gaussian PSF with
  FWHM = ratio and decimated; HR guide = the HR cube seen through a spectral response: CIE 1931 (``cie_xyz``) for
  CAVE's 400-700 nm, IKONOS's four MS bands or its PAN band for Houston (380-1050 nm). No response used here was
  seen in training (the fusion network trains on random sensors). The noisy rows add white Gaussian noise at
  30 dB SNR to both inputs (seed 0).
* **Real pair**: Houston 2018's own RGB image (4x finer than its cube, from another camera, response unknown)
  scored at reduced resolution: cube and RGB both degraded by 4 with the same PSF, fused, compared with the
  original cube; every method uses the response estimated from the pair (``srkit.hsi.guide.estimate_response``).
* **Metrics** (``srkit.metrics.spectral``): band-mean PSNR and SSIM, SAM (degrees), ERGAS, RMSE on the 8-bit
  scale, all with the reference cube's maximum as full scale and ``ratio`` pixels shaved; seconds of wall time on
  this CPU (the simulation excluded).

Run::

    python benchmarks/hsi_table.py [--hsi ../shared/data/hsi] [--write-docs docs/hsi.md] [--json hsi.json]

It writes docs/img/hsi_signatures.png (spectra of three CAVE pixels after x8 fusion) and, with ``--write-docs``,
the blocks ``<!-- hsi-fusion -->``, ``<!-- hsi-real -->``, ``<!-- hsi-sr -->`` and ``<!-- hsi-memory -->`` (peak
memory of ``srkit hsi sr`` on a synthetic cube, tiled and whole) of docs/hsi.md.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from _docs import add_output_options, cpu_model, replace_block
from srkit._core.fileio import atomic_path
from srkit.hsi.api import fuse, simulate
from srkit.hsi.evaluate import CubeScore, evaluate_fusion, evaluate_sr, format_scores
from srkit.hsi.plot import false_colour, signature_plot
from srkit.hsi.response import cie_xyz
from srkit.hsi.scenes import houston_rgb, ikonos, load_scene

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "hsi"
IMG = ROOT / "docs" / "img"
PIXELS = [(60, 60), (128, 170), (200, 96)]  # CAVE balloons: a balloon, the background, another balloon
METHODS = ("bicubic", "gsa", "cnmf", "regression", "deep")


def fusion_rows(root: Path) -> list[CubeScore]:
    cave, houston = load_scene("cave_balloons", root), load_scene("houston2018", root)
    rows: list[CubeScore] = []
    for ratio in (8, 4):
        rows += evaluate_fusion(cave, "CAVE balloons + CIE RGB", ratio, cie_xyz(), METHODS)
    rows += evaluate_fusion(cave, "CAVE balloons + CIE RGB, 30 dB SNR", 8, cie_xyz(), METHODS, snr=30.0)
    ms, pan = ikonos(root).select(["B", "G", "R", "NIR"]), ikonos(root).select(["PAN"])
    for ratio in (4, 8):
        rows += evaluate_fusion(houston, "Houston + IKONOS MS", ratio, ms, METHODS)
    rows += evaluate_fusion(houston, "Houston + IKONOS PAN", 4, pan, METHODS)
    return rows


def real_rows(root: Path) -> list[CubeScore]:
    houston = load_scene("houston2018", root)
    rgb = houston_rgb(root).astype(np.float32)
    return evaluate_fusion(houston, "Houston + its real RGB (reduced resolution)", 4, None, METHODS, guide=rgb)


def sr_rows(root: Path) -> list[CubeScore]:
    return evaluate_sr(load_scene("cave_balloons", root), "CAVE balloons", 4)


_PEAK = (
    "import resource, sys\nfrom srkit.cli.main import main\nrc = main(sys.argv[1:])\n"
    "print('peak_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\nsys.exit(rc)"
)


def memory_lines(side: int = 384, bands: int = 31) -> list[str]:
    """Peak memory (RSS) of ``srkit hsi sr`` x4 on a synthetic ``bands x side x side`` float32 cube, tiled and whole,
    each in a fresh process."""
    import subprocess
    import sys
    import tempfile
    import time

    from srkit.data.cube import Cube, write_cube

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:side, 0:side] / side
    data = np.stack(
        [np.sin(9 * xx * (1 + b / bands)) * np.cos(7 * yy) + rng.random((side, side)) * 0.1 for b in range(bands)]
    )
    lines = [
        f"`srkit hsi sr` x4 on a {bands} x {side} x {side} float32 cube ({data.nbytes / 2**20:.0f} MiB in, "
        f"{16 * data.nbytes / 2**20:.0f} MiB out): peak resident memory of the whole process, each run in a fresh one.",
        "",
        "| Tiles | Peak RSS (MiB) | Seconds |",
        "|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        src = write_cube(Path(folder) / "cube.npy", Cube((data - data.min()).astype(np.float32)))
        for tile in (96, 48, 0):
            start = time.perf_counter()
            cmd = [sys.executable, "-c", _PEAK, "hsi", "sr", str(src), "--scale", "4", "--tile", str(tile)]
            done = subprocess.run(
                [*cmd, "--no-progress", "--overwrite", "-o", str(Path(folder) / "out.npy")],
                capture_output=True,
                text=True,
                check=True,
            )
            peak = int(done.stdout.split("peak_kib")[1].split()[0]) / 1024
            label = f"{tile} LR px" if tile else "none (whole cube)"
            lines.append(f"| {label} | {peak:.0f} | {time.perf_counter() - start:.1f} |")
    return lines


def pictures(root: Path) -> None:
    cave = load_scene("cave_balloons", root)
    lr, guide = simulate(cave, 8, cie_xyz())
    cubes = {"reference": cave.data.astype(np.float64)}
    for m in ("bicubic", "gsa", "cnmf", "deep"):
        cubes[m] = fuse(lr, guide, ratio=8, response=cie_xyz(), method=m).data.astype(np.float64)
    signature_plot(IMG / "hsi_signatures.png", cubes, PIXELS, cave.wavelengths)
    bands = (25, 15, 5)  # 650, 550, 450 nm
    strip = np.concatenate(
        [false_colour(cubes[k], bands, PIXELS if k == "reference" else ()) for k in ("reference", "bicubic", "deep")],
        axis=1,
    )
    with atomic_path(IMG / "hsi_false_colour.png", overwrite=True) as tmp:
        Image.fromarray(strip).save(tmp, format="PNG")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hsi", type=Path, default=SHARED, help="the hyperspectral scenes folder")
    add_output_options(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    blocks = {"hsi-fusion": fusion_rows(args.hsi), "hsi-real": real_rows(args.hsi), "hsi-sr": sr_rows(args.hsi)}
    pictures(args.hsi)
    memory = memory_lines()
    note = (
        f"Measured with `python benchmarks/hsi_table.py --write-docs docs/hsi.md` on {cpu_model()}, "
        f"{args.threads} torch threads, fp32; shipped weights srkit_hsi_fusion and srkit_hsi_x4."
    )
    for name, rows in blocks.items():
        table = format_scores(rows, bold_best=True)
        print(table, "", sep="\n")
        if args.write_docs:
            replace_block(args.write_docs, f"<!-- {name}:start -->", f"<!-- {name}:end -->", f"{table}\n\n{note}")
    print("\n".join(memory), "", note, sep="\n")
    if args.write_docs:
        replace_block(
            args.write_docs, "<!-- hsi-memory:start -->", "<!-- hsi-memory:end -->", "\n".join([*memory, "", note])
        )
    if args.json:
        Path(args.json).write_text(json.dumps({k: [asdict(r) for r in v] for k, v in blocks.items()}, indent=1))


if __name__ == "__main__":
    main()
