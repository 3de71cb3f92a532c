"""``srkit hsi sr|fuse|simulate``: hyperspectral super-resolution, fusion with RGB/MS/PAN, Wald's simulation."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from srkit._core.errors import SrkitError
from srkit._core.fileio import atomic_write_text as write_text
from srkit.data.cube import CUBE_SUFFIXES, Cube, read_cube, write_cube
from srkit.data.imagefile import read_picture
from srkit.hsi.api import DEFAULT_TILE, FUSION_METHODS, SR_METHODS, fuse, simulate, super_resolve
from srkit.hsi.response import SpectralResponse, cie_xyz, read_response

_FORMATS = "cubes: .npy (bands, H, W), .npz, .mat (v5/v7.3), .tif (multi-band GeoTIFF)"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "hsi",
        help="hyperspectral cubes: single-image SR, fusion with an RGB/MS/PAN image, Wald's simulation",
        description="Hyperspectral super-resolution (srkit.hsi). " + _FORMATS + "; outputs keep the input's dtype, "
        "wavelengths and GeoTIFF tags. See docs/hsi.md.",
    )
    verbs = p.add_subparsers(dest="verb", metavar="{sr,fuse,simulate}", required=True)

    sr = verbs.add_parser(
        "sr",
        help="upscale a cube by itself (srkit's band-shared 3-D network, any band count)",
        description="Single-image HSI SR. The shipped network (x4) was trained on Samson, Jasper Ridge and "
        "Houston 2018 under Wald's protocol (Gaussian PSF, FWHM = ratio): it expects LR cubes that blurred. Runs "
        "in tiles (bounded memory).",
    )
    sr.add_argument("cube", metavar="CUBE", help="the LR cube")
    sr.add_argument("--scale", type=int, default=4, help="upscaling factor (default 4; the shipped network: 4)")
    sr.add_argument("--method", choices=SR_METHODS, default="deep", help="deep (default) or bicubic")
    _common(sr)
    sr.set_defaults(run=run_sr)

    fu = verbs.add_parser(
        "fuse",
        help="fuse an LR cube with an HR RGB, multispectral or panchromatic image of the same scene",
        description="Fusion of an LR cube with an HR guide image, aligned and exactly --scale times finer. The "
        "guide's spectral response is an input (cameras differ): a CSV of wavelength (nm) and one column per "
        "channel (--response), 'cie' for the CIE 1931 colour matching functions, or estimated from the two images "
        "when not given. Methods: deep (srkit's fusion network, any response), regression (its starting point "
        "alone), gsa, cnmf, bicubic.",
    )
    fu.add_argument("--hsi", required=True, metavar="LR_CUBE", help="the LR cube")
    guide = fu.add_mutually_exclusive_group(required=True)
    guide.add_argument("--rgb", metavar="IMG", help="an HR RGB image (PNG, JPEG, TIFF, 8 or 16 bits)")
    guide.add_argument("--ms", metavar="IMG", help="an HR multispectral image (an image, or a cube file)")
    guide.add_argument("--pan", metavar="IMG", help="an HR panchromatic image (one channel)")
    fu.add_argument(
        "--response", metavar="FILE.csv", help="the guide's spectral response, or 'cie' (default: estimated)"
    )
    fu.add_argument(
        "--channels",
        metavar="A,B,...",
        help="the response's columns that match the guide's channels, by name or 1-based number (e.g. 2,3,4,5: "
        "IKONOS's four MS bands of a table whose first channel is PAN)",
    )
    fu.add_argument("--scale", type=int, help="the resolution ratio (default: guide size / cube size)")
    fu.add_argument("--method", choices=FUSION_METHODS, default="deep", help="fusion method (default deep)")
    _common(fu)
    fu.set_defaults(run=run_fuse)

    si = verbs.add_parser(
        "simulate",
        help="Wald's protocol: make an LR cube (and an HR guide) from an HR cube, to test and compare methods",
        description="LR cube = the HR cube blurred by a Gaussian PSF (FWHM = ratio) and decimated; the HR guide "
        "= the cube seen through a spectral response (--response CSV or 'cie'), written as a cube file.",
    )
    si.add_argument("cube", metavar="CUBE", help="the HR cube (it needs wavelengths for a response by wavelength)")
    si.add_argument("--scale", type=int, default=4, help="the ratio (default 4)")
    si.add_argument("--response", metavar="FILE.csv", help="also write the HR guide through this response ('cie')")
    si.add_argument("--guide-out", metavar="FILE", help="the guide's file (default: NAME_guide.npy)")
    si.add_argument("--seed", type=int, default=0, help="seed of the noise (default 0)")
    si.add_argument("--snr", type=float, help="add white noise to the LR cube and the guide at this SNR (dB)")
    _common(si, tiles=False)
    si.set_defaults(run=run_simulate)


def _common(p: argparse.ArgumentParser, *, tiles: bool = True) -> None:
    p.add_argument("-o", "--output", help="output cube file (default: beside the input; the suffix picks the format)")
    p.add_argument("--key", help="the variable of a .mat/.npz cube with several")
    p.add_argument(
        "--wavelengths", metavar="FIRST:LAST", help="band centres in nm, evenly spaced (when the file has none)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    if tiles:
        p.add_argument("--model", help="network weights (default: srkit's shipped network)")
        p.add_argument(
            "--tile", type=int, default=DEFAULT_TILE, help=f"LR pixels per tile side (default {DEFAULT_TILE}; 0: whole)"
        )
        p.add_argument("--no-progress", action="store_true", help="no progress line")


def _read(path: str, args: argparse.Namespace) -> Cube:
    cube = read_cube(path, key=getattr(args, "key", None))
    cube.check_finite(path)
    if args.wavelengths:
        try:
            first, last = (float(v) for v in args.wavelengths.split(":"))
        except ValueError:
            raise SrkitError(f"--wavelengths is FIRST:LAST in nm, got {args.wavelengths!r}") from None
        cube = Cube(cube.data, np.linspace(first, last, cube.bands), cube.geo)
    return cube


def _target(src: str, given: str | None, tag: str, overwrite: bool) -> Path:
    s = Path(src)
    out = Path(given) if given else s.with_name(f"{s.stem}_{tag}{s.suffix if s.suffix in CUBE_SUFFIXES else '.npy'}")
    if out.suffix.lower() not in CUBE_SUFFIXES:
        raise SrkitError(f"{out}: the output is a cube file ({', '.join(CUBE_SUFFIXES)})")
    if out.exists() and not overwrite:
        raise SrkitError(f"{out} exists (replace it with --overwrite)")
    if not out.parent.is_dir():
        raise SrkitError(f"{out}: the folder {out.parent} does not exist")
    return out


def _progress(args: argparse.Namespace, src: str) -> Any:
    if args.no_progress:
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\r{src}: tile {done}/{total}", end=end, file=sys.stderr, flush=True)

    return show


def _response(text: str | None) -> SpectralResponse | None:
    if text is None:
        return None
    return cie_xyz() if text.lower() == "cie" else read_response(text)


def _guide(args: argparse.Namespace) -> tuple[np.ndarray, str]:
    path = args.rgb or args.ms or args.pan
    kind = "rgb" if args.rgb else "ms" if args.ms else "pan"
    if Path(path).suffix.lower() in CUBE_SUFFIXES:
        data = read_cube(path).data
    else:
        pixels = read_picture(path).pixels
        data = np.moveaxis(pixels[:, :, :3] if pixels.shape[2] in (3, 4) else pixels[:, :, :1], 2, 0)
    if kind == "rgb" and data.shape[0] != 3:
        raise SrkitError(f"{path}: --rgb takes a three-channel image, this one has {data.shape[0]}")
    if kind == "pan" and data.shape[0] != 1:
        raise SrkitError(f"{path}: --pan takes a one-channel image, this one has {data.shape[0]}: use --ms")
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        raise SrkitError(f"{path}: the guide holds NaN or infinite values; fill or mask them first")
    return data, path


def _done(src: str, dst: Path, cube: Cube, out: Cube, what: str, start: float) -> int:
    (_, h, w), (_, oh, ow) = cube.shape, out.shape
    print(
        f"{src} -> {dst} ({cube.bands} bands, {w}x{h} -> {ow}x{oh}, {out.data.dtype}): {what}; "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


def run_sr(args: argparse.Namespace) -> int:
    cube = _read(args.cube, args)
    dst = _target(args.cube, args.output, f"sr_x{args.scale}", args.overwrite)
    start = time.perf_counter()
    out = super_resolve(
        cube,
        args.scale,
        method=args.method,
        model=args.model,
        tile=args.tile or None,
        progress=_progress(args, args.cube),
    )
    write_cube(dst, out, overwrite=args.overwrite)
    return _done(args.cube, dst, cube, out, f"single-image SR x{args.scale} ({args.method})", start)


def run_fuse(args: argparse.Namespace) -> int:
    cube = _read(args.hsi, args)
    guide, guide_path = _guide(args)
    response = _response(args.response)
    if args.channels:
        if response is None:
            raise SrkitError("--channels picks columns of --response: give --response too")
        picks = [c.strip() for c in args.channels.split(",") if c.strip()]
        names = [response.names[int(c) - 1] if c.isdigit() and 0 < int(c) <= response.channels else c for c in picks]
        response = response.select(names)
    if response is not None and response.channels != guide.shape[0]:
        raise SrkitError(
            f"the response has {response.channels} channels ({', '.join(response.names)}), the guide "
            f"{guide_path} has {guide.shape[0]}"
        )
    if response is not None and cube.wavelengths is None and response.wavelengths.size != cube.bands:
        raise SrkitError(
            f"{args.hsi} has {cube.bands} bands and no wavelengths, and the response has {response.wavelengths.size} "
            "rows: give --wavelengths FIRST:LAST, or a response with one row per band"
        )
    gh, gw = guide.shape[1:]
    _, h, w = cube.shape
    ratio = args.scale or max(1, gh // h)
    if (gh, gw) != (h * ratio, w * ratio):
        raise SrkitError(
            f"the guide {guide_path} is {gw}x{gh} and the cube {w}x{h}: the guide must be exactly {ratio}x the "
            f"cube's size (crop both to a multiple of the ratio)"
        )
    dst = _target(args.hsi, args.output, f"fused_x{ratio}", args.overwrite)
    start = time.perf_counter()
    out = fuse(
        cube,
        guide,
        ratio=ratio,
        response=response,
        method=args.method,
        model=args.model,
        tile=args.tile or None,
        progress=_progress(args, args.hsi),
    )
    write_cube(dst, out, overwrite=args.overwrite)
    how = f"response {args.response}" if args.response else "response estimated from the pair"
    return _done(args.hsi, dst, cube, out, f"fused with {guide_path} x{ratio} ({args.method}, {how})", start)


def run_simulate(args: argparse.Namespace) -> int:
    cube = _read(args.cube, args)
    dst = _target(args.cube, args.output, f"lr_x{args.scale}", args.overwrite)
    response = _response(args.response)
    lr, guide = simulate(cube, args.scale, response, seed=args.seed, lr_snr=args.snr, guide_snr=args.snr)
    written = [str(write_cube(dst, lr, overwrite=args.overwrite))]
    if guide is not None:
        g_path = _target(args.cube, args.guide_out, "guide", args.overwrite)
        written.append(str(write_cube(g_path, Cube(guide.astype(np.float32)), overwrite=args.overwrite)))
    print(f"{args.cube} -> {', '.join(written)} (Wald's protocol x{args.scale})")
    return 0


def bench_cubes(args: argparse.Namespace) -> int:
    """``srkit bench --cubes``: HSI methods on cube files under Wald's protocol (``srkit bench --help``)."""
    from srkit.data.paths import resolve_data_path
    from srkit.hsi.evaluate import CubeScore, evaluate_fusion, evaluate_sr, format_scores

    clash = [o for o, given in (("--lr", args.lr), ("--no-reference", args.no_reference), ("--rgb", args.rgb)) if given]
    clash += [
        o
        for o, given in (("--y-round", args.y_round), ("--model", args.model), ("--per-image", args.per_image))
        if given
    ]
    if clash:
        raise SrkitError(f"--cubes scores cubes with spectral metrics; drop {', '.join(clash)}")
    if not args.data:
        raise SrkitError("--cubes needs --data: cube files or folders of them")
    files: list[Path] = []
    for entry in args.data:
        path = resolve_data_path(entry, key="--data").path
        files += sorted(p for p in path.iterdir() if p.suffix.lower() in CUBE_SUFFIXES) if path.is_dir() else [path]
    if not files:
        raise SrkitError(f"no cube files ({', '.join(CUBE_SUFFIXES)}) in {', '.join(args.data)}")
    response = _response(args.response)
    allowed = FUSION_METHODS if response is not None else SR_METHODS
    methods = list(dict.fromkeys(args.method or (allowed if response is not None else ("bicubic", "deep"))))
    unknown = [m for m in methods if m not in allowed]
    if unknown:
        kind = "fusion" if response is not None else "single-image HSI SR (add --response for fusion)"
        raise SrkitError(f"unknown {kind} method(s) {', '.join(unknown)}; use {', '.join(allowed)}")
    rows: list[CubeScore] = []
    for path in files:
        cube = _read(str(path), args)
        for scale in dict.fromkeys(args.scale or [4]):
            if not args.no_progress:
                print(f"{path.name} x{scale} ...", file=sys.stderr, flush=True)
            if response is None:
                rows += evaluate_sr(cube, path.name, scale, methods, model=args.weights)
            else:
                rows += evaluate_fusion(cube, path.name, scale, response, methods, model=args.weights)
    table = format_scores(rows)
    print(table)
    if args.markdown:
        write_text(args.markdown, table + "\n")
    if args.csv:
        head = "cube,method,ratio,psnr,ssim,sam,ergas,rmse,seconds\n"
        body = "".join(
            f"{r.cube},{r.method},{r.ratio},{r.psnr:.4f},{r.ssim:.5f},{r.sam:.4f},{r.ergas:.5f},{r.rmse:.4f},"
            f"{r.seconds:.3f}\n"
            for r in rows
        )
        write_text(args.csv, head + body)
    if args.json:
        import json
        from dataclasses import asdict

        write_text(args.json, json.dumps([asdict(r) for r in rows], indent=1) + "\n")
    return 0
